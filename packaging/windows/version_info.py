"""The Windows version resource of chatkit-desktop.exe (Explorer's Properties > Details tab).

The spec passes it to PyInstaller's EXE(version=...), with packaging/ on sys.path:

    from windows.version_info import version_info
    exe = EXE(..., version=version_info(__version__) if sys.platform == "win32" else None)

PyInstaller is imported inside the function: its versioninfo module imports `pefile`, which
PyInstaller installs on Windows only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from packaging.version import Version

if TYPE_CHECKING:
    from PyInstaller.utils.win32.versioninfo import VSVersionInfo

COMPANY = "chatkit-desktop contributors"
DESCRIPTION = "ChatKit Desktop"
PRODUCT = "ChatKit Desktop"
EXE_NAME = "chatkit-desktop.exe"
COPYRIGHT = "MIT License"

# U.S. English (0x0409) in Unicode (code page 1200 = 0x04B0): the language the strings are in.
LANGUAGE = 0x0409
CODEPAGE = 1200

# VS_FF_PRERELEASE: set for versions like 0.2.0rc1 or 0.2.0.dev3.
VS_FF_PRERELEASE = 0x2


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """ "0.1.0" -> (0, 1, 0, 0): the release numbers, padded or cut to four, each 0..65535."""
    release = Version(version).release
    numbers = (*release, 0, 0, 0, 0)[:4]
    if any(n > 0xFFFF for n in numbers):
        raise ValueError(f"{version!r}: Windows version numbers go up to 65535")
    return numbers[0], numbers[1], numbers[2], numbers[3]


def version_info(version: str) -> VSVersionInfo:
    """The VSVersionInfo for `version` (the app's __version__, a PEP 440 string)."""
    from PyInstaller.utils.win32.versioninfo import (
        FixedFileInfo,
        StringFileInfo,
        StringStruct,
        StringTable,
        VarFileInfo,
        VarStruct,
        VSVersionInfo,
    )

    numbers = version_tuple(version)
    flags = VS_FF_PRERELEASE if Version(version).is_prerelease else 0x0
    strings = {
        "CompanyName": COMPANY,
        "FileDescription": DESCRIPTION,
        "FileVersion": version,
        "InternalName": EXE_NAME,
        "LegalCopyright": COPYRIGHT,
        "OriginalFilename": EXE_NAME,
        "ProductName": PRODUCT,
        "ProductVersion": version,
    }
    return VSVersionInfo(
        ffi=FixedFileInfo(
            filevers=numbers,
            prodvers=numbers,
            mask=0x3F,
            flags=flags,
            OS=0x40004,  # VOS_NT_WINDOWS32
            fileType=0x1,  # VFT_APP
            subtype=0x0,
            date=(0, 0),
        ),
        kids=[
            StringFileInfo(
                [
                    StringTable(
                        f"{LANGUAGE:04X}{CODEPAGE:04X}",
                        [StringStruct(key, value) for key, value in strings.items()],
                    )
                ]
            ),
            VarFileInfo([VarStruct("Translation", [LANGUAGE, CODEPAGE])]),
        ],
    )

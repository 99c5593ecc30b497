"""The app icon in every size the bundles need (packaging/icons/, made by render_icons.py from
web/icon.svg), and the Windows version resource (packaging/windows/version_info.py)."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

REPO = Path(__file__).resolve().parents[2]
ICONS = REPO / "packaging" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# What macOS finds in the .icns: (OSType, pixels); ic11..ic14 and ic10 are the @2x entries.
ICNS_ENTRIES = {
    b"icp4": 16,
    b"ic11": 32,
    b"icp5": 32,
    b"ic12": 64,
    b"ic07": 128,
    b"ic13": 256,
    b"ic08": 256,
    b"ic14": 512,
    b"ic09": 512,
    b"ic10": 1024,
}
BLUE = (0x2F, 0x6F, 0xEB)
WHITE = (255, 255, 255)


def _png(n: int) -> Image.Image:
    return Image.open(ICONS / "png" / f"{n}x{n}.png")


def _at(picture: Image.Image, n: int, x: float, y: float) -> tuple[int, ...]:
    """The pixel under the point (x, y) of the SVG's 32x32 viewBox, in an n x n picture."""
    return picture.getpixel((int(x * n / 32), int(y * n / 32)))  # type: ignore[return-value]


def _close(pixel: tuple[int, ...], rgb: tuple[int, int, int], tolerance: int = 6) -> bool:
    return pixel[3] == 255 and all(
        abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=False)
    )


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size
        and ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None
    )


def _icns_entries(path: Path) -> dict[bytes, bytes]:
    """OSType -> data of each entry of an .icns file, read straight from its bytes."""
    data = path.read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    entries, offset = {}, 8
    while offset < len(data):
        ostype, length = (
            data[offset : offset + 4],
            struct.unpack(">I", data[offset + 4 : offset + 8])[0],
        )
        assert length >= 8
        entries[ostype] = data[offset + 8 : offset + length]
        offset += length
    assert offset == len(data)
    return entries


def test_the_scalable_icon_is_the_page_icon():
    assert (ICONS / "chatkit-desktop.svg").read_bytes() == (REPO / "web" / "icon.svg").read_bytes()


@pytest.mark.parametrize("n", PNG_SIZES)
def test_each_png_is_the_icon_drawn_at_its_size(n):
    picture = _png(n)
    assert picture.size == (n, n)
    assert picture.mode == "RGBA"
    # Transparent outside the rounded square (at 16 px, Chromium's antialiasing leaves a trace).
    for corner in ((0, 0), (n - 1, 0), (0, n - 1), (n - 1, n - 1)):
        assert picture.getpixel(corner)[3] <= 16, (n, corner, picture.getpixel(corner))
    # The blue square: left of the bubble, below it, at the edge's middle.
    assert _close(_at(picture, n, 3, 16), BLUE), _at(picture, n, 3, 16)
    assert _close(_at(picture, n, 16, 28), BLUE), _at(picture, n, 16, 28)
    assert _close(_at(picture, n, 0, 16), BLUE), _at(picture, n, 0, 16)
    # The white bubble in the middle.
    assert _close(_at(picture, n, 16, 16), WHITE), _at(picture, n, 16, 16)
    assert _close(_at(picture, n, 9, 12), WHITE), _at(picture, n, 9, 12)
    if n >= 32:
        # Its tail (bottom left, under the body) is white, blue beside it.
        assert _close(_at(picture, n, 11, 23), WHITE), _at(picture, n, 11, 23)
        assert _close(_at(picture, n, 20, 25), BLUE), _at(picture, n, 20, 25)
    # Mostly opaque: a blue square with small transparent corners, not an empty picture.
    alpha = picture.getchannel("A")
    opaque = alpha.histogram()[255] / (n * n)
    assert 0.85 < opaque < 0.99, opaque


def test_the_ico_holds_exactly_the_windows_sizes_each_drawn_at_that_size():
    ico = Image.open(ICONS / "chatkit-desktop.ico")
    assert ico.format == "ICO"
    assert ico.info["sizes"] == {(n, n) for n in ICO_SIZES}
    for n in ICO_SIZES:
        frame = ico.ico.getimage((n, n))  # type: ignore[attr-defined]
        assert frame.size == (n, n)
        # The very pixels of png/NxN.png: each size drawn from the SVG, none shrunk from another.
        assert _same_pixels(frame, _png(n)), n


def test_the_icns_holds_16_to_1024_pixels_with_the_2x_entries():
    entries = _icns_entries(ICONS / "chatkit-desktop.icns")
    assert entries.pop(b"TOC ", None) is not None
    assert set(entries) == set(ICNS_ENTRIES)
    for ostype, n in ICNS_ENTRIES.items():
        picture = Image.open(io.BytesIO(entries[ostype]))
        assert picture.format == "PNG", ostype
        assert _same_pixels(picture, _png(n)), ostype
    # Pillow (the reader the tests trust) sees the same set, as (points, points, scale).
    icns = Image.open(ICONS / "chatkit-desktop.icns")
    assert set(icns.info["sizes"]) == {
        (16, 16, 1),
        (16, 16, 2),
        (32, 32, 1),
        (32, 32, 2),
        (128, 128, 1),
        (128, 128, 2),
        (256, 256, 1),
        (256, 256, 2),
        (512, 512, 1),
        (512, 512, 2),
    }
    icns.load()  # the biggest entry unless asked otherwise
    assert _same_pixels(icns, _png(1024))
    assert _same_pixels(icns.icns.getimage((16, 16, 1)), _png(16))  # type: ignore[attr-defined]


@pytest.mark.slow
def test_render_icons_draws_the_committed_files_again(tmp_path):
    """The script still runs, and the committed pictures are what it draws now (web/icon.svg
    changed without running it again? This fails). Chromium versions may antialias a little
    differently: the pictures must agree to within a small average difference."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("render_icons.py needs Debian's chromium (packaging/apt/test.txt)")
    pytest.importorskip("playwright", reason="render_icons.py needs playwright (dev extra)")
    result = subprocess.run(
        [sys.executable, str(ICONS / "render_icons.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "chatkit-desktop.svg").read_bytes() == (
        ICONS / "chatkit-desktop.svg"
    ).read_bytes()
    for n in PNG_SIZES:
        fresh = Image.open(tmp_path / "png" / f"{n}x{n}.png")
        assert fresh.size == (n, n)
        difference = ImageChops.difference(fresh.convert("RGBA"), _png(n).convert("RGBA"))
        assert max(ImageStat.Stat(difference).mean) < 2.0, (n, ImageStat.Stat(difference).mean)
    assert Image.open(tmp_path / "chatkit-desktop.ico").info["sizes"] == {(n, n) for n in ICO_SIZES}
    fresh_entries = _icns_entries(tmp_path / "chatkit-desktop.icns")
    assert set(fresh_entries) == set(_icns_entries(ICONS / "chatkit-desktop.icns"))


# --- Windows version resource -------------------------------------------------------------


@pytest.fixture
def version_info(monkeypatch) -> Iterator[types.ModuleType]:
    """packaging/windows/version_info.py imported the way the spec does (packaging/ on sys.path).

    PyInstaller's versioninfo module imports `pefile` and `PyInstaller.compat.win32api`, which
    exist on Windows only; it uses them only to read or write an .exe. Off Windows they are
    stood in for while the module is imported, so the real classes build the real resource."""
    monkeypatch.syspath_prepend(str(REPO / "packaging"))
    if sys.platform != "win32":
        import PyInstaller.compat

        try:
            import pefile  # noqa: F401
        except ImportError:
            monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
        monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
    for name in ("windows", "windows.version_info", "PyInstaller.utils.win32.versioninfo"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import windows.version_info as module

    yield module
    for name in ("windows", "windows.version_info", "PyInstaller.utils.win32.versioninfo"):
        sys.modules.pop(name, None)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def test_version_info_carries_the_version_numbers_and_names(version_info, tmp_path):
    from PyInstaller.utils.win32 import versioninfo

    info = version_info.version_info("0.1.0")
    assert isinstance(info, versioninfo.VSVersionInfo)
    text = str(info)
    assert "filevers=(0, 1, 0, 0)" in text
    assert "prodvers=(0, 1, 0, 0)" in text
    for key, value in {
        "CompanyName": "chatkit-desktop contributors",
        "FileDescription": "ChatKit Desktop",
        "FileVersion": "0.1.0",
        "InternalName": "chatkit-desktop.exe",
        "LegalCopyright": "MIT License",
        "OriginalFilename": "chatkit-desktop.exe",
        "ProductName": "ChatKit Desktop",
        "ProductVersion": "0.1.0",
    }.items():
        assert f"StringStruct({key!r}, {value!r})" in text
    assert "'040904B0'" in text  # U.S. English, Unicode
    assert "VarStruct('Translation', [1033, 1200])" in text

    # The bytes written into the .exe: VS_FIXEDFILEINFO after its signature, strings in UTF-16.
    # (PyInstaller packs it as native unsigned longs: 4 bytes on Windows, 8 on 64-bit Linux.)
    raw = info.toRaw()
    at = raw.index(struct.pack("<I", 0xFEEF04BD))
    fixed = struct.unpack("6L", raw[at : at + struct.calcsize("6L")])
    _, _, file_ms, file_ls, product_ms, product_ls = fixed
    assert (file_ms, file_ls, product_ms, product_ls) == (0x0000_0001, 0, 0x0000_0001, 0)
    assert _utf16("040904B0") in raw
    assert _utf16("ChatKit Desktop") in raw
    assert _utf16("chatkit-desktop.exe") in raw

    # PyInstaller's own text form (a version file) reads back to the same resource.
    version_file = tmp_path / "version.txt"
    version_file.write_text(text, encoding="utf-8")
    assert versioninfo.load_version_info_from_text_file(str(version_file)).toRaw() == raw


@pytest.mark.parametrize(
    ("version", "numbers", "prerelease"),
    [
        ("0.1.0", (0, 1, 0, 0), False),
        ("1.2", (1, 2, 0, 0), False),
        ("2.3.4.5.6", (2, 3, 4, 5), False),
        ("0.2.0rc1", (0, 2, 0, 0), True),
        ("1.0.0.dev3", (1, 0, 0, 0), True),
    ],
)
def test_version_numbers_from_pep440_strings(version_info, version, numbers, prerelease):
    assert version_info.version_tuple(version) == numbers
    info = version_info.version_info(version)
    assert f"filevers={numbers}" in str(info)
    assert f"StringStruct('ProductVersion', {version!r})" in str(info)
    assert bool(info.ffi.fileFlags & 0x2) is prerelease


def test_version_numbers_above_65535_are_refused(version_info):
    with pytest.raises(ValueError, match="65535"):
        version_info.version_tuple("1.70000.0")

"""Where the built bundle is, what it weighs (packaging/bundle_layout.py), and, when a bundle has
been built (`make bundle`), that it looks as the rules say.

`make test` builds the bundle before it runs pytest, so the last test runs there (and in CI); a
bare `pytest` without a bundle skips it, and `tests/packaging/test_bundle_rules.py` checks the same
trimming against the installed PyQt6 wheel without a build.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "packaging") not in sys.path:
    sys.path.insert(0, str(ROOT / "packaging"))

import bundle_layout  # noqa: E402
from bundle_layout import TreeSize, bundle_dir, cli_executable, executable, measure  # noqa: E402


def test_the_layout_paths_are_the_repositorys() -> None:
    assert bundle_layout.ROOT == ROOT
    assert bundle_layout.DIST == ROOT / "dist"


@pytest.mark.parametrize(
    ("system", "folder"),
    [
        ("Linux", "chatkit-desktop"),
        ("Windows", "chatkit-desktop"),
        ("Darwin", "ChatKit Desktop.app"),
    ],
)
def test_bundle_dir(tmp_path: Path, system: str, folder: str) -> None:
    assert bundle_dir(tmp_path, system) == tmp_path / folder


@pytest.mark.parametrize(
    ("system", "relative"),
    [
        ("Linux", "chatkit-desktop"),
        ("Windows", "chatkit-desktop.exe"),
        ("Darwin", "Contents/MacOS/chatkit-desktop"),
    ],
)
def test_executable(tmp_path: Path, system: str, relative: str) -> None:
    assert executable(tmp_path, system) == tmp_path / relative


@pytest.mark.parametrize(
    ("system", "relative"),
    [
        ("Linux", "chatkit-desktop"),
        ("Windows", "chatkit-desktop-cli.exe"),  # the window app has no console there
        ("Darwin", "Contents/MacOS/chatkit-desktop"),
    ],
)
def test_cli_executable(tmp_path: Path, system: str, relative: str) -> None:
    assert cli_executable(tmp_path, system) == tmp_path / relative


@pytest.mark.parametrize("system", ["Linux", "Windows", "Darwin"])
def test_without_a_system_the_running_one_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, system: str
) -> None:
    monkeypatch.setattr(platform, "system", lambda: system)  # the module bundle_layout uses
    assert bundle_dir(tmp_path) == bundle_dir(tmp_path, system)
    assert executable(tmp_path) == executable(tmp_path, system)


def test_bundle_dir_defaults_to_dist() -> None:
    assert bundle_dir(system="Linux") == ROOT / "dist" / "chatkit-desktop"


def _write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def _symlink(link: Path, target: Path, *, directory: bool = False) -> None:
    try:
        link.symlink_to(target, target_is_directory=directory)
    except OSError as error:  # Windows without the symlink privilege
        pytest.skip(f"cannot create symlinks here: {error}")


def test_measure_counts_bytes_and_files_in_every_folder(tmp_path: Path) -> None:
    _write(tmp_path / "app" / "chatkit-desktop", 1000)
    _write(tmp_path / "app" / "_internal" / "base_library.zip", 250)
    _write(tmp_path / "app" / "_internal" / "PyQt6" / "Qt6" / "lib" / "libQt6Core.so.6", 4096)
    _write(tmp_path / "app" / "empty.txt", 0)
    (tmp_path / "app" / "empty-folder").mkdir()
    assert measure(tmp_path / "app") == TreeSize(bytes=5346, files=4)


def test_measure_does_not_follow_symlinks(tmp_path: Path) -> None:
    app = tmp_path / "app"
    lib = _write(app / "_internal" / "PyQt6" / "Qt6" / "lib" / "libQt6Core.so.6", 3000)
    _write(app / "_internal" / "icudtl.dat", 500)
    # PyInstaller's top-level links to Qt's libraries, a linked folder, a dangling link.
    _symlink(app / "_internal" / "libQt6Core.so.6", Path("PyQt6/Qt6/lib/libQt6Core.so.6"))
    outside = _write(tmp_path / "outside" / "big.bin", 10_000)
    _symlink(app / "linked-folder", outside.parent, directory=True)
    _symlink(app / "linked-file", outside)
    _symlink(app / "dangling", tmp_path / "gone")
    assert lib.exists() and (app / "linked-folder" / "big.bin").exists()
    assert measure(app) == TreeSize(bytes=3500, files=2)


def test_measure_of_a_single_file_is_that_file(tmp_path: Path) -> None:
    archive = _write(tmp_path / "chatkit-desktop-0.1.0-linux-x86_64.tar.xz", 12_345)
    assert measure(archive) == TreeSize(bytes=12_345, files=1)


def test_measure_counts_empty_files(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "__init__.py", 0)
    _write(tmp_path / "b" / "py.typed", 0)
    assert measure(tmp_path) == TreeSize(bytes=0, files=2)


def test_measure_of_an_empty_folder(tmp_path: Path) -> None:
    assert measure(tmp_path) == TreeSize(bytes=0, files=0)


def test_tree_size_in_megabytes() -> None:
    assert TreeSize(bytes=123_456_789, files=3).mb == pytest.approx(123.456789)
    assert TreeSize(bytes=0, files=0).mb == 0


# --- the built bundle, when there is one ---------------------------------------------------------

BUNDLE = bundle_dir(ROOT / "dist", "Linux")
QT = BUNDLE / "_internal" / "PyQt6" / "Qt6"


@pytest.mark.skipif(
    platform.system() != "Linux" or not executable(BUNDLE, "Linux").is_file(),
    reason="no Linux bundle in dist/ (`make bundle` builds it, and `make test` does before pytest; "
    "test_bundle_rules.py checks the trimming on the PyQt6 wheel meanwhile)",
)
def test_the_built_linux_bundle_is_trimmed_and_whole() -> None:
    assert os.access(executable(BUNDLE, "Linux"), os.X_OK)
    assert os.access(BUNDLE / "install-desktop-entry.sh", os.X_OK)
    assert (BUNDLE / "share" / "applications" / "chatkit-desktop.desktop").is_file()
    assert (BUNDLE / "_internal" / "chatkit_desktop" / "web" / "index.html").is_file()
    # Every link points at something (dangling_symlinks ran after the libraries were removed).
    links = [Path(folder, n) for folder, dirs, names in os.walk(BUNDLE) for n in [*dirs, *names]]
    broken = [str(p.relative_to(BUNDLE)) for p in links if p.is_symlink() and not p.exists()]
    assert broken == []
    # Qt: no QML, English only, no developer tools, none of the libraries the window never uses.
    assert not (QT / "qml").exists()
    translations = [p.name for p in (QT / "translations").rglob("*") if p.is_file()]
    assert translations
    assert all(n == "en-US.pak" or n.endswith("_en.qm") for n in translations), translations
    assert not (QT / "resources" / "qtwebengine_devtools_resources.pak").exists()
    assert (QT / "resources" / "icudtl.dat").is_file()
    assert (QT / "libexec" / "QtWebEngineProcess").is_file()
    libraries = {p.name for p in (QT / "lib").iterdir()}
    for needed in ("libQt6WebEngineCore.so.6", "libQt6Core.so.6", "libQt6XcbQpa.so.6"):
        assert needed in libraries, needed
    unused = re.compile(r"^libQt6(Quick3D|Multimedia|Pdf|QuickControls2|Designer|Sql)")
    assert sorted(n for n in libraries if unused.match(n)) == []
    assert (QT / "plugins" / "platforms" / "libqxcb.so").is_file()
    assert not (QT / "plugins" / "platformthemes" / "libqgtk3.so").exists()
    assert not (QT / "plugins" / "printsupport").exists()
    assert not any((BUNDLE / "_internal").glob("libgtk-3.so*"))

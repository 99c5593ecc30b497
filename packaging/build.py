"""Build the desktop bundle for this OS into dist/ and pack the archive people download.

    python packaging/build.py            # what `make bundle` runs
    python packaging/build.py --no-archive

Steps: PyInstaller with `chatkit-desktop.spec` (one folder); on Linux, the desktop entry, the
icons and `install-desktop-entry.sh` next to the executable; then the archive (Linux .tar.xz,
Windows and macOS .zip). The last line printed is the archive's path.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bundle_layout import DIST, ROOT, bundle_dir, measure  # noqa: E402
from bundle_rules import APP_NAME, archive_name  # noqa: E402
from chatkit_desktop import __version__  # noqa: E402

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def run_pyinstaller(dist: Path, work: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(HERE / "chatkit-desktop.spec"),
    ]
    subprocess.run(command, check=True, cwd=ROOT)


def add_linux_desktop_files(bundle: Path) -> None:
    """The menu entry and icons, installed by the user with `install-desktop-entry.sh`."""
    share = bundle / "share"
    applications = share / "applications"
    applications.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "linux" / f"{APP_NAME}.desktop", applications)
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HERE / "icons" / "png" / f"{size}x{size}.png", target / f"{APP_NAME}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True, exist_ok=True)
    shutil.copy2(HERE / "icons" / f"{APP_NAME}.svg", scalable / f"{APP_NAME}.svg")
    script = bundle / "install-desktop-entry.sh"
    shutil.copy2(HERE / "linux" / "install-desktop-entry.sh", script)
    script.chmod(0o755)


def make_archive(bundle: Path, target: Path, system: str) -> None:
    target.unlink(missing_ok=True)
    if system == "Linux":
        # One top folder inside, permissions and symlinks kept. xz: 20 % smaller than gzip
        # for Qt's libraries; preset 2 on every core keeps CI's build under a minute.
        xz = shutil.which("xz")
        if xz and shutil.which("tar"):
            subprocess.run(
                [
                    "tar",
                    "-C",
                    str(bundle.parent),
                    "-I",
                    f"{xz} -T0 -2",
                    "-cf",
                    str(target),
                    bundle.name,
                ],
                check=True,
            )
        else:
            with tarfile.open(target, "w:xz", preset=2) as tar:
                tar.add(bundle, arcname=bundle.name)
    elif system == "Darwin":
        # ditto keeps the .app's symlinks and extended attributes, as Finder's own zip does.
        subprocess.run(
            ["ditto", "-c", "-k", "--sequesterRsrc", "--keepParent", str(bundle), str(target)],
            check=True,
        )
    else:
        shutil.make_archive(str(target.with_suffix("")), "zip", bundle.parent, bundle.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=DIST, help="output folder (default: dist/)")
    parser.add_argument("--no-archive", action="store_true", help="skip the archive")
    args = parser.parse_args(argv)
    system = platform.system()
    dist: Path = args.dist.resolve()
    started = time.monotonic()
    run_pyinstaller(dist, ROOT / "build" / "pyinstaller")
    bundle = bundle_dir(dist, system)
    if system == "Linux":
        add_linux_desktop_files(bundle)
    built_s = time.monotonic() - started
    size = measure(bundle)
    print(f"bundle: {bundle} ({size.mb:.1f} MB, {size.files} files, built in {built_s:.0f} s)")
    if args.no_archive:
        return 0
    target = dist / archive_name(__version__, system, platform.machine())
    make_archive(bundle, target, system)
    print(f"archive: {target.stat().st_size / 1_000_000:.1f} MB")
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())

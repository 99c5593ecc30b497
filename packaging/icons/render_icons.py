"""Render the app icon (web/icon.svg) into every file the bundles need.

Run it again whenever web/icon.svg changes, then commit what it wrote:

    .venv/bin/python packaging/icons/render_icons.py            # writes into packaging/icons/
    .venv/bin/python packaging/icons/render_icons.py --out DIR  # writes into DIR instead

It needs Debian's chromium (packaging/apt/test.txt) and the Python packages playwright and
pillow (the `dev` extra). Every size is drawn by Chromium from the SVG at that size (no
downscaling of one big picture), on a transparent background, in sRGB:

    chatkit-desktop.svg        a copy of web/icon.svg (Linux: hicolor/scalable/apps)
    png/<N>x<N>.png            N = 16 24 32 48 64 128 256 512 1024 (Linux: hicolor/<N>x<N>/apps)
    chatkit-desktop.ico        16 24 32 48 64 128 256, PNG-compressed frames (Windows)
    chatkit-desktop.icns       16 32 64 128 256 512 1024 as 1x and @2x entries (macOS)

The .icns is written here, not by Pillow: Pillow's writer leaves out the 16x16 and 32x32 1x
entries (icp4, icp5), so macOS would shrink a bigger one for the smallest places (Finder's
list view, the menu bar). Each entry is a PNG, which macOS reads since 10.7.
"""

from __future__ import annotations

import argparse
import io
import shutil
import struct
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCE = REPO / "web" / "icon.svg"
NAME = "chatkit-desktop"

CHROMIUM = "/usr/bin/chromium"
# --force-color-profile=srgb: the pixels are the SVG's colours, whatever the machine's display says.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--force-color-profile=srgb"]

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# (OSType, pixels): 1x entries and their @2x twins (ic11 = 16@2x, ic12 = 32@2x, ic13 = 128@2x,
# ic14 = 256@2x, ic10 = 512@2x). Together they hold 16, 32, 64, 128, 256, 512 and 1024 pixels.
ICNS_ENTRIES = (
    (b"icp4", 16),
    (b"ic11", 32),
    (b"icp5", 32),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic13", 256),
    (b"ic08", 256),
    (b"ic14", 512),
    (b"ic09", 512),
    (b"ic10", 1024),
)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body {{ margin: 0; padding: 0; background: transparent; overflow: hidden; }}
svg {{ display: block; width: {n}px; height: {n}px; }}
</style></head><body>{svg}</body></html>"""


def render(svg: str, sizes: tuple[int, ...]) -> dict[int, Image.Image]:
    """Draw `svg` at each size in Chromium; RGBA pictures with a transparent background."""
    from playwright.sync_api import sync_playwright

    pictures: dict[int, Image.Image] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in sizes:
                page = browser.new_page(viewport={"width": n, "height": n}, device_scale_factor=1)
                page.set_content(PAGE.format(n=n, svg=svg))
                shot = page.screenshot(
                    omit_background=True, clip={"x": 0, "y": 0, "width": n, "height": n}
                )
                page.close()
                picture = Image.open(io.BytesIO(shot)).convert("RGBA")
                if picture.size != (n, n):
                    raise RuntimeError(f"Chromium drew {picture.size}, not {n}x{n}")
                pictures[n] = picture
        finally:
            browser.close()
    return pictures


def png_bytes(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def write_icns(path: Path, pictures: dict[int, Image.Image]) -> None:
    """An .icns file: 'icns' + length, a table of contents, then one PNG entry per OSType."""
    entries = [(ostype, png_bytes(pictures[n])) for ostype, n in ICNS_ENTRIES]
    toc = b"TOC " + struct.pack(">I", 8 + 8 * len(entries))
    toc += b"".join(ostype + struct.pack(">I", 8 + len(data)) for ostype, data in entries)
    body = toc + b"".join(
        ostype + struct.pack(">I", 8 + len(data)) + data for ostype, data in entries
    )
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def write_all(out: Path, pictures: dict[int, Image.Image]) -> list[Path]:
    written = []
    (out / "png").mkdir(parents=True, exist_ok=True)
    svg_copy = out / f"{NAME}.svg"
    if svg_copy.resolve() != SOURCE.resolve():
        shutil.copyfile(SOURCE, svg_copy)
    written.append(svg_copy)
    for n in PNG_SIZES:
        target = out / "png" / f"{n}x{n}.png"
        target.write_bytes(png_bytes(pictures[n]))
        written.append(target)
    # Pillow's ICO writer takes, for each requested size, the given picture of exactly that size
    # (the first picture must be the biggest: sizes above it are dropped).
    ico = out / f"{NAME}.ico"
    largest = max(ICO_SIZES)
    pictures[largest].save(
        ico,
        format="ICO",
        sizes=[(n, n) for n in ICO_SIZES],
        append_images=[pictures[n] for n in ICO_SIZES if n != largest],
    )
    written.append(ico)
    icns = out / f"{NAME}.icns"
    write_icns(icns, pictures)
    written.append(icns)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    args = parser.parse_args(argv)
    svg = SOURCE.read_text(encoding="utf-8")
    sizes = tuple(sorted(set(PNG_SIZES) | set(ICO_SIZES) | {n for _, n in ICNS_ENTRIES}))
    pictures = render(svg, sizes)
    for path in write_all(args.out, pictures):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

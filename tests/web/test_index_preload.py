"""index.html names every module app.js imports as a `modulepreload`, so the browser fetches them
all while it parses the page instead of discovering them one import level at a time (about 0.1 s
of the launch on this machine; BENCHMARKS.md). The list is written by hand: this keeps it equal
to what the imports really are, so a new module cannot be forgotten and a removed one cannot
linger as a wasted request."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
STATIC = "/static/"

# Static imports only: `import(...)` is loaded on demand (the built-in chat, the item renderer)
# and is meant not to be fetched at start.
STATIC_IMPORT = re.compile(
    r"""^(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']|^import\s*["']([^"']+)["']""",
    re.M,
)


class _Preloads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.entry: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "modulepreload":
            self.hrefs.append(values.get("href") or "")
        if tag == "script" and values.get("type") == "module":
            self.entry = values.get("src")


def _file_of(spec: str, importer: Path) -> Path:
    if spec.startswith(STATIC):
        return WEB / spec[len(STATIC) :]
    assert spec.startswith("."), f"{importer.name} imports {spec!r}: not a module of the page"
    return (importer.parent / spec).resolve()


def _imported_by(entry: Path) -> set[Path]:
    found: set[Path] = set()
    pending = [entry]
    while pending:
        module = pending.pop()
        for match in STATIC_IMPORT.finditer(module.read_text(encoding="utf-8")):
            target = _file_of(match.group(1) or match.group(2), module)
            assert target.is_file(), f"{module.name} imports {target}, which does not exist"
            if target not in found:
                found.add(target)
                pending.append(target)
    return found


def _index() -> _Preloads:
    parser = _Preloads()
    parser.feed((WEB / "index.html").read_text(encoding="utf-8"))
    return parser


def test_the_import_reader_sees_static_imports_and_skips_dynamic_ones(tmp_path):
    (tmp_path / "a.js").write_text(
        'import { x,\n  y } from "./b.js";\nexport { z } from "./c.js";\nimport "./d.js";\n'
        'const later = () => import("./e.js");\n// imported from "./nowhere.js" in a comment\n',
        encoding="utf-8",
    )
    for name in "bcde":
        (tmp_path / f"{name}.js").write_text("export const v = 1;\n", encoding="utf-8")
    assert _imported_by(tmp_path / "a.js") == {tmp_path / f"{n}.js" for n in "bcd"}


def test_every_module_app_js_imports_is_preloaded_and_nothing_else():
    index = _index()
    assert index.entry == "/static/app.js"
    preloaded = [_file_of(href, WEB / "index.html") for href in index.hrefs]
    assert len(preloaded) == len(set(preloaded)), "a module is preloaded twice"
    imported = _imported_by(WEB / "app.js")
    assert len(imported) >= 10  # the page's own modules: the reader found the imports
    assert set(preloaded) == imported, {
        "missing": sorted(str(p.relative_to(WEB)) for p in imported - set(preloaded)),
        "not imported": sorted(str(p.relative_to(WEB)) for p in set(preloaded) - imported),
    }

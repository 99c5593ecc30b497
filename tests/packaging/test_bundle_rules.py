"""What the desktop bundle leaves out (packaging/bundle_rules.py, applied by the spec).

The pure rules are checked with small, explicit inputs; then against the real environment: the
modules the app imports at run time (none may be excluded), the imports pywebview's toolkit for
each OS makes, and the installed PyQt6 wheel trimmed the way the spec trims it (no build needed,
so it runs in `make test` before the bundle exists).
"""

from __future__ import annotations

import ast
import json
import os
import platform
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib.util import find_spec
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "packaging") not in sys.path:
    sys.path.insert(0, str(ROOT / "packaging"))

import bundle_rules  # noqa: E402
from bundle_rules import (  # noqa: E402
    archive_name,
    dangling_symlinks,
    excluded_modules,
    keep_qt_file,
    unneeded_libraries,
)

SYSTEMS = ("Linux", "Windows", "Darwin")


def is_excluded(module: str, excludes: Iterable[str]) -> bool:
    """As PyInstaller reads `excludes`: the name itself and everything under it."""
    return any(module == name or module.startswith(f"{name}.") for name in excludes)


# --- excluded_modules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "kept", "dropped"),
    [
        ("Linux", ["qt"], ["gtk", "cocoa", "edgechromium", "winforms", "mshtml", "cef"]),
        ("Windows", ["edgechromium", "winforms", "win32"], ["qt", "gtk", "cocoa", "cef"]),
        ("Darwin", ["cocoa"], ["qt", "gtk", "edgechromium", "winforms", "win32"]),
    ],
)
def test_each_system_keeps_only_its_own_webview_toolkit(
    system: str, kept: list[str], dropped: list[str]
) -> None:
    excludes = excluded_modules(system)
    for name in kept:
        assert not is_excluded(f"webview.platforms.{name}", excludes), name
    for name in dropped:
        assert f"webview.platforms.{name}" in excludes, name


def test_linux_keeps_the_qt_bindings_the_window_imports() -> None:
    excludes = excluded_modules("Linux")
    for module in (
        "qtpy",
        "PyQt6",
        "PyQt6.sip",
        "PyQt6.QtCore",
        "PyQt6.QtGui",
        "PyQt6.QtWidgets",
        "PyQt6.QtNetwork",
        "PyQt6.QtPrintSupport",
        "PyQt6.QtWebChannel",
        "PyQt6.QtWebEngineCore",
        "PyQt6.QtWebEngineWidgets",
        "keyring",
        "secretstorage",
        "jeepney",
    ):
        assert not is_excluded(module, excludes), module
    for module in ("gi", "PyQt5", "PySide6", "clr", "objc", "PyQt6.QtQuick", "PyQt6.QtQml"):
        assert is_excluded(module, excludes), module


@pytest.mark.parametrize("system", ["Windows", "Darwin"])
def test_windows_and_macos_leave_qt_out(system: str) -> None:
    excludes = excluded_modules(system)
    for module in ("PyQt6", "PyQt6.QtWebEngineWidgets", "qtpy", "webview.platforms.qt", "gi"):
        assert is_excluded(module, excludes), module


def test_windows_keeps_pythonnet_and_macos_keeps_pyobjc() -> None:
    windows, macos = excluded_modules("Windows"), excluded_modules("Darwin")
    for module in ("clr", "clr_loader", "pythonnet"):
        assert not is_excluded(module, windows), module
    assert is_excluded("clr", macos)
    for module in ("objc", "AppKit", "Foundation", "WebKit", "PyObjCTools"):
        assert not is_excluded(module, macos), module
    assert is_excluded("objc", windows)


@pytest.mark.parametrize("system", [*SYSTEMS, "FreeBSD"])
def test_build_and_test_tools_are_excluded_everywhere(system: str) -> None:
    excludes = excluded_modules(system)
    for module in (
        "PyInstaller",
        "PyInstaller.depend.bindepend",
        "pytest",
        "_pytest",
        "mypy",
        "PIL",
        "PIL.Image",
        "setuptools",
        "pip",
        "tkinter",
    ):
        assert is_excluded(module, excludes), (system, module)


def _module_level_imports(path: Path, package: str) -> set[str]:
    """Modules a file imports when it is imported (not inside functions or classes)."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                found.add(module)
                # `from webview.platforms import win32` imports a module by its name.
                found.update(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, field, []):
                        if isinstance(child, ast.ExceptHandler):
                            visit(child.body)
                        else:
                            visit([child])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


# pywebview's WinForms module picks its renderer at import time; the app always has WebView2
# (edgechromium), so CEF and the Internet Explorer fallback are never imported.
RENDERERS_NOT_CHOSEN = {"webview.platforms.cef", "webview.platforms.mshtml"}


@pytest.mark.parametrize(
    ("system", "platforms"),
    [("Windows", ["winforms", "edgechromium"]), ("Darwin", ["cocoa"])],
)
def test_the_kept_toolkit_can_import_what_it_imports(system: str, platforms: list[str]) -> None:
    """Read from pywebview's own source, so this checks Windows and macOS from any OS (Linux's
    Qt toolkit has branches for every Qt binding: the tests below import it for real)."""
    spec = find_spec("webview")
    assert spec is not None and spec.origin is not None
    folder = Path(spec.origin).parent / "platforms"
    excludes = excluded_modules(system)
    imported: set[str] = set()
    for name in platforms:
        imported |= _module_level_imports(folder / f"{name}.py", "webview.platforms")
    assert imported, "found no imports; the source reader is broken"
    imported -= RENDERERS_NOT_CHOSEN
    assert sorted(m for m in imported if is_excluded(m, excludes)) == []


def _spec_hidden_imports() -> dict[str, list[str]]:
    """The spec's `hiddenimports` per system, read from the spec's source."""
    tree = ast.parse((ROOT / "packaging" / "chatkit-desktop.spec").read_text(encoding="utf-8"))
    common: list[str] = []
    per_system: dict[str, list[str]] = {system: [] for system in SYSTEMS}

    def strings(node: ast.expr) -> list[str]:
        assert isinstance(node, ast.List), ast.dump(node)
        return [str(e.value) for e in node.elts if isinstance(e, ast.Constant)]

    def visit_if(node: ast.If) -> None:
        test = node.test
        assert isinstance(test, ast.Compare) and isinstance(test.comparators[0], ast.Constant)
        system = str(test.comparators[0].value)
        for child in node.body:
            if isinstance(child, ast.AugAssign) and ast.unparse(child.target) == "hiddenimports":
                per_system[system] += strings(child.value)
        for child in node.orelse:
            if isinstance(child, ast.If):
                visit_if(child)

    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "hiddenimports":
            common = strings(node.value)
        elif isinstance(node, ast.If) and "SYSTEM ==" in ast.unparse(node.test):
            visit_if(node)
    return {system: [*common, *names] for system, names in per_system.items()}


@pytest.mark.parametrize("system", SYSTEMS)
def test_no_hidden_import_of_the_spec_is_excluded(system: str) -> None:
    hidden = _spec_hidden_imports()[system]
    assert "certifi" in hidden and "chatkit_desktop.desktop.app" in hidden, hidden
    assert any(name.startswith("webview.platforms.") for name in hidden), hidden
    assert [name for name in hidden if is_excluded(name, excluded_modules(system))] == []


# --- the app's own imports, for real (Linux) ----------------------------------------------------

# Run by the environment's Python (the tests run under .venv). Imports everything the app can
# reach: the named entry points, every module of the package (lazy imports included, as their
# names appear in the source), pywebview's Qt toolkit and the keyring backends, then prints
# sys.modules. With "block", the names the Linux bundle leaves out fail to import, as they
# would in the bundle, and every import must still succeed.
IMPORT_EVERYTHING = textwrap.dedent(
    """
    import ast, importlib, importlib.util, json, os, pkgutil, sys
    from pathlib import Path

    src, excludes_json, block = sys.argv[1], sys.argv[2], sys.argv[3] == "block"
    excludes = json.loads(excludes_json)
    attempted = set()

    def excluded(name):
        return any(name == e or name.startswith(e + ".") for e in excludes)

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if excluded(name):
                attempted.add(name)
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    if block:
        sys.meta_path.insert(0, Blocker())

    names = [
        "chatkit_desktop.cli.main",
        "chatkit_desktop.desktop.app",
        "chatkit_desktop.http.app",
        "chatkit_desktop.chat.server",
        "chatkit_desktop.vault.vault",
    ]
    import chatkit_desktop
    names += [
        m.name
        for m in pkgutil.walk_packages(chatkit_desktop.__path__, "chatkit_desktop.")
        # __main__ runs the app; testing/ is the project's test server, not in the bundle.
        if not m.name.endswith("__main__") and not m.name.startswith("chatkit_desktop.testing")
    ]
    for file in sorted(Path(src, "chatkit_desktop").rglob("*.py")):
        if "testing" in file.relative_to(src).parts:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names.append(node.module)
    # The window on Linux (the spec's hidden imports) and what keyring loads when first used.
    names += ["webview", "webview.platforms.qt", "qtpy.QtWebEngineWidgets", "qtpy.QtWebChannel"]
    failed = {}
    for name in dict.fromkeys(names):
        try:
            importlib.import_module(name)
        except Exception as error:
            failed[name] = repr(error)
    try:
        import keyring.backend
        keyring.backend.get_all_keyring()
    except Exception as error:
        failed["keyring backends"] = repr(error)
    if block:
        sys.meta_path.pop(0)
    # Excluded names the app tried and that are installed here (not just optional extras such
    # as keyring's libsecret backend asking for `gi`).
    installed = []
    for name in sorted(attempted):
        try:
            if importlib.util.find_spec(name) is not None:
                installed.append(name)
        except ImportError:
            pass
    print(json.dumps({
        "modules": sorted(sys.modules),
        "failed": failed,
        "attempted": installed,
    }))
    """
)


def _import_everything(block: bool) -> dict[str, object]:
    env = {**os.environ, "QT_API": "pyqt6", "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORT_EVERYTHING,
            str(ROOT / "src"),
            json.dumps(excluded_modules("Linux")),
            "block" if block else "no-block",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=110,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


linux_with_qt = pytest.mark.skipif(
    platform.system() != "Linux" or find_spec("PyQt6") is None or find_spec("webview") is None,
    reason="the Linux bundle's imports need Linux with PyQt6 and pywebview installed",
)

# qtpy imports these inside `try: ... except ImportError` and only fails if QOpenGL* names are
# used, which neither pywebview's Qt toolkit nor the app does; the blocked run below proves the
# app imports without them.
OPTIONAL_ON_LINUX = {"PyQt6.QtOpenGL", "PyQt6.QtOpenGLWidgets"}


@pytest.mark.slow
@linux_with_qt
def test_no_module_the_app_imports_is_excluded_on_linux() -> None:
    report = _import_everything(block=False)
    assert report["failed"] == {}
    modules = report["modules"]
    assert isinstance(modules, list)
    # The run really reached the window's toolkit and the app's server.
    for expected in (
        "chatkit_desktop.cli.main",
        "chatkit_desktop.http.app",
        "chatkit_desktop.vault.vault",
        "webview.platforms.qt",
        "PyQt6.QtWebEngineWidgets",
        "keyring.backends.SecretService",
    ):
        assert expected in modules, expected
    clashes = {m for m in modules if is_excluded(m, excluded_modules("Linux"))}
    assert clashes <= OPTIONAL_ON_LINUX, sorted(clashes - OPTIONAL_ON_LINUX)


@pytest.mark.slow
@linux_with_qt
def test_the_app_still_imports_when_the_linux_exclusions_are_missing() -> None:
    report = _import_everything(block=True)
    assert report["failed"] == {}
    attempted = report["attempted"]
    assert isinstance(attempted, list)
    assert set(attempted) <= OPTIONAL_ON_LINUX, attempted
    modules = report["modules"]
    assert isinstance(modules, list)
    assert not [m for m in modules if is_excluded(m, excluded_modules("Linux"))], "not blocked"
    assert "webview.platforms.qt" in modules


# --- keep_qt_file -------------------------------------------------------------------------------

QT = "PyQt6/Qt6"


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        # QML: the window is a QWidget with a web view.
        (f"{QT}/qml/QtQuick/Controls/qmldir", False),
        (f"{QT}/qml/QtQuick3D/libqquick3dplugin.so", False),
        (f"{QT}/qml/QtWebEngine/WebEngine.qml", False),
        # Translations: English only.
        (f"{QT}/translations/qt_en.qm", True),
        (f"{QT}/translations/qtbase_en.qm", True),
        (f"{QT}/translations/qtwebengine_en.qm", True),
        (f"{QT}/translations/qt_de.qm", False),
        (f"{QT}/translations/qtbase_pt_BR.qm", False),
        (f"{QT}/translations/qtwebengine_zh_CN.qm", False),
        (f"{QT}/translations/qtwebengine_locales/en-US.pak", True),
        (f"{QT}/translations/qtwebengine_locales/de.pak", False),
        (f"{QT}/translations/qtwebengine_locales/en-GB.pak", False),
        # Chromium's resources: all but the developer tools.
        (f"{QT}/resources/qtwebengine_devtools_resources.pak", False),
        (f"{QT}/resources/qtwebengine_resources.pak", True),
        (f"{QT}/resources/qtwebengine_resources_100p.pak", True),
        (f"{QT}/resources/qtwebengine_resources_200p.pak", True),
        (f"{QT}/resources/icudtl.dat", True),
        (f"{QT}/resources/v8_context_snapshot.bin", True),
        # Plugins: the ones the window loads.
        (f"{QT}/plugins/platforms/libqxcb.so", True),
        (f"{QT}/plugins/platforms/libqwayland.so", True),
        (f"{QT}/plugins/platforms/libqoffscreen.so", True),
        (f"{QT}/plugins/platforms/libqvnc.so", False),
        (f"{QT}/plugins/platforms/libqeglfs.so", False),
        (f"{QT}/plugins/platformthemes/libqgtk3.so", False),
        (f"{QT}/plugins/platformthemes/libqxdgdesktopportal.so", True),
        (f"{QT}/plugins/printsupport/libcupsprintersupport.so", False),
        (f"{QT}/plugins/position/libqtposition_geoclue2.so", False),
        (f"{QT}/plugins/sqldrivers/libqsqlite.so", False),
        (f"{QT}/plugins/xcbglintegrations/libqxcb-glx-integration.so", True),
        (f"{QT}/plugins/xcbglintegrations/libqxcb-egl-integration.so", True),
        (f"{QT}/plugins/imageformats/libqsvg.so", True),
        (f"{QT}/plugins/imageformats/libqjpeg.so", False),
        (f"{QT}/plugins/tls/libqopensslbackend.so", True),
        # Qt's libraries and the web engine's process are not decided here.
        (f"{QT}/lib/libQt6Core.so.6", True),
        (f"{QT}/lib/libQt6Quick3D.so.6", True),
        (f"{QT}/libexec/QtWebEngineProcess", True),
        (QT, True),
        # Not Qt at all.
        ("PyQt6/QtCore.abi3.so", True),
        ("libQt6Core.so.6", True),
        ("chatkit_desktop/web/index.html", True),
        ("qml/something.qml", True),
        ("base_library.zip", True),
    ],
)
def test_keep_qt_file(dest: str, kept: bool) -> None:
    assert keep_qt_file(dest) is kept


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PyQt6\\Qt6\\qml\\QtQuick\\qmldir", False),
        ("PyQt6\\Qt6\\translations\\qtwebengine_locales\\fr.pak", False),
        ("PyQt6\\Qt6\\translations\\qtwebengine_locales\\en-US.pak", True),
        ("PyQt6\\Qt6\\plugins\\platforms\\libqvnc.so", False),
        ("PyQt6\\Qt6\\plugins\\platforms\\libqxcb.so", True),
        ("PyQt6\\Qt6\\resources\\qtwebengine_devtools_resources.pak", False),
        ("chatkit_desktop\\web\\index.html", True),
    ],
)
def test_keep_qt_file_reads_windows_separators(dest: str, kept: bool) -> None:
    assert keep_qt_file(dest) is kept


# --- unneeded_libraries -------------------------------------------------------------------------

LIB = f"{QT}/lib"
SITE = "/venv/site-packages/PyQt6"


def qt_lib(name: str) -> tuple[str, str]:
    return (f"{LIB}/{name}", f"{SITE}/Qt6/lib/{name}")


def system_lib(name: str) -> tuple[str, str]:
    return (name, f"/usr/lib/x86_64-linux-gnu/{name}")


def graph(edges: Mapping[str, list[str]]) -> Callable[[str], list[str]]:
    """needed_by over source paths, keyed here by file name for brevity."""

    def needed_by(source: str) -> list[str]:
        return edges.get(PurePosixPath(source).name, [])

    return needed_by


BINDING = ("PyQt6/QtWebEngineWidgets.abi3.so", f"{SITE}/QtWebEngineWidgets.abi3.so")
XCB = (f"{QT}/plugins/platforms/libqxcb.so", f"{SITE}/Qt6/plugins/platforms/libqxcb.so")
GTK3_THEME = f"{SITE}/Qt6/plugins/platformthemes/libqgtk3.so"
QUICK3D_PLUGIN = f"{SITE}/Qt6/qml/QtQuick3D/libqquick3dplugin.so"


def test_a_qt_library_only_a_dropped_plugin_needed_is_unneeded() -> None:
    kept = [BINDING, qt_lib("libQt6Core.so.6"), qt_lib("libQt6Quick3D.so.6")]
    needed = graph(
        {
            "QtWebEngineWidgets.abi3.so": ["libQt6Core.so.6"],
            "libqquick3dplugin.so": ["libQt6Quick3D.so.6", "libQt6Core.so.6"],
            "libQt6Quick3D.so.6": ["libQt6Core.so.6"],
        }
    )
    assert unneeded_libraries(kept, [QUICK3D_PLUGIN], needed) == {f"{LIB}/libQt6Quick3D.so.6"}


def test_a_qt_library_reached_through_a_chain_from_a_kept_binding_stays() -> None:
    chain = ["libQt6WebEngineWidgets.so.6", "libQt6WebEngineCore.so.6", "libQt6Quick.so.6"]
    kept = [BINDING, *(qt_lib(name) for name in [*chain, "libQt6Qml.so.6", "libQt6Pdf.so.6"])]
    needed = graph(
        {
            "QtWebEngineWidgets.abi3.so": ["libQt6WebEngineWidgets.so.6"],
            "libQt6WebEngineWidgets.so.6": ["libQt6WebEngineCore.so.6"],
            "libQt6WebEngineCore.so.6": ["libQt6Quick.so.6"],
            "libQt6Quick.so.6": ["libQt6Qml.so.6"],
        }
    )
    # No file was dropped: Qt's own libraries are candidates anyway, and only Pdf is unreached.
    assert unneeded_libraries(kept, [], needed) == {f"{LIB}/libQt6Pdf.so.6"}


def test_qt_libraries_needing_only_each_other_go_together() -> None:
    kept = [BINDING, qt_lib("libQt6Core.so.6"), qt_lib("libQt6Pdf.so.6"), qt_lib("libQt6Pdfx.so.6")]
    needed = graph(
        {
            "QtWebEngineWidgets.abi3.so": ["libQt6Core.so.6"],
            "libQt6Pdf.so.6": ["libQt6Pdfx.so.6", "libQt6Core.so.6"],
            "libQt6Pdfx.so.6": ["libQt6Pdf.so.6"],
        }
    )
    assert unneeded_libraries(kept, [], needed) == {
        f"{LIB}/libQt6Pdf.so.6",
        f"{LIB}/libQt6Pdfx.so.6",
    }


def test_a_kept_plugin_keeps_the_qt_libraries_it_needs() -> None:
    kept = [XCB, qt_lib("libQt6XcbQpa.so.6"), qt_lib("libQt6Gui.so.6")]
    needed = graph({"libqxcb.so": ["libQt6XcbQpa.so.6"], "libQt6XcbQpa.so.6": ["libQt6Gui.so.6"]})
    assert unneeded_libraries(kept, [], needed) == set()


def test_system_libraries_only_a_dropped_plugin_pulled_in_go_shared_ones_stay() -> None:
    kept = [
        BINDING,
        XCB,
        qt_lib("libQt6Core.so.6"),
        system_lib("libgtk-3.so.0"),
        system_lib("libpango-1.0.so.0"),
        system_lib("libglib-2.0.so.0"),
        system_lib("libX11.so.6"),
    ]
    needed = graph(
        {
            # ldd lists every library, also those reached through others.
            "libqgtk3.so": [
                "libgtk-3.so.0",
                "libpango-1.0.so.0",
                "libglib-2.0.so.0",
                "libX11.so.6",
                "libQt6Core.so.6",
            ],
            "libgtk-3.so.0": ["libpango-1.0.so.0", "libglib-2.0.so.0", "libX11.so.6"],
            "libpango-1.0.so.0": ["libglib-2.0.so.0"],
            "QtWebEngineWidgets.abi3.so": ["libQt6Core.so.6"],
            # glib stays through Qt's core library (a candidate that stays) ...
            "libQt6Core.so.6": ["libglib-2.0.so.0"],
            # ... and X11 because the kept X11 platform plugin needs it.
            "libqxcb.so": ["libX11.so.6", "libQt6Core.so.6"],
        }
    )
    assert unneeded_libraries(kept, [GTK3_THEME], needed) == {
        "libgtk-3.so.0",
        "libpango-1.0.so.0",
    }


def test_a_system_library_no_dropped_file_pulled_in_is_never_a_candidate() -> None:
    # Nothing needs libsqlite3 or libfoo, but only files the trimming removed make libraries
    # candidates: PyInstaller collected these for a reason of its own.
    kept = [BINDING, qt_lib("libQt6Core.so.6"), system_lib("libsqlite3.so.0")]
    kept.append(("somepkg.libs/libfoo.so.1", "/venv/site-packages/somepkg.libs/libfoo.so.1"))
    needed = graph(
        {
            "QtWebEngineWidgets.abi3.so": ["libQt6Core.so.6"],
            "libqgtk3.so": ["libQt6Core.so.6"],
        }
    )
    assert unneeded_libraries(kept, [GTK3_THEME], needed) == set()


def test_a_library_pulled_in_but_kept_outside_the_top_folder_is_not_a_candidate() -> None:
    nested = ("somepkg.libs/libgtk-3.so.0", "/venv/site-packages/somepkg.libs/libgtk-3.so.0")
    needed = graph({"libqgtk3.so": ["libgtk-3.so.0"]})
    assert unneeded_libraries([BINDING, nested], [GTK3_THEME], needed) == set()


def test_only_qt_s_own_lib_folder_holds_qt_libraries() -> None:
    assert bundle_rules.is_qt_library(f"{LIB}/libQt6Core.so.6")
    assert bundle_rules.is_qt_library("PyQt6\\Qt6\\lib\\libQt6Core.so.6")
    assert not bundle_rules.is_qt_library("libQt6Core.so.6")
    assert not bundle_rules.is_qt_library(f"{QT}/plugins/platforms/libqxcb.so")
    assert not bundle_rules.is_qt_library(f"{LIB}/cmake/Qt6/Qt6Config.cmake")
    assert not bundle_rules.is_qt_library("otherpkg/lib/libfoo.so.1")
    # Another package's lib/ folder: nothing needs it, yet it is no candidate, so it stays.
    kept = [BINDING, ("otherpkg/lib/libfoo.so.1", "/venv/site-packages/otherpkg/lib/libfoo.so.1")]
    assert unneeded_libraries(kept, [], graph({})) == set()


def test_unneeded_libraries_returns_the_bundle_paths_as_given() -> None:
    # The spec removes entries whose dest is in the result: the dest must come back unchanged,
    # also with Windows separators.
    kept = [BINDING, ("PyQt6\\Qt6\\lib\\libQt6Pdf.so.6", "C:\\venv\\libQt6Pdf.so.6")]
    assert unneeded_libraries(kept, [], graph({})) == {"PyQt6\\Qt6\\lib\\libQt6Pdf.so.6"}


def test_unneeded_libraries_accepts_one_shot_iterables() -> None:
    kept = iter([BINDING, qt_lib("libQt6Core.so.6"), qt_lib("libQt6Pdf.so.6")])
    needed = graph({"QtWebEngineWidgets.abi3.so": ["libQt6Core.so.6"]})
    assert unneeded_libraries(kept, iter([]), needed) == {f"{LIB}/libQt6Pdf.so.6"}


# --- dangling_symlinks --------------------------------------------------------------------------


def test_a_symlink_to_a_removed_file_is_dangling_one_to_a_present_file_is_not() -> None:
    entries = [
        (f"{LIB}/libQt6Core.so.6", f"{SITE}/Qt6/lib/libQt6Core.so.6", "BINARY"),
        ("libQt6Core.so.6", f"{LIB}/libQt6Core.so.6", "SYMLINK"),
        ("libQt6Pdf.so.6", f"{LIB}/libQt6Pdf.so.6", "SYMLINK"),  # Pdf was left out
    ]
    assert dangling_symlinks(entries) == {"libQt6Pdf.so.6"}


def test_symlink_targets_are_relative_to_the_links_folder() -> None:
    entries = [
        (f"{LIB}/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY"),
        (f"{QT}/resources/icudtl.dat", "/src/icudtl.dat", "DATA"),
        (f"{QT}/plugins/platforms/libQt6Core.so.6", "../../lib/libQt6Core.so.6", "SYMLINK"),
        (f"{QT}/plugins/platforms/libQt6Pdf.so.6", "../../lib/libQt6Pdf.so.6", "SYMLINK"),
        (f"{QT}/lib/icudtl.dat", "../resources/icudtl.dat", "SYMLINK"),
        # Same name, but resolved from the link's folder it is not the kept file.
        (f"{QT}/plugins/libQt6Core.so.6", "lib/libQt6Core.so.6", "SYMLINK"),
    ]
    assert dangling_symlinks(entries) == {
        f"{QT}/plugins/platforms/libQt6Pdf.so.6",
        f"{QT}/plugins/libQt6Core.so.6",
    }


def test_dangling_symlinks_reads_windows_separators() -> None:
    entries = [
        ("PyQt6\\Qt6\\lib\\libQt6Core.so.6", "C:\\src\\libQt6Core.so.6", "BINARY"),
        ("libQt6Core.so.6", "PyQt6\\Qt6\\lib\\libQt6Core.so.6", "SYMLINK"),
        ("libQt6Pdf.so.6", "PyQt6\\Qt6\\lib\\libQt6Pdf.so.6", "SYMLINK"),
    ]
    assert dangling_symlinks(entries) == {"libQt6Pdf.so.6"}


def test_a_symlink_to_a_present_symlink_is_not_dangling() -> None:
    entries = [
        ("foo.libs/libfoo.so.1.2", "/src/libfoo.so.1.2", "BINARY"),
        ("foo.libs/libfoo.so.1", "libfoo.so.1.2", "SYMLINK"),
        ("libfoo.so.1", "foo.libs/libfoo.so.1", "SYMLINK"),
    ]
    assert dangling_symlinks(entries) == set()


def test_a_chain_of_links_ending_nowhere_or_in_a_loop_is_dangling() -> None:
    entries = [
        ("foo.libs/libfoo.so.1", "libfoo.so.1.2", "SYMLINK"),  # libfoo.so.1.2 left out
        ("libfoo.so.1", "foo.libs/libfoo.so.1", "SYMLINK"),
        ("a.so", "b.so", "SYMLINK"),
        ("b.so", "a.so", "SYMLINK"),
    ]
    assert dangling_symlinks(entries) == {"foo.libs/libfoo.so.1", "libfoo.so.1", "a.so", "b.so"}


# --- archive_name -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "chatkit-desktop-0.1.0-linux-x86_64.tar.xz"),
        ("Linux", "aarch64", "chatkit-desktop-0.1.0-linux-arm64.tar.xz"),
        ("Windows", "AMD64", "chatkit-desktop-0.1.0-windows-x86_64.zip"),
        ("Windows", "ARM64", "chatkit-desktop-0.1.0-windows-ARM64.zip"),
        ("Darwin", "arm64", "chatkit-desktop-0.1.0-macos-arm64.zip"),
        ("Darwin", "x86_64", "chatkit-desktop-0.1.0-macos-x86_64.zip"),
    ],
)
def test_archive_name(system: str, machine: str, expected: str) -> None:
    assert archive_name("0.1.0", system, machine) == expected


def test_archive_name_carries_the_version() -> None:
    assert archive_name("2.3.4rc1", "Linux", "x86_64") == (
        "chatkit-desktop-2.3.4rc1-linux-x86_64.tar.xz"
    )


# --- the installed PyQt6 wheel, trimmed as the spec trims it (Linux) ---------------------------

QT_BINDINGS_THE_APP_IMPORTS = (
    "QtCore",
    "QtGui",
    "QtWidgets",
    "QtNetwork",
    "QtPrintSupport",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineWidgets",
)


def _pyqt6_package() -> Path | None:
    spec = find_spec("PyQt6")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(next(iter(spec.submodule_search_locations)))
    return package if (package / "Qt6" / "lib").is_dir() else None


PYQT6 = _pyqt6_package()
linux_wheel = pytest.mark.skipif(
    platform.system() != "Linux" or PYQT6 is None,
    reason="needs Linux and the PyQt6 wheel (with its Qt6 folder) installed",
)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


@pytest.fixture(scope="module")
def trimmed_wheel() -> tuple[set[str], set[str], set[str]]:
    """(kept Qt files, removed Qt files, unneeded libraries) as bundle paths."""
    # The spec's own reader (ldd on Linux).
    from PyInstaller.depend.bindepend import get_imports  # type: ignore[import-untyped]

    assert PYQT6 is not None
    files = [p for p in (PYQT6 / "Qt6").rglob("*") if p.is_file() and not p.is_symlink()]

    def dest(path: Path) -> str:
        return f"PyQt6/{path.relative_to(PYQT6).as_posix()}"

    kept = {dest(p) for p in files if keep_qt_file(dest(p))}
    removed = {dest(p) for p in files} - kept
    binaries = [p for p in files if _is_elf(p)]
    bindings = [PYQT6 / f"{name}.abi3.so" for name in QT_BINDINGS_THE_APP_IMPORTS]
    missing = [p.name for p in bindings if not p.exists()]
    assert not missing, f"bindings the window imports are not installed: {missing}"
    kept_binaries = [(dest(p), str(p)) for p in [*binaries, *bindings] if keep_qt_file(dest(p))]
    dropped = [str(p) for p in binaries if not keep_qt_file(dest(p))]
    sources = [source for _, source in kept_binaries] + dropped
    with ThreadPoolExecutor(max_workers=8) as pool:
        needs = dict(
            zip(
                sources,
                pool.map(lambda s: [name for name, _ in get_imports(s)], sources),
                strict=True,
            )
        )
    unneeded = unneeded_libraries(kept_binaries, dropped, needs.__getitem__)
    return kept, removed, unneeded


@pytest.mark.slow
@linux_wheel
def test_the_real_wheel_keeps_the_libraries_the_web_view_needs(
    trimmed_wheel: tuple[set[str], set[str], set[str]],
) -> None:
    kept, _, unneeded = trimmed_wheel
    in_bundle = {PurePosixPath(d).name for d in kept - unneeded if d.startswith(f"{LIB}/")}
    for prefix in (
        "libQt6WebEngineCore.so",
        "libQt6WebEngineWidgets.so",
        "libQt6WebChannel.so",
        "libQt6Core.so",
        "libQt6Gui.so",
        "libQt6Widgets.so",
        "libQt6Network.so",
        "libQt6PrintSupport.so",
        "libQt6Quick.so",
        "libQt6Qml.so",
        "libQt6XcbQpa.so",
        "libQt6WaylandClient.so",
        "libicudata.so",
        "libicuuc.so",
        "libicui18n.so",
    ):
        assert any(name.startswith(prefix) for name in in_bundle), (prefix, sorted(in_bundle))


@pytest.mark.slow
@linux_wheel
def test_the_real_wheel_drops_quick3d_multimedia_and_pdf(
    trimmed_wheel: tuple[set[str], set[str], set[str]],
) -> None:
    kept, _, unneeded = trimmed_wheel
    in_bundle = {PurePosixPath(d).name for d in kept - unneeded if d.startswith(f"{LIB}/")}
    for prefix in ("libQt6Quick3D", "libQt6Multimedia", "libQt6Pdf", "libQt6QuickControls2"):
        gone = {PurePosixPath(d).name for d in unneeded if PurePosixPath(d).name.startswith(prefix)}
        assert gone, f"the wheel has no {prefix}* to drop: the test no longer checks anything"
        assert not any(name.startswith(prefix) for name in in_bundle), prefix
    # Only Qt's own libraries are ever candidates here.
    assert all(d.startswith(f"{LIB}/") for d in unneeded)


@linux_wheel
def test_the_real_wheel_keeps_english_and_every_plugin_the_rules_name() -> None:
    assert PYQT6 is not None
    qt = PYQT6 / "Qt6"
    for relative in (
        "translations/qt_en.qm",
        "translations/qtbase_en.qm",
        "translations/qtwebengine_locales/en-US.pak",
        "resources/icudtl.dat",
        "resources/qtwebengine_resources.pak",
    ):
        assert (qt / relative).is_file(), relative
        assert keep_qt_file(f"{QT}/{relative}"), relative
    # A plugin renamed upstream would silently vanish from the bundle.
    for folder, names in bundle_rules.KEPT_QT_PLUGINS.items():
        for name in names or ():
            assert (qt / "plugins" / folder / name).is_file(), f"{folder}/{name}"
    for folder in ("platforms", "xcbglintegrations", "tls"):
        assert any((qt / "plugins" / folder).iterdir()), folder


@linux_wheel
def test_the_real_wheel_loses_qml_and_other_languages() -> None:
    assert PYQT6 is not None
    qt = PYQT6 / "Qt6"
    for path in (qt / "qml").rglob("*"):
        if path.is_file():
            assert not keep_qt_file(f"PyQt6/{path.relative_to(PYQT6).as_posix()}"), path
    kept_translations = sorted(
        p.name
        for p in (qt / "translations").rglob("*")
        if p.is_file() and keep_qt_file(f"PyQt6/{p.relative_to(PYQT6).as_posix()}")
    )
    assert kept_translations, "no translation kept at all"
    assert all(n == "en-US.pak" or n.endswith("_en.qm") for n in kept_translations), (
        kept_translations
    )

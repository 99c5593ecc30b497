"""The Linux bundle's menu entry: packaging/linux/chatkit-desktop.desktop, and
install-desktop-entry.sh, which installs it (pointing at the unpacked bundle) with the icons."""

from __future__ import annotations

import asyncio
import configparser
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.desktop.conftest import xvfb_display  # noqa: F401 (a fixture used below)
from tests.desktop.processes import DesktopProcess, desktop_env

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
ICONS = REPO / "packaging" / "icons"
ENTRY = LINUX / "chatkit-desktop.desktop"
INSTALL = LINUX / "install-desktop-entry.sh"
HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="freedesktop.org entries are Linux's"
)


def _read_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group, keys as written (they are case-sensitive)."""
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _validate(path: Path) -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is missing (desktop-file-utils, packaging/apt/test.txt)")
    result = subprocess.run([validator, str(path)], capture_output=True, text=True, check=False)
    # It prints errors, warnings and hints; any of them is a finding.
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def _exec_argv(value: str) -> list[str]:
    """The arguments of an Exec= value read from a file, per the Desktop Entry Specification:
    first the string-value escapes (\\\\ -> \\, \\s, \\n, \\t, \\r), then the quoting rules (inside
    "...", a backslash escapes ", `, $ and \\), then %% -> % (no field codes expected)."""
    unescaped, i = "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            unescaped += {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}[value[i + 1]]
            i += 2
        else:
            unescaped += value[i]
            i += 1
    args: list[str] = []
    current: str | None = None
    i = 0
    while i < len(unescaped):
        char = unescaped[i]
        if char == '"':
            current = current or ""
            i += 1
            while unescaped[i] != '"':
                if unescaped[i] == "\\":
                    assert unescaped[i + 1] in '"`$\\', unescaped
                    i += 1
                current += unescaped[i]
                i += 1
            i += 1
        elif char == " ":
            if current is not None:
                args.append(current)
            current = None
            i += 1
        else:
            assert char not in "\"'\\><~|&;$*?#()`\t\n", f"{char!r} outside quotes in {value!r}"
            current = (current or "") + char
            i += 1
    if current is not None:
        args.append(current)
    for arg in args:
        assert not re.search(r"%[^%]", arg.replace("%%", "")), f"field code in {arg!r}"
    return [arg.replace("%%", "%") for arg in args]


# --- The entry in the repository ------------------------------------------------------------


def test_the_entry_names_the_app_its_icon_and_its_window_class():
    entry = _read_entry(ENTRY)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "ChatKit Desktop"
    assert entry["GenericName"] == "AI Chat"
    assert entry["Comment"]
    # The bundle's executable is chatkit-desktop; the install script points Exec at it.
    assert entry["Exec"] == "chatkit-desktop"
    # The hicolor icons are installed under this name (packaging/icons/).
    assert entry["Icon"] == "chatkit-desktop"
    # Qt names its windows' class after argv[0]'s file name: the bundle's executable (see
    # test_the_real_window_has_the_entrys_wm_class below).
    assert entry["StartupWMClass"] == "chatkit-desktop"
    assert entry["Terminal"] == "false"
    assert entry["StartupNotify"] == "true"
    assert entry["Categories"].split(";")[:2] == ["Network", "Chat"]
    assert entry["Keywords"].endswith(";")


@pytest.mark.slow
def test_the_entry_is_valid():
    _validate(ENTRY)


def test_the_exec_parser_used_here_reads_the_spec_s_examples():
    # (A check of the test's own reader, so that its verdicts below mean something.)
    assert _exec_argv("chatkit-desktop") == ["chatkit-desktop"]
    assert _exec_argv('"/a b/c d" --x') == ["/a b/c d", "--x"]
    assert _exec_argv(r'"/a \\"q\\" \\$x \\`y\\` \\\\z 5%%"') == ['/a "q" $x `y` \\z 5%']
    with pytest.raises(AssertionError):
        _exec_argv("/a b$c")


# --- install-desktop-entry.sh against a fake unpacked bundle --------------------------------


def _fake_bundle(root: Path) -> Path:
    """The layout the Linux build makes: the executable, the script and share/ beside them.
    The executable is a stand-in that records how it was started."""
    root.mkdir(parents=True)
    executable = root / "chatkit-desktop"
    executable.write_text('#!/bin/sh\nprintf "%s\\n" "$0" "$@" > "$CHATKIT_FAKE_RECORD"\n')
    executable.chmod(0o755)
    shutil.copy2(INSTALL, root / "install-desktop-entry.sh")
    (root / "share" / "applications").mkdir(parents=True)
    shutil.copy2(ENTRY, root / "share" / "applications" / "chatkit-desktop.desktop")
    hicolor = root / "share" / "icons" / "hicolor"
    for n in HICOLOR_SIZES:
        (hicolor / f"{n}x{n}" / "apps").mkdir(parents=True)
        shutil.copy2(
            ICONS / "png" / f"{n}x{n}.png", hicolor / f"{n}x{n}" / "apps" / "chatkit-desktop.png"
        )
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(
        ICONS / "chatkit-desktop.svg", hicolor / "scalable" / "apps" / "chatkit-desktop.svg"
    )
    return root


def _run(script: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, check=False, timeout=60
    )


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.update(HOME=str(tmp_path / "home"), XDG_DATA_HOME=str(tmp_path / "data"), **extra)
    return env


def _installed_icons(data: Path) -> list[str]:
    hicolor = data / "icons" / "hicolor"
    return sorted(str(p.relative_to(hicolor)) for p in hicolor.glob("*/apps/chatkit-desktop.*"))


EXPECTED_ICONS = sorted(
    [f"{n}x{n}/apps/chatkit-desktop.png" for n in HICOLOR_SIZES]
    + ["scalable/apps/chatkit-desktop.svg"]
)


def test_the_install_script_is_executable_posix_sh():
    assert os.access(INSTALL, os.X_OK)
    text = INSTALL.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "\nset -eu\n" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "folder",
    ["My Apps/ChatKit Desktop", 'odd "name" $HOME `x` back\\slash'],
    ids=["spaces", "quotes-dollar-backtick-backslash"],
)
def test_install_points_the_entry_at_the_bundle_and_uninstall_takes_it_out(tmp_path, folder):
    bundle = _fake_bundle(tmp_path / folder)
    data = tmp_path / "data"
    # Someone else's entry and icon: the script must leave them alone.
    (data / "applications").mkdir(parents=True)
    (data / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
    (data / "icons" / "hicolor" / "48x48" / "apps").mkdir(parents=True)
    (data / "icons" / "hicolor" / "48x48" / "apps" / "other.png").write_bytes(b"x")
    record = tmp_path / "started.txt"
    env = _env(tmp_path, CHATKIT_FAKE_RECORD=str(record))

    result = _run(bundle / "install-desktop-entry.sh", env)
    assert result.returncode == 0, result.stderr
    installed = data / "applications" / "chatkit-desktop.desktop"
    assert f"Installed {installed}" in result.stdout
    assert "--uninstall" in result.stdout
    _validate(installed)
    entry = _read_entry(installed)
    executable = str(bundle / "chatkit-desktop")
    assert _exec_argv(entry["Exec"]) == [executable]
    assert entry["Exec"].startswith('"')  # the path has spaces: quoted as a whole
    assert entry["TryExec"].replace("\\\\", "\\") == executable
    # Everything else as in the bundle's entry.
    original = _read_entry(ENTRY)
    assert {k: v for k, v in entry.items() if k not in ("Exec", "TryExec")} == {
        k: v for k, v in original.items() if k != "Exec"
    }
    assert _installed_icons(data) == EXPECTED_ICONS
    for n in HICOLOR_SIZES:
        icon = data / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "chatkit-desktop.png"
        assert icon.read_bytes() == (ICONS / "png" / f"{n}x{n}.png").read_bytes()

    # A real launcher (GLib's, as GNOME's menu uses) starts the bundle's executable from it.
    gio = shutil.which("gio")
    if gio is not None:
        launched = subprocess.run(
            [gio, "launch", str(installed)], env=env, capture_output=True, text=True, timeout=60
        )
        assert launched.returncode == 0, launched.stderr
        for _ in range(100):
            if record.exists() and record.read_text():
                break
            time.sleep(0.05)
        assert record.read_text().splitlines() == [executable]

    # Installing again (say, after an update in place) replaces, does not duplicate.
    assert _run(bundle / "install-desktop-entry.sh", env).returncode == 0
    assert _installed_icons(data) == EXPECTED_ICONS
    assert [p.name for p in (data / "applications").glob("*.desktop")].count(
        "chatkit-desktop.desktop"
    ) == 1

    result = _run(bundle / "install-desktop-entry.sh", env, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert f"Removed {installed}" in result.stdout
    assert not installed.exists()
    assert _installed_icons(data) == []
    assert (data / "applications" / "other.desktop").exists()
    assert (data / "icons" / "hicolor" / "48x48" / "apps" / "other.png").exists()

    again = _run(bundle / "install-desktop-entry.sh", env, "--uninstall")
    assert again.returncode == 0, again.stderr
    assert "nothing to remove" in again.stdout


@pytest.mark.slow
def test_without_xdg_data_home_it_installs_under_home(tmp_path):
    bundle = _fake_bundle(tmp_path / "bundle")
    env = _env(tmp_path)
    # A relative XDG_DATA_HOME is invalid (the spec says to ignore it).
    env["XDG_DATA_HOME"] = "relative/data"
    result = _run(bundle / "install-desktop-entry.sh", env)
    assert result.returncode == 0, result.stderr
    data = tmp_path / "home" / ".local" / "share"
    entry = _read_entry(data / "applications" / "chatkit-desktop.desktop")
    # A path of plain characters needs no quotes.
    assert entry["Exec"] == str(bundle / "chatkit-desktop")
    assert _installed_icons(data) == EXPECTED_ICONS
    assert not (bundle / "relative").exists()


@pytest.mark.slow
def test_outside_a_bundle_it_refuses_and_says_why(tmp_path):
    folder = tmp_path / "not a bundle"
    folder.mkdir()
    shutil.copy2(INSTALL, folder / "install-desktop-entry.sh")
    result = _run(folder / "install-desktop-entry.sh", _env(tmp_path))
    assert result.returncode == 1
    assert (
        "chatkit-desktop not found: run this script from the unpacked ChatKit Desktop bundle"
        in (result.stderr)
    )
    assert not (tmp_path / "data" / "applications").exists()

    result = _run(folder / "install-desktop-entry.sh", _env(tmp_path), "--bogus")
    assert result.returncode == 2
    assert "unknown option: --bogus" in result.stderr


# --- The real window's class ----------------------------------------------------------------


@pytest.mark.slow
async def test_the_real_window_has_the_entrys_wm_class_and_the_app_icon(
    tmp_path,
    openai_server,
    xvfb_display,  # noqa: F811
):
    """Desktops match a window to its menu entry by WM_CLASS == StartupWMClass. The app started
    by its console script (argv[0] named chatkit-desktop, like the bundle's executable) on a
    real X display: its window's class, read back with xwininfo."""
    xwininfo = shutil.which("xwininfo")
    if xwininfo is None:
        pytest.skip("xwininfo is missing (x11-utils, packaging/apt/test.txt)")
    if importlib.util.find_spec("PyQt6") is None:
        pytest.skip("pywebview[qt] is missing (scripts/bootstrap run installs it)")
    script = Path(sys.executable).parent / "chatkit-desktop"
    if not script.exists():
        pytest.skip(f"the console script {script} is missing (pip install -e . makes it)")
    _, base_url = openai_server
    data_dir = tmp_path / "data"
    env = desktop_env(base_url, xvfb_display, {"CHATKIT_DESKTOP_SMOKE": "hold"})
    stderr_path = tmp_path / "app.stderr"
    with stderr_path.open("wb") as stderr_file:
        proc = await asyncio.create_subprocess_exec(
            str(script),
            "run",
            "--data-dir",
            str(data_dir),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr_file,
        )
    app = DesktopProcess(proc, time.monotonic(), stderr_path)
    try:
        await app.wait_running()
        await app.wait_smoke()  # the page has loaded in the window
        tree = await asyncio.create_subprocess_exec(
            xwininfo,
            "-root",
            "-tree",
            env={**os.environ, "DISPLAY": xvfb_display},
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(tree.communicate(), 30)
        # Lines like:  0x200018 "title": ("instance" "class")  1100x760+90+4  +90+4
        windows = {
            (window_id, title, instance, klass)
            for window_id, title, instance, klass, width in re.findall(
                r'^\s*(0x[0-9a-f]+) "(.*?)": \("([^"]*)" "([^"]*)"\)\s+(\d+)x\d+',
                out.decode(),
                re.M,
            )
            if int(width) >= 200
        }
        classes = {(instance, klass) for _, _, instance, klass in windows}
        titles = {title for _, title, _, _ in windows}
        icons = []
        for window_id, _, _, _ in windows:
            prop = await asyncio.create_subprocess_exec(
                "xprop",
                "-id",
                window_id,
                "_NET_WM_ICON",
                env={**os.environ, "DISPLAY": xvfb_display},
                stdout=asyncio.subprocess.PIPE,
            )
            icon_out, _ = await asyncio.wait_for(prop.communicate(), 30)
            icons.append(icon_out.decode(errors="replace"))
        app.proc.send_signal(signal.SIGTERM)
        code, _, err = await app.finish()
    finally:
        app.kill()
    assert code == 0, err
    entry = _read_entry(ENTRY)
    assert classes == {("chatkit-desktop", entry["StartupWMClass"])}, out.decode()
    # The title bar and the task bar say the name the menu says, not the package's name.
    assert titles == {entry["Name"]}, out.decode()
    # The window carries the app's icon (web/icon.svg drawn by Qt), for task bars and switchers
    # even before the desktop entry is installed: xprop prints each size as "Icon (W x H):".
    sizes = [set(re.findall(r"Icon \((\d+) x \1\):", text)) for text in icons]
    assert sizes and all({"16", "32"} <= found for found in sizes), sizes

"""A test hook: prove that the real window loaded the page and reaches the server through it.

`CHATKIT_DESKTOP_SMOKE=1` (or `hold`): once the page has loaded, the app runs a script in the
page that fetches `/healthz` and a token-authenticated `threads.list`, waits for the answers and
prints one line `CHATKIT_DESKTOP_SMOKE {json}` on stdout: the answers, the window's geometry and
how long the window took to show and the page to load. With `1` it then closes the window
itself, like a user would; with `hold` the window stays open.

`CHATKIT_DESKTOP_SMOKE_GEOMETRY=x,y,width,height` moves and resizes the window first;
`CHATKIT_DESKTOP_SMOKE_SCREENSHOT=path` saves a screenshot of the screen there (ImageMagick's
`import`) before the line is printed. `CHATKIT_DESKTOP_SMOKE_SCRIPT=path` runs that file's
JavaScript in the page after the probe (as the probe runs: `run_js`, no eval) and reports what it
returned as `script_result`; a script that returns the string "pending" sets
`window.__chatkitDesktopSmokeScript` to its result later (a whole chat turn, say), which is
waited for (60 s at most). `CHATKIT_DESKTOP_SMOKE_OUTPUT=path` also appends the line to that
file: a Windows app built without a console has no stdout.
`CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR=path` saves the window's downloads straight into that
directory under their suggested names, without the save dialog a test cannot click
(`downloads.py`). All of them are for tests only, and act only when
`CHATKIT_DESKTOP_SMOKE` is set.

pywebview's `evaluate_js` wraps scripts in `eval()`, which the page's Content-Security-Policy
forbids (no 'unsafe-eval'), so the probe starts with `run_js` (no eval) and its result is read
back by polling a global variable.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from webview import Window

log = logging.getLogger(__name__)

SMOKE_ENV = "CHATKIT_DESKTOP_SMOKE"
GEOMETRY_ENV = "CHATKIT_DESKTOP_SMOKE_GEOMETRY"
SCREENSHOT_ENV = "CHATKIT_DESKTOP_SMOKE_SCREENSHOT"
SCRIPT_ENV = "CHATKIT_DESKTOP_SMOKE_SCRIPT"
DOWNLOAD_DIR_ENV = "CHATKIT_DESKTOP_SMOKE_DOWNLOAD_DIR"
OUTPUT_ENV = "CHATKIT_DESKTOP_SMOKE_OUTPUT"
LINE_PREFIX = "CHATKIT_DESKTOP_SMOKE "
PROBE_TIMEOUT_S = 20.0
RESULT_VARIABLE = "__chatkitDesktopSmoke"
SCRIPT_RESULT_VARIABLE = "__chatkitDesktopSmokeScript"
SCRIPT_TIMEOUT_S = 60.0

PROBE_SCRIPT = """
(function () {
  window.%(var)s = null;
  var token = %(token)s;
  Promise.all([
    fetch('/healthz').then(function (r) { return r.json(); }),
    fetch('/chatkit/api', {
      method: 'POST',
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + token},
      body: JSON.stringify({type: 'threads.list', params: {limit: 20}})
    }).then(function (r) {
      return r.json().then(function (body) { return {status: r.status, body: body}; });
    })
  ]).then(function (answers) {
    window.%(var)s = {ok: true, answered_at: Date.now() / 1000,
      health: answers[0], threads_status: answers[1].status,
      threads: answers[1].body, title: document.title, ready_state: document.readyState,
      token_in_address: location.href.indexOf(token) !== -1};
  }, function (error) {
    window.%(var)s = {ok: false, error: String(error)};
  });
  return 'started';
})()
"""


class SmokeHook:
    def __init__(self, mode: str, window: Window, token: str, started: float) -> None:
        self.mode = mode
        self.window = window
        self.token = token
        self.started = started
        self.shown_s: float | None = None
        self._ran = threading.Lock()
        self._geometry = os.environ.get(GEOMETRY_ENV, "")
        self._screenshot = os.environ.get(SCREENSHOT_ENV, "")
        self._script = os.environ.get(SCRIPT_ENV, "")
        self._output = os.environ.get(OUTPUT_ENV, "")
        self.shown_at: float | None = None

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], window: Window, token: str, started: float
    ) -> SmokeHook | None:
        mode = env.get(SMOKE_ENV, "")
        if mode not in ("1", "hold"):
            return None
        hook = cls(mode, window, token, started)
        window.events.shown += hook._on_shown
        window.events.loaded += hook._on_loaded
        return hook

    @staticmethod
    def download_dir(env: Mapping[str, str]) -> Path | None:
        """Where the window saves downloads without asking, in smoke mode only; else None."""
        if env.get(SMOKE_ENV, "") not in ("1", "hold"):
            return None
        path = env.get(DOWNLOAD_DIR_ENV, "")
        return Path(path).absolute() if path else None

    def _on_shown(self) -> None:
        self.shown_s = time.monotonic() - self.started
        self.shown_at = time.time()

    def _on_loaded(self) -> None:
        if not self._ran.acquire(blocking=False):
            return  # the first load only
        loaded_s = time.monotonic() - self.started
        loaded_at = time.time()
        try:
            result = self._probe()
        except Exception as exc:
            log.exception("Smoke probe failed")
            result = {"ok": False, "error": repr(exc)}
        result["window_shown_s"] = self.shown_s
        result["page_loaded_s"] = round(loaded_s, 3)
        # Wall-clock times, so a caller can measure from the moment it launched the process
        # (the bootloader and the imports come before `started`).
        result["window_shown_at"] = self.shown_at
        result["page_loaded_at"] = loaded_at
        result["rss_kb"] = _rss_kb()
        result["pid"] = os.getpid()
        result["frozen"] = bool(getattr(sys, "frozen", False))
        line = LINE_PREFIX + json.dumps(result) + "\n"
        if sys.stdout is not None:
            sys.stdout.write(line)
            sys.stdout.flush()
        try:
            if self._output:
                with open(self._output, "a", encoding="utf-8") as output:
                    output.write(line)
        except OSError:
            log.exception("Could not write the smoke line to %s", self._output)
        finally:
            if self.mode == "1":
                self.window.destroy()

    def _probe(self) -> dict[str, Any]:
        if self._geometry:
            x, y, width, height = (int(v) for v in self._geometry.split(","))
            self.window.move(x, y)
            self.window.resize(width, height)
            time.sleep(0.5)  # let the toolkit apply it and the state tracker see it
        script = PROBE_SCRIPT % {"var": RESULT_VARIABLE, "token": json.dumps(self.token)}
        self.window.run_js(script)
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        result: Any = None
        while time.monotonic() < deadline:
            raw = self.window.run_js(f"JSON.stringify(window.{RESULT_VARIABLE} || null)")
            result = json.loads(raw) if isinstance(raw, str) and raw else None
            if result is not None:
                break
            time.sleep(0.1)
        if not isinstance(result, dict):
            result = {"ok": False, "error": "the page did not answer in time"}
        answer: dict[str, Any] = result
        # When the page had its threads (the page's own clock, not this poll's): usable.
        answered_at = answer.pop("answered_at", None)
        answer["threads_listed_at"] = (
            answered_at if isinstance(answered_at, int | float) else time.time()
        )
        answer["geometry"] = {
            "x": self.window.x,
            "y": self.window.y,
            "width": self.window.width,
            "height": self.window.height,
        }
        if self._script:
            with open(self._script, encoding="utf-8") as script_file:
                answer["script_result"] = self._run_script(script_file.read())
        if self._screenshot:
            time.sleep(0.5)  # let the page paint
            answer["screenshot"] = _screenshot(self._screenshot)
        return answer

    def _run_script(self, script: str) -> Any:
        result = self.window.run_js(script)
        if result != "pending":
            return result
        deadline = time.monotonic() + SCRIPT_TIMEOUT_S
        while time.monotonic() < deadline:
            raw = self.window.run_js(f"JSON.stringify(window.{SCRIPT_RESULT_VARIABLE} || null)")
            later = json.loads(raw) if isinstance(raw, str) and raw else None
            if later is not None:
                return later
            time.sleep(0.1)
        return {"ok": False, "error": "the script did not finish in time"}


def _screenshot(path: str) -> str:
    """The whole screen into `path` (PNG), with the tool each OS has."""
    if sys.platform == "darwin":
        command = ["screencapture", "-x", path]
    elif sys.platform == "win32":
        script = (
            "Add-Type -AssemblyName System.Windows.Forms,System.Drawing;"
            "$b=[System.Windows.Forms.SystemInformation]::VirtualScreen;"
            "$i=New-Object System.Drawing.Bitmap $b.Width,$b.Height;"
            "$g=[System.Drawing.Graphics]::FromImage($i);"
            "$g.CopyFromScreen($b.Left,$b.Top,0,0,$i.Size);"
            f"$i.Save('{path}',[System.Drawing.Imaging.ImageFormat]::Png)"
        )
        command = ["powershell", "-NoProfile", "-Command", script]
    else:
        tool = shutil.which("import")
        if tool is None:
            return "ImageMagick's import is not installed"
        command = [tool, "-window", "root", path]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        return f"{command[0]} could not run: {exc}"
    return "ok" if done.returncode == 0 else done.stderr.strip()


def _rss_kb() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None

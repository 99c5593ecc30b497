"""Start the built app once in smoke mode and time it; a private Xvfb when there is no display.

Shared by `packaging/smoke` (does it work?) and `bench/bundle.py` (how fast does it open?).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chatkit_desktop.testing.xvfb import private_xvfb

LINE = "CHATKIT_DESKTOP_SMOKE "
LAUNCH_TIMEOUT_S = 120


@contextlib.contextmanager
def xvfb_if_needed() -> Iterator[str | None]:
    """DISPLAY for the app: the caller's, or a private Xvfb on Linux when there is none."""
    if platform.system() != "Linux" or os.environ.get("DISPLAY"):
        yield os.environ.get("DISPLAY")
        return
    with private_xvfb() as display:
        yield display


def launch(
    exe: Path, env: dict[str, str], args: list[str], output: Path, extra: dict[str, str]
) -> dict[str, Any]:
    """One launch in smoke mode; the app closes its window itself once the probe is done.

    The times are from just before the process is started to the window being shown, the page
    being loaded (`window_ready_s`) and the page having listed the threads (the SDKs loaded).
    """
    output.unlink(missing_ok=True)
    run_env = {**env, "CHATKIT_DESKTOP_SMOKE": "1", "CHATKIT_DESKTOP_SMOKE_OUTPUT": str(output)}
    run_env.update(extra)
    launched = time.time()
    done = subprocess.run(
        [str(exe), *args],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=LAUNCH_TIMEOUT_S,
        check=False,
    )
    report: dict[str, Any] = {}
    if output.exists():
        for line in output.read_text(encoding="utf-8").splitlines():
            if line.startswith(LINE):
                report = json.loads(line[len(LINE) :])
    result: dict[str, Any] = {
        "exit_code": done.returncode,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "report": report,
    }
    for name, key in (
        ("window_shown_s", "window_shown_at"),
        ("window_ready_s", "page_loaded_at"),
        ("threads_listed_s", "threads_listed_at"),
    ):
        at = report.get(key)
        result[name] = round(at - launched, 3) if isinstance(at, int | float) else None
    return result

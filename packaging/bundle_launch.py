"""Start the built app once in smoke mode and time it; a private Xvfb when there is no display.

Shared by `packaging/smoke` (does it work?) and `bench/bundle.py` (how fast does it open?).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LINE = "CHATKIT_DESKTOP_SMOKE "
LAUNCH_TIMEOUT_S = 120


@contextlib.contextmanager
def xvfb_if_needed() -> Iterator[str | None]:
    """DISPLAY for the app: the caller's, or a private Xvfb on Linux when there is none."""
    if platform.system() != "Linux" or os.environ.get("DISPLAY"):
        yield os.environ.get("DISPLAY")
        return
    if shutil.which("Xvfb") is None:
        raise RuntimeError("no DISPLAY and no Xvfb (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number.isdigit():
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)


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

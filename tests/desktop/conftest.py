"""A virtual X display (Xvfb) for the window's tests, started here and torn down after."""

from __future__ import annotations

import importlib.util
import os
import select
import shutil
import subprocess
from collections.abc import Iterator

import pytest

SCREEN = "1280x800x24"


def _skip_unless_window_possible() -> None:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is missing (scripts/bootstrap test installs packaging/apt/test.txt)")
    if importlib.util.find_spec("PyQt6") is None or importlib.util.find_spec("webview") is None:
        pytest.skip("pywebview[qt] is missing (scripts/bootstrap run installs it)")


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """`:N` of a private Xvfb. `-displayfd` makes Xvfb pick a free display number itself (no
    race with other X servers on the machine) and write it to us; no TCP, only the local
    socket. DISPLAY is given to the app's processes, never set in this process."""
    _skip_unless_window_possible()
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number.isdigit():
            proc.kill()
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"Xvfb did not start: {err}")
        yield f":{number}"
    finally:
        os.close(read_fd)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()

"""A private virtual X display (Xvfb) for the window's tests, the smoke test and the benchmark.

`-displayfd` makes Xvfb pick a free display number itself (no race with other X servers on the
machine) and write it to us; no TCP, only the local socket. The display is given to the app's
processes, never set in the caller's own environment.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
from collections.abc import Iterator

SCREEN = "1280x800x24"
START_TIMEOUT_S = 20.0


class XvfbUnavailable(RuntimeError):
    """Xvfb is missing or did not start; the message says which."""


@contextlib.contextmanager
def private_xvfb(screen: str = SCREEN) -> Iterator[str]:
    """`:N` of a fresh Xvfb, stopped on exit."""
    if shutil.which("Xvfb") is None:
        raise XvfbUnavailable("Xvfb is missing (Debian: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], START_TIMEOUT_S)
        number = os.read(read_fd, 64).decode().strip() if ready else ""
        if not number.isdigit():
            proc.kill()
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise XvfbUnavailable(f"Xvfb did not start: {err.strip()}")
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

"""Run `chatkit-desktop serve` as a real process and wait for its ready line."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from asyncio.subprocess import PIPE
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

READY = re.compile(r"http://127\.0\.0\.1:(\d+)/#token=(\S+)")


@dataclass
class ServeProcess:
    proc: asyncio.subprocess.Process
    port: int
    token: str
    ready_line: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return await asyncio.wait_for(self.proc.wait(), 30)

    async def stderr(self) -> str:
        assert self.proc.stderr is not None
        return (await self.proc.stderr.read()).decode()


def serve_env(base_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHATKIT_DESKTOP_"))}
    env.update({"OPENAI_API_KEY": "sk-test-process-key", "OPENAI_BASE_URL": base_url})
    env.update(extra or {})
    return env


def xdg_env(root: Path) -> dict[str, str]:
    """HOME and every XDG base directory inside `root`, for a run without `--data-dir`."""
    return {
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_CACHE_HOME": str(root / "cache"),
    }


async def start_serve(
    data_dir: Path | None, env: Mapping[str, str], *args: str, stderr: int | IO[bytes] = PIPE
) -> ServeProcess:
    """Start `python -m chatkit_desktop serve` and wait (60 s at most) for its ready line.

    `data_dir=None` leaves out `--data-dir`: the OS per-user places, so give `env` a HOME and XDG
    directories of its own (`xdg_env`).
    """
    where = [] if data_dir is None else ["--data-dir", str(data_dir)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatkit_desktop",
        "serve",
        "--port",
        "0",
        *where,
        *args,
        env=dict(env),
        stdout=PIPE,
        stderr=stderr,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(60):
            line = (await proc.stdout.readline()).decode()
    except TimeoutError:
        line = ""
    match = READY.search(line)
    if match is None:
        err = (await proc.stderr.read()).decode() if proc.stderr else "(stderr went to a file)"
        if proc.returncode is None:
            proc.kill()
        raise AssertionError(f"no ready line; stdout={line!r} stderr={err}")
    return ServeProcess(proc, int(match.group(1)), match.group(2), line)


def run_cli(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m chatkit_desktop ARGS` to completion (60 s at most), capturing its text."""
    return subprocess.run(
        [sys.executable, "-m", "chatkit_desktop", *args],
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

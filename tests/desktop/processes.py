"""Run `python -m chatkit_desktop run` as a real process with a real window."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.processes import serve_env

RUNNING = re.compile(r"chatkit-desktop is running at http://127\.0\.0\.1:(\d+)/")
SMOKE_PREFIX = "CHATKIT_DESKTOP_SMOKE "


def desktop_env(
    base_url: str, display: str | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = serve_env(base_url)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "PYWEBVIEW_GUI"):
        env.pop(name, None)
    if display is not None:
        env["DISPLAY"] = display
    env.update(extra or {})
    return env


@dataclass
class DesktopProcess:
    proc: asyncio.subprocess.Process
    started: float
    stderr_path: Path
    lines: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def next_line(self, timeout: float = 60) -> str:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            line = (await self.proc.stdout.readline()).decode()
        self.lines.append(line)
        return line

    async def wait_running(self, timeout: float = 60) -> int:
        """The server's port, from the line printed once it listens."""
        line = await self.next_line(timeout)
        match = RUNNING.search(line)
        if match is None:
            raise AssertionError(f"no running line: {line!r}; stderr: {await self.killed()}")
        return int(match.group(1))

    async def wait_smoke(self, timeout: float = 60) -> tuple[dict[str, Any], float]:
        """The smoke hook's report, and the seconds from spawn until it arrived."""
        line = await self.next_line(timeout)
        if not line.startswith(SMOKE_PREFIX):
            raise AssertionError(f"no smoke line: {line!r}; stderr: {await self.killed()}")
        return json.loads(line[len(SMOKE_PREFIX) :]), time.monotonic() - self.started

    async def wait(self, timeout: float = 60) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def killed(self) -> str:
        """Kill it (after a failed expectation) and return its stderr."""
        self.kill()
        await self.proc.wait()
        return self.stderr()

    async def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Exit code, the rest of stdout and all of stderr once the process ends."""
        out, _ = await asyncio.wait_for(self.proc.communicate(), timeout)
        return self.proc.returncode or 0, out.decode(), self.stderr()

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


async def start_desktop(data_dir: Path, env: Mapping[str, str], *args: str) -> DesktopProcess:
    """stderr goes to a file beside the data directory: Chromium can log more than a pipe holds."""
    started = time.monotonic()
    stderr_path = data_dir.parent / f"{data_dir.name}-{time.monotonic_ns()}.stderr"
    with stderr_path.open("wb") as stderr_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "chatkit_desktop",
            "run",
            "--data-dir",
            str(data_dir),
            *args,
            env=dict(env),
            stdout=PIPE,
            stderr=stderr_file,
        )
    return DesktopProcess(proc, started, stderr_path)


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (QtWebEngine runs several)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue
        child = int(entry)
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(child)
        rss[child] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total

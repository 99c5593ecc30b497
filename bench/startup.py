"""Start and footprint: `chatkit-desktop serve` from process start to `/healthz` answering 200,
and the server's resident memory after one turn and after ten.

The server runs as a real process, exactly as a user starts it (`python -m chatkit_desktop
serve`), with a fresh data directory each time; the clock starts just before the process is
spawned and stops at the first 200 from `/healthz` (polled every 2 ms once the ready line gave
the port). Memory is the process's VmRSS after one full turn, so the SDKs, the store and a
model client are all loaded, and again after nine more turns in the same conversation (the
steady state: what the first turn loads stays, what later turns add should be little).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.results import Result, percentile
from bench.server import FAKE_KEY, TOKEN, model_server

READY = re.compile(rb"http://127\.0\.0\.1:(\d+)/")
RUNS = 9
TURNS = 10
START_TARGET_MS = 400.0
RSS_TARGET_MB = 120.0
# A leak guard: what the first turn loads stays, later turns should add next to nothing.
GROWTH_TARGET_MB = 5.0
# The floor under the serve process: the two SDKs it must load, in a bare interpreter.
_SDK_FLOOR = (
    "import agents, chatkit.agents, chatkit.server\n"
    "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))"
)


def _env(model_base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CHATKIT_"))}
    env.update(
        {
            "OPENAI_API_KEY": FAKE_KEY,
            "OPENAI_BASE_URL": model_base_url,
            "CHATKIT_DESKTOP_TOKEN": TOKEN,
        }
    )
    return env


async def _start(data_dir: Path, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chatkit_desktop",
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--log-level",
        "WARNING",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    match = READY.search(line)
    if match is None:
        proc.kill()
        raise RuntimeError(f"serve printed no ready line: {line!r}")
    return proc, int(match.group(1))


async def _stop(proc: asyncio.subprocess.Process, *, kill: bool = False) -> None:
    if proc.returncode is None and kill:
        # A start-time sample: nothing to save, and a clean stop would wait for the SDK imports
        # the server started in the background.
        proc.kill()
        await proc.wait()
    if proc.returncode is None:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 20)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def _time_to_healthz(
    http: aiohttp.ClientSession, data_dir: Path, env: dict[str, str]
) -> float:
    started = time.perf_counter()
    proc, port = await _start(data_dir, env)
    try:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return (time.perf_counter() - started) * 1000
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.002)
    finally:
        await _stop(proc, kill=True)


@dataclass(frozen=True)
class Footprint:
    """From /proc/PID/status: resident memory, split into the process's own (anonymous) pages
    and file-backed ones (the interpreter, shared libraries, extension modules)."""

    rss_mb: float
    anon_mb: float
    file_mb: float
    threads: int

    @classmethod
    def parse(cls, status: str) -> Footprint:
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

        def mb(name: str) -> float:
            return int(fields[name].split()[0]) / 1024

        return cls(mb("VmRSS"), mb("RssAnon"), mb("RssFile"), int(fields["Threads"]))

    @classmethod
    def of(cls, pid: int) -> Footprint:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            return cls.parse(status.read())

    def describe(self) -> str:
        return (
            f"{self.anon_mb:.0f} MB the process's own, {self.file_mb:.0f} MB file-backed "
            f"(interpreter, libraries, extension modules); {self.threads} threads"
        )


def _user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


def _thread_id(sse: str) -> str:
    for line in sse.splitlines():
        if line.startswith("data: "):
            event = json.loads(line[len("data: ") :])
            if event.get("type") == "thread.created":
                return str(event["thread"]["id"])
    raise RuntimeError(f"no thread.created event in the answer: {sse[:300]}")


async def _request(
    http: aiohttp.ClientSession, port: int, type_: str, params: dict[str, Any]
) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {"type": type_, "params": params}
    async with http.post(
        f"http://127.0.0.1:{port}/chatkit/api", json=body, headers=headers
    ) as resp:
        text = await resp.text()
        if resp.status != 200:
            raise RuntimeError(f"{type_} answered {resp.status}: {text[:300]}")
        return text


async def _turn(http: aiohttp.ClientSession, port: int, type_: str, params: dict[str, Any]) -> str:
    text = await _request(http, port, type_, params)
    if "assistant_message" not in text:
        raise RuntimeError(f"the turn gave no answer: {text[:300]}")
    return text


async def _footprint_after_turns(
    http: aiohttp.ClientSession, data_dir: Path, env: dict[str, str]
) -> tuple[Footprint, Footprint, Footprint]:
    """The footprint once the SDKs are loaded, after one turn (a new thread), then after TURNS
    turns in that thread."""
    proc, port = await _start(data_dir, env)
    try:
        # Any ChatKit request but threads.list waits for the whole service, SDKs included
        # (threads.list and the history API are answered from the store while they load):
        # ChatKit's own 404 for a thread that is not there, resident before any turn.
        async with http.post(
            f"http://127.0.0.1:{port}/chatkit/api",
            json={"type": "threads.get_by_id", "params": {"thread_id": "thr_not_there"}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as resp:
            if resp.status != 404:
                raise RuntimeError(f"threads.get_by_id answered {resp.status}: {await resp.text()}")
        before = Footprint.of(proc.pid)
        sse = await _turn(
            http, port, "threads.create", {"input": _user_input("Hello, how are you?")}
        )
        await asyncio.sleep(0.5)  # let the turn's last writes settle
        after_one = Footprint.of(proc.pid)
        thread_id = _thread_id(sse)
        for n in range(2, TURNS + 1):
            params = {"thread_id": thread_id, "input": _user_input(f"And question {n}?")}
            await _turn(http, port, "threads.add_user_message", params)
        await asyncio.sleep(0.5)
        return before, after_one, Footprint.of(proc.pid)
    finally:
        await _stop(proc)


async def _sdk_floor_mb(env: dict[str, str]) -> float:
    """VmRSS of a bare interpreter that has imported the Agents and ChatKit SDKs, nothing else."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _SDK_FLOOR, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("importing the SDKs failed")
    return int(out.split()[-1]) / 1024


async def run(work: Path) -> list[Result]:
    async with model_server() as model, aiohttp.ClientSession() as http:
        env = _env(model.base_url)
        await _time_to_healthz(http, work / "warm", env)  # the OS file cache, as on a 2nd launch
        samples = [await _time_to_healthz(http, work / f"start-{n}", env) for n in range(RUNS)]
        loaded, one, many = await _footprint_after_turns(http, work / "turn", env)
        floor_mb = await _sdk_floor_mb(env)
    return [
        Result(
            "startup",
            "serve: process start to /healthz 200, p50",
            percentile(samples, 50),
            "ms",
            START_TARGET_MS,
            f"max {max(samples):.0f} ms, min {min(samples):.0f} ms over {RUNS} starts "
            "(fresh data directory each; Python's own start included)",
        ),
        Result(
            "startup",
            "serve: resident memory after one turn",
            one.rss_mb,
            "MB",
            RSS_TARGET_MB,
            "VmRSS of the serve process, ChatKit and Agents SDKs loaded, one streamed answer: "
            f"{one.describe()}; {loaded.rss_mb:.0f} MB before the first turn (SDKs loaded, "
            "store open)",
        ),
        Result(
            "startup",
            f"serve: resident memory after {TURNS} turns",
            many.rss_mb,
            "MB",
            RSS_TARGET_MB,
            f"the same process, {TURNS - 1} more turns in the same thread: "
            f"{many.rss_mb - one.rss_mb:+.1f} MB since the first; " + many.describe(),
        ),
        Result(
            "startup",
            f"serve: memory growth from turn 1 to turn {TURNS}",
            many.rss_mb - one.rss_mb,
            "MB",
            GROWTH_TARGET_MB,
            "a leak guard: later turns reuse what the first one loaded",
        ),
        Result(
            "startup",
            "the SDKs alone: a bare interpreter after importing openai-agents and openai-chatkit",
            floor_mb,
            "MB",
            None,
            f"the floor under the serve process; the app's own code, aiohttp, the store, the "
            f"keyring and a turn add {one.rss_mb - floor_mb:.0f} MB",
        ),
    ]

"""Start and footprint: `chatkit-desktop serve` from process start to `/healthz` answering 200,
and the server's resident memory after one turn.

The server runs as a real process, exactly as a user starts it (`python -m chatkit_desktop
serve`), with a fresh data directory each time; the clock starts just before the process is
spawned and stops at the first 200 from `/healthz` (polled every 2 ms once the ready line gave
the port). Memory is the process's VmRSS after one full turn, so the SDKs, the store and a
model client are all loaded.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from pathlib import Path

import aiohttp

from bench.results import Result, percentile
from bench.server import FAKE_KEY, TOKEN, model_server

READY = re.compile(rb"http://127\.0\.0\.1:(\d+)/")
RUNS = 9
START_TARGET_MS = 400.0
RSS_TARGET_MB = 120.0


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


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="utf-8") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def _rss_after_one_turn(
    http: aiohttp.ClientSession, data_dir: Path, env: dict[str, str]
) -> float:
    proc, port = await _start(data_dir, env)
    try:
        body = {
            "type": "threads.create",
            "params": {
                "input": {
                    "content": [{"type": "input_text", "text": "Hello, how are you?"}],
                    "attachments": [],
                    "inference_options": {},
                }
            },
        }
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with http.post(
            f"http://127.0.0.1:{port}/chatkit/api", json=body, headers=headers
        ) as resp:
            text = await resp.text()
            if resp.status != 200 or "assistant_message" not in text:
                raise RuntimeError(f"the turn failed: {resp.status} {text[:300]}")
        await asyncio.sleep(0.5)  # let the turn's last writes settle
        return _rss_mb(proc.pid)
    finally:
        await _stop(proc)


async def run(work: Path) -> list[Result]:
    async with model_server() as model, aiohttp.ClientSession() as http:
        env = _env(model.base_url)
        await _time_to_healthz(http, work / "warm", env)  # the OS file cache, as on a 2nd launch
        samples = [await _time_to_healthz(http, work / f"start-{n}", env) for n in range(RUNS)]
        rss = await _rss_after_one_turn(http, work / "turn", env)
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
            rss,
            "MB",
            RSS_TARGET_MB,
            "VmRSS of the serve process, ChatKit and Agents SDKs loaded, one streamed answer",
        ),
    ]

"""Turn overhead: a 500-token streamed answer through the whole app versus the bare agent run.

The model server (zero latency, loopback) streams a 500-word answer in 500 deltas over the
Responses API (the OpenAI provider's API, the app's default). Three paths take turns, the one
that goes first rotating every round, so that drift of the machine falls on all alike:

- server: a `threads.create` streaming POST to the running app, read as it arrives (HTTP,
  ChatKit's request handling and event stream, the SQLite store, SSE encoding, and this client's
  scan of the bytes for text deltas);
- in-process: the same request handed to the app's `DesktopChatKitServer.process` (built by
  `build_services`, over its own SQLite store), its SSE bytes read as they are made: the server
  path without aiohttp, HTTP and the client, to split the overhead between the layers;
- direct: the same agent (`Agent` with the app's instructions and tools, over a model built by a
  `ModelFactory` with the app's provider settings, `Runner.run_streamed` with tracing off, as
  `chat/server.py` does) with no server, no ChatKit and no store, over the same input items the
  app sends (one user message); no run context, as the tool is never called.

Measured per turn, from just before the request (or the run) starts: time to the first text
delta (the `assistant_message.content_part.text_delta` event; the `ResponseTextDeltaEvent` raw
event) and to the end of the stream. Everything runs in one process and one event loop (client,
app and model server), so the app's CPU time shows up whole. What the server adds is taken round
by round (server minus direct, server over direct, in the same round) and the median of those
reported: the machine drifts in phases that would otherwise land on one path's samples.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.results import Result, percentile
from bench.server import FAKE_KEY, App, config_for, model_server, running_app

SECTION = "turn"
WORDS = 500
WARMUPS = 3
TURNS = 30
FIRST_DELTA_TARGET_MS = 5.0
TOTAL_TARGET_PCT = 10.0
TEXT_DELTA = b'"assistant_message.content_part.text_delta"'
# Words of equal length, so that `chunks=WORDS` cuts exactly one word (a "token") per delta.
ANSWER = " ".join(f"w{n:03d}" for n in range(WORDS))
QUESTION = "Tell me a long story."


@dataclass
class Turn:
    first_delta_s: float
    total_s: float
    deltas: int


@dataclass
class Samples:
    turns: list[Turn] = field(default_factory=list)

    def first_ms(self) -> list[float]:
        return [t.first_delta_s * 1000 for t in self.turns]

    def total_ms(self) -> list[float]:
        return [t.total_s * 1000 for t in self.turns]

    def deltas_per_s(self) -> list[float]:
        return [t.deltas / t.total_s for t in self.turns]


def user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


class Scanner:
    """Counts text deltas in an event stream read in arbitrary pieces, noting the first one's
    arrival; cheap (no per-line parsing), so the client costs the app's event loop little."""

    ERROR = b'data: {"type":"error"'

    def __init__(self) -> None:
        self.first: float | None = None
        self.deltas = 0
        self.error = False
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        data = self._tail + piece
        # A marker found here ends inside `piece`: the tail is shorter than the marker.
        found = data.count(TEXT_DELTA)
        if found and self.first is None:
            self.first = time.perf_counter()
        self.deltas += found
        self.error = self.error or self.ERROR in data
        self._tail = data[-(len(TEXT_DELTA) - 1) :]


async def server_turn(app: App, question: str = QUESTION) -> Turn:
    """One `threads.create` turn, read incrementally as it arrives; raises on any error."""
    body = json.dumps({"type": "threads.create", "params": {"input": user_input(question)}})
    scanner = Scanner()
    started = time.perf_counter()
    async with app.http.post(f"{app.base}/chatkit/api", data=body, headers=app.headers) as resp:
        if resp.status != 200:
            raise RuntimeError(f"threads.create answered {resp.status}: {await resp.text()}")
        async for piece in resp.content.iter_any():
            scanner.feed(piece)
    ended = time.perf_counter()
    if scanner.error:
        raise RuntimeError("the stream carried an error event")
    if scanner.first is None or scanner.deltas != WORDS:
        raise RuntimeError(f"server turn streamed {scanner.deltas} text deltas, expected {WORDS}")
    return Turn(scanner.first - started, ended - started, scanner.deltas)


class InProcess:
    """The app's own services (`build_services`, as the HTTP layer builds them) asked directly:
    `DesktopChatKitServer.process` over the SQLite store, the SSE bytes read as they are made.
    ChatKit, the store and SSE encoding, without aiohttp, HTTP and the client's reading."""

    def __init__(self, data_dir: Path, model_base_url: str) -> None:
        from chatkit_desktop.http.services import LazyServices

        self.config = config_for(data_dir, model_base_url)
        self.services = LazyServices(self.config)

    async def turn(self, question: str = QUESTION) -> Turn:
        from chatkit.server import StreamingResult

        from chatkit_desktop.context import RequestContext

        services = await self.services.ready()
        body = json.dumps({"type": "threads.create", "params": {"input": user_input(question)}})
        started = time.perf_counter()
        result = await services.chat.process(
            body.encode(), RequestContext(user_id=self.config.user_id)
        )
        assert isinstance(result, StreamingResult)
        first: float | None = None
        deltas = 0
        async for chunk in result:
            if TEXT_DELTA in chunk:
                if first is None:
                    first = time.perf_counter()
                deltas += 1
            elif chunk.startswith(b'data: {"type":"error"'):
                raise RuntimeError(f"error event: {chunk.decode()}")
        ended = time.perf_counter()
        if first is None or deltas != WORDS:
            raise RuntimeError(f"in-process turn streamed {deltas} text deltas, expected {WORDS}")
        return Turn(first - started, ended - started, deltas)

    async def aclose(self) -> None:
        await self.services.close()


class DirectRunner:
    """The agent of `chat/server.py`, run with `Runner.run_streamed` and nothing around it."""

    def __init__(self, data_dir: Path, model_base_url: str) -> None:
        from chatkit_desktop.chat.server import DEFAULT_INSTRUCTIONS
        from chatkit_desktop.providers.factory import ModelFactory
        from chatkit_desktop.settings.preferences import Preferences

        config = config_for(data_dir, model_base_url)
        # The app's factory, with the app's provider settings (base URL, timeout, retries); the
        # key comes from the same environment the app's vault reads.
        self.models = ModelFactory(config.providers, Preferences, lambda _provider: FAKE_KEY)
        self.instructions = DEFAULT_INSTRUCTIONS
        # What the server's converter makes of one user message (see the recorded request).
        self.input: list[Any] = [
            {
                "role": "user",
                "type": "message",
                "content": [{"type": "input_text", "text": QUESTION}],
            }
        ]

    async def turn(self) -> Turn:
        from agents import Agent, RunConfig, Runner
        from openai.types.responses import ResponseTextDeltaEvent

        from chatkit_desktop.chat.tools import TOOLS

        started = time.perf_counter()
        chosen = self.models.create_model(None)
        agent = Agent[Any](
            name="Assistant", instructions=self.instructions, model=chosen.model, tools=TOOLS
        )
        result = Runner.run_streamed(agent, self.input, run_config=RunConfig(tracing_disabled=True))
        first: float | None = None
        deltas = 0
        text: list[str] = []
        try:
            async for event in result.stream_events():
                if event.type == "raw_response_event" and isinstance(
                    event.data, ResponseTextDeltaEvent
                ):
                    if first is None:
                        first = time.perf_counter()
                    deltas += 1
                    text.append(event.data.delta)
        finally:
            result.cancel()
        ended = time.perf_counter()
        if first is None or "".join(text) != ANSWER:
            raise RuntimeError(f"direct run streamed {deltas} deltas, not the scripted answer")
        return Turn(first - started, ended - started, deltas)

    async def aclose(self) -> None:
        await self.models.aclose()


@dataclass
class Measured:
    server: Samples  # over HTTP
    in_process: Samples  # ChatKit + store, no HTTP
    direct: Samples  # Runner.run_streamed alone


async def measure(work: Path, turns: int = TURNS, warmups: int = WARMUPS) -> Measured:
    from chatkit_desktop.testing.openai_server import Reply

    measured = Measured(Samples(), Samples(), Samples())
    async with model_server() as model:
        model.scripted.default = Reply(text=ANSWER, chunks=WORDS)
        async with running_app(work / "app", model.base_url) as app:
            in_process = InProcess(work / "in-process", model.base_url)
            direct = DirectRunner(work / "direct", model.base_url)
            paths: list[tuple[Samples, Callable[[], Awaitable[Turn]]]] = [
                (measured.server, lambda: server_turn(app)),
                (measured.in_process, in_process.turn),
                (measured.direct, direct.turn),
            ]
            try:
                for n in range(warmups + turns):
                    # The paths take turns, and which goes first rotates every round.
                    for samples, turn in paths[n % 3 :] + paths[: n % 3]:
                        taken = await turn()
                        if n >= warmups:
                            samples.turns.append(taken)
            finally:
                await direct.aclose()
                await in_process.aclose()
    return measured


def paired(a: list[float], b: list[float], q: float = 50) -> float:
    """The q-th percentile of the differences a[i] - b[i], samples of the same round: the
    machine's drift (other processes, CPU frequency; turns here swing between ~75 and ~160 ms
    in phases) falls on both sides of each difference, not on one path's samples."""
    return percentile([x - y for x, y in zip(a, b, strict=True)], q)


def ratio(a: list[float], b: list[float]) -> float:
    """The median of the ratios a[i] / b[i], samples of the same round (see `paired`)."""
    return percentile([x / y for x, y in zip(a, b, strict=True)], 50)


def results(measured: Measured) -> list[Result]:
    server, in_process, direct = measured.server, measured.in_process, measured.direct
    n = len(server.turns)
    s_first, i_first, d_first = server.first_ms(), in_process.first_ms(), direct.first_ms()
    s_total, i_total, d_total = server.total_ms(), in_process.total_ms(), direct.total_ms()
    p50 = {
        "first": (percentile(s_first, 50), percentile(i_first, 50), percentile(d_first, 50)),
        "total": (percentile(s_total, 50), percentile(i_total, 50), percentile(d_total, 50)),
    }
    api = f"Responses API, {WORDS} deltas, zero-latency model server, {n} turns per path"
    rate = server.deltas_per_s()
    return [
        Result(
            SECTION,
            "first text delta, direct Runner.run_streamed, p50",
            p50["first"][2],
            "ms",
            note=f"p95 {percentile(d_first, 95):.2f} ms; {api}",
        ),
        Result(
            SECTION,
            "first text delta, ChatKit in-process (no HTTP), p50",
            p50["first"][1],
            "ms",
            note=f"p95 {percentile(i_first, 95):.2f} ms; DesktopChatKitServer.process + SQLite",
        ),
        Result(
            SECTION,
            "first text delta, through the server, p50",
            p50["first"][0],
            "ms",
            note=f"p95 {percentile(s_first, 95):.2f} ms; threads.create over HTTP",
        ),
        Result(
            SECTION,
            "first text delta, added by the server, p50",
            paired(s_first, d_first),
            "ms",
            target=FIRST_DELTA_TARGET_MS,
            note=(
                "median of server − direct, round by round; p95 of those differences "
                f"{paired(s_first, d_first, 95):.2f} ms; difference of the p50s "
                f"{p50['first'][0] - p50['first'][2]:.2f} ms; "
                f"HTTP's share (median of server − in-process, round by round) "
                f"{paired(s_first, i_first):.1f} ms"
            ),
        ),
        Result(
            SECTION,
            f"{WORDS}-delta turn total, direct, p50",
            p50["total"][2],
            "ms",
            note=f"p95 {percentile(d_total, 95):.2f} ms",
        ),
        Result(
            SECTION,
            f"{WORDS}-delta turn total, ChatKit in-process, p50",
            p50["total"][1],
            "ms",
            note=f"p95 {percentile(i_total, 95):.2f} ms",
        ),
        Result(
            SECTION,
            f"{WORDS}-delta turn total, through the server, p50",
            p50["total"][0],
            "ms",
            note=f"p95 {percentile(s_total, 95):.2f} ms",
        ),
        Result(
            SECTION,
            "turn total, added by the server, p50",
            (ratio(s_total, d_total) - 1) * 100,
            "%",
            target=TOTAL_TARGET_PCT,
            note=(
                f"median of server / direct, round by round (+{paired(s_total, d_total):.1f} ms); "
                f"ratio of the p50s +{(p50['total'][0] / p50['total'][2] - 1) * 100:.0f} %; "
                f"without HTTP +{(ratio(i_total, d_total) - 1) * 100:.0f} %; HTTP's share "
                f"(paired median) {paired(s_total, i_total):.1f} ms"
            ),
        ),
        Result(
            SECTION,
            "text deltas per second through the server, p50",
            percentile(rate, 50),
            "deltas/s",
            note=(
                f"{WORDS} deltas / turn total; direct "
                f"{percentile(direct.deltas_per_s(), 50):,.0f}/s"
            ),
        ),
    ]


async def run(work: Path) -> list[Result]:
    return results(await measure(work))

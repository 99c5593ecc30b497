"""Concurrency: 20 streaming turns at once while another client pages through the history.

Two rounds over the running app (real HTTP, SQLite store, zero-latency model server on
loopback): 20 simultaneous `threads.create` turns, then 20 simultaneous
`threads.add_user_message` turns, one on each of those threads. The model echoes every question
("You said: …") in 200 deltas, so each answer is known in advance. The whole time, a history
client pages through `threads.list` (20 a page, to the end, then from the top again) and reads
the newest page of `items.list` of the first 4 threads of each page.

Afterwards every thread is read back: exactly its two user messages and its two full answers,
in order, with the texts sent; every stream ends cleanly with its full answer and no `error`
event; no history call fails; no page pass lists a thread twice. Any miss counts as one error
and fails the run (target 0).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.results import Result, percentile
from bench.server import App, model_server, running_app

SECTION = "concurrency"
TURNS = 20
CHUNKS = 200
SEED_THREADS = 40  # history already there when the load starts
PAGE = 20
ITEMS_PER_PAGE = 4  # items.list for the first threads of each threads.list page
IDLE_CALLS = 30
WORDS = 120  # per question; the answer echoes it


def question(turn: int, round_: int) -> str:
    words = " ".join(f"t{turn:02d}r{round_}w{n:03d}" for n in range(WORDS))
    return f"Question {turn} of round {round_}: {words}"


def answer(text: str) -> str:
    return f"You said: {text}"  # the scripted model server's echo


def user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


@dataclass
class Streamed:
    thread_id: str = ""
    first_delta_s: float | None = None
    total_s: float = 0.0
    deltas: list[str] = field(default_factory=list)
    done_text: str | None = None  # the finished assistant message's text
    errors: list[str] = field(default_factory=list)


async def stream_turn(app: App, type_: str, params: dict[str, Any]) -> Streamed:
    """One streaming request, read event by event as it arrives."""
    out = Streamed(thread_id=str(params.get("thread_id", "")))
    body = json.dumps({"type": type_, "params": params})
    started = time.perf_counter()
    try:
        async with app.http.post(f"{app.base}/chatkit/api", data=body, headers=app.headers) as resp:
            if resp.status != 200:
                out.errors.append(f"{type_} answered {resp.status}: {await resp.text()}")
                return out
            async for line in resp.content:
                if not line.startswith(b"data: "):
                    continue
                event = json.loads(line[len(b"data: ") :])
                kind = event["type"]
                if kind == "thread.item.updated":
                    update = event["update"]
                    if update["type"] == "assistant_message.content_part.text_delta":
                        if out.first_delta_s is None:
                            out.first_delta_s = time.perf_counter() - started
                        out.deltas.append(update["delta"])
                elif kind == "thread.created":
                    out.thread_id = event["thread"]["id"]
                elif kind == "thread.item.done" and event["item"]["type"] == "assistant_message":
                    out.done_text = "".join(p["text"] for p in event["item"]["content"])
                elif kind == "error":
                    out.errors.append(f"error event: {event}")
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError) as exc:
        out.errors.append(f"{type_} failed: {exc!r}")
    out.total_s = time.perf_counter() - started
    return out


@dataclass
class History:
    """The paging client's latencies and what it found wrong."""

    threads_list_ms: list[float] = field(default_factory=list)
    items_list_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    passes: int = 0


async def timed_call(app: App, type_: str, params: dict[str, Any], into: list[float]) -> Any:
    started = time.perf_counter()
    result = await app.call(type_, params)
    into.append((time.perf_counter() - started) * 1000)
    return result


async def page_history(app: App, history: History, stop: asyncio.Event) -> None:
    """Pages through all threads and each one's newest items until `stop` is set."""
    while not stop.is_set():
        after: str | None = None
        seen: set[str] = set()
        while not stop.is_set():
            try:
                params: dict[str, Any] = {"limit": PAGE, "order": "desc"}
                if after:
                    params["after"] = after
                page = await timed_call(app, "threads.list", params, history.threads_list_ms)
                for n, thread in enumerate(page["data"]):
                    if thread["id"] in seen:
                        history.errors.append(f"thread {thread['id']} listed twice in one pass")
                    seen.add(thread["id"])
                    if n >= ITEMS_PER_PAGE:
                        continue
                    await timed_call(
                        app,
                        "items.list",
                        {"thread_id": thread["id"], "limit": PAGE, "order": "desc"},
                        history.items_list_ms,
                    )
                    if stop.is_set():
                        return
            except (aiohttp.ClientError, RuntimeError, OSError, ValueError, KeyError) as exc:
                history.errors.append(f"history call failed: {exc!r}")
                await asyncio.sleep(0.01)
                break
            if not page["has_more"]:
                history.passes += 1
                break
            after = page["after"]


async def seed(app: App) -> None:
    for n in range(SEED_THREADS):
        done = await stream_turn(app, "threads.create", {"input": user_input(f"Seed {n}")})
        if done.errors or not done.thread_id:
            raise RuntimeError(f"seeding failed: {done.errors}")


async def idle_latencies(app: App) -> tuple[list[float], list[float]]:
    """The history calls with nothing else going on, for comparison."""
    lists: list[float] = []
    items: list[float] = []
    for _ in range(IDLE_CALLS):
        page = await timed_call(app, "threads.list", {"limit": PAGE, "order": "desc"}, lists)
        thread_id = page["data"][0]["id"]
        await timed_call(
            app, "items.list", {"thread_id": thread_id, "limit": PAGE, "order": "desc"}, items
        )
    return lists, items


NO_QUESTION = "Hello from the scripted server."  # the echo when the model saw no user message


def describe_answer(got: str, turn: int, round_: int) -> str:
    """What a wrong answer tells: usually that the model was sent a stale history."""
    if got == NO_QUESTION:
        return "the model was sent no user message (stale history)"
    if round_ == 2 and got == answer(question(turn, 1)):
        return "the model answered the previous question (stale history)"
    return f"the answer is not the model's ({len(got)} characters)"


def check_stream(turn: Streamed, n: int, round_: int) -> list[str]:
    where = f"turn {n}, round {round_}"
    problems = [f"{where}: {e}" for e in turn.errors]
    expected = answer(question(n, round_))
    if not turn.errors:
        streamed = "".join(turn.deltas)
        if streamed != expected:
            problems.append(f"{where}: streamed: {describe_answer(streamed, n, round_)}")
        if turn.done_text != expected and turn.done_text != streamed:
            problems.append(f"{where}: the finished message differs from the deltas")
        if turn.first_delta_s is None:
            problems.append(f"{where}: no text delta")
    return problems


async def check_thread(app: App, thread_id: str, turn: int) -> list[str]:
    """The thread holds exactly its two exchanges, in order, with the texts sent."""
    page = await app.call("items.list", {"thread_id": thread_id, "limit": 100, "order": "asc"})
    got = [
        (item["type"], "".join(part.get("text", "") for part in item["content"]))
        for item in page["data"]
    ]
    want = []
    for round_ in (1, 2):
        asked = question(turn, round_)
        want += [("user_message", asked), ("assistant_message", answer(asked))]
    where = f"thread {thread_id} (turn {turn})"
    if got == want:
        return []
    if sorted(got) == sorted(want):
        return [f"{where}: items reordered"]
    if [t for t, _ in got] != [t for t, _ in want]:
        return [f"{where}: expected items {[t for t, _ in want]}, found {[t for t, _ in got]}"]
    return [
        f"{where}: stored item {k} ({kind}) is not what was sent"
        + (f": {describe_answer(text, turn, k // 2 + 1)}" if kind == "assistant_message" else "")
        for k, ((kind, text), (_, wanted)) in enumerate(zip(got, want, strict=True))
        if text != wanted
    ]


@dataclass
class Measured:
    turns: list[Streamed]
    history: History
    idle_lists: list[float]
    idle_items: list[float]
    problems: list[str]
    seconds: float


async def measure(work: Path) -> Measured:
    from chatkit_desktop.testing.openai_server import Reply

    async with model_server() as model:
        model.scripted.default = Reply(chunks=5)
        async with running_app(work / "app", model.base_url) as app:
            await seed(app)
            idle_lists, idle_items = await idle_latencies(app)
            model.scripted.default = Reply(chunks=CHUNKS)  # echoes the question

            history = History()
            stop = asyncio.Event()
            pager = asyncio.create_task(page_history(app, history, stop), name="history")
            started = time.perf_counter()
            first = await asyncio.gather(
                *(
                    stream_turn(app, "threads.create", {"input": user_input(question(n, 1))})
                    for n in range(TURNS)
                )
            )
            created = [(n, t.thread_id) for n, t in enumerate(first) if t.thread_id]
            second = await asyncio.gather(
                *(
                    stream_turn(
                        app,
                        "threads.add_user_message",
                        {"thread_id": thread_id, "input": user_input(question(n, 2))},
                    )
                    for n, thread_id in created
                )
            )
            seconds = time.perf_counter() - started
            stop.set()
            await pager

            problems: list[str] = []
            for n, turn in enumerate(first):
                problems += check_stream(turn, n, 1)
            if len(created) != TURNS:
                problems.append(f"only {len(created)} of {TURNS} threads were created")
            for (n, _), turn in zip(created, second, strict=True):
                problems += check_stream(turn, n, 2)
            for n, thread_id in created:
                problems += await check_thread(app, thread_id, n)
            listed = await app.call("threads.list", {"limit": 100, "order": "desc"})
            ids = {t["id"] for t in listed["data"]}
            missing = [thread_id for _, thread_id in created if thread_id not in ids]
            problems += [f"thread {t} missing from threads.list" for t in missing]
            total = SEED_THREADS + TURNS
            if len(ids) != total:
                problems.append(f"threads.list lists {len(ids)} threads, expected {total}")
            problems += history.errors
            if not history.threads_list_ms or not history.items_list_ms:
                problems.append("the history client made no call during the turns")
    return Measured(list(first) + list(second), history, idle_lists, idle_items, problems, seconds)


def results(m: Measured) -> list[Result]:
    first = [t.first_delta_s * 1000 for t in m.turns if t.first_delta_s is not None]
    total = [t.total_s * 1000 for t in m.turns]
    lists, items = m.history.threads_list_ms, m.history.items_list_ms
    load = f"{TURNS} turns at once × 2 rounds, {CHUNKS} deltas each"
    out = [
        Result(
            SECTION,
            "errors and lost/reordered items",
            len(m.problems),
            "count",
            target=0,
            note="; ".join(p[:160] for p in m.problems[:3])
            or f"{len(m.turns)} streams, {2 * TURNS * 2} items and history pages checked",
        ),
    ]
    if first:
        out.append(
            Result(
                SECTION,
                "first text delta under load, p95",
                percentile(first, 95),
                "ms",
                note=f"p50 {percentile(first, 50):.1f} ms; {load}",
            )
        )
    out.append(
        Result(
            SECTION,
            "turn total under load, p95",
            percentile(total, 95),
            "ms",
            note=(
                f"p50 {percentile(total, 50):.1f} ms; both rounds in {m.seconds:.2f} s, "
                f"{sum(len(t.deltas) for t in m.turns) / m.seconds:,.0f} deltas/s in all"
            ),
        )
    )
    for name, samples, idle in (
        ("threads.list", lists, m.idle_lists),
        ("items.list", items, m.idle_items),
    ):
        if samples:
            out.append(
                Result(
                    SECTION,
                    f"{name} under load, p95",
                    percentile(samples, 95),
                    "ms",
                    note=(
                        f"p50 {percentile(samples, 50):.1f} ms, {len(samples)} calls"
                        + (f" ({m.history.passes} full passes)" if name == "threads.list" else "")
                        + "; idle: "
                        f"p50 {percentile(idle, 50):.1f}, p95 {percentile(idle, 95):.1f} ms"
                    ),
                )
            )
    return out


async def run(work: Path) -> list[Result]:
    return results(await measure(work))

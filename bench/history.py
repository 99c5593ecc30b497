"""Section 1, history at scale: the calls the history browser makes, over 10,000 threads and
200,000 items, through HTTP with the token; the same server over the in-memory reference store
in the same run, for the ratios.

Each call is timed from sending the request to having read the whole body (the client's JSON
parsing is left out, the same for both stores), SAMPLES times after WARMUP untimed calls. The
SQLite app is measured first, then the reference is loaded from the same database (so both hold
the same threads and items) and measured the same way; the answers of the two are compared.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bench.dataset import Dataset, prepare
from bench.memory_store import MemoryStore
from bench.results import Result, percentile
from bench.server import App, model_server, running_app

SECTION = "history"
SAMPLES = 200
WARMUP = 20
HISTORY_P95_MS = 10.0
SEARCH_P95_MS = 50.0
RATIO_TARGET = 3.0
THREADS_PAGE = 30  # the history page's threads.list: 30, newest first
ITEMS_PAGE = 50


@dataclass(frozen=True)
class Call:
    metric: str  # the row's name, without ", p95"
    short: str  # for the ratio row
    type_: str | None = None  # a ChatKit request, or
    params: dict[str, Any] | None = None
    path: str | None = None  # a GET with `query`
    query: dict[str, str] | None = None
    note: str = ""


@dataclass
class Timing:
    samples: list[float]  # ms
    body: bytes  # the last answer, to compare and check

    @property
    def p50(self) -> float:
        return percentile(self.samples, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)


def _history_calls(ds: Dataset) -> list[Call]:
    f = ds.facts
    long_id = f.long_thread_id
    n_long = f"{f.long_thread_items:,}"
    return [
        Call(
            f"threads.list, first page ({THREADS_PAGE}, newest first)",
            "threads.list, first page",
            "threads.list",
            {"limit": THREADS_PAGE, "order": "desc"},
        ),
        Call(
            f"threads.list, page {f.depth:,} threads deep",
            "threads.list, deep page",
            "threads.list",
            {"limit": THREADS_PAGE, "order": "desc", "after": f.deep_after_id},
        ),
        Call(
            f"items.list, newest {ITEMS_PAGE} of the {n_long}-item thread",
            "items.list, newest page",
            "items.list",
            {"thread_id": long_id, "limit": ITEMS_PAGE, "order": "desc"},
        ),
        Call(
            f"items.list, middle page of the {n_long}-item thread",
            "items.list, middle page",
            "items.list",
            {
                "thread_id": long_id,
                "limit": ITEMS_PAGE,
                "order": "desc",
                "after": f.middle_item_id,
            },
        ),
        Call(
            f"threads.get_by_id, the {n_long}-item thread (with its first 20 items)",
            "threads.get_by_id",
            "threads.get_by_id",
            {"thread_id": long_id},
        ),
    ]


def _search_calls(ds: Dataset) -> list[Call]:
    f = ds.facts
    share = f.common_word_docs / f.searchable_docs
    return [
        Call(
            f"search, common word ('{f.common_word}', in {share:.0%} of indexed texts)",
            "search, common word",
            path="/api/search",
            query={"q": f.common_word},
            note=f"{f.common_word_docs:,} texts hold the word (searched as a prefix, as typed)",
        ),
        Call(
            f"search, rare word (in 1 of {f.searchable_docs:,} texts)",
            "search, rare word",
            path="/api/search",
            query={"q": f.rare_word},
            note="it is found (the one assistant message that holds it)",
        ),
    ]


async def _request(app: App, call: Call) -> bytes:
    if call.type_ is not None:
        body = json.dumps({"type": call.type_, "params": call.params})
        async with app.http.post(f"{app.base}/chatkit/api", data=body, headers=app.headers) as resp:
            data = await resp.read()
    else:
        async with app.http.get(
            f"{app.base}{call.path}", params=call.query, headers=app.headers
        ) as resp:
            data = await resp.read()
    if resp.status != 200:
        raise RuntimeError(f"{call.metric}: answered {resp.status}: {data[:300]!r}")
    return data


async def _measure(app: App, call: Call) -> Timing:
    for _ in range(WARMUP):
        await _request(app, call)
    samples = []
    body = b""
    for _ in range(SAMPLES):
        started = time.perf_counter()
        body = await _request(app, call)
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples, body)


def _check(ds: Dataset, call: Call, body: bytes) -> None:
    """The answers are the ones asked for (a fast wrong answer measures nothing)."""
    data = json.loads(body)
    f = ds.facts
    if call.type_ == "threads.list":
        assert len(data["data"]) == THREADS_PAGE and data["has_more"], call.metric
        ids = [thread["id"] for thread in data["data"]]
        assert f.deep_after_id not in ids, call.metric
    elif call.type_ == "items.list":
        assert data["data"] and all(i["thread_id"] == f.long_thread_id for i in data["data"])
        assert f.middle_item_id not in [i["id"] for i in data["data"]], call.metric
    elif call.type_ == "threads.get_by_id":
        assert data["id"] == f.long_thread_id and data["items"]["data"], call.metric
    elif call.query == {"q": f.rare_word}:
        hits = [(hit["thread_id"], hit["item_id"]) for hit in data["results"]]
        assert hits == [(f.rare_thread_id, f.rare_item_id)], hits
    else:
        assert len(data["results"]) == 20 and data["has_more"], call.metric


def _memory_opener(store: MemoryStore) -> Callable[[Path], Awaitable[Any]]:
    async def open_store(path: Path) -> MemoryStore:
        return store

    return open_store


async def _measure_memory(
    ds: Dataset, calls: list[Call], model_base_url: str, data_dir: Path
) -> tuple[dict[str, Timing], float]:
    """The same calls over the reference store, loaded from the same database; and how long
    loading it took."""
    loading = time.monotonic()
    store = MemoryStore.from_database(ds.database)
    assert (store.thread_count, store.item_count) == (ds.facts.threads, ds.facts.items)
    load_s = time.monotonic() - loading
    gc.collect()
    timings: dict[str, Timing] = {}
    # The server is typed for the SQLite store; these calls use only the SDK's Store API.
    opener = cast(Any, _memory_opener(store))
    async with running_app(data_dir, model_base_url, open_store=opener) as app:
        for call in calls:
            timings[call.metric] = await _measure(app, call)
            _check(ds, call, timings[call.metric].body)
    store.clear()
    return timings, load_s


async def run(work: Path) -> list[Result]:
    ds = await prepare(work / "sqlite")
    facts = ds.facts
    history = _history_calls(ds)
    searches = _search_calls(ds)
    sqlite: dict[str, Timing] = {}
    async with model_server() as model:
        gc.collect()
        async with running_app(work / "sqlite", model.base_url) as app:
            for call in history + searches:
                sqlite[call.metric] = await _measure(app, call)
                _check(ds, call, sqlite[call.metric].body)
        memory, load_s = await _measure_memory(ds, history, model.base_url, work / "memory")
        freeing = time.monotonic()
        gc.collect()  # the reference's 200,000 items: gone before the next section starts
        free_s = time.monotonic() - freeing

    results: list[Result] = []
    for call in history:
        s, m = sqlite[call.metric], memory[call.metric]
        same = "same answer" if s.body == m.body else "ANSWERS DIFFER"
        results.append(
            Result(
                SECTION,
                f"{call.metric}, p95",
                s.p95,
                "ms",
                HISTORY_P95_MS,
                f"p50 {s.p50:.2f} ms; in-memory p50 {m.p50:.2f} / p95 {m.p95:.2f} ms; n={SAMPLES}",
            )
        )
        results.append(
            Result(
                SECTION,
                f"{call.short} / in-memory p95",
                s.p95 / m.p95,
                "x",
                RATIO_TARGET,
                f"SQLite p95 {s.p95:.2f} ms / in-memory {m.p95:.2f} ms; p50 ratio "
                f"{s.p50 / m.p50:.2f}×; {same}",
            )
        )
    for call in searches:
        s = sqlite[call.metric]
        results.append(
            Result(
                SECTION,
                f"{call.metric}, p95",
                s.p95,
                "ms",
                SEARCH_P95_MS,
                f"p50 {s.p50:.2f} ms; first page of 20; {call.note}; n={SAMPLES}",
            )
        )
    source = (
        f"cached, copied in {ds.seconds:.1f} s"
        if ds.from_cache
        else f"generated in {ds.seconds:.0f} s"
    )
    results.append(
        Result(
            SECTION,
            "database bytes per 1,000 items (history dataset)",
            facts.db_bytes / facts.items * 1000,
            "bytes",
            None,
            f"{facts.db_bytes / 1e6:,.0f} MB for {facts.threads:,} threads and "
            f"{facts.items:,} items, search index included; {source}; "
            f"in-memory store loaded in {load_s:.1f} s (freed in {free_s:.1f} s)",
        )
    )
    return results

"""The history section's dataset and reference store, at a small scale: the numbers in
BENCHMARKS.md mean something only if the generated database holds what its facts claim and the
in-memory reference answers exactly as the SQLite store does."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest

from bench import dataset
from bench.history import _check, _history_calls, _memory_opener, _request, _search_calls
from bench.memory_store import MemoryStore
from bench.server import model_server, running_app

pytestmark = pytest.mark.slow  # the generator runs in a child process

# The deep page (after `depth` threads) must be a full page of 30 away from the first.
SMALL = dataset.Spec(threads=100, items=1_500, long_thread_items=150, depth=40)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of its own: the real one holds the half-gigabyte database of the full spec."""
    path = tmp_path / "cache"
    monkeypatch.setattr(dataset, "CACHE_DIR", path)
    return path


async def test_the_generated_database_holds_what_its_facts_say(cache: Path, tmp_path: Path) -> None:
    ds = await dataset.prepare(tmp_path / "run1", SMALL)
    f = ds.facts
    assert not ds.from_cache
    assert (f.threads, f.items, f.long_thread_items) == (100, 1_500, 150)
    assert sum(f.items_by_type.values()) == 1_500
    # Mixed types, as the issue asks: messages and more than messages.
    assert {"user_message", "assistant_message"} <= set(f.items_by_type)
    assert len(f.items_by_type) >= 4
    with sqlite3.connect(ds.database) as db:
        (long_items,) = db.execute(
            "SELECT count(*) FROM items WHERE thread_id = ?", (f.long_thread_id,)
        ).fetchone()
        (rare_data,) = db.execute(
            "SELECT data FROM items WHERE id = ?", (f.rare_item_id,)
        ).fetchone()
        (with_rare,) = db.execute(
            "SELECT count(*) FROM items WHERE data LIKE ?", (f"%{f.rare_word}%",)
        ).fetchone()
    db.close()
    assert long_items == 150
    assert f.rare_word in rare_data and with_rare == 1
    assert 0 < f.common_word_docs < f.searchable_docs

    again = await dataset.prepare(tmp_path / "run2", SMALL)
    assert again.from_cache and again.facts == f
    assert again.database.read_bytes() == ds.database.read_bytes()


async def test_the_reference_store_answers_exactly_as_sqlite_does(
    cache: Path, tmp_path: Path
) -> None:
    ds = await dataset.prepare(tmp_path / "sqlite", SMALL)
    calls = _history_calls(ds)
    reference = MemoryStore.from_database(ds.database)
    assert (reference.thread_count, reference.item_count) == (100, 1_500)
    answers: dict[str, list[bytes]] = {}
    async with model_server() as model:
        async with running_app(tmp_path / "sqlite", model.base_url) as app:
            for call in [*calls, *_search_calls(ds)]:
                body = await _request(app, call)
                _check(ds, call, body)  # the page asked for, the rare word found once
                answers.setdefault(call.metric, []).append(body)
        opener = cast(Any, _memory_opener(reference))
        async with running_app(tmp_path / "memory", model.base_url, opener) as app:
            for call in calls:
                answers[call.metric].append(await _request(app, call))
    reference.clear()
    for call in calls:
        sqlite_body, memory_body = answers[call.metric]
        assert sqlite_body == memory_body, call.metric

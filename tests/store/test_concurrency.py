"""Many tasks at once on one store, and a second store on the same file (the CLI beside the app)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from chatkit_desktop.store.sqlite_store import SQLiteStore
from tests.store.helpers import (
    ALICE,
    BOB,
    T0,
    all_item_ids,
    all_thread_ids,
    assistant_message,
    count,
    thread,
    user_message,
)

THREADS = [f"thr_{n}" for n in range(5)]
WRITERS = 50
ITEMS_PER_WRITER = 8


def assert_no_duplicates(ids: list[str]) -> None:
    assert len(ids) == len(set(ids)), f"duplicates in {ids}"


async def test_fifty_writers_and_readers_at_once(store: SQLiteStore, db_path: Path) -> None:
    for tid in THREADS:
        await store.save_thread(thread(tid), ALICE)
    written: dict[str, list[str]] = defaultdict(list)  # per thread, in each writer's order
    by_writer: dict[int, list[str]] = defaultdict(list)
    done = asyncio.Event()

    async def writer(w: int) -> None:
        tid = THREADS[w % len(THREADS)]
        for k in range(ITEMS_PER_WRITER):
            item_id = f"msg_w{w:02d}_{k}"
            # Every item of the run shares one timestamp: order rests on insertion alone.
            await store.add_thread_item(tid, assistant_message(tid, item_id, f"{w}/{k}", T0), ALICE)
            written[tid].append(item_id)
            by_writer[w].append(item_id)
            await asyncio.sleep(0)

    async def reader(r: int) -> int:
        walks = 0
        tid = THREADS[r % len(THREADS)]
        while not done.is_set() or walks == 0:
            order = "asc" if walks % 2 == 0 else "desc"
            ids = await all_item_ids(store, tid, ALICE, limit=1 + r % 4, order=order)
            assert_no_duplicates(ids)
            assert all(i.startswith("msg_w") for i in ids)
            assert len(await all_thread_ids(store, ALICE, limit=2, order="desc")) == len(THREADS)
            walks += 1
        return walks

    async def writers() -> None:
        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        done.set()

    results = await asyncio.wait_for(
        asyncio.gather(writers(), *(reader(r) for r in range(10))), timeout=60
    )

    assert all(walks >= 1 for walks in results[1:])
    total = WRITERS * ITEMS_PER_WRITER
    assert count(db_path, "SELECT COUNT(*) FROM items") == total
    for tid in THREADS:
        asc = await all_item_ids(store, tid, ALICE, limit=7, order="asc")
        # Stored order is exactly the order the writes completed in.
        assert asc == written[tid]
        assert await all_item_ids(store, tid, ALICE, limit=7, order="desc") == asc[::-1]
    for w, ids in by_writer.items():
        tid = THREADS[w % len(THREADS)]
        asc = await all_item_ids(store, tid, ALICE, limit=50, order="asc")
        positions = [asc.index(i) for i in ids]
        assert positions == sorted(positions), f"writer {w}'s items out of order"
    assert await store.integrity_check() == "ok"


async def test_concurrent_writers_with_distinct_times_sort_by_time(store: SQLiteStore) -> None:
    await store.save_thread(thread("thr_t"), ALICE)

    async def write(n: int) -> None:
        stamp = T0 + timedelta(milliseconds=n)
        await store.add_thread_item(
            "thr_t", user_message("thr_t", f"msg_{n:03d}", "x", stamp), ALICE
        )

    # Submitted newest first, all at once.
    await asyncio.gather(*(write(n) for n in reversed(range(60))))

    expected = [f"msg_{n:03d}" for n in range(60)]
    assert await all_item_ids(store, "thr_t", ALICE, limit=9, order="asc") == expected


async def test_concurrent_thread_creation_by_two_users(store: SQLiteStore) -> None:
    async def create(user: int, n: int) -> None:
        context = ALICE if user == 0 else BOB
        tid = f"thr_u{user}_{n:02d}"
        await store.save_thread(thread(tid), context)
        await store.add_thread_item(tid, user_message(tid, "msg_1", tid), context)

    await asyncio.gather(*(create(u, n) for u in (0, 1) for n in range(25)))

    alice = await all_thread_ids(store, ALICE, limit=4, order="asc")
    bob = await all_thread_ids(store, BOB, limit=4, order="asc")
    assert sorted(alice) == [f"thr_u0_{n:02d}" for n in range(25)]
    assert sorted(bob) == [f"thr_u1_{n:02d}" for n in range(25)]


async def test_second_store_on_the_same_file_reads_and_writes_alongside(db_path: Path) -> None:
    app = await SQLiteStore.open(db_path)
    cli = None
    try:
        await app.save_thread(thread("thr_app"), ALICE)
        await app.add_thread_item("thr_app", user_message("thr_app", "msg_0", "before"), ALICE)

        cli = await SQLiteStore.open(db_path)
        assert [t.id for t in (await cli.load_threads(10, None, "asc", ALICE)).data] == ["thr_app"]

        async def app_writes() -> None:
            for n in range(1, 41):
                await app.add_thread_item(
                    "thr_app",
                    user_message("thr_app", f"msg_{n}", str(n), T0 + timedelta(seconds=n)),
                    ALICE,
                )

        async def cli_reads() -> None:
            for _ in range(40):
                ids = await all_item_ids(cli, "thr_app", ALICE, limit=3, order="asc")
                assert_no_duplicates(ids)
                assert ids == sorted(ids, key=lambda i: int(i.split("_")[1]))

        async def cli_writes() -> None:
            for n in range(20):
                await cli.save_thread(thread(f"thr_cli_{n:02d}", T0 + timedelta(days=1)), ALICE)

        await asyncio.wait_for(asyncio.gather(app_writes(), cli_reads(), cli_writes()), timeout=60)

        # Each side sees everything the other committed, without reopening.
        expected = [f"msg_{n}" for n in range(41)]
        assert await all_item_ids(cli, "thr_app", ALICE, limit=10, order="asc") == expected
        listed = await all_thread_ids(app, ALICE, limit=5, order="asc")
        assert listed == ["thr_app"] + [f"thr_cli_{n:02d}" for n in range(20)]
        assert await cli.integrity_check() == "ok"
    finally:
        if cli is not None:
            await cli.close()
        await app.close()


async def test_two_stores_opening_a_fresh_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    first, second, *others = await asyncio.gather(*(SQLiteStore.open(path) for _ in range(4)))
    try:
        await first.save_thread(thread("thr_1"), ALICE)
        assert (await second.load_thread("thr_1", ALICE)).id == "thr_1"
        assert await second.schema_version() == second.latest_schema_version
        versions = count(path, "SELECT COUNT(*) FROM _migrations")
        assert versions == second.latest_schema_version
    finally:
        for store in (first, second, *others):
            await store.close()


async def test_every_read_sees_the_writes_committed_before_it(store: SQLiteStore) -> None:
    """Read-your-writes under load: a turn must load the history with the message it has just
    saved, however many other reads share the reader connection at that moment."""
    import asyncio

    from tests.store.helpers import ALICE, at, thread, user_message

    for n in range(20):
        await store.save_thread(thread(f"thr_{n}", at(n)), ALICE)

    async def turn(n: int) -> None:
        for k in range(15):
            item_id = f"msg_{n}_{k}"
            await store.add_thread_item(
                f"thr_{n}", user_message(f"thr_{n}", item_id, "hello", at(100 + k)), ALICE
            )
            page = await store.load_thread_items(f"thr_{n}", None, 100, "asc", ALICE)
            assert item_id in [i.id for i in page.data], (n, k)

    async def browse() -> None:
        for _ in range(150):
            await store.load_threads(5, None, "desc", ALICE)
            await store.load_thread("thr_0", ALICE)

    await asyncio.gather(*(turn(n) for n in range(20)), *(browse() for _ in range(4)))

"""`chatkit-desktop search|export|import|backup` as a user runs them.

Most tests call the command line's `main()` in this process (the same code path as the console
script, minus the interpreter start); the last ones run real processes beside a running
`serve`, because "safe while the app runs" is a claim about two processes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from chatkit_desktop.cli.main import main
from chatkit_desktop.context import RequestContext
from chatkit_desktop.store.sqlite_store import SQLiteStore
from chatkit_desktop.testing.openai_server import Reply
from tests.store.helpers import (
    assistant_message,
    at,
    file_attachment,
    thread,
    user_message,
)
from tests.support.chatkit_client import parse_sse, user_input
from tests.support.processes import run_cli, serve_env, start_serve

LOCAL = RequestContext()


async def seed(data_dir: Path) -> None:
    store = await SQLiteStore.open(data_dir / "chatkit-desktop.sqlite3")
    try:
        await store.save_thread(thread("thr_lyon", at(0), title="Trip to Lyon"), LOCAL)
        await store.add_thread_item(
            "thr_lyon", user_message("thr_lyon", "msg_q", "Where do I eat?", at(1)), LOCAL
        )
        await store.add_thread_item(
            "thr_lyon",
            assistant_message("thr_lyon", "msg_a", "Try a bouchon near the Saône.", at(2)),
            LOCAL,
        )
        await store.save_thread(thread("thr_other", at(3), title="Groceries"), LOCAL)
        # As the SDK does it: the attachment rides on the user message, its row on the thread.
        attachment = file_attachment("atc_1", thread_id="thr_other")
        message = user_message("thr_other", "msg_g", "milk, eggs", at(4))
        message.attachments = [attachment]
        await store.add_thread_item("thr_other", message, LOCAL)
        await store.save_attachment(attachment, LOCAL)
    finally:
        await store.close()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    asyncio.run(seed(data_dir))
    return data_dir


def snapshot(db_path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as db:
        rows = []
        for table in ("threads", "items", "attachments", "search_docs"):
            rows += [(table, *r) for r in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]  # noqa: S608
    return rows


def test_search_prints_ranked_results_with_their_place(library: Path, capsys) -> None:
    assert main(["search", "--data-dir", str(library), "SAONE"]) == 0
    out = capsys.readouterr().out
    assert "Trip to Lyon" in out and "thr_lyon msg_a" in out and "bouchon near the Saône" in out

    assert main(["search", "--data-dir", str(library), "--json", "bouchon"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["thread_id"], r["item_id"], r["kind"]) for r in records] == [
        ("thr_lyon", "msg_a", "assistant")
    ]
    assert [s["text"] for s in records[0]["snippet"] if s["match"]] == ["bouchon"]


def test_search_with_no_match_or_hostile_words_says_so(library: Path, capsys) -> None:
    for query in ("nothing-like-this", '"(', "*", "((zzz", "-"):
        assert main(["search", "--data-dir", str(library), query]) == 0
        captured = capsys.readouterr()
        assert captured.out == "" and "No matches" in captured.err
    # FTS syntax is just words: `NEAR(` finds the word "near", not a syntax error.
    assert main(["search", "--data-dir", str(library), "NEAR("]) == 0
    assert "bouchon near the Saône" in capsys.readouterr().out


def test_export_markdown_json_and_jsonl(library: Path, tmp_path: Path, capsys) -> None:
    assert main(["export", "thr_lyon", "--format", "md", "--data-dir", str(library)]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Trip to Lyon") and md.index("Where do I eat?") < md.index("bouchon")

    out = tmp_path / "one.json"
    assert (
        main(["export", "thr_lyon", "--format", "json", "-o", str(out), "--data-dir", str(library)])
        == 0
    )
    exported = json.loads(out.read_text())
    assert exported["id"] == "thr_lyon"
    assert [i["id"] for i in exported["items"]["data"]] == ["msg_q", "msg_a"]

    assert main(["export", "--format", "jsonl", "--data-dir", str(library)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["thr_lyon", "thr_other"]


def test_export_mistakes_are_explained(library: Path, capsys) -> None:
    assert main(["export", "thr_nope", "--format", "json", "--data-dir", str(library)]) == 1
    assert "no thread thr_nope" in capsys.readouterr().err
    assert main(["export", "--format", "md", "--data-dir", str(library)]) == 2
    assert "THREAD_ID" in capsys.readouterr().err
    assert main(["export", "thr_lyon", "--format", "jsonl", "--data-dir", str(library)]) == 2


def test_round_trip_into_a_fresh_library_and_twice_adds_nothing(
    library: Path, tmp_path: Path, capsys
) -> None:
    file = tmp_path / "all.jsonl"
    assert main(["export", "--format", "jsonl", "-o", str(file), "--data-dir", str(library)]) == 0
    fresh = tmp_path / "fresh"

    assert main(["import", str(file), "--data-dir", str(fresh)]) == 0
    assert "Imported 2 new thread(s) and 3 item(s)" in capsys.readouterr().err
    original = snapshot(library / "chatkit-desktop.sqlite3")
    copy = snapshot(fresh / "chatkit-desktop.sqlite3")
    # Same threads, items, attachment rows and search entries (rowids and seqs aside).
    assert {r[:1] + r[2:] for r in copy if r[0] != "search_docs"} == {
        r[:1] + r[2:] for r in original if r[0] != "search_docs"
    }

    assert main(["import", str(file), "--data-dir", str(fresh)]) == 0
    assert "Imported 0 new thread(s) and 0 item(s)" in capsys.readouterr().err
    assert snapshot(fresh / "chatkit-desktop.sqlite3") == copy
    assert main(["search", "--data-dir", str(fresh), "--json", "bouchon"]) == 0
    assert json.loads(capsys.readouterr().out)["item_id"] == "msg_a"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "line 1: the file is empty"),
        ('{"id": "thr_x"}\n', "line 1"),
        ("GOOD\n{not json\n", "line 2: not valid JSON"),
        ("42\n", "line 1: expected a thread"),
    ],
)
def test_a_malformed_file_imports_nothing_and_names_the_line(
    library: Path, tmp_path: Path, capsys, content: str, words: str
) -> None:
    good = tmp_path / "good.json"
    assert (
        main(
            ["export", "thr_lyon", "--format", "json", "-o", str(good), "--data-dir", str(library)]
        )
        == 0
    )
    capsys.readouterr()
    line = json.dumps(json.loads(good.read_text())).replace("thr_lyon", "thr_new")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content.replace("GOOD", line))
    before = snapshot(library / "chatkit-desktop.sqlite3")

    assert main(["import", str(bad), "--data-dir", str(library)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Nothing was imported" in err and "Traceback" not in err
    assert snapshot(library / "chatkit-desktop.sqlite3") == before


def test_backup_refuses_a_non_empty_destination(library: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "full"
    target.mkdir()
    (target / "precious.txt").write_text("keep")
    assert main(["backup", str(target), "--data-dir", str(library)]) == 1
    assert "not an empty directory" in capsys.readouterr().err
    assert (target / "precious.txt").read_text() == "keep"


def test_commands_on_a_missing_library_say_so(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "none"
    assert main(["search", "x", "--data-dir", str(empty)]) == 1
    assert "No conversations yet" in capsys.readouterr().err
    assert main(["backup", str(tmp_path / "b"), "--data-dir", str(empty)]) == 1
    assert "no database" in capsys.readouterr().err


@pytest.mark.slow
async def test_backup_and_search_while_the_app_runs(tmp_path: Path, openai_server) -> None:
    scripted, base_url = openai_server
    data_dir = tmp_path / "data"
    served = await start_serve(data_dir, serve_env(base_url))
    try:
        headers = {"Authorization": f"Bearer {served.token}", "Content-Type": "application/json"}
        url = f"http://127.0.0.1:{served.port}/chatkit/api"
        async with aiohttp.ClientSession() as http:

            async def turn(text: str) -> None:
                scripted.queue(Reply(text=f"answer about {text}"))
                body = {"type": "threads.create", "params": {"input": user_input(text)}}
                async with http.post(url, data=json.dumps(body), headers=headers) as resp:
                    assert resp.status == 200
                    assert parse_sse(await resp.text())

            await turn("capybara")
            # Keep writing while the backup runs in another process.
            writer = asyncio.gather(*(turn(f"ocelot {n}") for n in range(5)))
            backup = await asyncio.to_thread(
                run_cli, "backup", str(tmp_path / "bk"), "--data-dir", str(data_dir)
            )
            await writer
        assert backup.returncode == 0, backup.stderr
        found = await asyncio.to_thread(
            run_cli, "search", "capybara", "--json", "--data-dir", str(tmp_path / "bk")
        )
    finally:
        assert await served.stop(signal.SIGTERM) == 0
    assert found.returncode == 0, found.stderr
    kinds = sorted(json.loads(line)["kind"] for line in found.stdout.splitlines())
    assert kinds == ["assistant", "title", "user"]
    with sqlite3.connect(tmp_path / "bk" / "chatkit-desktop.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

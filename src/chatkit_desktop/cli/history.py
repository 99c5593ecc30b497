"""`chatkit-desktop search|export|import|backup`: the history from a terminal.

These open the same database as the app (SQLite in WAL mode lets them run beside it; writes
wait their turn) and do no work of their own: search, export, import and backup live in the
store. Results go to standard output, messages to standard error, so output can be piped.

Exit codes: 0 done, 1 the request could not be met (unknown thread, malformed file, backup
refused), 3 the database cannot be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from chatkit_desktop.context import RequestContext
from chatkit_desktop.settings.paths import DataPaths

if TYPE_CHECKING:
    from chatkit_desktop.store.search import SearchHit
    from chatkit_desktop.store.sqlite_store import SQLiteStore

EXIT_FAILED = 1
EXIT_STORE = 3


def add_history_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    search = subparsers.add_parser(
        "search",
        parents=list(parents),
        help="search every conversation (offline)",
        description=(
            "Search thread titles and message text, best matches first. Words are matched as "
            "typed (case and accents ignored; the last word also as a prefix); a pair of double "
            "quotes keeps a phrase together."
        ),
    )
    search.add_argument("query", nargs="+", metavar="WORDS")
    search.add_argument("--limit", type=int, default=20, help="at most this many (1-100)")
    search.add_argument("--json", action="store_true", help="one JSON object per result")

    export = subparsers.add_parser(
        "export",
        parents=list(parents),
        help="export a thread (md, json) or every thread (jsonl)",
        description=(
            "Export one thread as Markdown or ChatKit Thread JSON, or every thread (not the "
            "trash) as JSONL, one thread per line. JSON and JSONL can be imported again."
        ),
    )
    export.add_argument("thread_id", nargs="?", metavar="THREAD_ID")
    export.add_argument("--format", choices=("md", "json", "jsonl"), required=True)
    export.add_argument("-o", "--output", type=Path, help="write here instead of stdout")

    import_ = subparsers.add_parser(
        "import",
        parents=list(parents),
        help="import threads from a JSON or JSONL export",
        description=(
            "Re-create threads from an export (ids, order, timestamps, attachment metadata). "
            "Threads and items already present are left as they are, so importing twice adds "
            "nothing. A malformed file is refused as a whole, naming the line and the reason."
        ),
    )
    import_.add_argument("file", type=Path, metavar="FILE")

    backup = subparsers.add_parser(
        "backup",
        parents=list(parents),
        help="copy the database and attachments (safe while the app runs)",
        description=(
            "Write a consistent copy of the database and the attachment files into PATH, a new "
            "(or empty) directory. Safe while the app is running."
        ),
    )
    backup.add_argument("path", type=Path, metavar="PATH")


def _say(message: str) -> None:
    print(message, file=sys.stderr)


async def _with_store(
    paths: DataPaths, work: Callable[[SQLiteStore], Awaitable[int]], *, create: bool = False
) -> int:
    from chatkit_desktop.store.errors import SchemaTooNewError
    from chatkit_desktop.store.sqlite_store import SQLiteStore

    if not create and not paths.database.exists():
        _say(f"No conversations yet: there is no database at {paths.database}.")
        return EXIT_FAILED
    try:
        store = await SQLiteStore.open(paths.database)
    except SchemaTooNewError as exc:
        _say(str(exc))
        return EXIT_STORE
    except Exception as exc:  # a damaged or unreadable file: say so, no traceback
        _say(f"Could not open the database {paths.database}: {exc}")
        return EXIT_STORE
    try:
        return await work(store)
    finally:
        await store.close()


def _snippet_text(hit: SearchHit, emphasise: bool) -> str:
    if not emphasise:
        return "".join(segment.text for segment in hit.snippet)
    return "".join(
        f"\x1b[1m{segment.text}\x1b[0m" if segment.match else segment.text
        for segment in hit.snippet
    )


def _print_hit(hit: SearchHit, out: TextIO, emphasise: bool) -> None:
    when = hit.created_at.strftime("%Y-%m-%d %H:%M")
    title = hit.thread_title or "Untitled"
    where = hit.thread_id if hit.item_id is None else f"{hit.thread_id} {hit.item_id}"
    out.write(f"{title} · {when} · {hit.kind}\n  {where}\n  {_snippet_text(hit, emphasise)}\n\n")


def _run_search(args: argparse.Namespace) -> Callable[[SQLiteStore], Awaitable[int]]:
    async def work(store: SQLiteStore) -> int:
        query = " ".join(args.query)
        if not 1 <= args.limit <= 100:
            _say("--limit must be between 1 and 100.")
            return 2
        page = await store.search.query(query, RequestContext(), limit=args.limit)
        out = sys.stdout
        if args.json:
            for hit in page.hits:
                record = {
                    "thread_id": hit.thread_id,
                    "item_id": hit.item_id,
                    "kind": hit.kind,
                    "thread_title": hit.thread_title,
                    "created_at": hit.created_at.isoformat(),
                    "snippet": [{"text": s.text, "match": s.match} for s in hit.snippet],
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            return 0
        if not page.hits:
            _say(f"No matches for {query!r}.")
            return 0
        emphasise = out.isatty()
        for hit in page.hits:
            _print_hit(hit, out, emphasise)
        if page.has_more:
            _say(f"More than {args.limit} matches; use --limit to see more.")
        return 0

    return work


def _run_export(args: argparse.Namespace) -> Callable[[SQLiteStore], Awaitable[int]]:
    async def work(store: SQLiteStore) -> int:
        from chatkit.store import NotFoundError

        from chatkit_desktop.store.thread_markdown import thread_markdown

        context = RequestContext()
        if args.format == "jsonl":
            if args.thread_id:
                _say("--format jsonl exports every thread; leave out THREAD_ID.")
                return 2
            lines = [t.model_dump_json() + "\n" async for t in store.archive.export_all(context)]
            text = "".join(lines)
            count = len(lines)
        else:
            if not args.thread_id:
                _say(f"--format {args.format} exports one thread: give its THREAD_ID.")
                return 2
            try:
                thread = await store.archive.export_thread(args.thread_id, context)
            except NotFoundError:
                _say(f"There is no thread {args.thread_id} (it may be in the trash).")
                return EXIT_FAILED
            if args.format == "md":
                text = thread_markdown(thread)
            else:
                text = thread.model_dump_json(indent=2) + "\n"
            count = 1
        if args.output is None:
            sys.stdout.write(text)
        else:
            await asyncio.to_thread(_write_atomically, args.output, text)
            _say(f"Exported {count} thread{'s' if count != 1 else ''} to {args.output}.")
        return 0

    return work


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _run_import(args: argparse.Namespace) -> Callable[[SQLiteStore], Awaitable[int]]:
    async def work(store: SQLiteStore) -> int:
        from chatkit_desktop.store.archive import (
            ImportConflictError,
            ImportFormatError,
            parse_export,
        )

        try:
            text = await asyncio.to_thread(args.file.read_text, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _say(f"Could not read {args.file}: {exc}")
            return EXIT_FAILED
        try:
            threads = parse_export(text)
            report = await store.archive.import_threads(threads, RequestContext())
        except ImportFormatError as exc:
            _say(f"{args.file}, {exc}. Nothing was imported.")
            return EXIT_FAILED
        except ImportConflictError as exc:
            _say(f"{exc} Nothing was imported.")
            return EXIT_FAILED
        _say(
            f"Imported {report.threads_added} new thread(s) and {report.items_added} item(s); "
            f"{report.threads_present} thread(s) and {report.items_present} item(s) were "
            "already here."
        )
        return 0

    return work


def run_history_command(args: argparse.Namespace) -> int:
    paths = DataPaths.for_data_dir(args.data_dir)
    if args.command == "backup":
        return _run_backup(paths, args.path)
    work = {"search": _run_search, "export": _run_export, "import": _run_import}[args.command]
    return asyncio.run(_with_store(paths, work(args), create=args.command == "import"))


def _run_backup(paths: DataPaths, destination: Path) -> int:
    from chatkit_desktop.store.backup import BackupError, back_up_sync

    try:
        report = back_up_sync(paths.database, paths.attachments, destination)
    except BackupError as exc:
        _say(str(exc))
        return EXIT_FAILED
    except Exception as exc:  # a full disk, a damaged database: in words, no traceback
        _say(f"The backup failed: {exc}")
        return EXIT_FAILED
    _say(
        f"Backed up the database ({report.database_bytes:,} bytes) and "
        f"{report.attachment_files} attachment file(s) to {report.path}."
        + (
            f" {report.missing_files} attachment file(s) were already missing."
            if report.missing_files
            else ""
        )
    )
    return 0

"""The history benchmark's database: 10,000 threads, 200,000 items, one thread of 5,000.

Generated once through the app's own write path (`store.archive.import_threads`: rows, search
index and all) and cached in `bench/.cache/`, keyed by GENERATOR_VERSION, the parameters and the
schema version; each run copies the cached file into its work directory, since runs write.
Bump GENERATOR_VERSION whenever the generated content changes.

What it holds, deterministically from one seed:
- Text drawn from a Zipf-like word distribution (a few hundred real words at the top, a long
  tail of made-up words), so the search index has a natural shape: user messages of 5-60 words;
  assistant answers of 30-400 words in Markdown paragraphs, with bullet lists, headings, bold
  words and, in some, a fenced code block.
- Mixed item types, turn by turn: mostly user and assistant messages, plus workflows, tasks,
  client tool calls, widgets, hidden context (cancelled answers) and end-of-turn markers.
- One common word (COMMON_WORD, ranked among the most frequent words) and one rare word
  (RARE_WORD) that occurs in exactly one assistant message and nowhere else.
- Strictly increasing timestamps: threads by creation, items within each thread, so every
  store orders them identically (no ties for the tie-breaks to disagree on).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import multiprocessing
import os
import random
import shutil
import sqlite3
import time
from array import array
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Empty
from typing import Any

GENERATOR_VERSION = 1
CACHE_DIR = Path(__file__).resolve().parent / ".cache"
DATABASE_NAME = "chatkit-desktop.sqlite3"  # DataPaths.database's file name

COMMON_WORD = "data"
RARE_WORD = "zephyrquill"
_COMMON_RANK = 12  # COMMON_WORD's rank in the vocabulary (1-based)

# The most frequent words first (roughly English frequency order, with a chat about software
# and everyday questions). COMMON_WORD is put at _COMMON_RANK below.
_TOP_WORDS = """
the to and a of is in it you that for this with be on can i are as or your not have if
will use an at by from what we but so all do how more one there about when which they
would like need some was get other also time make new just then should only any these its
file code first my here each see into up out way example set value function could than
them our well work because may want run user list add help using over change check used
test find name type number system two call point good error return model version page
line start write key server default part same back local does case text after through
most people thing sure note both step before string result create different output thread
app table read update open while look where keep class might query item option question
answer search message even next right problem much own end long very without such method
format input config path build field last small project think know object state since
between many already request give still simple store show less every order current
support word access via something level source similar api easy day year week morning
plan trip idea book music recipe dinner garden weather travel budget health review draft
email meeting report schedule summary paper chapter story friend family city train
flight hotel price cost market energy water coffee school course lesson language history
science
""".split()  # noqa: SIM905 - a paragraph of words reads better than 250 quoted strings

_CODE_LANGS = ("python", "javascript", "sql", "bash", "rust", "json")


def _vocabulary(seed: int) -> tuple[list[str], list[float]]:
    """(words, cumulative Zipf-Mandelbrot weights): the top words, then ~30,000 made-up ones."""
    rng = random.Random(seed * 7919 + 1)  # noqa: S311 - test data, not secrets
    top = list(dict.fromkeys(_TOP_WORDS))
    if COMMON_WORD in top:
        top.remove(COMMON_WORD)
    top.insert(_COMMON_RANK - 1, COMMON_WORD)
    seen = set(top)
    consonants = "bcdfghklmnprstvw"
    vowels = "aeiou"
    # Open syllables three times as often as closed ones: words of 2-12 letters, most 4-7.
    syllables = [c + v for c in consonants for v in vowels] * 12 + [
        c + v + e for c in consonants for v in vowels for e in "nrst"
    ]
    tail: list[str] = []
    while len(tail) < 30_000:
        word = "".join(rng.choices(syllables, k=rng.choice((1, 2, 2, 2, 3, 3, 4))))
        if len(word) >= 3 and word not in seen:
            seen.add(word)
            tail.append(word)
    words = top + tail
    assert not any(w.startswith(RARE_WORD[:6]) for w in words)
    weights = [1.0 / (rank + 2.7) ** 1.05 for rank in range(1, len(words) + 1)]
    return words, list(itertools.accumulate(weights))


# The word table: 256 Ki slots, each word's share in proportion to its weight (a bigger table
# misses the CPU cache on every draw: twice as slow).
_TABLE_BITS = 18


def _word_table(words: list[str], cum: list[float]) -> list[str]:
    """Each word repeated in proportion to its weight, so a draw is one random index."""
    size = 1 << _TABLE_BITS
    table: list[str] = []
    before = 0
    for word, upto in zip(words, cum, strict=True):
        slots = round(upto / cum[-1] * size)
        table.extend(itertools.repeat(word, slots - before))
        before = slots
    assert len(table) == size
    return table


# Sentence lengths (5-19 words) and where commas go, cycled through from a random start: the
# text needs their variety, not fresh random numbers for each sentence.
_LENGTHS = [5 + (i * 7919 + i * i * 31) % 15 for i in range(997)]
_COMMAS = [(i * 104_729) % 7 == 0 for i in range(991)]


class _Writer:
    """Natural-language-like text, fast: a message's words are one batch of random bytes, each
    four of them indexing the word table."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.words, cum = _vocabulary(seed)
        self.table = _word_table(self.words, cum)
        self.idents = self.words[:400]

    def draw(self, n: int) -> list[str]:
        table = self.table
        shift = 32 - _TABLE_BITS
        return [table[i >> shift] for i in array("I", self.rng.randbytes(4 * n))]

    def sentences(self, words: list[str]) -> str:
        """The words as sentences: capitalised, some commas, full stops, a few questions."""
        rng = self.rng
        start = int(rng.random() * 997)
        i, n, s = 0, len(words), start
        last = n - 1
        while i < n:
            words[i] = words[i].capitalize()
            end = min(i + _LENGTHS[s % 997], n) - 1
            if _COMMAS[s % 991] and end - i > 4:
                words[i + 2] += ","
            words[end] += "?" if s % 13 == 0 else "."
            i = end + 1
            s += 1
        if last >= 0 and not words[last].endswith((".", "?")):
            words[last] += "."
        return " ".join(words)

    def title(self) -> str:
        words = self.draw(2 + int(self.rng.random() * 5))
        words[0] = words[0].capitalize()
        return " ".join(words)

    def user_text(self) -> str:
        n = min(60, max(5, int(self.rng.lognormvariate(2.9, 0.6))))
        return self.sentences(self.draw(n))

    def assistant_text(self, extra: str | None = None) -> str:
        """30-400 words of Markdown; `extra` (the rare word) goes into the first paragraph."""
        rng = self.rng
        n = min(400, max(30, int(rng.lognormvariate(4.8, 0.6))))
        words = self.draw(n)
        if extra is not None:
            words.insert(min(10, len(words) // 3), extra)
        blocks: list[str] = []
        i = 0
        if n > 120 and rng.random() < 0.25:
            blocks.append("## " + " ".join(words[:4]).capitalize())
            i = 4
        want_list = rng.random() < 0.35
        want_code = rng.random() < 0.15
        while i < len(words):
            k = 25 + int(rng.random() * 50)
            chunk = words[i : i + k]
            i += k
            if rng.random() < 0.2:
                j = int(rng.random() * len(chunk))
                chunk[j] = f"**{chunk[j]}**"
            if want_list and len(blocks) == 1:
                per = max(3, len(chunk) // 4)
                blocks.append(
                    "\n".join(
                        "- " + self.sentences(chunk[p : p + per]) for p in range(0, len(chunk), per)
                    )
                )
            else:
                blocks.append(self.sentences(chunk))
            if want_code and len(blocks) == 2:
                blocks.append(self.code())
        return "\n\n".join(blocks)

    def code(self) -> str:
        rng = self.rng
        lang = rng.choice(_CODE_LANGS)
        lines = []
        for _ in range(3 + int(rng.random() * 12)):
            a, b, c, d = rng.choices(self.idents, k=4)
            n = int(rng.random() * 100)
            lines.append(
                rng.choice(
                    (
                        f"def {a}_{b}({c}, {d}):",
                        f"    return {a}.{b}({c})",
                        f"{a}_{b} = {c}({d}, {n})",
                        f"for {a} in {b}_{c}:",
                        f"    if {a} > {n}:",
                        f"import {a}",
                        f"const {a}{b.capitalize()} = await {c}({d});",
                        f"SELECT {a}, {b} FROM {c} WHERE {d} = {n};",  # noqa: S608 - text, not a query
                        f"# {a} {b} {c} {d}",
                    )
                )
            )
        return f"```{lang}\n" + "\n".join(lines) + "\n```"


@dataclass(frozen=True)
class Spec:
    """What to generate; the cache key is made of these and GENERATOR_VERSION."""

    seed: int = 6
    threads: int = 10_000  # the long thread included
    items: int = 200_000  # the long thread's included
    long_thread_items: int = 5_000
    depth: int = 5_000  # threads.list's deep page starts after this many threads

    @property
    def key(self) -> str:
        # The schema version too: a database made before a migration would be migrated (and
        # backed up, half a gigabyte) on every run.
        from chatkit_desktop.store.migrations import LATEST_VERSION

        return (
            f"history-v{GENERATOR_VERSION}-schema{LATEST_VERSION}-seed{self.seed}"
            f"-t{self.threads}-i{self.items}-long{self.long_thread_items}-d{self.depth}"
        )


@dataclass(frozen=True)
class Facts:
    """What the benchmark needs to know about the generated database."""

    key: str
    threads: int
    items: int
    items_by_type: dict[str, int]
    long_thread_id: str
    long_thread_items: int
    middle_item_id: str  # the long thread's item in the middle (ascending order)
    depth: int
    deep_after_id: str  # the thread at `depth` in threads.list order (newest first)
    common_word: str
    common_word_docs: int  # indexed messages (and titles) holding the word (FTS count)
    searchable_docs: int  # rows in the search index
    rare_word: str
    rare_item_id: str
    rare_thread_id: str
    db_bytes: int
    generation_s: float  # how long filling the cache took (when it was filled)
    import_s: float  # of which in import_threads


@dataclass
class Dataset:
    facts: Facts
    database: Path  # the copy in the work directory
    from_cache: bool
    seconds: float  # this run's cost: copying the cached file, or generating it


_BASE = datetime(2023, 1, 1, tzinfo=UTC)
_SPAN_S = 2 * 365 * 24 * 3600  # the threads are spread over two years
_CHUNK_ITEMS = 5_000  # items per import_threads call (one transaction each)


def _iso(us: int) -> str:
    return (_BASE + timedelta(microseconds=us)).isoformat()


class _Generator:
    """Threads as JSON-ready dicts, oldest first; timestamps in microseconds after _BASE."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)  # noqa: S311 - test data, not secrets
        self.text = _Writer(self.rng, spec.seed)
        self.types: Counter[str] = Counter()
        self.rare_item_id = ""
        self.rare_thread_id = ""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{self.rng.getrandbits(64):016x}"

    def plan(self) -> tuple[list[int], int, int]:
        """Items per thread (long-tailed, at least 2, summing exactly), in creation order; the
        long thread's index; the rare word's thread's index."""
        rng, spec = self.rng, self.spec
        count = spec.threads - 1
        total = spec.items - spec.long_thread_items
        raw = [rng.lognormvariate(2.6, 0.8) for _ in range(count)]
        scale = (total - 2 * count) / sum(raw)
        sizes = [2 + int(r * scale) for r in raw]
        by_fraction = sorted(range(count), key=lambda i: raw[i] * scale % 1, reverse=True)
        for i in by_fraction[: total - sum(sizes)]:
            sizes[i] += 1
        assert sum(sizes) == total and min(sizes) >= 2
        long_index = spec.threads // 3
        sizes.insert(long_index, spec.long_thread_items)
        rare_index = rng.randrange(spec.threads // 2, spec.threads)
        return sizes, long_index, rare_index

    def thread(
        self, index: int, n_items: int, *, long: bool = False, rare: bool = False
    ) -> dict[str, Any]:
        step = _SPAN_S / self.spec.threads
        created_us = int((index + self.rng.random() * 0.5) * step * 1_000_000)
        thread_id = self.new_id("thr")
        if rare:
            self.rare_thread_id = thread_id
        return {
            "id": thread_id,
            "title": self.text.title(),
            "created_at": _iso(created_us),
            "status": {"type": "active"},
            "metadata": {},
            "items": {
                "data": self.items(thread_id, created_us, n_items, long=long, rare=rare),
                "has_more": False,
                "after": None,
            },
        }

    def items(
        self, thread_id: str, us: int, n: int, *, long: bool, rare: bool
    ) -> list[dict[str, Any]]:
        """Turns until `n` items: a user message, sometimes a workflow or a task, sometimes a
        client tool call, the answer, sometimes a widget, hidden context or an end-of-turn
        marker. A turn that would overflow `n` drops its extras first (then its answer)."""
        rng, text = self.rng, self.text
        out: list[dict[str, Any]] = []
        gap_max = math.log(14_400 if long else 172_800)  # between turns: up to 4 h / 2 days
        while len(out) < n:
            room = n - len(out)
            r = rng.random()
            extras = {
                "workflow": r < 0.06,
                "task": 0.06 <= r < 0.09,
                "tool": rng.random() < 0.03,
                "widget": rng.random() < 0.04,
                "hidden": rng.random() < 0.005,
                "end": rng.random() < 0.1,
            }
            for name in ("hidden", "tool", "widget", "task", "workflow", "end"):
                if 2 + sum(extras.values()) > room:
                    extras[name] = False
            us += int(math.exp(rng.uniform(4.1, gap_max)) * 1_000_000)  # 1 minute and more

            def item(type_: str, prefix: str, **fields: Any) -> None:
                nonlocal us
                us += 1_000 + int(rng.random() * 20_000_000)  # 1 ms to 20 s after the last
                self.types[type_] += 1
                out.append(
                    {
                        "type": type_,
                        "id": self.new_id(prefix),
                        "thread_id": thread_id,
                        "created_at": _iso(us),
                        **fields,
                    }
                )

            model = rng.choice(("gpt-4.1", "gpt-4.1-mini", "o4-mini")) if r > 0.8 else None
            item(
                "user_message",
                "msg",
                content=[{"type": "input_text", "text": text.user_text()}],
                attachments=[],
                quoted_text=text.sentences(text.draw(12)) if rng.random() < 0.03 else None,
                inference_options={"tool_choice": None, "model": model},
            )
            if room == 1:
                break
            if extras["workflow"]:
                item("workflow", "wf", workflow=self.workflow())
            if extras["task"]:
                item("task", "tsk", task=self.task())
            if extras["tool"]:
                item("client_tool_call", "tc", **self.tool_call())
            item(
                "assistant_message",
                "msg",
                content=[
                    {
                        "type": "output_text",
                        "text": text.assistant_text(RARE_WORD if rare else None),
                        "annotations": [],
                    }
                ],
            )
            if rare:
                self.rare_item_id = out[-1]["id"]
                rare = False
            if extras["widget"]:
                item("widget", "wdg", widget=self.widget(), copy_text=None)
            if extras["hidden"]:
                item("sdk_hidden_context", "shcx", content="The user stopped the answer.")
            if extras["end"]:
                item("end_of_turn", "msg")
        assert len(out) == n and not rare
        return out

    def workflow(self) -> dict[str, Any]:
        rng, text = self.rng, self.text
        tasks: list[dict[str, Any]] = []
        for _ in range(1 + int(rng.random() * 4)):
            if rng.random() < 0.5:
                tasks.append(
                    {
                        "type": "thought",
                        "title": text.title(),
                        "content": text.sentences(text.draw(20 + int(rng.random() * 60))),
                        "status_indicator": "complete",
                    }
                )
            else:
                tasks.append(self.task())
        summary: dict[str, Any] = (
            {"duration": 1 + int(rng.random() * 40)}
            if rng.random() < 0.7
            else {"title": text.title()}
        )
        return {
            "type": rng.choice(("reasoning", "custom")),
            "tasks": tasks,
            "summary": summary,
            "expanded": False,
        }

    def task(self) -> dict[str, Any]:
        rng, text = self.rng, self.text
        if rng.random() < 0.5:
            return {
                "type": "web_search",
                "title": "Searched the web",
                "title_query": " ".join(text.draw(4)),
                "queries": [" ".join(text.draw(4)) for _ in range(1 + int(rng.random() * 3))],
                "sources": [
                    {"type": "url", "title": text.title(), "url": f"https://{w}.example.com/{n}"}
                    for n, w in enumerate(text.draw(1 + int(rng.random() * 4)))
                ],
                "status_indicator": "complete",
            }
        return {
            "type": "custom",
            "title": text.title(),
            "content": text.sentences(text.draw(10 + int(rng.random() * 30))),
            "status_indicator": "complete",
        }

    def tool_call(self) -> dict[str, Any]:
        rng, text = self.rng, self.text
        return {
            "status": "completed",
            "call_id": f"call_{rng.getrandbits(48):012x}",
            "name": rng.choice(("get_selection", "open_file", "read_clipboard", "get_location")),
            "arguments": {"path": "/".join(text.draw(3)), "limit": int(rng.random() * 100)},
            "output": {"text": text.sentences(text.draw(15 + int(rng.random() * 40)))},
        }

    def widget(self) -> dict[str, Any]:
        rng, text = self.rng, self.text
        rows = "\n".join("- " + text.title() for _ in range(2 + int(rng.random() * 3)))
        return {
            "type": "Card",
            "children": [
                {"type": "Title", "value": text.title()},
                {"type": "Text", "value": text.sentences(text.draw(10 + int(rng.random() * 25)))},
                {"type": "Markdown", "value": rows},
                {
                    "type": "Button",
                    "label": rng.choice(("Open", "Save", "Book", "Show more")),
                    "onClickAction": {"type": "open", "payload": {"id": int(rng.random() * 1e6)}},
                },
            ],
        }


def _produce(spec: Spec, queue: Any) -> None:
    """In a child process: the threads, oldest first, as JSON arrays of about _CHUNK_ITEMS
    items each; then ("done", what only the generator knows)."""
    gen = _Generator(spec)
    sizes, long_index, rare_index = gen.plan()
    chunk: list[dict[str, Any]] = []
    items = 0
    for index, n_items in enumerate(sizes):
        chunk.append(gen.thread(index, n_items, long=index == long_index, rare=index == rare_index))
        items += n_items
        if items >= _CHUNK_ITEMS or index == len(sizes) - 1:
            queue.put(("chunk", json.dumps(chunk)))
            chunk, items = [], 0
    queue.put(
        (
            "done",
            {
                "types": dict(gen.types.most_common()),
                "long_index": long_index,
                "rare_item_id": gen.rare_item_id,
                "rare_thread_id": gen.rare_thread_id,
            },
        )
    )


def _receive(queue: Any, process: Any) -> tuple[str, Any]:
    while True:
        try:
            message: tuple[str, Any] = queue.get(timeout=1.0)
            return message
        except Empty:
            if not process.is_alive():
                raise RuntimeError(
                    f"the dataset generator died (exit code {process.exitcode})"
                ) from None


async def _generate(spec: Spec, path: Path) -> Facts:
    """Write the database at `path` through import_threads, while a child process generates
    the next chunk (the FTS index's inserts, in SQLite's thread, are most of the time)."""
    from chatkit.types import Thread
    from pydantic import TypeAdapter

    from chatkit_desktop.context import RequestContext
    from chatkit_desktop.store.sqlite_store import SQLiteStore

    started = time.monotonic()
    threads_json: TypeAdapter[list[Thread]] = TypeAdapter(list[Thread])
    mp = multiprocessing.get_context("spawn")
    queue = mp.Queue(maxsize=6)
    process = mp.Process(target=_produce, args=(spec, queue), name="bench-dataset", daemon=True)
    process.start()
    store = await SQLiteStore.open(path)
    # A file that is renamed into the cache only once complete needs no fsync on each commit
    # (the only change to the app's write path: what is written is the same).
    await store._writer.execute("PRAGMA synchronous = OFF")
    context = RequestContext()
    import_s = 0.0
    thread_ids: list[str] = []
    lengths: list[int] = []
    middle_ids: list[str] = []
    try:
        while True:
            kind, payload = await asyncio.to_thread(_receive, queue, process)
            if kind == "done":
                summary = payload
                break
            chunk = threads_json.validate_json(payload)
            for thread in chunk:
                thread_ids.append(thread.id)
                lengths.append(len(thread.items.data))
                middle_ids.append(thread.items.data[len(thread.items.data) // 2].id)
            t0 = time.monotonic()
            await store.archive.import_threads(chunk, context)
            import_s += time.monotonic() - t0
    finally:
        await store.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    return await asyncio.to_thread(
        _describe,
        spec,
        path,
        summary,
        thread_ids=thread_ids,
        lengths=lengths,
        middle_ids=middle_ids,
        generation_s=time.monotonic() - started,
        import_s=import_s,
    )


def _describe(
    spec: Spec,
    path: Path,
    summary: dict[str, Any],
    *,
    thread_ids: list[str],
    lengths: list[int],
    middle_ids: list[str],
    generation_s: float,
    import_s: float,
) -> Facts:
    """The facts, checked against the database as written."""
    long_index = summary["long_index"]
    gen_types: dict[str, int] = summary["types"]
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as db:
        deep = db.execute(
            "SELECT id FROM threads ORDER BY created_us DESC, seq DESC LIMIT 1 OFFSET ?",
            (spec.depth - 1,),
        ).fetchone()[0]
        assert deep == thread_ids[-spec.depth], "threads are not stored in creation order"
        n_threads = db.execute("SELECT count(*) FROM threads").fetchone()[0]
        n_items = db.execute("SELECT count(*) FROM items").fetchone()[0]
        assert (n_threads, n_items) == (spec.threads, spec.items), (n_threads, n_items)
        assert lengths[long_index] == spec.long_thread_items
        stored_types = dict(db.execute("SELECT type, count(*) FROM items GROUP BY type"))
        assert stored_types == gen_types, (stored_types, gen_types)
        common = db.execute(
            "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (f'"{COMMON_WORD}"',)
        ).fetchone()[0]
        rare = db.execute(
            "SELECT d.item_id FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid "
            "WHERE search_fts MATCH ?",
            (f'"{RARE_WORD}"*',),
        ).fetchall()
        assert rare == [(summary["rare_item_id"],)], rare
        docs = db.execute("SELECT count(*) FROM search_docs").fetchone()[0]
    db.close()
    return Facts(
        key=spec.key,
        threads=n_threads,
        items=n_items,
        items_by_type=gen_types,
        long_thread_id=thread_ids[long_index],
        long_thread_items=lengths[long_index],
        middle_item_id=middle_ids[long_index],
        depth=spec.depth,
        deep_after_id=deep,
        common_word=COMMON_WORD,
        common_word_docs=common,
        searchable_docs=docs,
        rare_word=RARE_WORD,
        rare_item_id=summary["rare_item_id"],
        rare_thread_id=summary["rare_thread_id"],
        db_bytes=path.stat().st_size,
        generation_s=round(generation_s, 1),
        import_s=round(import_s, 1),
    )


def _facts_path(spec: Spec) -> Path:
    return CACHE_DIR / f"{spec.key}.json"


def _database_path(spec: Spec) -> Path:
    return CACHE_DIR / f"{spec.key}.sqlite3"


def _load_cached(spec: Spec) -> Facts | None:
    facts_path, db_path = _facts_path(spec), _database_path(spec)
    if not (facts_path.exists() and db_path.exists()):
        return None
    try:
        facts = Facts(**json.loads(facts_path.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
    if facts.key != spec.key or facts.db_bytes != db_path.stat().st_size:
        return None
    return facts


async def prepare(data_dir: Path, spec: Spec | None = None) -> Dataset:
    """The dataset's database at `data_dir`/DATABASE_NAME: a copy of the cached one, generated
    first when the cache has none for this spec."""
    spec = spec or Spec()
    started = time.monotonic()
    facts = await asyncio.to_thread(_load_cached, spec)
    from_cache = facts is not None
    if facts is None:
        partial = await asyncio.to_thread(_clear_cache, spec)
        facts = await _generate(spec, partial)
        await asyncio.to_thread(_keep, spec, partial, facts)
    database = data_dir / DATABASE_NAME
    await asyncio.to_thread(_copy, _database_path(spec), database)
    return Dataset(facts, database, from_cache, time.monotonic() - started)


def _clear_cache(spec: Spec) -> Path:
    """Remove what other versions left (half a gigabyte each, never read again); the path to
    generate into."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for old in CACHE_DIR.glob("history-*"):
        old.unlink()
    return CACHE_DIR / f"{spec.key}.partial.sqlite3"


def _keep(spec: Spec, partial: Path, facts: Facts) -> None:
    for suffix in ("-wal", "-shm"):  # empty after the clean close
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    os.replace(partial, _database_path(spec))
    _facts_path(spec).write_text(json.dumps(asdict(facts), indent=2) + "\n", encoding="utf-8")


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


if __name__ == "__main__":  # `python -m bench.dataset`: fill the cache, print the facts
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ds = asyncio.run(prepare(Path(tmp)))
        print(json.dumps(asdict(ds.facts), indent=2))
        print(f"from cache: {ds.from_cache}; this run: {ds.seconds:.1f} s")

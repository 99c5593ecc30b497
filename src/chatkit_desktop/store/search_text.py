"""What of an item the search index holds: the words a person would look for later.

Works on the item's JSON (a plain dict), not on the SDK's models, so the migration that builds
the index for an existing database can use it without importing the ChatKit SDK, and so an item
type this version does not know yet is indexed by its obvious text fields instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

SearchKind = Literal["title", "user", "assistant", "widget", "task", "workflow"]

# Control characters nobody types, once FTS5's snippet markers. Snippets are now cut in Python
# (search_snippets.py), but indexed text still has them replaced by spaces, so a database indexed
# by an earlier build and one indexed now hold the same text.
MATCH_START = "\x02"
MATCH_END = "\x03"

# Widget fields that hold words a person reads (Text/Title/Caption/Markdown/Label `value`, Button
# and Badge `label`, …). Ids, urls, colours and action payloads are left out.
_WIDGET_TEXT_KEYS = frozenset({"value", "label", "title", "text", "placeholder", "alt"})
_WIDGET_SKIP_KEYS = frozenset({"id", "key", "src", "url", "href", "action", "onClickAction"})


def clean(text: str) -> str:
    return text.replace(MATCH_START, " ").replace(MATCH_END, " ").strip()


def item_document(item: dict[str, Any]) -> tuple[SearchKind, str] | None:
    """(kind, text) to index for one stored item, or None when it holds nothing to search."""
    kind = item.get("type")
    parts: list[str]
    search_kind: SearchKind
    if kind == "user_message":
        search_kind = "user"
        parts = [_str(part.get("text")) for part in _dicts(item.get("content"))]
    elif kind == "assistant_message":
        search_kind = "assistant"
        parts = [_str(part.get("text")) for part in _dicts(item.get("content"))]
    elif kind == "widget":
        search_kind = "widget"
        parts = list(_widget_words(item.get("widget")))
        if not parts:
            parts = [_str(item.get("copy_text"))]
    elif kind == "task":
        search_kind = "task"
        parts = list(_task_words(item.get("task")))
    elif kind == "workflow":
        search_kind = "workflow"
        workflow = item.get("workflow") if isinstance(item.get("workflow"), dict) else {}
        assert isinstance(workflow, dict)
        summary = workflow.get("summary")
        parts = [_str(summary.get("title"))] if isinstance(summary, dict) else []
        for task in _dicts(workflow.get("tasks")):
            parts.extend(_task_words(task))
    else:
        return None
    text = clean("\n".join(part for part in parts if part))
    return (search_kind, text) if text else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (entry for entry in value if isinstance(entry, dict))


def _task_words(task: Any) -> Iterator[str]:
    if not isinstance(task, dict):
        return
    for key in ("title", "title_query", "content"):
        if text := _str(task.get(key)):
            yield text
    for query in task.get("queries") or []:
        if text := _str(query):
            yield text
    for source in _dicts(task.get("sources")):
        if text := _str(source.get("title")):
            yield text


def _widget_words(node: Any) -> Iterator[str]:
    """Every readable string of a widget tree, depth first, in reading order."""
    if isinstance(node, list):
        for child in node:
            yield from _widget_words(child)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in _WIDGET_SKIP_KEYS:
            continue
        if isinstance(value, str):
            if key in _WIDGET_TEXT_KEYS and value.strip():
                yield value
        elif isinstance(value, dict | list):
            yield from _widget_words(value)

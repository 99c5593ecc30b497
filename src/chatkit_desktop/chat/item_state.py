"""What the built-in client shows beside an item that the protocol does not carry: "stopped"
answers and the user's thumbs up/down.

A stopped answer. When the user stops a turn, the SDK's `handle_stream_cancelled` stores the
partial assistant message like any other and then adds an `sdk_hidden_context` item ("The user
cancelled the stream…") for the model. Nothing the client can read marks the message itself: the
hidden item never leaves the server (`items.list` filters it out) and says nothing about which
message it follows. So the server records the ids of the messages it saved that way in the
thread's own metadata (`ThreadMetadata.metadata["stopped_items"]`, stored with the thread,
exported and imported with it, never sent to ChatKit's widget).

Reading it. A client that asks for it (request `metadata: {"item_state": true}` on
`items.list`) gets, on the items of that page, `"stopped": true` on a stopped answer and
`"feedback": "positive" | "negative"` on a rated one. Without the flag the answer is the SDK's,
byte for byte, so ChatKit's own widget sees exactly the protocol it knows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from chatkit.types import ThreadMetadata

STOPPED_KEY = "stopped_items"
ITEM_STATE_FLAG = "item_state"
# Enough for any thread a person reads; the oldest marks go first (their messages are long past).
MAX_STOPPED = 500


def stopped_ids(thread: ThreadMetadata) -> set[str]:
    value = thread.metadata.get(STOPPED_KEY)
    if not isinstance(value, list):
        return set()
    return {item for item in value if isinstance(item, str)}


def with_stopped(thread: ThreadMetadata, item_ids: Iterable[str]) -> ThreadMetadata:
    """`thread` with `item_ids` added to its stopped answers (a copy; the order kept)."""
    value = thread.metadata.get(STOPPED_KEY)
    known = [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
    for item_id in item_ids:
        if item_id not in known:
            known.append(item_id)
    metadata = {**thread.metadata, STOPPED_KEY: known[-MAX_STOPPED:]}
    return thread.model_copy(update={"metadata": metadata})


def wants_item_state(metadata: Mapping[str, Any]) -> bool:
    return metadata.get(ITEM_STATE_FLAG) is True


def annotate_page(page_json: bytes, stopped: set[str], feedback: Mapping[str, str]) -> bytes:
    """An `items.list` page (JSON) with `stopped` and `feedback` set on the items they concern."""
    if not stopped and not feedback:
        return page_json
    page = json.loads(page_json)
    for item in page.get("data", []):
        item_id = item.get("id")
        if item_id in stopped and item.get("type") == "assistant_message":
            item["stopped"] = True
        if item_id in feedback:
            item["feedback"] = feedback[item_id]
    return json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

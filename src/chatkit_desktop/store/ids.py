"""Identifiers with the SDK's prefixes but 64 random bits instead of the SDK's 32.

The SDK's default (`prefix_` + 8 hex characters) collides after about 65,000 ids, which a
long-lived personal chat history reaches; 16 hex characters (64 bits) makes that a non-event.
"""

from __future__ import annotations

import secrets

PREFIXES = {
    "thread": "thr",
    "message": "msg",
    "tool_call": "tc",
    "workflow": "wf",
    "task": "tsk",
    "attachment": "atc",
    "sdk_hidden_context": "shcx",
}


def new_id(kind: str) -> str:
    return f"{PREFIXES[kind]}_{secrets.token_hex(8)}"

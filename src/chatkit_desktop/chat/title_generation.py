"""A short thread title written by the thread's own provider after the first exchange.

A small separate call with a strict time limit; any failure keeps the title taken from the
user's first words, and never touches the answer.
"""

from __future__ import annotations

import asyncio
import logging

from agents import Agent, RunConfig, Runner
from agents.models.interface import Model

log = logging.getLogger(__name__)

TITLE_TIMEOUT_S = 20.0
MAX_TITLE = 60

INSTRUCTIONS = (
    "Write a title of at most six words for the conversation below, in the language of the "
    "user's message. Answer with the title only: no quotes, no trailing punctuation."
)


def clean_title(raw: str) -> str | None:
    line = next((ln.strip() for ln in raw.splitlines() if ln.strip()), "")
    line = line.strip("\"'“”‘’*#` ").removeprefix("Title:").strip().rstrip(".!")
    if not line:
        return None
    return line if len(line) <= MAX_TITLE else line[: MAX_TITLE - 1].rstrip() + "…"


async def generate_title(
    model: Model, user_text: str, answer_text: str, *, tracing: bool
) -> str | None:
    agent: Agent[None] = Agent(name="Title writer", instructions=INSTRUCTIONS, model=model)
    prompt = f"User: {user_text[:2000]}\n\nAssistant: {answer_text[:2000]}"
    try:
        async with asyncio.timeout(TITLE_TIMEOUT_S):
            result = Runner.run_streamed(
                agent, prompt, run_config=RunConfig(tracing_disabled=not tracing)
            )
            async for _ in result.stream_events():
                pass
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a title is a nicety: never let it break the answer
        log.info("Title generation failed (%s); keeping the first-words title", type(exc).__name__)
        return None
    return clean_title(str(result.final_output or ""))

"""Tools the assistant may call on the user's machine. Each is harmless and local."""

from __future__ import annotations

from datetime import datetime

from agents import RunContextWrapper, Tool, function_tool
from chatkit.agents import AgentContext
from chatkit.types import ProgressUpdateEvent

from chatkit_desktop.context import RequestContext


@function_tool
async def get_current_time(ctx: RunContextWrapper[AgentContext[RequestContext]]) -> str:
    """Return the user's current local date, time and time zone."""
    await ctx.context.stream(ProgressUpdateEvent(icon="calendar", text="Checking the time"))
    now = datetime.now().astimezone()
    return now.strftime("%A %d %B %Y, %H:%M:%S %Z (UTC%z)")


TOOLS: list[Tool] = [get_current_time]

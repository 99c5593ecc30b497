"""Apps whose second start-up stage (ChatKit's server, the Agents SDK behind it) is held back,
to show what answers before the SDK has loaded and what waits for it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

import chatkit_desktop.http.services as services_module


@dataclass
class HeldSdk:
    release: asyncio.Event = field(default_factory=asyncio.Event)
    # One entry per app that started building its ChatKit server: the SDK was asked for.
    building: list[str] = field(default_factory=list)


def hold_sdk(monkeypatch: pytest.MonkeyPatch) -> HeldSdk:
    """Apps made from now on build their ChatKit server only once `release` is set."""
    held = HeldSdk()
    real_build_chat = services_module.build_chat

    async def held_build_chat(config: Any, core: Any) -> Any:
        held.building.append("held")
        await held.release.wait()
        return await real_build_chat(config, core)

    monkeypatch.setattr(services_module, "build_chat", held_build_chat)
    return held

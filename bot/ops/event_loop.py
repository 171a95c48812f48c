"""Which asyncio event loop runs the bot: uvloop where it is installed, else the standard one.

uvloop implements the loop, its transports and timers in C (libuv). The delivery engine's
fan-outs are loop-bound (thousands of requests a second, each a handful of callbacks), and
uvloop cuts their CPU per message by about a fifth; every library the bot uses (discord.py,
slack-bolt, aiohttp, aiosqlite, asyncpg, APScheduler) runs on it unchanged. `EVENT_LOOP=asyncio`
opts out; `EVENT_LOOP=uvloop` insists (an error when it is not installed, e.g. on Windows).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

from bot.settings import SettingsError

T = TypeVar("T")

EventLoopChoice = Literal["auto", "uvloop", "asyncio"]


class EventLoopUnavailable(SettingsError):
    """EVENT_LOOP=uvloop but uvloop cannot be imported here."""


def loop_factory(choice: EventLoopChoice) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The factory of the loop `choice` names; None for the standard loop."""
    if choice == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise EventLoopUnavailable(
                "EVENT_LOOP=uvloop but uvloop is not installed here; "
                "install it or set EVENT_LOOP=auto"
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice = "auto") -> T:
    """`asyncio.run(main)` on the loop `choice` names."""
    try:
        factory = loop_factory(choice)
    except EventLoopUnavailable:
        main.close()
        raise
    if factory is None:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)

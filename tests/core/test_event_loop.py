"""Choosing the event loop: uvloop by default where installed, the standard loop on request."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.ops import event_loop
from bot.ops.event_loop import EventLoopUnavailable


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_auto_and_uvloop_run_on_uvloop_where_installed() -> None:
    pytest.importorskip("uvloop")
    assert event_loop.run(_loop_module(), "auto").startswith("uvloop")
    assert event_loop.run(_loop_module(), "uvloop").startswith("uvloop")


def test_asyncio_runs_on_the_standard_loop() -> None:
    assert event_loop.run(_loop_module(), "asyncio").startswith("asyncio")


def test_without_uvloop_auto_falls_back_and_uvloop_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop -> ImportError
    assert event_loop.run(_loop_module(), "auto").startswith("asyncio")
    with pytest.raises(EventLoopUnavailable, match="EVENT_LOOP=uvloop"):
        event_loop.run(_loop_module(), "uvloop")

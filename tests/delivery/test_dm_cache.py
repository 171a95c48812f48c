"""DMChannelCache: one open per user, shared by concurrent sends; failures are not cached."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery.dm_cache import DMChannelCache


async def test_concurrent_sends_to_one_user_open_one_channel() -> None:
    cache = DMChannelCache()
    opened: list[str] = []
    gate = asyncio.Event()

    async def open_channel(user: str) -> str:
        opened.append(user)
        await gate.wait()
        return f"dm-{user}"

    waiters = [asyncio.create_task(cache.get("ana", open_channel)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == ["dm-ana"] * 5
    assert await cache.get("ana", open_channel) == "dm-ana"
    assert opened == ["ana"]
    assert cache.opened == 1


async def test_a_failed_open_is_retried_next_time() -> None:
    cache = DMChannelCache()
    calls = 0

    async def flaky(user: str) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("reset")
        return "dm-1"

    with pytest.raises(ConnectionError):
        await cache.get("bo", flaky)
    assert cache.peek("bo") is None
    assert await cache.get("bo", flaky) == "dm-1"


async def test_least_recently_used_entries_are_dropped() -> None:
    cache = DMChannelCache(max_size=2)
    cache.put("a", "1")
    cache.put("b", "2")

    async def never(user: str) -> str:
        raise AssertionError("cached")

    await cache.get("a", never)  # a is now the most recent
    cache.put("c", "3")
    assert (cache.peek("a"), cache.peek("b"), cache.peek("c")) == ("1", None, "3")
    cache.forget("a")
    assert len(cache) == 1

"""The adapters' task tracker: idle waits for work and the work it starts; drain lets work
finish within the grace and cancels what is left."""

from __future__ import annotations

import asyncio

from bot.adapters.tasks import TaskTracker


async def test_idle_waits_for_tracked_work_and_the_work_it_starts() -> None:
    tracker = TaskTracker()
    done: list[str] = []
    gate = asyncio.Event()

    async def inner() -> None:
        await gate.wait()
        done.append("inner")

    async def outer() -> None:
        tracker.track(inner())
        done.append("outer")

    tracker.track(outer())
    idle = asyncio.ensure_future(tracker.idle())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert done == ["outer"] and not idle.done() and len(tracker) == 1
    gate.set()
    await idle
    assert done == ["outer", "inner"] and len(tracker) == 0


async def test_drain_lets_finished_work_end_and_cancels_the_rest() -> None:
    tracker = TaskTracker(grace=0.0)
    quick = tracker.track(asyncio.sleep(0))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    stuck = tracker.track(asyncio.Event().wait())
    await tracker.drain()
    assert quick.done() and not quick.cancelled()
    assert stuck.cancelled()
    assert len(tracker) == 0


async def test_drain_with_nothing_in_progress_returns_at_once() -> None:
    await TaskTracker().drain()

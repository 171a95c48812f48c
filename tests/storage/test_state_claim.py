"""StateRepository.claim: set a value unless it was set recently, in one statement, so two
processes on one database cannot both claim it (publish-now's quota rests on this)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from storage import migrations
from storage.database import Database
from storage.state import StateRepository, StateRow

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
HOUR_AGO = NOW - timedelta(hours=1)


async def test_only_one_of_two_processes_claims_a_key(database_url: str) -> None:
    """Two engines (as two processes would have) claim the same key at once: one wins."""
    first, second = Database(database_url), Database(database_url)
    try:
        await migrations.upgrade(first)
        tries = [
            StateRepository(db).claim("k", name, now=NOW, unless_set_after=HOUR_AGO)
            for db in (first, second)
            for name in ("a", "b", "c")
        ]
        results = await asyncio.gather(*tries)
        assert sorted(claimed for claimed, _ in results) == [False] * 5 + [True]
        winner = next(i for i, (claimed, _) in enumerate(results) if claimed)
        assert await StateRepository(first).get("k") == "abcabc"[winner]
    finally:
        await first.close()
        await second.close()


async def test_a_claim_after_the_window_or_unconditional_wins(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        state = StateRepository(db)
        assert await state.claim("k", "1", now=HOUR_AGO, unless_set_after=None) == (True, None)
        # set exactly at the window's start: old enough
        claimed, before = await state.claim("k", "2", now=NOW, unless_set_after=HOUR_AGO)
        assert claimed and before == StateRow("1", HOUR_AGO)
        later = NOW + timedelta(minutes=1)
        claimed, before = await state.claim("k", "3", now=later, unless_set_after=HOUR_AGO)
        assert not claimed and before == StateRow("2", NOW)
        assert await state.get("k") == "2"
        assert (await state.claim("k", "4", now=later, unless_set_after=None))[0]
        assert await state.get("k") == "4"
    finally:
        await db.close()


async def test_restore_puts_back_the_row_before_or_removes_a_new_one(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        state = StateRepository(db)
        _, before = await state.claim("new", "x", now=NOW, unless_set_after=HOUR_AGO)
        await state.restore("new", before)
        assert await state.get("new") is None
        await state.set("old", "1", now=HOUR_AGO - timedelta(hours=1))
        claimed, before = await state.claim("old", "2", now=NOW, unless_set_after=HOUR_AGO)
        assert claimed
        await state.restore("old", before)
        # the time comes back too, so the window is as it was: claimable again at once
        assert (await state.claim("old", "3", now=NOW, unless_set_after=HOUR_AGO))[0]
    finally:
        await db.close()

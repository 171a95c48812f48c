"""Migration 0052: a DSA schedule's own mix becomes its community's mix (the one place it is
kept); the latest change wins; schedule params lose the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage import migrations
from storage.communities import CommunityRepository
from storage.database import Database
from storage.dsa import DsaRepository, dsa_settings
from storage.migrations import m0052_dsa_mix_in_settings
from storage.schedules import schedules

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def schedule_row(
    community_id: int, name: str, params: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "community_id": community_id,
        "kind": "dsa.daily" if name != "digest" else "digest",
        "name": name,
        "channel_id": "c1",
        "channel_name": "dsa",
        "recurrence": "weekly mon 09:00",
        "timezone": "UTC",
        "params": params,
        "paused": False,
        "owner_user_id": None,
        "active_since": at,
        "created_by": "mia",
        "created_at": at,
        "updated_at": at,
        "next_due_at": None,
    }


async def test_a_schedules_mix_moves_to_its_communitys_settings(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        repo = CommunityRepository(db)
        ids = [
            (await repo.ensure("console", f"g{i}", f"g{i}", default_timezone="UTC", now=T0)).id
            for i in range(3)
        ]
        one, two, three = ids
        dsa = DsaRepository(db)
        # `two` changed its settings after its schedule; `three` before.
        for community, pattern, premium, at in [
            (two, "trees", True, T0 + timedelta(days=2)),
            (three, "graphs", False, T0 - timedelta(days=1)),
        ]:
            await dsa.save_settings(
                community,
                mix={"hard": 1},
                patterns={pattern},
                include_premium=premium,
                by="mia",
                now=at,
            )
        rows = [
            schedule_row(one, "early", {"mix": {"easy": 2, "medium": 0, "hard": 0}}, T0),
            schedule_row(
                one, "late", {"mix": {"easy": 0, "medium": 3, "hard": 0}}, T0 + timedelta(hours=1)
            ),
            schedule_row(one, "digest", {"close_ok": True}, T0),
            schedule_row(two, "dsa", {"mix": {"easy": 1, "medium": 1, "hard": 0}}, T0),
            schedule_row(three, "dsa", {"mix": {"easy": 0, "medium": 0, "hard": 2}}, T0),
        ]
        async with db.transaction() as conn:
            await conn.execute(schedules.insert(), rows)
            await conn.run_sync(m0052_dsa_mix_in_settings.upgrade)
        async with db.transaction() as conn:
            params = {
                (r.community_id, r.name): r.params for r in await conn.execute(sa.select(schedules))
            }
            stored = {r.community_id: r for r in await conn.execute(sa.select(dsa_settings))}
        assert params == {
            (one, "early"): {},
            (one, "late"): {},
            (one, "digest"): {"close_ok": True},
            (two, "dsa"): {},
            (three, "dsa"): {},
        }
        assert stored[one].mix == {"easy": 0, "medium": 3, "hard": 0}  # the latest schedule
        assert (stored[one].patterns, stored[one].include_premium) == ([], False)
        assert stored[two].mix == {"hard": 1}  # settings changed later: kept
        assert stored[two].patterns == ["trees"]
        assert stored[three].mix == {"easy": 0, "medium": 0, "hard": 2}
        assert stored[three].patterns == ["graphs"]  # only the mix moves
    finally:
        await db.close()

"""The resource repository: catalog changes with revisions, and the suggestion queue."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import migrations
from storage.communities import CommunityRepository
from storage.database import Database
from storage.resources import APPROVED, REJECTED, ResourceRepository

NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def test_changes_bump_the_revision_and_replace_per_id(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        community = await CommunityRepository(db).ensure(
            "console", "c", "c", default_timezone="UTC", now=NOW
        )
        repo = ResourceRepository(db)
        assert await repo.revision(community.id) == 0
        assert await repo.changes(community.id) == (0, [])
        async with db.transaction() as conn:
            await repo.put(
                conn,
                community.id,
                "a",
                {"title": "A"},
                normalized_url="a.org",
                changed_by="mia",
                now=NOW,
            )
            await repo.put(
                conn, community.id, "b", None, normalized_url=None, changed_by="mia", now=NOW
            )
        async with db.transaction() as conn:
            await repo.put(
                conn,
                community.id,
                "a",
                {"title": "A2"},
                normalized_url="a.org",
                changed_by="bob",
                now=NOW,
            )
            assert await repo.changed_with_url(conn, community.id, "a.org") == "a"
            assert await repo.changed_with_url(conn, community.id, "x.org") is None
        revision, changes = await repo.changes(community.id)
        assert revision == 3 == await repo.revision(community.id)
        assert [(c.resource_id, c.data, c.changed_by) for c in changes] == [
            ("a", {"title": "A2"}, "bob"),
            ("b", None, "mia"),
        ]
        assert changes[0].changed_at == NOW
    finally:
        await db.close()


async def test_suggestions_are_decided_once(database_url: str) -> None:
    db = Database(database_url)
    try:
        await migrations.upgrade(db)
        community = await CommunityRepository(db).ensure(
            "console", "c", "c", default_timezone="UTC", now=NOW
        )
        repo = ResourceRepository(db)
        ids = []
        async with db.transaction() as conn:
            for n in range(3):
                ids.append(
                    await repo.suggest(
                        conn,
                        community_id=community.id,
                        url=f"https://e.org/{n}",
                        normalized_url=f"e.org/{n}",
                        title=f"T{n}",
                        type="blog",
                        topics=("mlops", "python"),
                        description="",
                        level=None,
                        cost="free",
                        platform="console",
                        suggested_by_id="ana",
                        suggested_by_name="Ana",
                        now=NOW,
                    )
                )
        total, pending = await repo.pending(community.id, limit=2)
        assert total == 3 and [s.id for s in pending] == ids[:2]
        assert pending[0].topics == ("mlops", "python") and pending[0].level is None
        async with db.transaction() as conn:
            found = await repo.pending_with_url(conn, community.id, "e.org/1")
            assert found is not None and found.id == ids[1]
            assert await repo.decide(
                conn,
                ids[0],
                status=APPROVED,
                reason=None,
                resource_id="t0",
                decided_by_name="Mia",
                now=NOW,
            )
            assert not await repo.decide(
                conn,
                ids[0],
                status=REJECTED,
                reason="no",
                resource_id=None,
                decided_by_name="Mia",
                now=NOW,
            )
        decided = await repo.get_suggestion(community.id, ids[0])
        assert decided is not None
        assert (decided.status, decided.resource_id, decided.decided_at) == (APPROVED, "t0", NOW)
        assert await repo.get_suggestion(community.id + 1, ids[0]) is None
        assert (await repo.pending(community.id))[0] == 2
    finally:
        await db.close()

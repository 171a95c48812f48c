"""storage.outbox.enqueue: one row per (run, recipient), idempotent, inside the caller's tx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from storage import migrations
from storage.database import Database
from storage.outbox import enqueue, outbox, outbox_messages, undeliverable_recipients

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


pytestmark = pytest.mark.both_backends


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await migrations.upgrade(database)
    yield database
    await database.close()


def dm(user: str, message: Message | None = None) -> Delivery:
    dest = Destination("discord", "g1", DestinationKind.DM, user, target_name=user.upper())
    return Delivery(dest, message or Message(body="weekly tips", title="Issue 1"))


async def rows(db: Database) -> list[sa.Row[tuple[object, ...]]]:
    async with db.transaction() as conn:
        return list(await conn.execute(sa.select(outbox).order_by(outbox.c.id)))


async def test_enqueue_stores_one_pending_row_per_recipient(db: Database) -> None:
    async with db.transaction() as conn:
        queued = await enqueue(conn, run_key="r1", deliveries=[dm("a"), dm("b")], now=NOW)
    assert queued == 2
    stored = await rows(db)
    assert [(r.recipient_key, r.status, r.attempts) for r in stored] == [
        ("discord:dm:a", "pending", 0),
        ("discord:dm:b", "pending", 0),
    ]
    assert stored[0].next_attempt_at == NOW
    assert stored[0].target_name == "A"


async def test_enqueue_is_idempotent_per_run_and_recipient(db: Database) -> None:
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="r1", deliveries=[dm("a"), dm("a")], now=NOW) == 1
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="r1", deliveries=[dm("a"), dm("b")], now=NOW) == 1
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="r2", deliveries=[dm("a")], now=NOW) == 1
    assert [(r.run_key, r.recipient_key) for r in await rows(db)] == [
        ("r1", "discord:dm:a"),
        ("r1", "discord:dm:b"),
        ("r2", "discord:dm:a"),
    ]


async def test_the_unique_key_is_enforced_by_the_database(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, run_key="r1", deliveries=[dm("a")], now=NOW)
    row = (await rows(db))[0]
    values = {k: v for k, v in row._asdict().items() if k != "id"}
    with pytest.raises(sa.exc.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(outbox.insert().values(**values))


async def test_enqueue_rolls_back_with_the_callers_transaction(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await enqueue(conn, run_key="r1", deliveries=[dm("a")], now=NOW)
            raise RuntimeError("the run could not be recorded")
    assert await rows(db) == []


async def test_identical_bodies_are_stored_once_and_round_trip(db: Database) -> None:
    personal = Message(body="just for c")
    deliveries = [dm(str(i)) for i in range(1200)] + [dm("c", personal)]
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="big", deliveries=deliveries, now=NOW) == 1201
    async with db.transaction() as conn:
        await enqueue(conn, run_key="again", deliveries=[dm("z")], now=NOW)
        bodies = list(await conn.execute(sa.select(outbox_messages)))
        count = (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
    assert count == 1202
    assert sorted(Message.from_dict(b.body).body for b in bodies) == ["just for c", "weekly tips"]


async def test_undeliverable_recipients_get_a_skipped_row(db: Database) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            undeliverable_recipients.insert().values(
                recipient_key="discord:dm:b",
                platform="discord",
                reason="50007 cannot send messages to this user",
                run_key="r0",
                marked_at=NOW,
            )
        )
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="r1", deliveries=[dm("a"), dm("b")], now=NOW) == 1
    by_key = {r.recipient_key: r for r in await rows(db)}
    assert by_key["discord:dm:a"].status == "pending"
    assert by_key["discord:dm:b"].status == "skipped"
    assert "50007" in (by_key["discord:dm:b"].last_error or "")


async def test_enqueue_nothing(db: Database) -> None:
    async with db.transaction() as conn:
        assert await enqueue(conn, run_key="r1", deliveries=[], now=NOW) == 0

"""The delivery outbox: what the bot must send on its own initiative, one row per recipient.

Producers (the scheduler) call `enqueue` inside the transaction that records a run, so a run's
messages are stored exactly once. Identical message bodies are stored once in
`outbox_messages` and shared by every row that sends them (a digest to 10,000 members is one
body and 10,000 small rows). The delivery engine (bot/delivery) claims and finishes rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.types import JSONText, UTCDateTime

if TYPE_CHECKING:  # storage sits below the core: only types cross upwards
    from bot.jobs import Delivery
    from bot.messages import Message

T = TypeVar("T")

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Rows per statement: well under SQLite's bound-parameter limit.
CHUNK = 500


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed (leased) by a worker
    SENT = "sent"
    FAILED = "failed"  # gave up: permanent error or too many attempts (see last_error)
    SKIPPED = "skipped"  # recipient was marked undeliverable when the run was queued


outbox_messages = sa.Table(
    "outbox_messages",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("body", JSONText, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("digest", name="uq_outbox_messages_digest"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("run_key", sa.String(200), nullable=False),
    sa.Column("recipient_key", sa.String(200), nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("community_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("target_name", sa.String(200), nullable=False),
    sa.Column(
        "message_id",
        _BIG_ID,
        sa.ForeignKey("outbox_messages.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("run_key", "recipient_key", name="uq_outbox_run_key"),
    sa.Index("ix_outbox_claim", "platform", "status", "next_attempt_at"),
    sa.Index("ix_outbox_created_at", "created_at"),
)

undeliverable_recipients = sa.Table(
    "undeliverable_recipients",
    metadata,
    sa.Column("recipient_key", sa.String(200), primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("run_key", sa.String(200), nullable=True),
    sa.Column("marked_at", UTCDateTime, nullable=False),
)


def message_digest(body: dict[str, Any]) -> str:
    """The content hash identifying a stored message body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def insert_ignore(conn: AsyncConnection, table: sa.Table) -> sa.Insert:
    """INSERT that silently skips rows violating a unique constraint, on both backends."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def enqueue(
    conn: AsyncConnection, *, run_key: str, deliveries: Sequence[Delivery], now: datetime
) -> int:
    """Queue one run's deliveries inside the caller's transaction; returns rows queued to send.

    Idempotent: a recipient already queued for `run_key` is left as it is (unique on
    (run_key, recipient_key)), and repeats within `deliveries` keep the first. Recipients
    marked undeliverable get a `skipped` row instead, so the run's status shows them.
    """
    unique: dict[str, Delivery] = {}
    for delivery in deliveries:
        unique.setdefault(delivery.destination.recipient_key, delivery)
    if not unique:
        return 0
    existing: set[str] = set()
    blocked: dict[str, str] = {}
    keys = list(unique)
    for chunk in _chunks(keys):
        existing.update(
            (
                await conn.execute(
                    sa.select(outbox.c.recipient_key).where(
                        outbox.c.run_key == run_key, outbox.c.recipient_key.in_(chunk)
                    )
                )
            ).scalars()
        )
        rows = await conn.execute(
            sa.select(
                undeliverable_recipients.c.recipient_key, undeliverable_recipients.c.reason
            ).where(undeliverable_recipients.c.recipient_key.in_(chunk))
        )
        blocked.update({r.recipient_key: r.reason for r in rows})
    todo = [d for key, d in unique.items() if key not in existing]
    if not todo:
        return 0
    message_ids = await _store_messages(conn, [d.message for d in todo], now)
    queued = 0
    values: list[dict[str, Any]] = []
    for delivery in todo:
        dest = delivery.destination
        reason = blocked.get(dest.recipient_key)
        status = OutboxStatus.PENDING if reason is None else OutboxStatus.SKIPPED
        queued += reason is None
        values.append(
            {
                "run_key": run_key,
                "recipient_key": dest.recipient_key,
                "platform": dest.platform,
                "community_id": dest.community_id,
                "kind": str(dest.kind),
                "target_id": dest.target_id,
                "target_name": dest.target_name[:200],
                "message_id": message_ids[delivery.message],
                "status": str(status),
                "attempts": 0,
                "next_attempt_at": now,
                "lease_owner": None,
                "lease_until": None,
                "last_error": None if reason is None else f"undeliverable: {reason}"[:500],
                "created_at": now,
                "finished_at": None if reason is None else now,
            }
        )
    for batch in _chunks(values):
        await conn.execute(insert_ignore(conn, outbox), list(batch))
    return queued


async def _store_messages(
    conn: AsyncConnection, messages: Sequence[Message], now: datetime
) -> dict[Message, int]:
    """Store each distinct body once (shared across runs too); map message -> row id."""
    digests: dict[Message, str] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message not in digests:
            body = message.to_dict()
            digest = message_digest(body)
            digests[message] = digest
            bodies[digest] = body
    ids: dict[str, int] = {}
    for chunk in _chunks(list(bodies)):
        await conn.execute(
            insert_ignore(conn, outbox_messages),
            [{"digest": d, "body": bodies[d], "created_at": now} for d in chunk],
        )
        rows = await conn.execute(
            sa.select(outbox_messages.c.digest, outbox_messages.c.id).where(
                outbox_messages.c.digest.in_(chunk)
            )
        )
        ids.update({r.digest: r.id for r in rows})
    return {message: ids[digest] for message, digest in digests.items()}

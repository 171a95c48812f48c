"""The delivery outbox: what the bot must send on its own initiative, one row per recipient.

The bot queues only through its delivery service (`app.delivery`, bot/delivery/queueing.py),
which calls `enqueue_runs` inside the producer's transaction (the one recording a run, say), so
a run's messages are stored exactly once, and wakes the workers after the commit. Identical
message bodies are stored once in `outbox_messages` and shared by every row that sends them (a
digest to 10,000 members is one body and 10,000 small rows). The delivery engine
(bot/delivery) claims and finishes rows.

Longer than 500 lines: one aggregate - its tables, `enqueue` and the `OutboxStore` queries the
engine and `delivery status` run; splitting would scatter the outbox's invariants across files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.base import metadata
from storage.database import Database, dialect_insert, insert_ignore
from storage.types import JSONText, UTCDateTime


class QueuedMessage(Protocol):
    """What the outbox needs of a message: a hashable value with a JSON body
    (`bot.messages.Message` is one). Storage sits below the core and never imports it."""

    def to_dict(self) -> dict[str, Any]: ...

    def __hash__(self) -> int: ...


class QueuedDestination(Protocol):
    """Where a queued message goes (`bot.scheduling.jobs.Destination` is one)."""

    @property
    def platform(self) -> str: ...
    @property
    def community_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def target_id(self) -> str: ...
    @property
    def target_name(self) -> str: ...
    @property
    def recipient_key(self) -> str: ...


class QueuedDelivery(Protocol):
    """One message for one recipient (`bot.scheduling.jobs.Delivery` is one)."""

    @property
    def destination(self) -> QueuedDestination: ...
    @property
    def message(self) -> QueuedMessage: ...


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


dm_channels = sa.Table(
    "dm_channels",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def message_digest(body: dict[str, Any]) -> str:
    """The content hash identifying a stored message body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def enqueue(
    conn: AsyncConnection, *, run_key: str, deliveries: Sequence[QueuedDelivery], now: datetime
) -> int:
    """Queue one run's deliveries inside the caller's transaction; returns rows queued to send.

    Idempotent: a recipient already queued for `run_key` is left as it is (unique on
    (run_key, recipient_key)), and repeats within `deliveries` keep the first. Recipients
    marked undeliverable get a `skipped` row instead, so the run's status shows them.
    """
    queued = await enqueue_runs(conn, runs=[(run_key, deliveries)], now=now)
    return queued.get(run_key, 0)


async def enqueue_runs(
    conn: AsyncConnection,
    *,
    runs: Sequence[tuple[str, Sequence[QueuedDelivery]]],
    now: datetime,
) -> dict[str, int]:
    """Queue several runs' deliveries in bulk (as `enqueue` does for one run), inside the
    caller's transaction; returns the rows queued to send per run key (a scheduler minute with
    thousands of one-DM reminders costs a few statements per 500 rows, not several per run)."""
    unique: dict[tuple[str, str], QueuedDelivery] = {}
    for key, deliveries in runs:
        for delivery in deliveries:
            unique.setdefault((key, delivery.destination.recipient_key), delivery)
    counts = {key: 0 for key, _ in runs}
    if not unique:
        return counts
    existing: set[tuple[str, str]] = set()
    blocked: dict[str, str] = {}
    for chunk in _chunks(sorted({key for key, _ in unique})):
        rows = await conn.execute(
            sa.select(outbox.c.run_key, outbox.c.recipient_key).where(outbox.c.run_key.in_(chunk))
        )
        existing.update((r.run_key, r.recipient_key) for r in rows)
    for chunk in _chunks(sorted({recipient for _, recipient in unique})):
        rows = await conn.execute(
            sa.select(
                undeliverable_recipients.c.recipient_key, undeliverable_recipients.c.reason
            ).where(undeliverable_recipients.c.recipient_key.in_(chunk))
        )
        blocked.update({r.recipient_key: r.reason for r in rows})
    todo = [(key, d) for key, d in unique.items() if key not in existing]
    if not todo:
        return counts
    message_ids = await _store_messages(conn, [d.message for _, d in todo], now)
    values: list[dict[str, Any]] = []
    for (key, recipient_key), delivery in todo:
        dest = delivery.destination
        reason = blocked.get(recipient_key)
        status = OutboxStatus.PENDING if reason is None else OutboxStatus.SKIPPED
        counts[key] += reason is None
        values.append(
            {
                "run_key": key,
                "recipient_key": recipient_key,
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
    return counts


async def _store_messages(
    conn: AsyncConnection, messages: Sequence[QueuedMessage], now: datetime
) -> dict[QueuedMessage, int]:
    """Store each distinct body once (shared across runs too); map message -> row id."""
    digests: dict[QueuedMessage, str] = {}
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


# -- the engine's side: claims, leases, outcomes -------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    """An outbox row a worker holds a lease on."""

    id: int
    run_key: str
    recipient_key: str
    platform: str
    community_id: str
    kind: str
    target_id: str
    target_name: str
    message_id: int
    attempts: int


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """How one attempt ended, to be written back in a batch.

    status `sent`, `failed`, or `pending` (retry at `next_attempt_at`). `attempts` is the
    total after this attempt. `undeliverable` marks the recipient (DMs closed, unknown user).
    """

    id: int
    status: OutboxStatus
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None
    undeliverable: bool = False
    recipient_key: str = ""
    platform: str = ""
    run_key: str = ""


@dataclass(frozen=True, slots=True)
class RunStatus:
    run_key: str
    created_at: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class FailedRow:
    run_key: str
    recipient_key: str
    target_name: str
    error: str
    finished_at: datetime | None


_CLAIM_COLUMNS = (
    outbox.c.id,
    outbox.c.run_key,
    outbox.c.recipient_key,
    outbox.c.platform,
    outbox.c.community_id,
    outbox.c.kind,
    outbox.c.target_id,
    outbox.c.target_name,
    outbox.c.message_id,
    outbox.c.attempts,
)


def _claimed_row(row: Any) -> ClaimedRow:
    return ClaimedRow(*row)  # _CLAIM_COLUMNS are ClaimedRow's fields, in order


async def queued_at(conn: AsyncConnection, run_key: str) -> datetime | None:
    """When the run `run_key` was queued (its first row), or None if it never was. One lookup
    on the unique (run_key, recipient_key) index."""
    return (
        await conn.execute(
            sa.select(outbox.c.created_at)
            .where(outbox.c.run_key == run_key)
            .order_by(outbox.c.created_at)
            .limit(1)
        )
    ).scalar_one_or_none()


class OutboxStore:
    """The queries the delivery engine and `delivery status` run against the outbox."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(
        self, platform: str, *, owner: str, limit: int, now: datetime, lease_until: datetime
    ) -> list[ClaimedRow]:
        """Lease up to `limit` due rows: pending ones whose time has come, and rows whose
        previous lease expired (a worker that died). Skips rows other processes hold."""
        async with self.db.transaction() as conn:
            expired = (
                sa.select(*_CLAIM_COLUMNS)
                .where(
                    outbox.c.platform == platform,
                    outbox.c.status == OutboxStatus.SENDING,
                    outbox.c.lease_until <= now,
                )
                .order_by(outbox.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            rows = list(await conn.execute(expired))
            if len(rows) < limit:
                due = (
                    sa.select(*_CLAIM_COLUMNS)
                    .where(
                        outbox.c.platform == platform,
                        outbox.c.status == OutboxStatus.PENDING,
                        outbox.c.next_attempt_at <= now,
                    )
                    .order_by(outbox.c.next_attempt_at, outbox.c.id)
                    .limit(limit - len(rows))
                    .with_for_update(skip_locked=True)
                )
                rows.extend(await conn.execute(due))
            claimed = [_claimed_row(r) for r in rows]
            for chunk in _chunks([c.id for c in claimed]):
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(chunk))
                    .values(status=OutboxStatus.SENDING, lease_owner=owner, lease_until=lease_until)
                )
        return claimed

    async def next_due(self, platform: str) -> datetime | None:
        """When the earliest waiting row (pending or leased) becomes claimable."""
        async with self.db.transaction() as conn:
            pending = (
                await conn.execute(
                    sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
                        outbox.c.platform == platform, outbox.c.status == OutboxStatus.PENDING
                    )
                )
            ).scalar_one()
            leased = (
                await conn.execute(
                    sa.select(sa.func.min(outbox.c.lease_until)).where(
                        outbox.c.platform == platform, outbox.c.status == OutboxStatus.SENDING
                    )
                )
            ).scalar_one()
        candidates = [t for t in (pending, leased) if t is not None]
        return min(candidates) if candidates else None

    async def messages(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Stored message bodies by id."""
        out: dict[int, dict[str, Any]] = {}
        async with self.db.transaction() as conn:
            for chunk in _chunks(sorted(set(ids))):
                rows = await conn.execute(
                    sa.select(outbox_messages.c.id, outbox_messages.c.body).where(
                        outbox_messages.c.id.in_(chunk)
                    )
                )
                out.update({r.id: r.body for r in rows})
        return out

    async def finish(
        self,
        outcomes: Sequence[RowOutcome],
        *,
        owner: str,
        now: datetime,
        dm_channels: tuple[str, dict[str, str | None]] | None = None,
    ) -> None:
        """Write a batch of attempt outcomes in one transaction (rows still leased by `owner`),
        with `dm_channels` = (platform, changes) learnt meanwhile (see `save_dm_channels`)."""
        sent = [o.id for o in outcomes if o.status is OutboxStatus.SENT]
        others = [o for o in outcomes if o.status is not OutboxStatus.SENT]
        async with self.db.transaction() as conn:
            if dm_channels is not None and dm_channels[1]:
                await _write_dm_channels(conn, *dm_channels, now=now)
            for chunk in _chunks(sent):
                await conn.execute(
                    outbox.update()
                    .where(outbox.c.id.in_(chunk), outbox.c.lease_owner == owner)
                    .values(
                        status=OutboxStatus.SENT,
                        attempts=outbox.c.attempts + 1,
                        finished_at=now,
                        lease_owner=None,
                        lease_until=None,
                        last_error=None,
                    )
                )
            if others:
                await conn.execute(
                    outbox.update()
                    .where(
                        outbox.c.id == sa.bindparam("b_id"),
                        outbox.c.lease_owner == sa.bindparam("b_owner"),
                    )
                    .values(
                        status=sa.bindparam("b_status"),
                        attempts=sa.bindparam("b_attempts"),
                        last_error=sa.bindparam("b_error"),
                        next_attempt_at=sa.bindparam("b_next"),
                        finished_at=sa.bindparam("b_finished"),
                        lease_owner=None,
                        lease_until=None,
                    ),
                    [
                        {
                            "b_id": o.id,
                            "b_owner": owner,
                            "b_status": str(o.status),
                            "b_attempts": o.attempts,
                            "b_error": (o.error or "")[:500] or None,
                            "b_next": o.next_attempt_at or now,
                            "b_finished": None if o.status is OutboxStatus.PENDING else now,
                        }
                        for o in others
                    ],
                )
            marks = [o for o in others if o.undeliverable and o.recipient_key]
            if marks:
                await conn.execute(
                    insert_ignore(conn, undeliverable_recipients),
                    [
                        {
                            "recipient_key": o.recipient_key,
                            "platform": o.platform,
                            "reason": (o.error or "undeliverable")[:500],
                            "run_key": o.run_key,
                            "marked_at": now,
                        }
                        for o in marks
                    ],
                )

    async def renew(self, owner: str, lease_until: datetime) -> int:
        """Extend every lease `owner` holds (rows waiting in its local queue included)."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.lease_owner == owner, outbox.c.status == OutboxStatus.SENDING)
                .values(lease_until=lease_until)
            )
        return int(result.rowcount or 0)

    async def release(self, owner: str, ids: Sequence[int] | None = None) -> int:
        """Give leased rows back (pending, due now): on stop, for rows not yet attempted."""
        async with self.db.transaction() as conn:
            query = outbox.update().where(
                outbox.c.lease_owner == owner, outbox.c.status == OutboxStatus.SENDING
            )
            total = 0
            batches = [None] if ids is None else list(_chunks(list(ids)))
            for chunk in batches:
                q = query if chunk is None else query.where(outbox.c.id.in_(chunk))
                result = await conn.execute(
                    q.values(status=OutboxStatus.PENDING, lease_owner=None, lease_until=None)
                )
                total += int(result.rowcount or 0)
        return total

    async def release_all(self) -> int:
        """Return every leased row to pending: at start on SQLite, where one process owns the
        database, rows leased by a process that was killed resume at once."""
        async with self.db.transaction() as conn:
            result = await conn.execute(
                outbox.update()
                .where(outbox.c.status == OutboxStatus.SENDING)
                .values(status=OutboxStatus.PENDING, lease_owner=None, lease_until=None)
            )
        return int(result.rowcount or 0)

    async def clear_undeliverable(self, recipient_keys: Sequence[str]) -> int:
        async with self.db.transaction() as conn:
            result = await conn.execute(
                undeliverable_recipients.delete().where(
                    undeliverable_recipients.c.recipient_key.in_(recipient_keys)
                )
            )
        return int(result.rowcount or 0)

    async def is_undeliverable(self, recipient_key: str) -> bool:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(
                    sa.select(undeliverable_recipients.c.recipient_key).where(
                        undeliverable_recipients.c.recipient_key == recipient_key
                    )
                )
            ).first()
        return row is not None

    async def latest_runs(
        self, *, limit: int = 5, where: Sequence[sa.ColumnElement[bool]] = ()
    ) -> list[RunStatus]:
        """Sent / pending / failed counts for the most recently queued runs."""
        async with self.db.transaction() as conn:
            started = sa.func.min(outbox.c.created_at).label("started")
            query = sa.select(outbox.c.run_key, started).where(*where).group_by(outbox.c.run_key)
            runs = list(await conn.execute(query.order_by(started.desc()).limit(limit)))
            if not runs:
                return []
            counts: dict[str, dict[str, int]] = {r.run_key: {} for r in runs}
            rows = await conn.execute(
                sa.select(outbox.c.run_key, outbox.c.status, sa.func.count())
                .where(outbox.c.run_key.in_(list(counts)), *where)
                .group_by(outbox.c.run_key, outbox.c.status)
            )
            for run_key, status, n in rows:
                counts[run_key][status] = int(n)
        return [RunStatus(r.run_key, r.started, counts[r.run_key]) for r in runs]

    async def totals(self, *, where: Sequence[sa.ColumnElement[bool]] = ()) -> dict[str, int]:
        """Rows per status across the whole outbox (or the rows matching `where`)."""
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.status, sa.func.count()).where(*where).group_by(outbox.c.status)
            )
            return {status: int(n) for status, n in rows}

    async def counts(self) -> dict[tuple[str, str], int]:
        """Rows per (platform, status) across the whole outbox (for /metrics)."""
        async with self.db.reading() as conn:
            rows = await conn.execute(
                sa.select(outbox.c.platform, outbox.c.status, sa.func.count()).group_by(
                    outbox.c.platform, outbox.c.status
                )
            )
            return {(str(p), str(s)): int(n) for p, s, n in rows}

    async def recent_failures(
        self, *, limit: int = 5, where: Sequence[sa.ColumnElement[bool]] = ()
    ) -> list[FailedRow]:
        async with self.db.transaction() as conn:
            rows = await conn.execute(
                sa.select(
                    outbox.c.run_key,
                    outbox.c.recipient_key,
                    outbox.c.target_name,
                    outbox.c.last_error,
                    outbox.c.finished_at,
                )
                .where(outbox.c.status == OutboxStatus.FAILED, *where)
                .order_by(outbox.c.finished_at.desc(), outbox.c.id.desc())
                .limit(limit)
            )
            return [
                FailedRow(
                    r.run_key, r.recipient_key, r.target_name, r.last_error or "", r.finished_at
                )
                for r in rows
            ]

    async def dm_channels(self, platform: str, user_ids: Iterable[str]) -> dict[str, str]:
        """Known DM channel ids of these members."""
        out: dict[str, str] = {}
        async with self.db.transaction() as conn:
            for chunk in _chunks(sorted(set(user_ids))):
                rows = await conn.execute(
                    sa.select(dm_channels.c.user_id, dm_channels.c.channel_id).where(
                        dm_channels.c.platform == platform, dm_channels.c.user_id.in_(chunk)
                    )
                )
                out.update({r.user_id: r.channel_id for r in rows})
        return out

    async def save_dm_channels(
        self, platform: str, changes: dict[str, str | None], *, now: datetime
    ) -> None:
        """Store opened DM channel ids (None: forget the member's id)."""
        if not changes:
            return
        async with self.db.transaction() as conn:
            await _write_dm_channels(conn, platform, changes, now=now)

    async def undeliverable_count(self, platform: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(undeliverable_recipients)
        if platform is not None:
            query = query.where(undeliverable_recipients.c.platform == platform)
        async with self.db.transaction() as conn:
            return int((await conn.execute(query)).scalar_one())


async def _write_dm_channels(
    conn: AsyncConnection, platform: str, changes: dict[str, str | None], *, now: datetime
) -> None:
    forgotten = [u for u, c in changes.items() if c is None]
    for chunk in _chunks(forgotten):
        await conn.execute(
            dm_channels.delete().where(
                dm_channels.c.platform == platform, dm_channels.c.user_id.in_(chunk)
            )
        )
    values = [
        {"platform": platform, "user_id": u, "channel_id": c, "updated_at": now}
        for u, c in changes.items()
        if c is not None
    ]
    if values:
        insert = dialect_insert(conn, dm_channels)
        await conn.execute(
            insert.on_conflict_do_update(
                index_elements=[dm_channels.c.platform, dm_channels.c.user_id],
                set_={
                    "channel_id": insert.excluded.channel_id,
                    "updated_at": insert.excluded.updated_at,
                },
            ),
            values,
        )


def community_filter(platform: str, community_id: str) -> list[sa.ColumnElement[bool]]:
    """`where` clauses for one community's rows (platform id of the guild / workspace)."""
    return [outbox.c.platform == platform, outbox.c.community_id == community_id]

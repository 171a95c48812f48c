"""Personal data the core tables hold about one platform user: export and delete.

Each function takes the database, the platform and the platform user id, and covers every
community of that platform. Exports return JSON-safe lists (empty when nothing is stored).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from storage.audit import audit_log
from storage.communities import communities, community_moderators, members
from storage.database import Database
from storage.outbox import dm_channels, outbox, outbox_messages, undeliverable_recipients
from storage.recipients import recipient_key
from storage.schedules import schedule_runs, schedules

DELETED_NAME = "(deleted member)"
DELETED_ID = "deleted"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _community_ids(platform: str) -> sa.Select[tuple[int]]:
    return sa.select(communities.c.id).where(communities.c.platform == platform)


def _recipient_key(platform: str, user_id: str) -> str:
    return recipient_key(platform, "dm", user_id)


async def export_memberships(db: Database, platform: str, user_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(
            communities.c.name,
            communities.c.external_id,
            members.c.display_name,
            members.c.first_seen_at,
            members.c.last_seen_at,
        )
        .join(communities, communities.c.id == members.c.community_id)
        .where(communities.c.platform == platform, members.c.user_id == user_id)
        .order_by(communities.c.name)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "community": r.name,
            "community_id": r.external_id,
            "display_name": r.display_name,
            "first_seen_at": _iso(r.first_seen_at),
            "last_seen_at": _iso(r.last_seen_at),
        }
        for r in rows
    ]


async def _delete(db: Database, table: sa.Table, where: sa.ColumnElement[bool]) -> int:
    """Delete `table`'s rows matching `where` in one transaction; how many went."""
    async with db.transaction() as conn:
        result = await conn.execute(table.delete().where(where))
    return int(result.rowcount or 0)


async def delete_memberships(db: Database, platform: str, user_id: str) -> int:
    return await delete_member_rows(db, members, platform, user_id)


def _personal(platform: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        schedules.c.owner_user_id == user_id,
        schedules.c.community_id.in_(_community_ids(platform)),
    )


async def export_personal_schedules(
    db: Database, platform: str, user_id: str
) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.select(schedules).where(_personal(platform, user_id)).order_by(schedules.c.id)
            )
        ).all()
        out: list[dict[str, Any]] = []
        for r in rows:
            runs = (
                await conn.execute(
                    sa.select(
                        schedule_runs.c.scheduled_for,
                        schedule_runs.c.status,
                        schedule_runs.c.outcome,
                    )
                    .where(schedule_runs.c.schedule_id == r.id)
                    .order_by(schedule_runs.c.scheduled_for)
                )
            ).all()
            out.append(
                {
                    "kind": r.kind,
                    "name": r.name,
                    "recurrence": r.recurrence,
                    "timezone": r.timezone,
                    "params": r.params,
                    "paused": r.paused,
                    "created_at": _iso(r.created_at),
                    "runs": [
                        {"scheduled_for": _iso(x.scheduled_for), "status": x.status} for x in runs
                    ],
                }
            )
    return out


async def delete_personal_schedules(db: Database, platform: str, user_id: str) -> int:
    async with db.transaction() as conn:
        ids = [
            r[0]
            for r in await conn.execute(
                sa.select(schedules.c.id).where(_personal(platform, user_id))
            )
        ]
        if not ids:
            return 0
        await conn.execute(schedule_runs.delete().where(schedule_runs.c.schedule_id.in_(ids)))
        await conn.execute(schedules.delete().where(schedules.c.id.in_(ids)))
    return len(ids)


def _dms(platform: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.platform == platform, outbox.c.kind == "dm", outbox.c.target_id == user_id
    )


async def export_direct_messages(db: Database, platform: str, user_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(
            outbox.c.run_key,
            outbox.c.status,
            outbox.c.created_at,
            outbox.c.finished_at,
            outbox.c.last_error,
            outbox_messages.c.body,
        )
        .join(outbox_messages, outbox_messages.c.id == outbox.c.message_id)
        .where(_dms(platform, user_id))
        .order_by(outbox.c.id)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "run": r.run_key,
            "status": r.status,
            "queued_at": _iso(r.created_at),
            "finished_at": _iso(r.finished_at),
            "error": r.last_error,
            "message": r.body,
        }
        for r in rows
    ]


async def delete_direct_messages(db: Database, platform: str, user_id: str) -> int:
    """Remove DM rows (not ones a worker is sending this instant) and bodies no one else uses."""
    async with db.transaction() as conn:
        where = sa.and_(_dms(platform, user_id), outbox.c.status != "sending")
        message_ids = {
            r[0] for r in await conn.execute(sa.select(outbox.c.message_id).where(where))
        }
        result = await conn.execute(outbox.delete().where(where))
        if message_ids:
            still_used = sa.select(outbox.c.message_id).where(outbox.c.message_id.in_(message_ids))
            await conn.execute(
                outbox_messages.delete().where(
                    outbox_messages.c.id.in_(message_ids), outbox_messages.c.id.not_in(still_used)
                )
            )
    return int(result.rowcount or 0)


async def export_undeliverable(db: Database, platform: str, user_id: str) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        rows = (
            await conn.execute(
                sa.select(undeliverable_recipients).where(
                    undeliverable_recipients.c.recipient_key == _recipient_key(platform, user_id)
                )
            )
        ).all()
    return [{"reason": r.reason, "marked_at": _iso(r.marked_at)} for r in rows]


async def delete_undeliverable(db: Database, platform: str, user_id: str) -> int:
    return await _delete(
        db,
        undeliverable_recipients,
        undeliverable_recipients.c.recipient_key == _recipient_key(platform, user_id),
    )


def _dm_channel(platform: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(dm_channels.c.platform == platform, dm_channels.c.user_id == user_id)


async def export_dm_channel(db: Database, platform: str, user_id: str) -> list[dict[str, Any]]:
    async with db.transaction() as conn:
        rows = (
            await conn.execute(sa.select(dm_channels).where(_dm_channel(platform, user_id)))
        ).all()
    return [{"channel_id": r.channel_id, "updated_at": _iso(r.updated_at)} for r in rows]


async def delete_dm_channel(db: Database, platform: str, user_id: str) -> int:
    return await _delete(db, dm_channels, _dm_channel(platform, user_id))


def _grants(platform: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        community_moderators.c.kind == "user",
        community_moderators.c.ref_id == user_id,
        community_moderators.c.community_id.in_(_community_ids(platform)),
    )


async def export_moderator_grants(
    db: Database, platform: str, user_id: str
) -> list[dict[str, Any]]:
    query = (
        sa.select(communities.c.name, community_moderators.c.ref_name)
        .join(communities, communities.c.id == community_moderators.c.community_id)
        .where(_grants(platform, user_id))
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).all()
    return [{"community": r.name, "name": r.ref_name} for r in rows]


async def delete_moderator_grants(db: Database, platform: str, user_id: str) -> int:
    return await _delete(db, community_moderators, _grants(platform, user_id))


def _audit(platform: str, user_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        audit_log.c.actor_id == user_id, audit_log.c.community_id.in_(_community_ids(platform))
    )


async def export_audit(db: Database, platform: str, user_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(
            communities.c.name,
            audit_log.c.actor_name,
            audit_log.c.action,
            audit_log.c.target,
            audit_log.c.old_value,
            audit_log.c.new_value,
            audit_log.c.at,
        )
        .join(communities, communities.c.id == audit_log.c.community_id)
        .where(_audit(platform, user_id))
        .order_by(audit_log.c.at)
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "community": r.name,
            "as": r.actor_name,
            "action": r.action,
            "target": r.target,
            "old": r.old_value,
            "new": r.new_value,
            "at": _iso(r.at),
        }
        for r in rows
    ]


async def anonymise_audit(db: Database, platform: str, user_id: str) -> int:
    """Keep the community's record of what was changed, without who changed it."""
    async with db.transaction() as conn:
        result = await conn.execute(
            audit_log.update()
            .where(_audit(platform, user_id))
            .values(actor_id=DELETED_ID, actor_name=DELETED_NAME)
        )
    return int(result.rowcount or 0)


def _member_rows(
    table: sa.Table, platform: str, user_id: str, user_column: str
) -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c[user_column] == user_id,
        table.c.community_id.in_(_community_ids(platform)),
    )


async def export_member_rows(
    db: Database, table: sa.Table, platform: str, user_id: str, *, user_column: str = "user_id"
) -> list[dict[str, Any]]:
    """Every row of a feature table (with `community_id` and a user column) about one user."""
    query = (
        sa.select(table, communities.c.name.label("community"))
        .join(communities, communities.c.id == table.c.community_id)
        .where(_member_rows(table, platform, user_id, user_column))
    )
    async with db.transaction() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{k: _iso(v) for k, v in row.items() if k not in ("community_id", "id")} for row in rows]


async def delete_member_rows(
    db: Database, table: sa.Table, platform: str, user_id: str, *, user_column: str = "user_id"
) -> int:
    """Delete a feature table's rows about one user; returns how many went."""
    return await _delete(db, table, _member_rows(table, platform, user_id, user_column))

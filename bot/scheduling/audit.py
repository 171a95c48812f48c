"""The audit entry of a schedule change or a manual run (who, what, before and after)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.context import Actor
from storage.schedules import Schedule

if TYPE_CHECKING:
    from bot.app import Application


async def audit_schedule(
    app: Application,
    conn: AsyncConnection | None,
    schedule: Schedule,
    actor: Actor,
    action: str,
    old: Any,
    new: Any,
    *,
    at: datetime | None = None,
) -> None:
    """Record a change to (or a manual run of) a schedule as `actor`'s, in `conn`'s transaction
    when given."""
    await app.audit.record(
        community_id=schedule.community_id,
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        action=action,
        target=f"schedule:{schedule.name}",
        old=old,
        new=new,
        at=at or app.clock.now(),
        conn=conn,
    )

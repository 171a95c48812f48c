"""Creating and changing schedules: user errors, audit, and the next due instant.

Every change that moves a schedule's timing (create, new rule or zone, pause, resume) stores its
next due instant in the same transaction, then wakes this process's timer; other processes see
the change at their next look at the index (`bot.scheduling.timer.POLL_SECONDS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands.context import Actor, ChannelRef
from bot.commands.errors import NotFound, OptionError, UsageError, UserError
from bot.scheduling.audit import audit_schedule
from bot.scheduling.runs import first_due, rule_of
from bot.timing.recurrence import Rule, next_fire
from storage.schedules import Schedule, ScheduleRepository
from storage.schedules import schedules as schedules_table

if TYPE_CHECKING:
    from bot.app import Application
    from storage.communities import Community

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


def personal_name(kind: str, owner_user_id: str) -> str:
    return f"{kind}@{owner_user_id}"


def check_name(name: str) -> str:
    """A schedule name people type: 1-40 lowercase letters, digits, - and _."""
    folded = name.strip().lower()
    if not 1 <= len(folded) <= 40 or not set(folded) <= NAME_CHARS:
        raise OptionError(
            "name",
            f"{name!r} is not a schedule name; use 1-40 letters, digits, - or _ "
            "(such as weekly-digest).",
        )
    return folded


class ChangesMixin:
    """Create, change, pause and remove (part of `ScheduleService`)."""

    app: Application
    repo: ScheduleRepository

    if TYPE_CHECKING:  # provided by ScheduleService

        def wake(self) -> None: ...

    # -- community schedules --------------------------------------------------------------

    async def create(
        self,
        community: Community,
        *,
        kind: str,
        name: str,
        rule: Rule,
        timezone: str,
        actor: Actor,
        channel: ChannelRef | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Schedule:
        """Add a community schedule (audited); it is due from its next slot on."""
        name = check_name(name)
        self._check_kind(kind)
        async with self.app.db.transaction() as conn:
            if await self.repo.by_name(conn, community.id, name) is not None:
                raise OptionError(
                    "name",
                    f"a schedule named {name!r} already exists.",
                    hint="Pick another name, or change that one by giving the same name "
                    "to /schedule digest or /schedule dsa.",
                )
            await self._check_quota(conn, community)
            schedule = await self.repo.insert(
                conn,
                self._new_row(
                    community, kind, name, rule, timezone, channel, params, None, actor.user_id
                ),
            )
            await audit_schedule(
                self.app, conn, schedule, actor, "schedule.create", None, schedule.config()
            )
        self.wake()
        return schedule

    async def _check_quota(self, conn: AsyncConnection, community: Community) -> None:
        """QUOTA_SCHEDULES_PER_COMMUNITY: community schedules (personal reminders not counted)."""
        limit = self.app.settings.quota_schedules_per_community
        if limit <= 0:
            return
        count = (
            await conn.execute(
                sa.select(sa.func.count())
                .select_from(schedules_table)
                .where(
                    schedules_table.c.community_id == community.id,
                    schedules_table.c.owner_user_id.is_(None),
                )
            )
        ).scalar_one()
        if count >= limit:
            raise UserError(
                f"This community already has {count} schedules, the most it may have "
                f"(QUOTA_SCHEDULES_PER_COMMUNITY={limit}).",
                hint="Remove one with /schedule remove, or change an existing one by giving "
                "its name.",
            )

    async def update(
        self,
        schedule: Schedule,
        *,
        actor: Actor,
        rule: Rule | None = None,
        timezone: str | None = None,
        channel: ChannelRef | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Schedule:
        """Change a community schedule (audited with old and new values); due at once."""
        values = self._changes(schedule, rule=rule, timezone=timezone, channel=channel)
        if params is not None and dict(params) != schedule.params:
            values["params"] = dict(params)
        if not values:
            return schedule
        async with self.app.db.transaction() as conn:
            old = await self.repo.get(conn, schedule.id)
            if old is None:
                raise NotFound(f"The schedule {schedule.name!r} was removed meanwhile.")
            updated = await self.repo.update(conn, schedule.id, values)
            await audit_schedule(
                self.app, conn, updated, actor, "schedule.update", old.config(), updated.config()
            )
        self.wake()
        return updated

    async def pause(self, schedule: Schedule, *, actor: Actor) -> Schedule:
        return await self.set_paused(schedule, True, actor=actor)

    async def resume(self, schedule: Schedule, *, actor: Actor) -> Schedule:
        return await self.set_paused(schedule, False, actor=actor)

    async def set_paused(self, schedule: Schedule, paused: bool, *, actor: Actor) -> Schedule:
        """Pause or resume (audited). Slots that passed while paused are not caught up."""
        if schedule.paused == paused:
            return schedule
        async with self.app.db.transaction() as conn:
            updated = await self.repo.update(conn, schedule.id, self._pausing(schedule, paused))
            action = "schedule.pause" if paused else "schedule.resume"
            await audit_schedule(
                self.app, conn, updated, actor, action, schedule.config(), updated.config()
            )
        self.wake()
        return updated

    async def remove(self, schedule: Schedule, *, actor: Actor) -> None:
        """Delete a schedule and its run history (audited); it never runs again."""
        async with self.app.db.transaction() as conn:
            await self.repo.delete(conn, schedule.id)
            await audit_schedule(
                self.app, conn, schedule, actor, "schedule.remove", schedule.config(), None
            )
        self.wake()

    # -- personal schedules ---------------------------------------------------------------

    async def upsert_personal(
        self,
        community: Community,
        *,
        kind: str,
        owner_user_id: str,
        rule: Rule,
        timezone: str,
        params: Mapping[str, Any] | None = None,
        channel: ChannelRef | None = None,
    ) -> Schedule:
        """Create or replace the member's schedule of this kind (e.g. a DSA reminder)."""
        self._check_kind(kind)
        async with self.app.db.transaction() as conn:
            existing = await self.repo.personal(conn, community.id, kind, owner_user_id)
            if existing is None:
                name = personal_name(kind, owner_user_id)
                row = self._new_row(
                    community, kind, name, rule, timezone, channel, params, owner_user_id, None
                )
                schedule = await self.repo.insert(conn, row)
            else:
                values = self._changes(existing, rule=rule, timezone=timezone, channel=channel)
                if dict(params or {}) != existing.params:
                    values["params"] = dict(params or {})
                if existing.paused:
                    values.update(self._pausing(existing, False, rule=rule, timezone=timezone))
                schedule = await self.repo.update(conn, existing.id, values) if values else existing
        self.wake()
        return schedule

    async def get_personal(
        self, community_id: int, kind: str, owner_user_id: str
    ) -> Schedule | None:
        async with self.app.db.transaction() as conn:
            return await self.repo.personal(conn, community_id, kind, owner_user_id)

    async def remove_personal(self, community_id: int, kind: str, owner_user_id: str) -> bool:
        """Delete the member's schedule of this kind; False when there was none."""
        async with self.app.db.transaction() as conn:
            existing = await self.repo.personal(conn, community_id, kind, owner_user_id)
            if existing is None:
                return False
            await self.repo.delete(conn, existing.id)
        return True

    # -- helpers --------------------------------------------------------------------------

    def _new_row(
        self,
        community: Community,
        kind: str,
        name: str,
        rule: Rule,
        timezone: str,
        channel: ChannelRef | None,
        params: Mapping[str, Any] | None,
        owner_user_id: str | None,
        created_by: str | None,
    ) -> dict[str, Any]:
        """The row of a new schedule (community or personal), due from its next slot."""
        now = self.app.clock.now()
        return {
            "community_id": community.id,
            "kind": kind,
            "name": name,
            "channel_id": channel.id if channel else None,
            "channel_name": channel.name if channel else None,
            "recurrence": rule.to_text(),
            "timezone": timezone,
            "params": dict(params or {}),
            "paused": False,
            "owner_user_id": owner_user_id,
            "active_since": now,
            "created_by": created_by or owner_user_id or "",
            "created_at": now,
            "updated_at": now,
            "next_due_at": next_fire(rule, timezone, now),
        }

    def _pausing(
        self,
        schedule: Schedule,
        paused: bool,
        *,
        rule: Rule | None = None,
        timezone: str | None = None,
    ) -> dict[str, Any]:
        """The values pausing (or resuming: due from the next slot after now) sets."""
        now = self.app.clock.now()
        values: dict[str, Any] = {"paused": paused, "updated_at": now, "next_due_at": None}
        if not paused:
            values["active_since"] = now
            values["next_due_at"] = next_fire(
                rule or rule_of(schedule.recurrence), timezone or schedule.timezone, now
            )
        return values

    def _check_kind(self, kind: str) -> None:
        if kind not in self.app.jobs:
            raise UsageError(
                f"Scheduled {kind!r} posts are not available: the feature that makes them is "
                "not enabled in this bot.",
                hint="Ask the bot's operator to enable it (see COGS in the README).",
            )

    def _changes(
        self,
        schedule: Schedule,
        *,
        rule: Rule | None,
        timezone: str | None,
        channel: ChannelRef | None,
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if rule is not None and rule.to_text() != schedule.recurrence:
            values["recurrence"] = rule.to_text()
        if timezone is not None and timezone != schedule.timezone:
            values["timezone"] = timezone
        if channel is not None and channel.id != schedule.channel_id:
            values.update(channel_id=channel.id, channel_name=channel.name)
        if values:
            now = self.app.clock.now()
            values["updated_at"] = now
            if "recurrence" in values or "timezone" in values:
                values["active_since"] = now  # the new timing starts now: no catch-up before
                changed = replace(
                    schedule,
                    recurrence=values.get("recurrence", schedule.recurrence),
                    timezone=values.get("timezone", schedule.timezone),
                )
                values["next_due_at"] = first_due(changed, now)
        return values

"""`/schedule ...`: moderators configure what the bot posts, where and when.

Everything here is moderator-only (checked by the dispatcher on every call) and every change is
written to the audit log. The schedules themselves live in the database and are run by the
schedule service (`app.schedules`, see `bot.scheduling.scheduler`). The community's time zone
and moderators are set with `/settings` (`cogs.settings`).

Longer than 500 lines: one command group (`/schedule`) and the helpers that describe schedules;
the parts that were not about schedules (`/settings`, the mix grammar, where the DSA mix is
kept) live elsewhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.cog import Cog, command
from bot.commands.context import AutocompleteContext, ChannelRef, Context
from bot.commands.errors import OptionError, UsageError
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Message, Section, Tone
from bot.scheduling.scheduler import ScheduleView
from bot.timing.cron import CronError, parse_cron
from bot.timing.recurrence import CronRule, Rule, WeeklyAt, fires_between, parse_rule, zone
from cogs.digest.issue_gap import MIN_ISSUE_GAP, refuse_if_too_soon
from cogs.dsa.mix import community_mix, set_community_mix
from cogs.dsa.rotation import describe_mix
from cogs.dsa.rotation import parse_mix as dsa_mix
from storage.audit import AuditEntry
from storage.digest import DigestRepository
from storage.dsa import DsaRepository
from storage.schedules import Schedule, ScheduleRun

#: The job kinds the schedule commands create (declared by the digest and DSA cogs).
DIGEST_KIND = "digest"
DSA_KIND = "dsa.daily"
KIND_LABELS = {DIGEST_KIND: "weekly tips digest", DSA_KIND: "DSA practice post"}

_TYPE_CHOICES = (Choice("digest", "digest"), Choice("dsa", "dsa"))
_TYPE_KINDS = {"digest": DIGEST_KIND, "dsa": DSA_KIND}


async def _schedule_names(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    community = await ctx.app.communities.find(ctx.place.platform, ctx.place.community_id)
    if community is None:
        return []
    typed = typed.strip().lower()
    names = [s.name for s in await ctx.app.schedules.repo.for_community(community.id)]
    return [Choice(n, n) for n in names if typed in n][:25]


def _name_option(required: bool = True) -> Option:
    return Option(
        "name",
        OptionType.STRING,
        "The schedule's name (see /schedule list)",
        required=required,
        max_length=40,
        autocomplete=_schedule_names,
    )


#: How far ahead schedules are compared for clashes and close digest issues.
COMPARE_AHEAD = timedelta(days=35)

_REPLACE_OPTION = Option(
    "replace", OptionType.BOOLEAN, "yes to change the existing schedule with this name"
)
_CONFIRM_OPTION = Option(
    "confirm", OptionType.BOOLEAN, "yes to allow two digest issues within 20 hours"
)


def parse_mix(raw: str) -> dict[str, int]:
    """A DSA post's problems per difficulty, in the grammar of `cogs.dsa.rotation.parse_mix`."""
    try:
        return dsa_mix(raw)
    except ValueError as exc:
        raise OptionError("mix", str(exc)) from None


def _local(instant: datetime, zone_name: str) -> str:
    return f"{instant.astimezone(zone(zone_name)):%a %d %b %H:%M}"


def describe_when(schedule: Schedule, community_zone: str) -> str:
    """`Mondays at 09:00 (Europe/London)`, plus the community's zone when it differs."""
    rule = parse_rule(schedule.recurrence)
    text = f"{rule.describe()} ({schedule.timezone})"
    if schedule.timezone != community_zone and isinstance(rule, WeeklyAt):
        text += f", set in {schedule.timezone}; this community uses {community_zone}"
    return text


def describe_run(run: ScheduleRun, zone_name: str) -> str:
    when = _local(run.scheduled_for, zone_name)
    if run.manual:
        when = f"run-now at {when}"
    status = {"done": "done", "failed": "FAILED", "missed": "missed", "running": "running"}.get(
        run.status, run.status
    )
    late = " (late)" if run.late else ""
    detail = f": {run.outcome}" if run.outcome else ""
    return f"{when} — {status}{late}{detail}"


class SchedulesCog(Cog):
    name = "schedules"
    description = "Moderators set what the bot posts on its own, where and when."
    groups = {
        "schedule": "Moderators: schedule the digest and DSA posts (list, pause, history...)",
    }

    # -- creating and changing ------------------------------------------------------------

    @command(
        "schedule digest",
        "Post the weekly tips digest in a channel on a weekday at a time",
        Option("channel", OptionType.CHANNEL, "Where to post", required=True),
        Option("day", OptionType.WEEKDAY, "Weekday, e.g. mon", required=True),
        Option("time", OptionType.TIME, "Local time, e.g. 09:00", required=True),
        Option("timezone", OptionType.TIMEZONE, "IANA zone (default: the community's)"),
        _name_option(required=False),
        _REPLACE_OPTION,
        _CONFIRM_OPTION,
        permission=Permission.MODERATOR,
        private=True,
        examples=(
            "/schedule digest #general mon 09:00",
            "/schedule digest #tips fri 17:30 Europe/Berlin replace:yes",
        ),
        help="To change an existing schedule, give its name with replace:yes. A second digest "
        "schedule publishing within 20 hours of another needs confirm:yes.",
    )
    async def digest(
        self,
        ctx: Context,
        channel: ChannelRef,
        day: int,
        time: dt.time,
        timezone: str | None,
        name: str | None,
        replace: bool | None,
        confirm: bool | None,
    ) -> None:
        rule = WeeklyAt(frozenset({day}), time)
        await self._save(
            ctx,
            DIGEST_KIND,
            name or "digest",
            rule,
            timezone,
            channel,
            {},
            replace=bool(replace),
            confirm=bool(confirm),
        )

    @command(
        "schedule dsa",
        "Post DSA practice problems in a channel on chosen days",
        Option("channel", OptionType.CHANNEL, "Where to post", required=True),
        Option("time", OptionType.TIME, "Local time, e.g. 18:00", required=True),
        Option("days", OptionType.DAYS, "e.g. mon-fri, weekends, mon,wed,fri (default daily)"),
        Option("timezone", OptionType.TIMEZONE, "IANA zone (default: the community's)"),
        Option("mix", OptionType.STRING, "Difficulty mix, e.g. easy:2,medium:1", max_length=60),
        _name_option(required=False),
        _REPLACE_OPTION,
        permission=Permission.MODERATOR,
        private=True,
        examples=(
            "/schedule dsa #dsa 18:00",
            "/schedule dsa #dsa 08:30 mon-fri mix:easy:1,medium:1",
        ),
        help="Days default to daily. The mix is the community's, shared by every DSA post and "
        "/dsa today: mix: here sets it like /dsa settings mix: does (default one easy and one "
        "medium problem). To change an existing schedule, give its name with replace:yes.",
    )
    async def dsa(
        self,
        ctx: Context,
        channel: ChannelRef,
        time: dt.time,
        days: frozenset[int] | None,
        timezone: str | None,
        mix: str | None,
        name: str | None,
        replace: bool | None,
    ) -> None:
        rule = WeeklyAt(days or frozenset(range(7)), time)
        await self._save(
            ctx,
            DSA_KIND,
            name or "dsa",
            rule,
            timezone,
            channel,
            {},
            replace=bool(replace),
            mix=parse_mix(mix) if mix is not None else None,
        )

    @command(
        "schedule cron",
        "Advanced: schedule a digest or DSA post with a five-field cron expression",
        Option("type", OptionType.STRING, "What to post", required=True, choices=_TYPE_CHOICES),
        Option("channel", OptionType.CHANNEL, "Where to post", required=True),
        Option(
            "expression",
            OptionType.STRING,
            "minute hour day-of-month month day-of-week, e.g. 0 9 * * mon",
            required=True,
            max_length=100,
            rest=True,
        ),
        Option("timezone", OptionType.TIMEZONE, "IANA zone (default: the community's)"),
        _name_option(required=False),
        _REPLACE_OPTION,
        _CONFIRM_OPTION,
        permission=Permission.MODERATOR,
        private=True,
        examples=(
            "/schedule cron digest #general 0 9 * * mon",
            '/schedule cron dsa #dsa "30 8 * * 1-5" timezone:Asia/Kolkata name:weekday-dsa',
        ),
        help="Times are local to the zone. Runs at most every 10 minutes. To change an existing "
        "schedule, give its name with replace:yes.",
    )
    async def cron(
        self,
        ctx: Context,
        type: str,
        channel: ChannelRef,
        expression: str,
        timezone: str | None,
        name: str | None,
        replace: bool | None,
        confirm: bool | None,
    ) -> None:
        try:
            spec = parse_cron(expression)
        except CronError as exc:
            raise OptionError("expression", str(exc)) from None
        kind = _TYPE_KINDS[type]
        await self._save(
            ctx,
            kind,
            name or type,
            CronRule(spec),
            timezone,
            channel,
            {},
            replace=bool(replace),
            confirm=bool(confirm),
        )

    async def _save(
        self,
        ctx: Context,
        kind: str,
        name: str,
        rule: Rule,
        timezone: str | None,
        channel: ChannelRef,
        params: dict[str, Any],
        *,
        replace: bool = False,
        confirm: bool = False,
        mix: dict[str, int] | None = None,
    ) -> None:
        """Create or replace the schedule; `mix` (DSA) becomes the community's mix once the
        schedule is stored."""
        service = self.app.schedules
        zone_name = timezone or ctx.community.timezone
        existing = await service.find(ctx.community.id, name)
        if existing is not None and (existing.is_personal or existing.kind != kind):
            what = KIND_LABELS.get(existing.kind, existing.kind)
            raise OptionError(
                "name",
                f"{name!r} is already the name of a {what} schedule.",
                hint="Pick another name with name:<new-name>.",
            )
        if existing is not None and not replace:
            raise OptionError(
                "name",
                f"there is already a schedule named **{name}**: "
                f"{KIND_LABELS.get(kind, kind)} in #{existing.channel_name}, "
                f"{describe_when(existing, ctx.community.timezone)}.",
                hint="To change it, add `replace:yes`; to add another, give it a name with "
                "`name:<new-name>`. See `/schedule list`.",
            )
        others = [
            v.schedule
            for v in await service.list_community(ctx.community.id)
            if v.schedule.name != name and v.schedule.kind == kind and not v.schedule.paused
        ]
        now = self.app.clock.now()
        mine = list(fires_between(rule, zone_name, now, now + COMPARE_AHEAD, limit=500))
        for other in others:
            theirs = list(
                fires_between(
                    parse_rule(other.recurrence),
                    other.timezone,
                    now,
                    now + COMPARE_AHEAD,
                    limit=500,
                )
            )
            same = sorted(set(mine) & set(theirs))
            if same and other.channel_id == channel.id:
                raise UsageError(
                    f"**{other.name}** already posts a {KIND_LABELS.get(kind, kind)} in "
                    f"#{other.channel_name} at that time ({_local(same[0], zone_name)} "
                    f"{zone_name}).",
                    hint=f"Pick another time or channel, or change it: "
                    f"`/schedule {_command_word(kind)} … name:{other.name} replace:yes`.",
                )
            if kind == DIGEST_KIND and not confirm:
                close = _closest_pair(mine, theirs)
                if close is not None and abs(close[0] - close[1]) < MIN_ISSUE_GAP:
                    raise UsageError(
                        f"**{other.name}** publishes a digest issue on "
                        f"{_local(close[1], zone_name)} and this one would publish another on "
                        f"{_local(close[0], zone_name)} ({zone_name}): two issues within 20 "
                        "hours.",
                        hint="If that is what you want, add `confirm:yes`; otherwise pick "
                        "another day or time.",
                    )
        if kind == DIGEST_KIND:
            params = {**params, "close_ok": True} if confirm else params
        if existing is None:
            schedule = await service.create(
                ctx.community,
                kind=kind,
                name=name,
                rule=rule,
                timezone=zone_name,
                actor=ctx.actor,
                channel=channel,
                params=params,
            )
            verb = "Scheduled"
        else:
            schedule = await service.update(
                existing,
                actor=ctx.actor,
                rule=rule,
                timezone=zone_name,
                channel=channel,
                params=params,
            )
            verb = "Updated"
        nxt = service.next_run(schedule)
        lines = [
            f"{verb} **{schedule.name}**: {KIND_LABELS.get(kind, kind)} in "
            f"#{schedule.channel_name}, {rule.describe()} ({schedule.timezone}).",
        ]
        if schedule.paused:
            lines.append("It is paused: `/schedule resume " + schedule.name + "` to restart it.")
        elif nxt is not None:
            lines.append(f"Next run: {_local(nxt, schedule.timezone)} ({schedule.timezone}).")
        if kind == DSA_KIND:
            lines.append(f"Problems per post: {describe_mix(await self._dsa_mix(ctx, mix))}.")
        await ctx.reply(Message(body="\n".join(lines), tone=Tone.SUCCESS))

    async def _dsa_mix(self, ctx: Context, new: dict[str, int] | None = None) -> dict[str, int]:
        """The community's DSA mix (kept with its DSA settings), after setting it to `new`."""
        repo = DsaRepository(self.app.db)
        if new is None:
            return await community_mix(repo, ctx.community.id)
        old = await set_community_mix(
            repo, ctx.community.id, new, by=ctx.actor.user_id, now=self.app.clock.now()
        )
        if old != new:
            await ctx.audit("dsa.settings", "dsa:settings", {"mix": old}, {"mix": new})
        return new

    # -- looking ---------------------------------------------------------------------------

    @command(
        "schedule list",
        "Every schedule: what, where, when, next and last run",
        permission=Permission.MODERATOR,
        private=True,
    )
    async def list_(self, ctx: Context) -> None:
        views = await self.app.schedules.list_community(ctx.community.id)
        community_zone = ctx.community.timezone
        if not views:
            await ctx.reply(
                Message(
                    body="No schedules yet. Create one with `/schedule digest` or `/schedule dsa` "
                    "(type `/help schedule` for examples).",
                )
            )
            return
        mix = None
        if any(v.schedule.kind == DSA_KIND for v in views):
            mix = describe_mix(await self._dsa_mix(ctx))
        sections = [_view_section(v, community_zone, mix) for v in views]
        await ctx.reply(
            Message(
                title=f"Schedules ({len(views)})",
                body=f"Times shown in the community's zone, {community_zone}.",
                sections=tuple(sections),
                footer="/schedule pause|resume|remove|run-now <name> · /schedule history [name]",
            )
        )

    @command(
        "schedule history",
        "Recent configuration changes and runs (of one schedule or all)",
        _name_option(required=False),
        permission=Permission.MODERATOR,
        private=True,
    )
    async def history(self, ctx: Context, name: str | None) -> None:
        service = self.app.schedules
        community_zone = ctx.community.timezone
        if name:
            schedule = await service.get(ctx.community.id, name)
            runs = [(schedule.name, r) for r in await service.runs(schedule.id, limit=10)]
            changes = await service.changes(ctx.community.id, schedule.name, limit=10)
            title = f"History of {schedule.name}"
        else:
            runs = await service.community_runs(ctx.community.id, limit=10)
            changes = await service.changes(ctx.community.id, limit=10)
            title = "Schedule history"
        run_lines = [f"- {n}: {describe_run(r, community_zone)}" for n, r in runs]
        change_lines = [_describe_change(e, community_zone) for e in changes]
        await ctx.reply(
            Message(
                title=title,
                body=f"Times in {community_zone}, newest first.",
                sections=(
                    Section("Runs", "\n".join(run_lines) or "No runs yet."),
                    Section("Changes", "\n".join(change_lines) or "No changes recorded."),
                ),
            )
        )

    # -- pause, resume, remove, run now ----------------------------------------------------

    @command(
        "schedule pause",
        "Stop a schedule until resumed",
        _name_option(),
        permission=Permission.MODERATOR,
        private=True,
    )
    async def pause(self, ctx: Context, name: str) -> None:
        schedule = await self.app.schedules.get(ctx.community.id, name)
        if schedule.paused:
            await ctx.reply(f"**{schedule.name}** is already paused.")
            return
        await self.app.schedules.pause(schedule, actor=ctx.actor)
        await ctx.reply(
            Message(
                body=f"Paused **{schedule.name}**. `/schedule resume {schedule.name}` restarts "
                "it; posts skipped meanwhile are not sent later.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "schedule resume",
        "Restart a paused schedule",
        _name_option(),
        permission=Permission.MODERATOR,
        private=True,
    )
    async def resume(self, ctx: Context, name: str) -> None:
        schedule = await self.app.schedules.get(ctx.community.id, name)
        if not schedule.paused:
            await ctx.reply(f"**{schedule.name}** is not paused.")
            return
        resumed = await self.app.schedules.resume(schedule, actor=ctx.actor)
        nxt = self.app.schedules.next_run(resumed)
        when = f" Next run: {_local(nxt, ctx.community.timezone)}." if nxt else ""
        await ctx.reply(Message(body=f"Resumed **{schedule.name}**.{when}", tone=Tone.SUCCESS))

    @command(
        "schedule remove",
        "Delete a schedule",
        _name_option(),
        permission=Permission.MODERATOR,
        private=True,
    )
    async def remove(self, ctx: Context, name: str) -> None:
        schedule = await self.app.schedules.get(ctx.community.id, name)
        await self.app.schedules.remove(schedule, actor=ctx.actor)
        await ctx.reply(Message(body=f"Removed **{schedule.name}**.", tone=Tone.SUCCESS))

    @command(
        "schedule run-now",
        "Run a schedule once, right now (its regular times stay)",
        _name_option(),
        _CONFIRM_OPTION,
        permission=Permission.MODERATOR,
        private=True,
        help="A digest issue within 20 hours of the previous one needs confirm:yes.",
    )
    async def run_now(self, ctx: Context, name: str, confirm: bool | None) -> None:
        schedule = await self.app.schedules.get(ctx.community.id, name)
        if schedule.kind == DIGEST_KIND and not confirm:
            refuse_if_too_soon(
                await DigestRepository(self.app.db).latest(ctx.community.id),
                self.app.clock.now(),
                hint=f"To publish anyway: `/schedule run-now {schedule.name} confirm:yes`.",
            )
        result = await self.app.schedules.run_now(schedule, actor=ctx.actor)
        if result.status == "done":
            body = f"Ran **{schedule.name}** now: {result.outcome}."
            tone = Tone.SUCCESS
        else:
            body = f"**{schedule.name}** could not run: {result.outcome}."
            tone = Tone.ERROR
        await ctx.reply(Message(body=body, tone=tone))


def _command_word(kind: str) -> str:
    return "digest" if kind == DIGEST_KIND else "dsa"


def _closest_pair(
    mine: Sequence[datetime], theirs: Sequence[datetime]
) -> tuple[datetime, datetime] | None:
    """The pair (one of mine, one of theirs) closest in time, or None when either is empty."""
    best: tuple[datetime, datetime] | None = None
    for a in mine:
        for b in theirs:
            if best is None or abs(a - b) < abs(best[0] - best[1]):
                best = (a, b)
    return best


def _view_section(view: ScheduleView, community_zone: str, mix_text: str | None) -> Section:
    """One schedule in `/schedule list`; `mix_text` is the community's DSA mix, described."""
    s = view.schedule
    what = KIND_LABELS.get(s.kind, s.kind)
    where = f"#{s.channel_name}" if s.channel_name else "(no channel)"
    lines = [f"{what} in {where}", f"When: {describe_when(s, community_zone)}"]
    if s.kind == DSA_KIND and mix_text is not None:
        lines.append(f"Problems: {mix_text}")
    if s.paused:
        lines.append("Next run: none — **paused**")
    elif view.next_run is not None:
        lines.append(f"Next run: {_local(view.next_run, community_zone)}")
    last = view.last_run
    lines.append(f"Last run: {describe_run(last, community_zone) if last else 'never'}")
    title = s.name + (" (paused)" if s.paused else "")
    return Section(title, "\n".join(lines))


def _describe_change(entry: AuditEntry, zone_name: str) -> str:
    when = _local(entry.at, zone_name)
    verb = entry.action.removeprefix("schedule.").replace("_", "-")
    name = entry.target.removeprefix("schedule:")
    detail = ""
    if isinstance(entry.old_value, dict) and isinstance(entry.new_value, dict):
        diffs = [
            f"{k}: {entry.old_value.get(k)} → {v}"
            for k, v in entry.new_value.items()
            if entry.old_value.get(k) != v and k != "paused"
        ]
        detail = f" ({'; '.join(diffs)})" if diffs else ""
    elif isinstance(entry.new_value, dict) and "recurrence" in entry.new_value:
        detail = f" ({entry.new_value['recurrence']} {entry.new_value.get('timezone', '')})"
    return f"- {when} {verb} {name} by @{entry.actor_name}{detail}"

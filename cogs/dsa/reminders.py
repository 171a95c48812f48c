"""Personal reminders: `/dsa remind ...` and the `dsa.reminder` job."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.cog import command, job
from bot.commands.context import Context
from bot.commands.errors import OptionError
from bot.commands.registry import Option, OptionType
from bot.messages import Field, Message, Tone
from bot.scheduling.jobs import BatchOutcome, Delivery, Destination, RunContext
from bot.timing.recurrence import WeeklyAt, parse_rule, zone
from bot.timing.timeparse import describe_days
from cogs.dsa.base import (
    _DIFFICULTY_CHOICES,
    REMINDER_KIND,
    DsaBase,
    _approach_buttons,
    _fmt_day,
    _problem_section,
    _solve_button,
    _streak_line,
)
from cogs.dsa.rotation import (
    parse_patterns,
    pick_for_member,
)
from cogs.dsa.streaks import Streak, compute, local_day
from content.problems import Problem
from storage.communities import Community
from storage.dsa_reminders import MemberPractice, ReminderStore
from storage.schedules import Schedule

if TYPE_CHECKING:
    from bot.app import Application


class ReminderCommands(DsaBase):
    """Personal reminders: `/dsa remind ...` and the `dsa.reminder` job."""

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.reminder_store = ReminderStore(app.db)

    @command(
        "dsa remind set",
        "Get a DM with a problem picked for you at a local time",
        Option("time", OptionType.TIME, "Local time, e.g. 07:30 or 6pm", required=True),
        Option(
            "timezone",
            OptionType.TIMEZONE,
            "IANA zone such as Europe/London (default: the community's)",
        ),
        Option("days", OptionType.DAYS, "daily (default), mon-fri, or a list such as mon,wed,fri"),
        Option(
            "difficulty",
            OptionType.STRING,
            "Only this difficulty (default: any)",
            choices=_DIFFICULTY_CHOICES,
        ),
        Option(
            "patterns",
            OptionType.STRING,
            "Only these patterns, e.g. trees,graphs (default: all)",
            max_length=300,
        ),
        private=True,
        examples=(
            "/dsa remind set 07:30 Europe/London",
            "/dsa remind set 18:00 America/New_York days:mon-fri difficulty:medium",
        ),
        help="The reminder follows your local time across daylight-saving changes. Its time zone "
        "is also the one your streak days are counted in.",
    )
    async def remind_set(
        self,
        ctx: Context,
        time: dt.time,
        timezone: str | None,
        days: frozenset[int] | None,
        difficulty: str | None,
        patterns: str | None,
    ) -> None:
        try:
            pattern_set = parse_patterns(patterns) if patterns else frozenset()
        except ValueError as exc:
            raise OptionError("patterns", str(exc)) from None
        difficulties = [] if difficulty in (None, "any") else [difficulty]
        zone_name = timezone or ctx.community.timezone
        rule = WeeklyAt(days or frozenset(range(7)), time)
        existed = await self._reminder_schedule(ctx.community.id, ctx.actor.user_id)
        schedule = await self.app.schedules.upsert_personal(
            ctx.community,
            kind=REMINDER_KIND,
            owner_user_id=ctx.actor.user_id,
            rule=rule,
            timezone=zone_name,
            params={
                "difficulties": difficulties,
                "patterns": sorted(pattern_set),
                "name": ctx.actor.display_name,
            },
        )
        title = "Reminder updated" if existed is not None else "Reminder set"
        await ctx.reply(self._reminder_status(schedule, title=title, tone=Tone.SUCCESS))

    @command("dsa remind status", "Show your DSA reminder", private=True)
    async def remind_status(self, ctx: Context) -> None:
        schedule = await self._reminder_schedule(ctx.community.id, ctx.actor.user_id)
        if schedule is None:
            await ctx.reply(
                "You have no DSA reminder. Set one with `/dsa remind set 07:30 Europe/London`."
            )
            return
        await ctx.reply(self._reminder_status(schedule, title="Your DSA reminder"))

    @command("dsa remind off", "Stop your DSA reminder", private=True)
    async def remind_off(self, ctx: Context) -> None:
        removed = await self.app.schedules.remove_personal(
            ctx.community.id, REMINDER_KIND, ctx.actor.user_id
        )
        if removed:
            await ctx.reply(
                Message(
                    body="Your DSA reminder is off. Your progress and streak are kept; streak "
                    "days are now counted in the community's time zone.",
                    tone=Tone.SUCCESS,
                )
            )
        else:
            await ctx.reply("You had no DSA reminder, so there was nothing to turn off.")

    def _reminder_status(
        self, schedule: Schedule, *, title: str, tone: Tone = Tone.NORMAL
    ) -> Message:
        rule = parse_rule(schedule.recurrence)
        nxt = self.app.schedules.next_run(schedule)
        params = schedule.params
        difficulty = ", ".join(params.get("difficulties") or []) or "any"
        pattern_text = ", ".join(params.get("patterns") or []) or "all"
        when = (
            rule.describe()
            if not isinstance(rule, WeeklyAt)
            else (f"{describe_days(rule.days)} at {rule.at:%H:%M}")
        )
        fields = [
            Field("When", f"{when} ({schedule.timezone})"),
            Field("Difficulty", difficulty),
            Field("Patterns", pattern_text),
        ]
        if nxt is not None:
            local = nxt.astimezone(zone(schedule.timezone))
            fields.append(Field("Next", f"{local:%a %d %b %H:%M} ({schedule.timezone})"))
        return Message(
            title=title,
            fields=tuple(fields),
            footer="Change it with /dsa remind set; stop it with /dsa remind off.",
            tone=tone,
        )

    @job(REMINDER_KIND, "DMs a member a DSA problem picked for them", batch=True)
    async def _reminders(self, ctxs: Sequence[RunContext]) -> list[BatchOutcome]:
        """Every due reminder of a batch, with a few queries per community for all of them."""
        outcomes: list[BatchOutcome] = [[] for _ in ctxs]
        by_community: dict[int, list[int]] = defaultdict(list)
        for i, ctx in enumerate(ctxs):
            if ctx.owner_user_id is not None:
                by_community[ctx.community.id].append(i)
        for indexes in by_community.values():
            batch = [ctxs[i] for i in indexes]
            try:
                composed = await self._community_reminders(batch)
            except Exception as exc:  # one community's failure leaves the others' runs alone
                composed = [exc] * len(batch)
            for i, outcome in zip(indexes, composed, strict=True):
                outcomes[i] = outcome
        return outcomes

    async def _community_reminders(self, ctxs: Sequence[RunContext]) -> list[BatchOutcome]:
        """Reminders of one community's members: read their practice once, pick, compose."""
        community = ctxs[0].community
        include_premium = (await self._config(community)).include_premium
        days = [local_day(ctx.scheduled_for, ctx.timezone) for ctx in ctxs]
        members = [(str(ctx.owner_user_id), day) for ctx, day in zip(ctxs, days, strict=True)]
        practice = await self.reminder_store.practice(community.id, members)
        now = self.app.clock.now()
        picks: dict[tuple[str, dt.date], str] = {}
        outcomes: list[BatchOutcome] = []
        for ctx, (user, day) in zip(ctxs, members, strict=True):
            mine = practice.get(user) or MemberPractice()
            problem = self._reminder_problem(ctx, mine, day, include_premium=include_premium)
            if problem is not None and problem.id != mine.pick:
                picks[(user, day)] = problem.id
            streak = compute(mine.solve_days, local_day(now, ctx.timezone))
            name = str(ctx.params.get("name") or user)
            destination = Destination.dm(community, user, name)
            message = _reminder_message(community, day, problem, streak)
            outcomes.append([Delivery(destination, message)])
        await self.reminder_store.set_picks(community.id, picks, now=now)
        return outcomes

    def _reminder_problem(
        self, ctx: RunContext, mine: MemberPractice, day: dt.date, *, include_premium: bool
    ) -> Problem | None:
        """Today's pick when it is unsolved and within the reminder's filters, else a new one."""
        difficulties = ctx.params.get("difficulties") or ()
        patterns = ctx.params.get("patterns") or ()
        existing = (
            self.problems.get(mine.pick) if mine.pick and mine.pick not in mine.solved else None
        )
        if existing is not None and (
            (not difficulties or existing.difficulty in difficulties)
            and (not patterns or existing.in_any(patterns))
            and (include_premium or not existing.premium)
        ):
            return existing
        # No pick yet, or today's pick (from `/dsa skip` or another reminder) is outside this
        # reminder's filters: pick within them.
        return pick_for_member(
            self.problems.problems,
            solved=mine.solved,
            skipped=mine.skipped,
            difficulties=difficulties,
            patterns=patterns,
            include_premium=include_premium,
            seed=f"{ctx.community.id}:{ctx.owner_user_id}:{day}",
        )


def _reminder_message(
    community: Community, day: dt.date, problem: Problem | None, streak: Streak
) -> Message:
    """The reminder DM: the problem with its buttons, or praise when nothing is left."""
    if problem is None:
        return Message(
            title="DSA reminder",
            body="You have solved every problem your reminder covers — impressive! Widen it "
            "with /dsa remind set (difficulty or patterns), or revisit an old one.",
        )
    keep = (
        "Solve one today to keep it going."
        if streak.last_day != day
        else "You already solved one today."
    )
    return Message(
        title=f"Your DSA problem for {_fmt_day(day)}",
        sections=(_problem_section(problem),),
        buttons=(_solve_button(problem, community), *_approach_buttons([problem])),
        footer=f"{_streak_line(streak)}. {keep} Not this one? /dsa skip.",
    )

"""Personal reminders: `/dsa remind ...` and the `dsa.reminder` job."""

from __future__ import annotations

import datetime as dt

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import OptionError
from bot.commands.registry import Option, OptionType
from bot.messages import Field, Message, Tone
from bot.scheduling.jobs import Delivery, Destination, RunContext
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
from cogs.dsa.streaks import local_day
from storage.schedules import Schedule


class ReminderCommands(DsaBase):
    """Personal reminders: `/dsa remind ...` and the `dsa.reminder` job."""

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

    async def _reminder(self, ctx: RunContext) -> list[Delivery]:
        community, user = ctx.community, ctx.owner_user_id
        if user is None:
            return []
        schedule = await self._reminder_schedule(community.id, user)
        zone_name = schedule.timezone if schedule is not None else community.timezone
        params = ctx.params
        day = local_day(ctx.scheduled_for, zone_name)
        solved = await self.repo.solved_ids(community.id, user)
        existing = await self.repo.pick(community.id, user, day)
        include_premium = (await self._config(community)).include_premium
        difficulties = params.get("difficulties") or ()
        patterns = params.get("patterns") or ()
        problem = self.problems.get(existing) if existing and existing not in solved else None
        if problem is not None and not (
            (not difficulties or problem.difficulty in difficulties)
            and (not patterns or problem.pattern in patterns)
            and (include_premium or not problem.premium)
        ):
            # Today's pick (from `/dsa skip` or another reminder) is outside this reminder's
            # filters: the reminder picks within them instead.
            problem = None
        if problem is None:
            problem = pick_for_member(
                self.problems.problems,
                solved=solved,
                skipped=await self.repo.skipped_ids(community.id, user),
                difficulties=difficulties,
                patterns=patterns,
                include_premium=include_premium,
                seed=f"{community.id}:{user}:{day}",
            )
            if problem is not None:
                await self.repo.set_pick(
                    community.id, user, day, problem.id, now=self.app.clock.now()
                )
        streak = await self._streak(community, user, zone_name)
        destination = Destination.dm(community, user, str(params.get("name") or user))
        if problem is None:
            message = Message(
                title="DSA reminder",
                body="You have solved every problem your reminder covers — impressive! Widen it "
                "with /dsa remind set (difficulty or patterns), or revisit an old one.",
            )
            return [Delivery(destination, message)]
        keep = (
            "Solve one today to keep it going."
            if streak.last_day != day
            else "You already solved one today."
        )
        message = Message(
            title=f"Your DSA problem for {_fmt_day(day)}",
            sections=(_problem_section(problem),),
            buttons=(_solve_button(problem, community), *_approach_buttons([problem])),
            footer=f"{_streak_line(streak)}. {keep} Not this one? /dsa skip.",
        )
        return [Delivery(destination, message)]

"""`/dsa ...`: the community's problems of the day, personal reminders, progress and streaks.

Scheduled work: `dsa.daily` posts the day's problems to a channel (moderators create it with
`/schedule dsa`); `dsa.reminder` DMs one member a problem picked for them (a PERSONAL schedule
created by `/dsa remind set`, stored through the schedule service).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cog import Cog, action, command
from bot.commands.context import ActionContext, AutocompleteContext, BaseContext, Context, UserRef
from bot.commands.errors import NotFound, OptionError
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Button, ButtonStyle, Field, Message, Section, Tone
from bot.scheduling.jobs import Delivery, Destination, DestinationKind, JobKind, RunContext
from bot.timing.recurrence import WeeklyAt, parse_rule, zone
from bot.timing.timeparse import describe_days
from cogs.dsa.progress import Period, period_days, rank
from cogs.dsa.rotation import (
    DEFAULT_MIX,
    NothingToPick,
    RotationConfig,
    day_picks,
    parse_mix,
    parse_patterns,
    pick_for_member,
)
from cogs.dsa.streaks import RULES_TEXT, Streak, compute, local_day
from content.problems import DIFFICULTIES, PATTERNS, Problem, problem_set
from storage.communities import Community
from storage.dsa import DsaRepository, RotationState, dsa_picks, dsa_skips, dsa_solves
from storage.schedules import Schedule

if TYPE_CHECKING:
    from bot.app import Application

DAILY_KIND = "dsa.daily"
REMINDER_KIND = "dsa.reminder"
SOLVED_ACTION = "dsa.solved"
HISTORY_LIMIT = 10
LEADERBOARD_SIZE = 10

_PERIOD_CHOICES = tuple(Choice(p.value, p.value) for p in Period)
_DIFFICULTY_CHOICES = (*(Choice(d, d) for d in DIFFICULTIES), Choice("any", "any"))


async def _problem_names(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    return [Choice(p.title, p.id) for p in problem_set().search(typed)]


def _fmt_day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def _problem_section(problem: Problem, *, heading_prefix: str = "") -> Section:
    premium = " · LeetCode Premium" if problem.premium else ""
    return Section(
        f"{heading_prefix}{problem.title}",
        f"{problem.url} · {problem.difficulty.title()} · {problem.pattern_name}{premium}\n\n"
        f"*Hint:* {problem.hint}",
    )


def _solve_button(problem: Problem, community: Community | None = None) -> Button:
    """The "Mark solved" button. DM buttons carry the community (`id@community`): a click in a
    DM arrives from the platform without the server or workspace it belongs to."""
    value = problem.id if community is None else f"{problem.id}@{community.id}"
    return Button(f"Mark solved: {problem.title}"[:80], SOLVED_ACTION, value, ButtonStyle.SUCCESS)


def _streak_line(streak: Streak) -> str:
    days = "day" if streak.current == 1 else "days"
    return f"Streak: {streak.current} {days} (best {streak.best})"


class DsaCog(Cog):
    name = "dsa"
    description = "DSA practice: problems of the day, personal reminders, progress and streaks."
    groups = {"dsa": "DSA interview practice: daily problems, reminders, streaks"}

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.repo = DsaRepository(app.db)
        self.problems = problem_set()

    async def setup(self) -> None:
        register = self.app.privacy.register_table
        db = self.app.db
        register("dsa_solves", "DSA problems you marked solved, and on which day", db, dsa_solves)
        register("dsa_skips", "DSA problems you skipped", db, dsa_skips)
        register("dsa_picks", "Problems picked for your reminders", db, dsa_picks)

    def jobs(self) -> list[JobKind]:
        return [
            JobKind(DAILY_KIND, "Posts the community's DSA problems of the day", self._daily),
            JobKind(REMINDER_KIND, "DMs a member a DSA problem picked for them", self._reminder),
        ]

    # -- shared helpers -------------------------------------------------------------------

    async def _config(
        self, community: Community, mix: Mapping[str, Any] | None = None
    ) -> RotationConfig:
        stored = await self.repo.settings(community.id)
        chosen = dict(mix) if mix else (stored.mix if stored else dict(DEFAULT_MIX))
        return RotationConfig(
            mix={d: int(chosen.get(d, 0)) for d in DIFFICULTIES},
            patterns=frozenset(stored.patterns) if stored else frozenset(),
            include_premium=stored.include_premium if stored else False,
        )

    async def _day_problems(
        self, community: Community, day: date, mix: Mapping[str, Any] | None = None
    ) -> list[Problem]:
        """The community's problems for `day`, chosen on first request and then fixed."""
        config = await self._config(community, mix)
        seed = f"{community.platform}:{community.external_id}"

        def choose(states: dict[str, RotationState]) -> list[tuple[str, str, int]]:
            plain = {d: (s.cycle, s.used, s.previous) for d, s in states.items()}
            picks = day_picks(self.problems.problems, config, seed=seed, states=plain)
            return [(p.problem.id, p.problem.difficulty, p.cycle) for p in picks]

        try:
            rows = await self.repo.ensure_day(community.id, day, choose, now=self.app.clock.now())
        except NothingToPick:
            raise NotFound(
                "No problem matches this community's DSA settings.",
                hint="A moderator can widen them with /dsa settings patterns:all.",
            ) from None
        return [p for r in rows if (p := self.problems.get(r.problem_id)) is not None]

    async def _reminder_schedule(self, community_id: int, user_id: str) -> Schedule | None:
        return await self.app.schedules.get_personal(community_id, REMINDER_KIND, user_id)

    async def _member_zone(self, community: Community, user_id: str) -> str:
        """The zone the member's days are counted in: their reminder's, else the community's."""
        reminder = await self._reminder_schedule(community.id, user_id)
        return reminder.timezone if reminder is not None else community.timezone

    async def _streak(self, community: Community, user_id: str, zone_name: str) -> Streak:
        days = {s.local_day for s in await self.repo.solves(community.id, user_id)}
        return compute(days, local_day(self.app.clock.now(), zone_name))

    async def _current_problem(self, ctx: BaseContext) -> Problem:
        """What `/dsa done` and `/dsa skip` mean by "today's": the member's own pick for today
        when they have one and have not solved it, else the first unsolved problem of the day."""
        community, user = ctx.community, ctx.actor.user_id
        zone_name = await self._member_zone(community, user)
        today = local_day(self.app.clock.now(), zone_name)
        solved = await self.repo.solved_ids(community.id, user)
        mine = await self.repo.pick(community.id, user, today)
        if mine is not None and mine not in solved and (p := self.problems.get(mine)):
            return p
        community_day = local_day(self.app.clock.now(), community.timezone)
        todays = await self._day_problems(community, community_day)
        skipped = await self.repo.skipped_ids(community.id, user)
        for problem in todays:
            if problem.id not in solved and problem.id not in skipped:
                return problem
        return next((p for p in todays if p.id not in solved), todays[0])

    def _title(self, problem_id: str) -> str:
        found = self.problems.get(problem_id)
        return found.title if found else problem_id

    def _find(self, typed: str) -> Problem:
        found = self.problems.find(typed)
        if found is not None:
            return found
        close = self.problems.suggest(typed)
        hint = (
            "Did you mean " + ", ".join(f"{p.title} (`{p.id}`)" for p in close) + "?"
            if close
            else "Give the problem's title, its LeetCode slug such as two-sum, or its URL."
        )
        raise NotFound(f"I do not know the problem {typed!r}.", hint=hint)

    async def _mark_solved(
        self, ctx: BaseContext, problem: Problem, community: Community | None = None
    ) -> None:
        community, user = community or ctx.community, ctx.actor.user_id
        zone_name = await self._member_zone(community, user)
        now = self.app.clock.now()
        day = local_day(now, zone_name)
        new = await self.repo.add_solve(
            community.id, user, problem.id, local_day=day, timezone=zone_name, now=now
        )
        streak = await self._streak(community, user, zone_name)
        if new:
            body = f"Marked **{problem.title}** solved for {_fmt_day(day)}. {_streak_line(streak)}."
            tone = Tone.SUCCESS
        else:
            first = next(
                s for s in await self.repo.solves(community.id, user) if s.problem_id == problem.id
            )
            body = (
                f"You already marked **{problem.title}** solved on {_fmt_day(first.local_day)}; "
                f"it counts once. {_streak_line(streak)}."
            )
            tone = Tone.NORMAL
        await ctx.reply(Message(body=body, tone=tone, private=True))

    # -- members --------------------------------------------------------------------------

    @command(
        "dsa today",
        "Show today's DSA problems of the day",
        private=True,
        examples=("/dsa today",),
    )
    async def today(self, ctx: Context) -> None:
        community = ctx.community
        day = local_day(self.app.clock.now(), community.timezone)
        problems = await self._day_problems(community, day)
        solved = await self.repo.solved_ids(community.id, ctx.actor.user_id)
        sections = [
            _problem_section(p, heading_prefix="✅ " if p.id in solved else "") for p in problems
        ]
        zone_name = await self._member_zone(community, ctx.actor.user_id)
        mine = await self.repo.pick(
            community.id, ctx.actor.user_id, local_day(self.app.clock.now(), zone_name)
        )
        own = self.problems.get(mine) if mine else None
        buttons = [_solve_button(p) for p in problems if p.id not in solved]
        if own is not None and own not in problems:
            sections.append(_problem_section(own, heading_prefix="Your pick: "))
            if own.id not in solved:
                buttons.append(_solve_button(own))
        await ctx.reply(
            Message(
                title=f"Problems of the day — {_fmt_day(day)}",
                sections=tuple(sections),
                buttons=tuple(buttons),
                footer="Solved one? /dsa done, or press its button. Too hard today? /dsa skip.",
            )
        )

    @command(
        "dsa done",
        "Mark a problem solved (default: today's)",
        Option(
            "problem",
            OptionType.STRING,
            "Title, LeetCode slug or URL (default: today's problem)",
            max_length=200,
            autocomplete=_problem_names,
            rest=True,
        ),
        private=True,
        examples=(
            "/dsa done",
            "/dsa done two sum",
            "/dsa done https://leetcode.com/problems/3sum/",
        ),
        help=RULES_TEXT,
    )
    async def done(self, ctx: Context, problem: str | None) -> None:
        chosen = self._find(problem) if problem else await self._current_problem(ctx)
        await self._mark_solved(ctx, chosen)

    @action(SOLVED_ACTION)
    async def solved_button(self, ctx: ActionContext, value: str) -> None:
        problem_id, _, community_ref = value.partition("@")
        problem = self.problems.get(problem_id)
        if problem is None:
            raise NotFound("That problem is no longer in the set. Try /dsa today.")
        community = ctx.community
        if community_ref.isdigit() and int(community_ref) != community.id:
            # A reminder's button pressed in a DM: count it in the community that sent it, for
            # the member who was sent it (same platform, and a member there).
            home = await self.app.communities.get(int(community_ref))
            known = home and await self.app.communities.find_member(home.id, ctx.actor.user_id)
            if home is None or not known or home.platform != ctx.place.platform:
                raise NotFound("That button belongs to another community. Try /dsa done there.")
            community = home
        await self._mark_solved(ctx, problem, community)

    @command(
        "dsa skip",
        "Skip today's problem and get another one picked for you",
        private=True,
        examples=("/dsa skip",),
    )
    async def skip(self, ctx: Context) -> None:
        community, user = ctx.community, ctx.actor.user_id
        current = await self._current_problem(ctx)
        zone_name = await self._member_zone(community, user)
        now = self.app.clock.now()
        day = local_day(now, zone_name)
        solved = await self.repo.solved_ids(community.id, user)
        if current.id in solved:
            lead = f"You already solved **{current.title}**, so there is nothing to skip."
        else:
            await self.repo.add_skip(community.id, user, current.id, local_day=day, now=now)
            lead = f"Skipped **{current.title}**."
        skipped = await self.repo.skipped_ids(community.id, user)
        reminder = await self._reminder_schedule(community.id, user)
        params = reminder.params if reminder else {}
        replacement = pick_for_member(
            self.problems.problems,
            solved=solved,
            skipped=skipped | {current.id},
            difficulties=params.get("difficulties", ()),
            patterns=params.get("patterns", ()),
            seed=f"{community.id}:{user}:{day}:{len(skipped)}",
        )
        if replacement is None or replacement.id == current.id:
            await ctx.reply(f"{lead} You have solved everything else — well done!")
            return
        await self.repo.set_pick(community.id, user, day, replacement.id, now=now)
        await ctx.reply(
            Message(
                body=f"{lead} Try this one instead:",
                sections=(_problem_section(replacement),),
                buttons=(_solve_button(replacement),),
                footer="Skipping does not break your streak; solving anything today keeps it.",
            )
        )

    @command(
        "dsa history",
        "Your latest solved and skipped problems",
        private=True,
        examples=("/dsa history",),
    )
    async def history(self, ctx: Context) -> None:
        community, user = ctx.community, ctx.actor.user_id
        solves = await self.repo.solves(community.id, user, limit=HISTORY_LIMIT)
        skips = await self.repo.skips(community.id, user, limit=5)
        if not solves and not skips:
            await ctx.reply("Nothing yet. Start with /dsa today, then /dsa done when you solve it.")
            return
        lines = []
        for s in solves:
            p = self.problems.get(s.problem_id)
            title = f"[{p.title}]({p.url}) ({p.difficulty})" if p else s.problem_id
            lines.append(f"- {_fmt_day(s.local_day)}: {title}")
        sections = [Section(f"Solved (latest {len(solves)})", "\n".join(lines))] if lines else []
        if skips:
            skipped = [f"- {_fmt_day(s.local_day)}: {self._title(s.problem_id)}" for s in skips]
            sections.append(Section("Skipped", "\n".join(skipped)))
        await ctx.reply(Message(title="Your DSA history", sections=tuple(sections)))

    @command(
        "dsa stats",
        "Solved by difficulty and pattern, current and best streak",
        Option("member", OptionType.USER, "Someone else's stats (default: yours)"),
        private=True,
        examples=("/dsa stats", "/dsa stats @ana"),
        help=RULES_TEXT,
    )
    async def stats(self, ctx: Context, member: UserRef | None) -> None:
        community = ctx.community
        user_id = member.id if member else ctx.actor.user_id
        name = member.name if member else ctx.actor.display_name
        zone_name = await self._member_zone(community, user_id)
        solves = await self.repo.solves(community.id, user_id)
        streak = compute({s.local_day for s in solves}, local_day(self.app.clock.now(), zone_name))
        solved = [p for s in solves if (p := self.problems.get(s.problem_id)) is not None]
        by_difficulty = Counter(p.difficulty for p in solved)
        totals = Counter(p.difficulty for p in self.problems)
        by_pattern = Counter(p.pattern for p in solved)
        pattern_totals = Counter(p.pattern for p in self.problems)
        fields = [
            Field("Solved", f"{len(solved)} of {len(self.problems)}"),
            Field("Current streak", f"{streak.current} day{'s' if streak.current != 1 else ''}"),
            Field("Best streak", f"{streak.best} day{'s' if streak.best != 1 else ''}"),
            *(Field(d.title(), f"{by_difficulty[d]} of {totals[d]}") for d in DIFFICULTIES),
        ]
        pattern_lines = [
            f"- {PATTERNS[pid]}: {by_pattern[pid]} of {pattern_totals[pid]}"
            for pid in PATTERNS
            if by_pattern[pid]
        ]
        sections = (Section("By pattern", "\n".join(pattern_lines)),) if pattern_lines else ()
        await ctx.reply(
            Message(
                title=f"DSA stats — {name}",
                fields=tuple(fields),
                sections=sections,
                footer=f"Days are counted in {zone_name}. {RULES_TEXT}",
            )
        )

    @command(
        "dsa leaderboard",
        "Who solved the most problems this week, this month or ever",
        Option(
            "period",
            OptionType.STRING,
            "week, month or all (default: week)",
            choices=_PERIOD_CHOICES,
        ),
        examples=("/dsa leaderboard", "/dsa leaderboard month"),
        help="Weeks start on Monday and months on the 1st, in the community's time zone. Members "
        "with the same count share a place; among them, whoever got there first is listed first.",
    )
    async def leaderboard(self, ctx: Context, period: str | None) -> None:
        community = ctx.community
        chosen = Period(period or Period.WEEK.value)
        today = local_day(self.app.clock.now(), community.timezone)
        since, until = period_days(chosen, today)
        ranked = rank(await self.repo.counts(community.id, since_day=since, until_day=until))
        label = {
            Period.WEEK: f"this week (since {since:%a %d %b})" if since else "",
            Period.MONTH: f"{today:%B %Y}",
            Period.ALL: "all time",
        }[chosen]
        if not ranked:
            await ctx.reply(f"No problems solved {label} yet. Be the first: /dsa today.")
            return
        lines = [
            f"**{r.rank}.** {r.display_name} — {r.solves} solved" for r in ranked[:LEADERBOARD_SIZE]
        ]
        await ctx.reply(Message(title=f"DSA leaderboard — {label}", body="\n".join(lines)))

    # -- moderators -----------------------------------------------------------------------

    @command(
        "dsa settings",
        "Show or change which problems the community's daily posts draw from",
        Option(
            "patterns",
            OptionType.STRING,
            "all, or a list such as trees,graphs,dp-1d",
            max_length=300,
        ),
        Option(
            "mix",
            OptionType.STRING,
            "Problems per day by difficulty, e.g. easy:1,medium:2",
            max_length=60,
        ),
        Option("premium", OptionType.BOOLEAN, "Include LeetCode Premium problems"),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/dsa settings", "/dsa settings patterns:trees,graphs mix:medium:2"),
        help="Patterns: " + ", ".join(PATTERNS) + ". The mix set here is used by /dsa today and "
        "schedules without their own; /schedule dsa posts use the schedule's mix.",
    )
    async def settings(
        self, ctx: Context, patterns: str | None, mix: str | None, premium: bool | None
    ) -> None:
        community = ctx.community
        current = await self._config(community)
        new_patterns = current.patterns
        new_mix = dict(current.mix)
        if patterns is not None:
            try:
                new_patterns = parse_patterns(patterns)
            except ValueError as exc:
                raise OptionError("patterns", str(exc)) from None
        if mix is not None:
            try:
                new_mix = {d: parse_mix(mix).get(d, 0) for d in DIFFICULTIES}
            except ValueError as exc:
                raise OptionError("mix", str(exc)) from None
        new_premium = current.include_premium if premium is None else premium
        config = RotationConfig(mix=new_mix, patterns=new_patterns, include_premium=new_premium)
        changed = (patterns, mix, premium) != (None, None, None)
        if changed:
            if not config.eligible(self.problems.problems):
                raise OptionError(
                    "patterns", "those settings leave no problem at all; widen the patterns or mix."
                )
            now = self.app.clock.now()
            await self.repo.save_settings(
                community.id,
                mix=new_mix,
                patterns=new_patterns,
                include_premium=new_premium,
                by=ctx.actor.user_id,
                now=now,
            )
            await self.app.audit.record(
                community_id=community.id,
                actor_id=ctx.actor.user_id,
                actor_name=ctx.actor.display_name,
                action="dsa.settings",
                target="dsa:settings",
                old=_describe_config(current),
                new=_describe_config(config),
                at=now,
            )
        pool = config.eligible(self.problems.problems)
        await ctx.reply(
            Message(
                title="DSA settings updated" if changed else "DSA settings",
                fields=(
                    Field("Patterns", ", ".join(sorted(config.patterns)) or "all"),
                    Field("Problems per day", config.describe_mix()),
                    Field("Premium problems", "included" if config.include_premium else "left out"),
                    Field("Problems in rotation", str(len(pool))),
                ),
                footer="Changes apply from the next day that has no problems yet.",
                tone=Tone.SUCCESS if changed else Tone.NORMAL,
            )
        )

    # -- personal reminders ---------------------------------------------------------------

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

    # -- scheduled jobs -------------------------------------------------------------------

    async def _daily(self, ctx: RunContext) -> list[Delivery]:
        community = ctx.community
        day = local_day(ctx.scheduled_for, community.timezone)
        mix = ctx.params.get("mix")
        problems = await self._day_problems(community, day, mix if isinstance(mix, dict) else None)
        message = Message(
            title=f"DSA problems of the day — {_fmt_day(day)}",
            sections=tuple(_problem_section(p) for p in problems),
            buttons=tuple(_solve_button(p) for p in problems),
            footer="Solved one? Press its button or type /dsa done. See /dsa leaderboard.",
        )
        target = ctx.channel_id or "general"
        destination = Destination(
            community.platform,
            community.external_id,
            DestinationKind.CHANNEL,
            target,
            ctx.channel_name or target,
        )
        return [Delivery(destination, message)]

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
        problem = self.problems.get(existing) if existing and existing not in solved else None
        if problem is None:
            problem = pick_for_member(
                self.problems.problems,
                solved=solved,
                skipped=await self.repo.skipped_ids(community.id, user),
                difficulties=params.get("difficulties") or (),
                patterns=params.get("patterns") or (),
                seed=f"{community.id}:{user}:{day}",
            )
            if problem is not None:
                await self.repo.set_pick(
                    community.id, user, day, problem.id, now=self.app.clock.now()
                )
        streak = await self._streak(community, user, zone_name)
        destination = Destination(
            community.platform,
            community.external_id,
            DestinationKind.DM,
            user,
            str(params.get("name") or user),
        )
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
            buttons=(_solve_button(problem, community),),
            footer=f"{_streak_line(streak)}. {keep} Not this one? /dsa skip.",
        )
        return [Delivery(destination, message)]


def _describe_config(config: RotationConfig) -> dict[str, Any]:
    return {
        "patterns": sorted(config.patterns),
        "mix": {d: config.mix.get(d, 0) for d in DIFFICULTIES},
        "include_premium": config.include_premium,
    }

"""What every part of the DSA cog shares: repository, problem set, limits, helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cog import Cog
from bot.commands.context import AutocompleteContext, BaseContext
from bot.commands.errors import NotFound
from bot.commands.registry import Choice, Option, OptionType
from bot.messages import Button, ButtonStyle, Message, Section, Tone
from cogs.dsa.mix import mix_of
from cogs.dsa.progress import Period
from cogs.dsa.rotation import (
    NothingToPick,
    RotationConfig,
    day_picks,
)
from cogs.dsa.streaks import Streak, compute, local_day
from content.problems import DIFFICULTIES, Problem, problem_set
from storage.communities import Community
from storage.dsa import DsaRepository, RotationState
from storage.schedules import Schedule

if TYPE_CHECKING:
    from bot.app import Application


DAILY_KIND = "dsa.daily"
REMINDER_KIND = "dsa.reminder"
SOLVED_ACTION = "dsa.solved"
APPROACH_ACTION = "dsa.approach"
HISTORY_LIMIT = 10
LEADERBOARD_SIZE = 10

_PERIOD_CHOICES = tuple(Choice(p.value, p.value) for p in Period)
_DIFFICULTY_CHOICES = (*(Choice(d, d) for d in DIFFICULTIES), Choice("any", "any"))


async def _problem_names(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    return [Choice(p.title, p.id) for p in problem_set().search(typed)]


#: The `problem` option of `/dsa done` and `/dsa hint`: a problem by title, slug or URL.
_PROBLEM = Option(
    "problem",
    OptionType.STRING,
    "Title, LeetCode slug or URL (default: today's problem)",
    max_length=200,
    autocomplete=_problem_names,
    rest=True,
)


def _fmt_day(day: date) -> str:
    return f"{day:%a %d %b %Y}"


def _problem_section(problem: Problem, *, heading_prefix: str = "") -> Section:
    premium = " · LeetCode Premium" if problem.premium else ""
    return Section(
        f"{heading_prefix}{problem.title}",
        f"{problem.url} · {problem.difficulty.title()} · {problem.pattern_name}{premium}\n\n"
        + (f"*Task:* {problem.statement}\n\n" if problem.statement else "")
        + f"*Hint:* {problem.hint}",
    )


def _solve_button(problem: Problem, community: Community | None = None) -> Button:
    """The "Mark solved" button. DM buttons carry the community (`id@community`): a click in a
    DM arrives from the platform without the server or workspace it belongs to."""
    value = problem.id if community is None else f"{problem.id}@{community.id}"
    return Button(f"Mark solved: {problem.title}"[:80], SOLVED_ACTION, value, ButtonStyle.SUCCESS)


def _approach_buttons(problems: Sequence[Problem]) -> tuple[Button, ...]:
    """A "Show approach" button for each problem that has an approach (the second hint level)."""
    return tuple(
        Button(f"Show approach: {p.title}"[:80], APPROACH_ACTION, p.id, ButtonStyle.SECONDARY)
        for p in problems
        if p.approach
    )


def _streak_line(streak: Streak) -> str:
    days = "day" if streak.current == 1 else "days"
    return f"Streak: {streak.current} {days} (best {streak.best})"


class DsaBase(Cog):
    """State and helpers shared by the DSA cog's mixins (see `cogs.dsa.cog`)."""

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.repo = DsaRepository(app.db)
        self.problems = problem_set()

    async def _config(self, community: Community) -> RotationConfig:
        """The community's rotation settings, its mix included (`cogs.dsa.mix`)."""
        stored = await self.repo.settings(community.id)
        return RotationConfig(
            mix=mix_of(stored),
            patterns=frozenset(stored.patterns) if stored else frozenset(),
            include_premium=stored.include_premium if stored else False,
        )

    async def _day_problems(self, community: Community, day: date) -> list[Problem]:
        """The community's problems for `day`, chosen on first request and then fixed."""
        config = await self._config(community)
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


def _describe_config(config: RotationConfig) -> dict[str, Any]:
    return {
        "patterns": sorted(config.patterns),
        "mix": {d: config.mix.get(d, 0) for d in DIFFICULTIES},
        "include_premium": config.include_premium,
    }

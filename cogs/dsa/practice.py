"""Members practise: today, done, skip, history, stats and the leaderboard."""

from __future__ import annotations

from collections import Counter

from bot.cog import action, command
from bot.commands.context import ActionContext, Context, UserRef
from bot.commands.errors import NotFound
from bot.commands.registry import Option, OptionType
from bot.messages import Field, Message, Section
from cogs.dsa.base import (
    _PERIOD_CHOICES,
    _PROBLEM,
    HISTORY_LIMIT,
    LEADERBOARD_SIZE,
    SOLVED_ACTION,
    DsaBase,
    _approach_buttons,
    _fmt_day,
    _problem_section,
    _solve_button,
)
from cogs.dsa.progress import Period, period_days, rank
from cogs.dsa.rotation import (
    pick_for_member,
)
from cogs.dsa.streaks import RULES_TEXT, compute, local_day
from content.problems import DIFFICULTIES, PATTERNS


class PracticeCommands(DsaBase):
    """Members practise: today, done, skip, history, stats and the leaderboard."""

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
        shown = list(problems)
        if own is not None and own not in problems:
            sections.append(_problem_section(own, heading_prefix="Your pick: "))
            shown.append(own)
            if own.id not in solved:
                buttons.append(_solve_button(own))
        await ctx.reply(
            Message(
                title=f"Problems of the day — {_fmt_day(day)}",
                sections=tuple(sections),
                buttons=(*buttons, *_approach_buttons(shown)),
                footer="Solved one? /dsa done, or press its button. Too hard today? /dsa skip.",
            )
        )

    @command(
        "dsa done",
        "Mark a problem solved (default: today's)",
        _PROBLEM,
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
            include_premium=(await self._config(community)).include_premium,
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
                buttons=(_solve_button(replacement), *_approach_buttons([replacement])),
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
                footer=f"Days are counted in {zone_name}. How streaks count: /help dsa stats.",
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

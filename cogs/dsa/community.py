"""The community's daily post: the `dsa.daily` job and `/dsa settings`."""

from __future__ import annotations

from bot.cog import command, job
from bot.commands.context import Context
from bot.commands.errors import OptionError
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Field, Message, Tone
from bot.scheduling.jobs import Delivery, Destination, RunContext
from cogs.dsa.base import (
    DAILY_KIND,
    DsaBase,
    _approach_buttons,
    _describe_config,
    _fmt_day,
    _problem_section,
    _solve_button,
)
from cogs.dsa.rotation import (
    RotationConfig,
    describe_mix,
    parse_mix,
    parse_patterns,
)
from cogs.dsa.streaks import local_day
from content.problems import PATTERNS


class CommunityPosts(DsaBase):
    """The community's daily post: the `dsa.daily` job and `/dsa settings`."""

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
        help="Patterns: " + ", ".join(PATTERNS) + ". The mix is the community's: every "
        "/schedule dsa post and /dsa today use it (/schedule dsa mix: sets the same one).",
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
                new_mix = parse_mix(mix)
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
            await ctx.audit(
                "dsa.settings", "dsa:settings", _describe_config(current), _describe_config(config)
            )
        pool = config.eligible(self.problems.problems)
        await ctx.reply(
            Message(
                title="DSA settings updated" if changed else "DSA settings",
                fields=(
                    Field("Patterns", ", ".join(sorted(config.patterns)) or "all"),
                    Field("Problems per day", describe_mix(config.mix)),
                    Field("Premium problems", "included" if config.include_premium else "left out"),
                    Field("Problems in rotation", str(len(pool))),
                ),
                footer="Changes apply from the next day that has no problems yet.",
                tone=Tone.SUCCESS if changed else Tone.NORMAL,
            )
        )

    @job(DAILY_KIND, "Posts the community's DSA problems of the day")
    async def _daily(self, ctx: RunContext) -> list[Delivery]:
        community = ctx.community
        day = local_day(ctx.scheduled_for, community.timezone)
        problems = await self._day_problems(community, day)
        message = Message(
            title=f"DSA problems of the day — {_fmt_day(day)}",
            sections=tuple(_problem_section(p) for p in problems),
            buttons=(*(_solve_button(p) for p in problems), *_approach_buttons(problems)),
            footer="Solved one? Press its button or type /dsa done. See /dsa leaderboard.",
        )
        target = ctx.channel_id or "general"
        destination = Destination.channel(community, target, ctx.channel_name or target)
        return [Delivery(destination, message)]

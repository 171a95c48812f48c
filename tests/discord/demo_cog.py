"""A cog exercising what the Discord adapter must carry: typed options, choices, bounds,
autocomplete, privacy, slowness, moderator commands, buttons, channel/user/role options."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, ClassVar

from bot.cog import Cog, action, command
from bot.commands.context import ActionContext, AutocompleteContext, ChannelRef, Context, UserRef
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Button, Message

TOPICS = ("mlops", "nlp", "vision", "statistics")


async def topics(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    if typed == "slow" and DemoCog.gate is not None:
        await DemoCog.gate.wait()
    if typed == "long":  # more, and longer, than Discord takes
        many = [Choice(f"topic {n}", f"t{n}") for n in range(30)]
        return [Choice("n" * 150, "long value " * 15), Choice("a" * 120, "fits"), *many]
    return [Choice(t, t) for t in TOPICS if t.startswith(typed.lower())]


class DemoCog(Cog):
    name = "demo"
    groups: ClassVar[dict[str, str]] = {
        "demo": "Demo commands for adapter tests",
        "admin": "Moderator-only demo commands",
    }
    #: `/demo slow` waits for this gate, so a test decides when the slow work ends.
    gate: ClassVar[asyncio.Event | None] = None

    @command(
        "demo echo",
        "Repeat the words, publicly, with a button",
        Option("words", OptionType.STRING, "Words to repeat", required=True, rest=True),
        Option("times", OptionType.INTEGER, "How often", min_value=1, max_value=3),
        Option(
            "level",
            OptionType.STRING,
            "How loud",
            choices=(Choice("Quiet", "quiet"), Choice("Loud", "loud")),
        ),
    )
    async def echo(self, ctx: Context, words: str, times: int | None, level: str | None) -> None:
        said = " ".join([words] * (times or 1))
        if level == "loud":
            said = said.upper()
        await ctx.reply(
            Message(body=f"you said {said}", buttons=(Button("Again", "demo-again", words),)),
            private=False,
        )

    @command(
        "demo topic",
        "Pick a topic (autocompleted)",
        Option("topic", OptionType.STRING, "A topic", required=True, autocomplete=topics),
        private=True,
    )
    async def topic(self, ctx: Context, topic: str) -> None:
        await ctx.reply(Message(title="Topic", body=f"**{topic}** it is."))

    @command(
        "demo where",
        "Name a channel and a member",
        Option("channel", OptionType.CHANNEL, "A channel", required=True),
        Option("member", OptionType.USER, "A member"),
    )
    async def where(self, ctx: Context, channel: ChannelRef, member: UserRef | None) -> None:
        who = f" with {member}" if member else ""
        await ctx.reply(f"in {channel}{who} (community {ctx.community.name})")

    @command(
        "demo pick",
        "Renamed, bounded and chosen options",
        Option("top-n", OptionType.INTEGER, "How many", required=True, min_value=1, max_value=10),
        Option(
            "size",
            OptionType.NUMBER,
            "A size",
            choices=(Choice("Small", 0.5), Choice("Large", 2.0)),
        ),
        Option("dry-run", OptionType.BOOLEAN, "Only pretend"),
        Option("role", OptionType.ROLE, "A role"),
    )
    async def pick(self, ctx: Context, **values: Any) -> None:
        said = ", ".join(f"{k}={v}" for k, v in sorted(values.items()) if v is not None)
        await ctx.reply(said, private=False)

    @command("demo slow", "Reply after the test opens the gate")
    async def slow(self, ctx: Context) -> None:
        assert DemoCog.gate is not None
        await DemoCog.gate.wait()
        await ctx.reply("done slowly", private=False)

    @command("demo whisper", "Slow public command whose answer is private")
    async def whisper(self, ctx: Context) -> None:
        assert DemoCog.gate is not None
        await DemoCog.gate.wait()
        await ctx.reply("psst", private=True)

    @command("admin purge", "Moderators only", permission=Permission.MODERATOR)
    async def purge(self, ctx: Context) -> None:
        await ctx.reply("purged")

    @command(
        "admin set days",
        "Moderators only, nested",
        Option("days", OptionType.DAYS, "Which days", required=True),
        permission=Permission.MODERATOR,
    )
    async def set_days(self, ctx: Context, days: frozenset[int]) -> None:
        await ctx.reply(f"days {sorted(days)}")

    @action("demo-again")
    async def again(self, ctx: ActionContext, value: str) -> None:
        await ctx.reply(f"again: {value}")

"""A cog exercising what the Slack adapter must carry: options, privacy, slowness, buttons."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from bot.cog import Cog, action, command
from bot.commands.context import ActionContext, Context
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Button, Message


class DemoCog(Cog):
    name = "demo"
    groups: ClassVar[dict[str, str]] = {"demo": "Demo commands for adapter tests"}
    #: `/demo slow` waits for this gate, so a test decides when the slow work ends.
    gate: ClassVar[asyncio.Event | None] = None

    @command(
        "demo echo",
        "Repeat the words, publicly, with a button",
        Option("words", OptionType.STRING, "Words to repeat", required=True, rest=True),
        Option("times", OptionType.INTEGER, "How often", min_value=1, max_value=3),
    )
    async def echo(self, ctx: Context, words: str, times: int | None) -> None:
        said = " ".join([words] * (times or 1))
        await ctx.reply(
            Message(body=f"you said {said}", buttons=(Button("Again", "demo-again", words),)),
            private=False,
        )

    @command("demo slow", "Reply after the test opens the gate")
    async def slow(self, ctx: Context) -> None:
        assert DemoCog.gate is not None
        await DemoCog.gate.wait()
        await ctx.reply("done slowly", private=False)

    @command(
        "demo chatty",
        "Reply several times",
        Option("times", OptionType.INTEGER, "How many replies", min_value=1, max_value=10),
    )
    async def chatty(self, ctx: Context, times: int | None) -> None:
        for i in range(times or 1):
            await ctx.reply(f"reply {i + 1}")

    @command("demo purge", "Moderators only", permission=Permission.MODERATOR)
    async def purge(self, ctx: Context) -> None:
        await ctx.reply("purged")

    @action("demo-again")
    async def again(self, ctx: ActionContext, value: str) -> None:
        await ctx.reply(f"again: {value}")

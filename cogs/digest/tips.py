"""`/tip` and `/tips topics`: tips on demand, outside the weekly issue."""

from __future__ import annotations

import difflib
import re

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import OptionError
from bot.commands.registry import Option, OptionType
from bot.messages import Link, Message
from cogs.digest.base import (
    DigestBase,
    _topic_choices,
)
from content.tips import Tip
from content.topics import get_topic, resolve_topic


class TipCommands(DigestBase):
    """`/tip` and `/tips topics`: tips on demand, outside the weekly issue."""

    @command(
        "tip",
        "A tip now, optionally on a topic (or a tip by its id)",
        Option(
            "topic",
            OptionType.STRING,
            "A topic such as mlops, or a tip id from a digest",
            max_length=100,
            autocomplete=_topic_choices,
            rest=True,
        ),
        examples=("/tip", "/tip interviews", "/tip baseline-first"),
    )
    async def tip(self, ctx: Context, topic: str | None) -> None:
        if topic and (found := self.library.get(topic.strip().lower())) is not None:
            await ctx.reply(self.tip_message(found))
            return
        pool = list(self.library)
        if topic:
            if resolve_topic(topic) is None and (guesses := self.tips_like(topic)):
                raise OptionError(
                    "topic",
                    f"{topic.strip()!r} is neither a tip topic nor a tip id.",
                    hint="Did you mean "
                    + ", ".join(f"`/tip {t.id}` ({t.title})" for t in guesses)
                    + "? Topics: `/tips topics`.",
                )
            (topic_id,) = self.parse_topics(topic, option="topic", single=True)
            pool = self.library.with_topic(topic_id)
        await ctx.reply(self.tip_message(self.random.choice(pool)))

    @command("tips topics", "The topics tips are about, with how many each", private=True)
    async def topics(self, ctx: Context) -> None:
        lines = [
            f"- `{t}` {get_topic(t).name} ({len(self.library.with_topic(t))})"
            for t in self.library.topics()
        ]
        await ctx.reply(
            Message(
                title=f"Tip topics ({len(self.library)} tips)",
                body="\n".join(lines),
                footer="A tip on one: /tip <topic> · follow some: /digest subscribe <topics>",
            )
        )

    def tips_like(self, text: str, limit: int = 3) -> list[Tip]:
        """Tips whose title or id holds every typed word, then ids close to what was typed."""
        words = [w for w in re.split(r"[\s\-_]+", text.strip().lower()) if w]
        if not words:
            return []
        found = [t for t in self.library if all(w in t.title.lower() or w in t.id for w in words)]
        ids = [t.id for t in self.library]
        for close in difflib.get_close_matches(text.strip().lower(), ids, n=limit, cutoff=0.7):
            tip = self.library.get(close)
            if tip is not None and tip not in found:
                found.append(tip)
        return found[:limit]

    def tip_message(self, tip: Tip) -> Message:
        links = tuple(
            Link(self.resources[r].title, self.resources[r].url)
            for r in tip.resources
            if r in self.resources
        )
        return Message(
            title=tip.title,
            body=f"{tip.body}\n\n**Try this week:** {tip.try_this_week}",
            links=links,
            footer=f"Topics: {', '.join(tip.topics)} · another: /tip {tip.topics[0]} "
            f"· this one: /tip {tip.id}",
        )

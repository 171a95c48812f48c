"""What every part of the digest cog shares: its stores, library, limits, helpers."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cog import Cog, cog_source
from bot.commands.context import AutocompleteContext
from bot.commands.errors import OptionError
from bot.commands.registry import Choice
from bot.timing.recurrence import zone
from cogs.digest.web import DigestWebPages
from content.problems import Problem, problem_set
from content.resources import Resource, shipped_resources
from content.tips import TipLibrary, default_library
from content.topics import get_topic, resolve_topic, suggest_topic
from storage.communities import Community
from storage.digest import (
    DigestRepository,
    Subscription,
)
from storage.digest_web import DigestWebRepository

if TYPE_CHECKING:
    from bot.app import Application


JOB_KIND = "digest"
DELIVERY_CHOICES = ("dm", "channel-mention")
MAX_NOTE = 500
ARCHIVE_PAGE = 15
CLEAR_WORDS = frozenset({"clear", "none", "off", "remove"})


def community_seed(community: Community) -> str:
    """What makes one community's rotation differ from another's (stable for its lifetime)."""
    return f"{community.platform}:{community.external_id}"


@cog_source
async def _tip_choices(cog: DigestBase, ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    words = typed.strip().lower()
    found = [t for t in cog.library if words in t.id or words in t.title.lower()]
    return [Choice(name=f"{t.title[:80]} ({t.id})"[:100], value=t.id) for t in found[:25]]


@cog_source
async def _topic_choices(cog: DigestBase, ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    words = typed.strip().lower()
    names = [(t, get_topic(t).name) for t in cog.library.topics()]
    found = [(t, n) for t, n in names if words in t or words in n.lower()]
    return [Choice(name=n, value=t) for t, n in found[:25]]


class DigestBase(Cog):
    """State and helpers shared by the digest cog's mixins (see `cogs.digest.cog`)."""

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.repo = DigestRepository(self.app.db)
        self.library: TipLibrary = default_library()
        self.resources: dict[str, Resource] = {r.id: r for r in shipped_resources()}
        # Problem of the week: free problems only, so every member can open it.
        # Featured problems are a title, a link and a nudge: premium ones are left out, and so
        # are our own ML coding exercises, whose task (`statement`) an issue has no room for.
        self.problems: dict[str, Problem] = {
            p.id: p for p in problem_set() if not p.premium and p.statement is None
        }
        self.random = random.Random()
        self.archives = DigestWebRepository(self.app.db)
        self.web_pages = DigestWebPages(
            issues=self.repo,
            archives=self.archives,
            communities=self.app.communities,
            library=self.library,
            resources=self.resources,
            problems=self.problems,
            public_base_url=self.app.settings.public_base_url,
        )

    def parse_topics(
        self, text: str | None, *, option: str = "topics", single: bool = False
    ) -> tuple[str, ...]:
        """Topic ids from what a person typed (ids, names or aliases; comma separated)."""
        if not text or not text.strip():
            return ()
        whole = resolve_topic(text)
        parts = [text] if whole else [p for p in re.split(r"[,;]+", text) if p.strip()]
        if not whole and len(parts) == 1:
            parts = text.split()
        if single and len(parts) > 1 and not whole:
            raise OptionError(option, "give one topic.", hint=self._topic_hint())
        found: list[str] = []
        for part in parts:
            topic = resolve_topic(part)
            if topic is None or not self.library.with_topic(topic):
                guess = suggest_topic(part)
                extra = (
                    f" Did you mean `{guess}`?" if guess and self.library.with_topic(guess) else ""
                )
                raise OptionError(
                    option, f"{part.strip()!r} is not a tip topic.{extra}", hint=self._topic_hint()
                )
            if topic not in found:
                found.append(topic)
        return tuple(found)

    def _topic_hint(self) -> str:
        return "Topics: " + ", ".join(self.library.topics()) + "."

    async def _next_slot(self, community: Community) -> datetime | None:
        slots = [
            v.next_run
            for v in await self.app.schedules.list_community(community.id)
            if v.schedule.kind == JOB_KIND and v.next_run is not None
        ]
        return min(slots) if slots else None

    async def _next_issue_text(self, community: Community) -> str:
        slot = await self._next_slot(community)
        if slot is None:
            return (
                "No digest schedule is set here yet; moderators can add one with /schedule digest."
            )
        local = slot.astimezone(zone(community.timezone))
        return f"Next issue: {local:%A %d %B, %H:%M} ({community.timezone})."


def _describe(sub: Subscription) -> str:
    how = "by DM" if sub.delivery == "dm" else "as a mention in the digest channel"
    topics = f"with {', '.join(sub.topics)} as your topics" if sub.topics else "all topics"
    return f"Each issue {how}, {topics}."

"""Options the `/resource` commands share, and the autocomplete sources behind them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cog import cog_source
from bot.commands.context import AutocompleteContext
from bot.commands.registry import Choice, Option, OptionType
from bot.sanitize import truncate
from cogs.resources import render
from cogs.resources.base import MAX_QUERY, ResourcesBase
from cogs.resources.search import SearchIndex
from content.resources import (
    COSTS,
    LEVELS,
    RESOURCE_TYPES,
)
from content.topics import TOPICS, topic_key


async def _community_index(cog: ResourcesBase, ctx: AutocompleteContext) -> SearchIndex:
    community = await ctx.app.communities.find(ctx.place.platform, ctx.place.community_id)
    return await cog.catalog.index(None if community is None else community.id)


@cog_source
async def _query_suggestions(
    cog: ResourcesBase, ctx: AutocompleteContext, typed: str
) -> Sequence[Choice]:
    if not typed.strip():
        return []
    index = await _community_index(cog, ctx)
    hits = index.search(typed[:MAX_QUERY], limit=10).hits
    titles = dict.fromkeys(truncate(h.resource.title, 100) for h in hits)
    return [Choice(title, title) for title in titles]


@cog_source
async def _topic_suggestions(
    cog: ResourcesBase, ctx: AutocompleteContext, typed: str
) -> Sequence[Choice]:
    index = await _community_index(cog, ctx)
    counts = index.topic_counts()
    key = topic_key(typed)
    scored: list[tuple[int, str]] = []
    for topic in TOPICS:
        words = [topic_key(w) for w in (topic.id, topic.name, *topic.aliases)]
        if not key:
            rank = 2
        elif any(w.startswith(key) for w in words):
            rank = 0
        elif any(key in w for w in words):
            rank = 1
        else:
            continue
        scored.append((rank, topic.id))
    scored.sort(key=lambda item: (item[0], -counts.get(item[1], 0), item[1]))
    return [Choice(f"{render.topic_label(t)} ({counts.get(t, 0)})", t) for _, t in scored[:25]]


@cog_source
async def _resource_ids(
    cog: ResourcesBase, ctx: AutocompleteContext, typed: str
) -> Sequence[Choice]:
    index = await _community_index(cog, ctx)
    typed = typed.strip().lower()
    if not typed:
        return []
    exact = index.get(typed)
    found = [exact] if exact else []
    found += [h.resource for h in index.search(typed[:MAX_QUERY], limit=25).hits]
    unique = {r.id: r for r in found}
    return [Choice(truncate(f"{r.title} ({r.id})", 100), r.id) for r in unique.values()][:25]


@cog_source
async def _pending_ids(
    cog: ResourcesBase, ctx: AutocompleteContext, typed: str
) -> Sequence[Choice]:
    community = await ctx.app.communities.find(ctx.place.platform, ctx.place.community_id)
    if community is None:
        return []
    _, pending = await cog.repo.pending(community.id, limit=25)
    typed = typed.strip().lstrip("#")
    return [
        Choice(truncate(f"#{s.id} {s.title}", 100), s.id)
        for s in pending
        if not typed or str(s.id).startswith(typed) or typed.lower() in s.title.lower()
    ]


_TYPE_CHOICES = tuple(Choice(name, value) for value, name in RESOURCE_TYPES.items())
_LEVEL_CHOICES = tuple(Choice(level, level) for level in LEVELS)
_COST_CHOICES = tuple(Choice(cost, cost) for cost in COSTS)


def _type_option(required: bool = False) -> Option:
    return Option(
        "type", OptionType.STRING, "Kind of resource", required=required, choices=_TYPE_CHOICES
    )


def _level_option(required: bool = False) -> Option:
    return Option(
        "level", OptionType.STRING, "Who it is for", required=required, choices=_LEVEL_CHOICES
    )


def _cost_option(required: bool = False) -> Option:
    return Option(
        "cost", OptionType.STRING, "What it costs", required=required, choices=_COST_CHOICES
    )


_TOPIC = Option(
    "topic",
    OptionType.STRING,
    "Only this topic, e.g. mlops, k8s, dsa",
    max_length=60,
    autocomplete=_topic_suggestions,
)
_TOPICS = Option(
    "topics",
    OptionType.STRING,
    "Topics, comma-separated, e.g. mlops, python",
    required=True,
    max_length=200,
)
_URL = Option("url", OptionType.URL, "The web address (https://...)", required=True)
_TITLE = Option("title", OptionType.STRING, "Its title", required=True, max_length=200)
_DESCRIPTION = Option(
    "description", OptionType.STRING, "One or two sentences in your words", max_length=600
)
_AUTHOR = Option("author", OptionType.STRING, "Author or publisher", max_length=150)
#: The catalog id of a resource a moderator adds or approves.
_NEW_ID = Option(
    "id", OptionType.STRING, "Id for the new resource (default: from the title)", max_length=64
)
_ID = Option(
    "id",
    OptionType.STRING,
    "The resource's id (see /resource search)",
    required=True,
    max_length=64,
    autocomplete=_resource_ids,
)
_SUGGESTION = Option(
    "suggestion",
    OptionType.INTEGER,
    "The suggestion's number (see /resource queue)",
    required=True,
    min_value=1,
    autocomplete=_pending_ids,
)

"""Members' lookups: `/resource search`, `show`, `topics`, `random`."""

from __future__ import annotations

import random

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import NotFound, UsageError
from bot.commands.registry import Option, OptionType
from cogs.resources import render, validate
from cogs.resources.base import (
    MAX_QUERY,
    RESULTS,
    ResourcesBase,
    _did_you_mean,
    _shown,
)
from cogs.resources.options import (
    _ID,
    _TOPIC,
    _level_option,
    _query_suggestions,
    _type_option,
)
from cogs.resources.search import SearchFilters


class LookupCommands(ResourcesBase):
    """Members' lookups: `/resource search`, `show`, `topics`, `random`."""

    @command(
        "resource search",
        "Find resources by words, with optional filters",
        Option(
            "query",
            OptionType.STRING,
            "What to look for, e.g. pytorch, feature stores, k8s",
            max_length=MAX_QUERY,
            autocomplete=_query_suggestions,
            rest=True,
        ),
        _type_option(),
        _TOPIC,
        _level_option(),
        Option("free_only", OptionType.BOOLEAN, "Only free resources"),
        examples=(
            "/resource search pytorch",
            "/resource search system design type:book",
            "/resource search interviews level:beginner free_only:true",
        ),
        help="Ranked by title, then topics, then description; typos and synonyms (k8s, dsa, "
        "llm, cv) are understood.",
    )
    async def search(
        self,
        ctx: Context,
        query: str | None,
        type: str | None,
        topic: str | None,
        level: str | None,
        free_only: bool | None,
    ) -> None:
        query = query or ""
        filters = SearchFilters(
            type=type,
            topic=validate.topic(topic) if topic else None,
            level=level,
            free_only=bool(free_only),
        )
        index = await self._index(ctx)
        result = index.search(query, filters, limit=RESULTS)
        if not result.words:
            if not filters.active:
                raise UsageError(
                    "Tell me what to look for, e.g. `/resource search pytorch` or "
                    "`/resource search system design type:book`.",
                    hint="Browse the topics with /resource topics.",
                )
            matching = index.matching(filters)
            await ctx.reply(render.browse_message(filters, matching, limit=RESULTS))
            return
        if not result.hits:
            closest: list[str] = []
            if filters.active:
                closest = [h.resource.title for h in index.search(query, limit=3).hits]
            await ctx.reply(render.no_results_message(query, filters, closest))
            return
        narrowing = index.narrowing(result, filters) if result.total > len(result.hits) else ()
        await ctx.reply(render.search_message(query, filters, result, narrowing))

    @command(
        "resource show",
        "Show one resource in full",
        _ID,
        examples=("/resource show designing-ml-systems",),
    )
    async def show(self, ctx: Context, id: str) -> None:
        index = await self._index(ctx)
        wanted = id.strip().lower()
        resource = index.get(wanted)
        if resource is None:
            raise NotFound(f"There is no resource `{_shown(id)}`.", hint=_did_you_mean(index, id))
        await ctx.reply(render.resource_message(resource))

    @command("resource topics", "List the topics, with how many resources each has")
    async def topics(self, ctx: Context) -> None:
        index = await self._index(ctx)
        await ctx.reply(render.topics_message(index.topic_counts()))

    @command(
        "resource random",
        "Show a random resource, optionally from one topic",
        _TOPIC,
        examples=("/resource random", "/resource random mlops"),
    )
    async def random(self, ctx: Context, topic: str | None) -> None:
        index = await self._index(ctx)
        topic_id = validate.topic(topic) if topic else None
        pool = index.matching(SearchFilters(topic=topic_id))
        if not pool:
            raise NotFound("There is no resource on that topic yet.")
        picked = random.choice(pool)
        heading = f"A random pick from {render.topic_label(topic_id)}:" if topic_id else None
        await ctx.reply(render.resource_message(picked, heading=heading))

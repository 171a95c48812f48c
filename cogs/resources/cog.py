"""`/resource ...`: search the curated catalog, suggest additions, and moderate the catalog.

Members search, show, list topics, pick something random and suggest resources. Moderators
work through the suggestion queue (the suggester is told the outcome by DM through the outbox)
and add, edit or remove resources directly. Every change is audited. Each community's catalog
is the shipped one plus its own changes (see `cogs.resources.catalog`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from bot.cog import Cog, command
from bot.commands.context import AutocompleteContext, Context
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Message, Section, Tone
from bot.sanitize import neutralize_mentions, truncate
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from cogs.resources import render, validate
from cogs.resources.catalog import Catalog, resource_data
from cogs.resources.search import SearchFilters, SearchIndex
from content.resources import (
    COSTS,
    LEVELS,
    RESOURCE_TYPES,
    Resource,
    normalize_url,
    shipped_resources,
)
from content.topics import TOPICS, topic_key
from storage.outbox import enqueue
from storage.resources import (
    APPROVED,
    REJECTED,
    ResourceRepository,
    Suggestion,
    resource_suggestions,
)

RESULTS = 5
QUEUE_PAGE = 10
MAX_QUERY = 200
#: Suggestions one member may have waiting at once (keeps the queue reviewable).
MAX_PENDING_PER_MEMBER = 5


def _cog(app: Any) -> ResourcesCog:
    cog = app.cogs.get(ResourcesCog.name)
    if not isinstance(cog, ResourcesCog):
        raise LookupError("the resources cog is not loaded")
    return cog


async def _community_index(ctx: AutocompleteContext) -> SearchIndex:
    community = await ctx.app.communities.find(ctx.place.platform, ctx.place.community_id)
    return await _cog(ctx.app).catalog.index(None if community is None else community.id)


async def _query_suggestions(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    if not typed.strip():
        return []
    index = await _community_index(ctx)
    hits = index.search(typed[:MAX_QUERY], limit=10).hits
    titles = dict.fromkeys(truncate(h.resource.title, 100) for h in hits)
    return [Choice(title, title) for title in titles]


async def _topic_suggestions(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    index = await _community_index(ctx)
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


async def _resource_ids(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    index = await _community_index(ctx)
    typed = typed.strip().lower()
    if not typed:
        return []
    exact = index.get(typed)
    found = [exact] if exact else []
    found += [h.resource for h in index.search(typed[:MAX_QUERY], limit=25).hits]
    unique = {r.id: r for r in found}
    return [Choice(truncate(f"{r.title} ({r.id})", 100), r.id) for r in unique.values()][:25]


async def _pending_ids(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    community = await ctx.app.communities.find(ctx.place.platform, ctx.place.community_id)
    if community is None:
        return []
    _, pending = await _cog(ctx.app).repo.pending(community.id, limit=25)
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


class ResourcesCog(Cog):
    name = "resources"
    description = "Search the curated resource catalog; suggest and moderate resources."
    groups = {"resource": "Find courses, books, blogs and more for ML engineering"}

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.repo = ResourceRepository(app.db)
        self.catalog = Catalog(shipped_resources(), self.repo)

    async def setup(self) -> None:
        self.app.privacy.register_table(
            "resource_suggestions",
            "Resources you suggested, and what moderators decided",
            self.app.db,
            resource_suggestions,
            user_column="suggested_by_id",
        )

    async def _index(self, ctx: Context) -> SearchIndex:
        return await self.catalog.index(ctx.community.id)

    # -- lookups -------------------------------------------------------------------------------

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
            await ctx.reply(_browse_message(filters, matching))
            return
        if not result.hits:
            closest: list[str] = []
            if filters.active:
                closest = [h.resource.title for h in index.search(query, limit=3).hits]
            await ctx.reply(render.no_results_message(query, filters, closest))
            return
        await ctx.reply(render.search_message(query, filters, result))

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

    # -- community suggestions -----------------------------------------------------------------

    @command(
        "resource suggest",
        "Suggest a resource for the catalog (a moderator reviews it)",
        _URL,
        _TITLE,
        _type_option(required=True),
        _TOPICS,
        _DESCRIPTION,
        _level_option(),
        _cost_option(),
        private=True,
        examples=(
            '/resource suggest https://example.org/course "Great MLOps course" course mlops',
        ),
    )
    async def suggest(
        self,
        ctx: Context,
        url: str,
        title: str,
        type: str,
        topics: str,
        description: str | None,
        level: str | None,
        cost: str | None,
    ) -> None:
        clean_url = validate.url(url)
        clean_title = validate.title(title)
        topic_ids = validate.topics(topics)
        clean_description = validate.description(description)
        normalized = normalize_url(clean_url)
        index = await self._index(ctx)
        existing = _by_url(index, normalized)
        if existing is not None:
            raise UsageError(
                f"That page is already in the catalog: **{render.escape(existing.title)}** "
                f"(`{existing.id}`). See /resource show {existing.id}."
            )
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            waiting = await self.repo.pending_with_url(conn, ctx.community.id, normalized)
            if waiting is not None:
                raise UsageError(
                    f"That page was already suggested (#{waiting.id}) and is waiting for a "
                    "moderator."
                )
            mine = await self.repo.pending_count_by(conn, ctx.community.id, ctx.actor.user_id)
            if mine >= MAX_PENDING_PER_MEMBER:
                raise UsageError(
                    f"You already have {mine} suggestions waiting for a moderator. Please wait "
                    "until they are reviewed before suggesting more."
                )
            suggestion_id = await self.repo.suggest(
                conn,
                community_id=ctx.community.id,
                url=clean_url,
                normalized_url=normalized,
                title=clean_title,
                type=type,
                topics=topic_ids,
                description=clean_description,
                level=level,
                cost=cost,
                platform=ctx.actor.platform,
                suggested_by_id=ctx.actor.user_id,
                suggested_by_name=ctx.actor.display_name,
                now=now,
            )
            await self._audit(
                ctx,
                conn,
                "resource.suggest",
                f"suggestion:{suggestion_id}",
                None,
                {"url": clean_url, "title": clean_title, "type": type, "topics": topic_ids},
            )
        await ctx.reply(
            Message(
                body=f"Thanks! Suggestion #{suggestion_id} (“{render.escape(clean_title)}”) "
                "is waiting for a moderator. I will send you a direct message with the outcome.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource queue",
        "List suggestions waiting for review",
        permission=Permission.MODERATOR,
        private=True,
    )
    async def queue(self, ctx: Context) -> None:
        total, pending = await self.repo.pending(ctx.community.id, limit=QUEUE_PAGE)
        if not pending:
            await ctx.reply("No suggestions are waiting. ✨")
            return
        more = total - len(pending)
        footer = (
            "Approve: /resource approve <number> [level] [cost] [id]. "
            "Reject: /resource reject <number> [reason]."
        )
        if more > 0:
            footer = f"{more} more waiting after these. " + footer
        await ctx.reply(
            Message(
                title=f"Suggestions waiting for review ({total})",
                sections=tuple(_suggestion_section(s) for s in pending),
                footer=footer,
            )
        )

    @command(
        "resource approve",
        "Add a suggested resource to the catalog",
        _SUGGESTION,
        _level_option(),
        _cost_option(),
        Option(
            "id",
            OptionType.STRING,
            "Id for the new resource (default: from the title)",
            max_length=64,
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource approve 3 level:beginner cost:free",),
    )
    async def approve(
        self,
        ctx: Context,
        suggestion: int,
        level: str | None,
        cost: str | None,
        id: str | None,
    ) -> None:
        found = await self._pending(ctx, suggestion)
        level = level or found.level
        cost = cost or found.cost
        if level is None:
            raise OptionError(
                "level",
                f"suggestion #{found.id} has none; add level:beginner, intermediate or advanced.",
            )
        if cost is None:
            raise OptionError(
                "cost", f"suggestion #{found.id} has none; add cost:free, freemium or paid."
            )
        index = await self._index(ctx)
        existing = _by_url(index, found.normalized_url)
        if existing is not None:
            raise UsageError(
                f"That page is already in the catalog as `{existing.id}`; reject the suggestion "
                f"with /resource reject {found.id} already listed."
            )
        taken = await self._taken_ids(ctx, index)
        new_id = validate.resource_id(id) if id else validate.slug(found.title, taken)
        if new_id in taken:
            raise OptionError("id", f"`{new_id}` is already used; choose another.")
        resource = Resource(
            id=new_id,
            title=found.title,
            url=found.url,
            type=found.type,
            topics=found.topics,
            level=level,
            cost=cost,
            description=found.description,
        )
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            decided = await self.repo.decide(
                conn,
                found.id,
                status=APPROVED,
                reason=None,
                resource_id=new_id,
                decided_by_name=ctx.actor.display_name,
                now=now,
            )
            if not decided:
                raise UsageError(f"Suggestion #{found.id} was already decided.")
            await self.repo.put(
                conn,
                ctx.community.id,
                new_id,
                resource_data(resource),
                normalized_url=found.normalized_url,
                changed_by=ctx.actor.user_id,
                now=now,
            )
            await self._audit(
                ctx, conn, "resource.approve", f"resource:{new_id}", None, resource_data(resource)
            )
            await self._tell_suggester(
                ctx,
                conn,
                found,
                APPROVED,
                f"Your suggestion “{render.escape(found.title)}” was approved and is now in "
                f"the catalog: /resource show {new_id}. Thank you!",
            )
        await ctx.reply(
            Message(
                body=f"Approved #{found.id}: added `{new_id}` ({render.escape(found.title)}). "
                "It shows up in searches now, and the suggester will get a direct message.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource reject",
        "Decline a suggestion, optionally saying why",
        _SUGGESTION,
        Option(
            "reason", OptionType.STRING, "Why (sent to the suggester)", max_length=300, rest=True
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource reject 4 already covered by the fast.ai course",),
    )
    async def reject(self, ctx: Context, suggestion: int, reason: str | None) -> None:
        found = await self._pending(ctx, suggestion)
        clean_reason = (
            validate.plain_text("reason", reason, max_length=300)
            if reason and reason.strip()
            else None
        )
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            decided = await self.repo.decide(
                conn,
                found.id,
                status=REJECTED,
                reason=clean_reason,
                resource_id=None,
                decided_by_name=ctx.actor.display_name,
                now=now,
            )
            if not decided:
                raise UsageError(f"Suggestion #{found.id} was already decided.")
            await self._audit(
                ctx,
                conn,
                "resource.reject",
                f"suggestion:{found.id}",
                None,
                {"reason": clean_reason},
            )
            because = f" Reason: {render.escape(clean_reason)}" if clean_reason else ""
            await self._tell_suggester(
                ctx,
                conn,
                found,
                REJECTED,
                f"Thanks for suggesting “{render.escape(found.title)}”. A moderator decided not "
                f"to add it this time.{because}",
            )
        await ctx.reply(
            Message(body=f"Rejected #{found.id}. The suggester will get a direct message.")
        )

    # -- direct moderation ---------------------------------------------------------------------

    @command(
        "resource add",
        "Add a resource to the catalog",
        _URL,
        _TITLE,
        _type_option(required=True),
        _TOPICS,
        _level_option(required=True),
        _cost_option(required=True),
        _DESCRIPTION,
        _AUTHOR,
        Option(
            "id",
            OptionType.STRING,
            "Id for the new resource (default: from the title)",
            max_length=64,
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=('/resource add https://example.org "Example Course" course mlops beginner free',),
    )
    async def add(
        self,
        ctx: Context,
        url: str,
        title: str,
        type: str,
        topics: str,
        level: str,
        cost: str,
        description: str | None,
        author: str | None,
        id: str | None,
    ) -> None:
        clean_url = validate.url(url)
        clean_title = validate.title(title)
        index = await self._index(ctx)
        taken = await self._taken_ids(ctx, index)
        new_id = validate.resource_id(id) if id else validate.slug(clean_title, taken)
        if new_id in taken:
            raise OptionError("id", f"`{new_id}` is already used; choose another.")
        resource = Resource(
            id=new_id,
            title=clean_title,
            url=clean_url,
            type=type,
            topics=validate.topics(topics),
            level=level,
            cost=cost,
            description=validate.description(description),
            author=validate.author(author),
        )
        _check_unique_url(index, resource)
        await self._store(ctx, resource, "resource.add", old=None)
        await ctx.reply(
            Message(
                body=f"Added `{new_id}` ({render.escape(clean_title)}). It shows up in "
                "searches now.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource edit",
        "Change fields of a resource",
        _ID,
        Option("title", OptionType.STRING, "New title", max_length=200),
        Option("url", OptionType.URL, "New web address"),
        _type_option(),
        Option("topics", OptionType.STRING, "New topics, comma-separated", max_length=200),
        _level_option(),
        _cost_option(),
        _DESCRIPTION,
        _AUTHOR,
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource edit made-with-ml level:intermediate",),
    )
    async def edit(
        self,
        ctx: Context,
        id: str,
        title: str | None,
        url: str | None,
        type: str | None,
        topics: str | None,
        level: str | None,
        cost: str | None,
        description: str | None,
        author: str | None,
    ) -> None:
        index = await self._index(ctx)
        current = index.get(id.strip().lower())
        if current is None:
            raise NotFound(f"There is no resource `{_shown(id)}`.", hint=_did_you_mean(index, id))
        if all(v is None for v in (title, url, type, topics, level, cost, description, author)):
            raise UsageError(
                "Say what to change, e.g. `/resource edit "
                f"{current.id} level:beginner` (title, url, type, topics, level, cost, "
                "description, author)."
            )
        updated = Resource(
            id=current.id,
            title=validate.title(title) if title is not None else current.title,
            url=validate.url(url) if url is not None else current.url,
            type=type or current.type,
            topics=validate.topics(topics) if topics is not None else current.topics,
            level=level or current.level,
            cost=cost or current.cost,
            description=(
                validate.description(description)
                if description is not None
                else current.description
            ),
            author=validate.author(author) if author is not None else current.author,
        )
        if updated == current:
            await ctx.reply(f"`{current.id}` already looks like that; nothing changed.")
            return
        if updated.normalized_url != current.normalized_url:
            _check_unique_url(index, updated)
        await self._store(ctx, updated, "resource.edit", old=resource_data(current))
        await ctx.reply(
            Message(body=f"Updated `{current.id}`.", tone=Tone.SUCCESS),
        )

    @command(
        "resource remove",
        "Remove a resource from this community's catalog",
        _ID,
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource remove some-old-course",),
    )
    async def remove(self, ctx: Context, id: str) -> None:
        index = await self._index(ctx)
        current = index.get(id.strip().lower())
        if current is None:
            raise NotFound(f"There is no resource `{_shown(id)}`.", hint=_did_you_mean(index, id))
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            await self.repo.put(
                conn,
                ctx.community.id,
                current.id,
                None,
                normalized_url=None,
                changed_by=ctx.actor.user_id,
                now=now,
            )
            await self._audit(
                ctx, conn, "resource.remove", f"resource:{current.id}", resource_data(current), None
            )
        await ctx.reply(
            Message(
                body=f"Removed `{current.id}` ({render.escape(current.title)}) from this "
                "community's catalog.",
                tone=Tone.SUCCESS,
            )
        )

    # -- helpers -------------------------------------------------------------------------------

    async def _pending(self, ctx: Context, suggestion_id: int) -> Suggestion:
        found = await self.repo.get_suggestion(ctx.community.id, suggestion_id)
        if found is None:
            raise NotFound(f"There is no suggestion #{suggestion_id}.", hint="See /resource queue.")
        if found.status != "pending":
            raise UsageError(f"Suggestion #{found.id} was already {found.status}.")
        return found

    async def _taken_ids(self, ctx: Context, index: SearchIndex) -> set[str]:
        """Ids in use: this community's catalog, the shipped one, and any ever stored here."""
        _, changes = await self.repo.changes(ctx.community.id)
        return (
            {r.id for r in index.resources}
            | set(self.catalog.shipped_ids)
            | {c.resource_id for c in changes}
        )

    async def _store(self, ctx: Context, resource: Resource, action: str, old: Any) -> None:
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            await self.repo.put(
                conn,
                ctx.community.id,
                resource.id,
                resource_data(resource),
                normalized_url=resource.normalized_url,
                changed_by=ctx.actor.user_id,
                now=now,
            )
            await self._audit(
                ctx, conn, action, f"resource:{resource.id}", old, resource_data(resource)
            )

    async def _audit(
        self, ctx: Context, conn: Any, action: str, target: str, old: Any, new: Any
    ) -> None:
        await self.app.audit.record(
            community_id=ctx.community.id,
            actor_id=ctx.actor.user_id,
            actor_name=ctx.actor.display_name,
            action=action,
            target=target,
            old=old,
            new=new,
            at=self.app.clock.now(),
            conn=conn,
        )

    async def _tell_suggester(
        self, ctx: Context, conn: Any, suggestion: Suggestion, outcome: str, body: str
    ) -> None:
        destination = Destination(
            platform=suggestion.platform,
            community_id=ctx.community.external_id,
            kind=DestinationKind.DM,
            target_id=suggestion.suggested_by_id,
            target_name=suggestion.suggested_by_name,
        )
        message = Message(title="Your resource suggestion", body=body)
        await enqueue(
            conn,
            run_key=f"resource-suggestion:{ctx.community.id}:{suggestion.id}:{outcome}",
            deliveries=[Delivery(destination, message)],
            now=self.app.clock.now(),
        )


def _shown(text: str) -> str:
    return neutralize_mentions(truncate(text.strip(), 64)).replace("`", "'")


def _did_you_mean(index: SearchIndex, typed: str) -> str:
    hits = index.search(typed.replace("-", " "), limit=3).hits
    if not hits:
        return "Find ids with /resource search <words>."
    return "Did you mean " + ", ".join(f"`{h.resource.id}`" for h in hits) + "?"


def _by_url(index: SearchIndex, normalized: str) -> Resource | None:
    for resource in index.resources:
        if resource.normalized_url == normalized:
            return resource
    return None


def _check_unique_url(index: SearchIndex, resource: Resource) -> None:
    existing = _by_url(index, resource.normalized_url)
    if existing is not None and existing.id != resource.id:
        raise OptionError(
            "url",
            f"that page is already in the catalog as `{existing.id}` "
            f"({render.escape(existing.title)}).",
        )


def _suggestion_section(s: Suggestion) -> Section:
    facts = [RESOURCE_TYPES.get(s.type, s.type), ", ".join(s.topics)]
    if s.level:
        facts.append(s.level)
    if s.cost:
        facts.append(s.cost)
    facts.append(f"suggested by {render.escape(s.suggested_by_name)}")
    parts = [" · ".join(facts)]
    if s.description:
        parts.append(render.escape(truncate(s.description, 200)))
    parts.append(s.url)
    return Section(f"#{s.id} {neutralize_mentions(s.title)}", "\n\n".join(parts))


def _browse_message(filters: SearchFilters, matching: Sequence[Resource]) -> Message:
    order = {level: i for i, level in enumerate(LEVELS)}
    ranked = sorted(matching, key=lambda r: (order.get(r.level, 9), r.title.casefold()))
    narrowed = render.describe_filters(filters)
    if not ranked:
        return Message(body=f"Nothing matches {narrowed}. Try fewer filters.")
    sections = tuple(
        render.hit_section(n, r, description=False) for n, r in enumerate(ranked[:RESULTS], 1)
    )
    more = len(ranked) - RESULTS
    footer = "Add words to rank by relevance: /resource search <words> " + narrowed
    if more > 0:
        footer = f"{more} more match. " + footer
    return Message(title=f"Resources with {narrowed}", sections=sections, footer=footer)

"""What every part of the resources cog shares: its repository and catalog, limits, helpers."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.cog import Cog
from bot.commands.context import Context
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.messages import Message
from bot.sanitize import neutralize_mentions, truncate
from bot.scheduling.jobs import Delivery, Destination
from cogs.resources import render
from cogs.resources.catalog import Catalog, resource_data
from cogs.resources.search import SearchIndex
from content.resources import (
    Resource,
    shipped_resources,
)
from storage.resources import (
    ResourceRepository,
    Suggestion,
)

RESULTS = 5
QUEUE_PAGE = 10
MAX_QUERY = 200
#: Suggestions one member may have waiting at once (keeps the queue reviewable).
MAX_PENDING_PER_MEMBER = 5


class ResourcesBase(Cog):
    """State and helpers shared by the `/resource` command mixins (see `cogs.resources.cog`)."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.repo = ResourceRepository(app.db)
        self.catalog = Catalog(shipped_resources(), self.repo)

    async def _index(self, ctx: Context) -> SearchIndex:
        return await self.catalog.index(ctx.community.id)

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
        async with self.app.db.transaction() as conn:
            await self._put(ctx, conn, resource.id, resource, action, old)

    async def _put(
        self,
        ctx: Context,
        conn: AsyncConnection,
        resource_id: str,
        resource: Resource | None,
        action: str,
        old: Any,
    ) -> None:
        """Store this community's version of a resource (None: removed here) and audit the
        change, in the caller's transaction."""
        data = resource_data(resource) if resource is not None else None
        await self.repo.put(
            conn,
            ctx.community.id,
            resource_id,
            data,
            normalized_url=resource.normalized_url if resource is not None else None,
            changed_by=ctx.actor.user_id,
            now=self.app.clock.now(),
        )
        await ctx.audit(action, f"resource:{resource_id}", old, data, conn=conn)

    async def _decide(
        self,
        ctx: Context,
        conn: AsyncConnection,
        suggestion: Suggestion,
        status: str,
        *,
        tell: str,
        reason: str | None = None,
        resource_id: str | None = None,
    ) -> None:
        """Approve or reject a pending suggestion (`status`) in the caller's transaction and
        queue the suggester's DM saying so (`tell`), sent once it commits. UsageError if
        another moderator decided it first."""
        decided = await self.repo.decide(
            conn,
            suggestion.id,
            status=status,
            reason=reason,
            resource_id=resource_id,
            decided_by_name=ctx.actor.display_name,
            now=self.app.clock.now(),
        )
        if not decided:
            raise UsageError(f"Suggestion #{suggestion.id} was already decided.")
        destination = Destination.dm(
            ctx.community, suggestion.suggested_by_id, suggestion.suggested_by_name
        )
        await self.app.delivery.queue_in(
            conn,
            f"resource-suggestion:{ctx.community.id}:{suggestion.id}:{status}",
            [Delivery(destination, Message(title="Your resource suggestion", body=tell))],
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

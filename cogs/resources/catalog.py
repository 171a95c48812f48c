"""The catalog a community searches: the shipped resources plus that community's own changes.

Moderators add, edit and remove resources per community (stored in `storage.resources`); the
shipped `content/resources.yaml` is never modified. Each community's search index is built
from shipped + changes and cached under the community's catalog revision, which every change
bumps in the same transaction, so a change is visible to the next search in every process.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from cogs.resources.search import SearchIndex
from content.resources import Resource
from storage.resources import CatalogChange, ResourceRepository


def resource_data(resource: Resource) -> dict[str, Any]:
    """The stored form of a resource (every field but the id)."""
    return {
        "title": resource.title,
        "url": resource.url,
        "type": resource.type,
        "topics": list(resource.topics),
        "level": resource.level,
        "cost": resource.cost,
        "description": resource.description,
        "author": resource.author,
        "last_reviewed": None
        if resource.last_reviewed is None
        else resource.last_reviewed.isoformat(),
    }


def resource_from_data(resource_id: str, data: dict[str, Any]) -> Resource:
    """The inverse of `resource_data`."""
    return Resource(
        id=resource_id,
        title=str(data["title"]),
        url=str(data["url"]),
        type=str(data["type"]),
        topics=tuple(str(t) for t in data["topics"]),
        level=str(data["level"]),
        cost=str(data["cost"]),
        description=str(data.get("description") or ""),
        author=None if data.get("author") is None else str(data["author"]),
        last_reviewed=(
            None
            if not data.get("last_reviewed")
            else date.fromisoformat(str(data["last_reviewed"]))
        ),
    )


def merge(shipped: Sequence[Resource], changes: Sequence[CatalogChange]) -> list[Resource]:
    """Shipped resources with the community's edits and removals applied, then its additions."""
    by_id = {c.resource_id: c for c in changes}
    out: list[Resource] = []
    for resource in shipped:
        change = by_id.pop(resource.id, None)
        if change is None:
            out.append(resource)
        elif change.data is not None:
            out.append(resource_from_data(resource.id, change.data))
    for change in changes:
        if change.resource_id in by_id and change.data is not None:
            out.append(resource_from_data(change.resource_id, change.data))
    return out


@cache
def _index_of(resources: tuple[Resource, ...]) -> SearchIndex:
    """Indexes are immutable, so every app in a process shares the shipped catalog's."""
    return SearchIndex(resources)


class Catalog:
    """Search indexes per community, rebuilt when the community's catalog revision changes."""

    def __init__(self, shipped: Sequence[Resource], repo: ResourceRepository) -> None:
        self.shipped = tuple(shipped)
        self.shipped_ids = frozenset(r.id for r in self.shipped)
        self.repo = repo
        self._shipped_index = _index_of(self.shipped)
        self._cache: dict[int, tuple[int, SearchIndex]] = {}

    async def index(self, community_id: int | None) -> SearchIndex:
        """The index for a community (the shipped one when it has no changes)."""
        if community_id is None:
            return self._shipped_index
        revision = await self.repo.revision(community_id)
        if revision == 0:
            return self._shipped_index
        cached = self._cache.get(community_id)
        if cached is not None and cached[0] == revision:
            return cached[1]
        revision, changes = await self.repo.changes(community_id)
        index = SearchIndex(merge(self.shipped, changes))
        self._cache[community_id] = (revision, index)
        return index

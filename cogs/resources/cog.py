"""`/resource ...`: search the curated catalog, suggest additions, and moderate the catalog.

Members search, show, list topics, pick something random and suggest resources. Moderators
work through the suggestion queue (the suggester is told the outcome by DM through the outbox)
and add, edit or remove resources directly. Every change is audited. Each community's catalog
is the shipped one plus its own changes (see `cogs.resources.catalog`).

The cog is one class made of several mixins, one per behaviour: `lookups`, `suggestions` and
`moderation`; what they share lives in `base`, the options and autocomplete sources in `options`,
and every message they build in `render`.
"""

from __future__ import annotations

from cogs.resources.base import ResourcesBase
from cogs.resources.lookups import LookupCommands
from cogs.resources.moderation import ModerationCommands
from cogs.resources.suggestions import SuggestionCommands
from storage.resources import resource_suggestions


class ResourcesCog(LookupCommands, SuggestionCommands, ModerationCommands, ResourcesBase):
    name = "resources"
    description = "Search the curated resource catalog; suggest and moderate resources."
    groups = {"resource": "Find courses, books, blogs and more for ML engineering"}

    async def setup(self) -> None:
        self.app.privacy.register_table(
            "resource_suggestions",
            "Resources you suggested, and what moderators decided",
            self.app.db,
            resource_suggestions,
            user_column="suggested_by_id",
        )

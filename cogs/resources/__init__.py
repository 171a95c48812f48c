"""Resource lookups: the `/resource` commands, the per-community catalog and its search engine."""

from cogs.resources.cog import ResourcesCog

__all__ = ["ResourcesCog"]

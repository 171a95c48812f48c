"""The weekly tips digest feature (see `cogs.digest.cog`)."""

from cogs.digest.cog import DigestCog

__all__ = ["DigestCog"]

"""Finding cogs: every class registered under the `mlebot.cogs` entry-point group."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from bot.cog import Cog

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mlebot.cogs"


class CogLoadError(RuntimeError):
    pass


def discover_cogs() -> dict[str, type[Cog]]:
    """Every installed cog class, keyed by its entry-point name."""
    found: dict[str, type[Cog]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:
            raise CogLoadError(f"cog {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Cog)):
            raise CogLoadError(f"entry point {ep.name!r} ({ep.value}) is not a Cog subclass")
        found[ep.name] = cls
    return found


def load_cog_classes(enabled: list[str], disabled: list[str]) -> list[type[Cog]]:
    """The cog classes to load: `enabled` (all when empty) minus `disabled`, in a stable order."""
    available = discover_cogs()
    unknown = [name for name in [*enabled, *disabled] if name not in available]
    if unknown:
        raise CogLoadError(
            f"unknown cog(s) {', '.join(unknown)} in COGS/DISABLED_COGS; installed: "
            f"{', '.join(sorted(available)) or 'none'}"
        )
    names = enabled or sorted(available)
    return [available[n] for n in names if n not in disabled]

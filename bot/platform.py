"""What the core needs from a platform, whichever it is: the adapter contract and its start error.

Adapters (`bot.adapters.*`) implement these; the application and the composition root use them
without importing any adapter.
"""

from __future__ import annotations

from typing import Protocol


class PlatformUnreachable(Exception):
    """The platform cannot be used at start: refused credentials, or no route to its API.

    The message is one line for the operator, naming the setting or the network problem; the
    process exits with the configuration exit code (2), like an unreachable database.
    """


class Adapter(Protocol):
    """A running connection to one platform."""

    platform: str

    async def start(self) -> None:
        """Connect and begin taking invocations (returns once started)."""

    async def wait_closed(self) -> None:
        """Return when the adapter stopped on its own (e.g. console input ended)."""

    async def stop(self) -> None:
        """Stop taking new work and disconnect."""

    def is_connected(self) -> bool:
        """Whether the platform connection is up (for readiness checks)."""

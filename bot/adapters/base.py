"""What the application needs from every platform adapter."""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Protocol


class PlatformUnreachable(Exception):
    """The platform cannot be used at start: refused credentials, or no route to its API.

    The message is one line for the operator, naming the setting or the network problem; the
    process exits with the configuration exit code (2), like an unreachable database.
    """


def network_problem(exc: BaseException) -> str:
    """What went wrong on the way to a platform's API, in a few words (for a one-line error).

    Names the kind of failure an operator acts on differently: a TLS handshake or certificate
    problem, a name that does not resolve (DNS), a refused connection, a timeout.
    """
    if isinstance(exc, ssl.SSLError):  # aiohttp's ClientSSLError and its certificate error too
        reason = getattr(exc, "reason", None) or getattr(exc, "certificate_error", None) or exc
        return f"TLS error: {reason}"
    cause = getattr(exc, "os_error", None) or exc  # aiohttp's connector errors wrap an OSError
    if isinstance(cause, socket.gaierror):
        host = getattr(exc, "host", None)
        return f"DNS lookup failed{f' for {host}' if host else ''}: {cause.strerror or cause}"
    if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) in (
        errno.ECONNREFUSED,
    ):
        return "connection refused"
    if isinstance(cause, TimeoutError):
        return "timed out"
    return str(cause) or type(cause).__name__


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

"""Shared by the platform adapters: naming network problems. The contract is `bot.platform`."""

from __future__ import annotations

import errno
import socket
import ssl

from bot.platform import Adapter, PlatformUnreachable

__all__ = ["Adapter", "PlatformUnreachable", "network_problem"]


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

"""The few words a start-up error gives for a network failure on the way to a platform."""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Any

import aiohttp

from bot.adapters.base import network_problem


class _Key:
    """What aiohttp's connector errors read from their connection key."""

    host = "discord.example"
    port = 443
    ssl: Any = True


def test_a_name_that_does_not_resolve_is_a_dns_problem() -> None:
    cause = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    exc = aiohttp.ClientConnectorDNSError(_Key(), cause)  # type: ignore[arg-type]
    assert network_problem(exc) == (
        "DNS lookup failed for discord.example: Name or service not known"
    )
    assert network_problem(cause).startswith("DNS lookup failed")


def test_a_refused_connection_says_so() -> None:
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
    exc = aiohttp.ClientConnectorError(_Key(), refused)  # type: ignore[arg-type]
    assert network_problem(exc) == "connection refused"
    assert network_problem(OSError(errno.ECONNREFUSED, "refused")) == "connection refused"


def test_certificate_and_handshake_failures_are_tls_problems() -> None:
    bad_cert = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed")
    exc = aiohttp.ClientConnectorCertificateError(_Key(), bad_cert)  # type: ignore[arg-type]
    assert network_problem(exc).startswith("TLS error: ")
    assert "self-signed" in network_problem(exc)
    assert network_problem(ssl.SSLError(1, "wrong version number")).startswith("TLS error")


def test_timeouts_and_anything_else() -> None:
    assert network_problem(TimeoutError()) == "timed out"
    assert network_problem(OSError(errno.ENETUNREACH, "Network is unreachable")) == (
        "[Errno 101] Network is unreachable"
    )
    assert network_problem(RuntimeError()) == "RuntimeError"

"""A lean HTTP/1.1 client for an adapter's sender: many small requests to one API host.

A digest fan-out is tens of thousands of near-identical POSTs to one host. aiohttp's general
machinery (cookies, payload registry, per-request timeouts, trace hooks, stream readers) costs
about 190 CPU µs per request on our 2-core machines, most of the budget of a whole delivery.
This client keeps a pool of persistent connections to one origin, writes each request as one
prepared buffer and parses the answer with httptools (llhttp, the parser aiohttp and uvicorn
use): about 80 µs. It speaks only what a REST API needs: Content-Length or chunked bodies,
keep-alive, TLS for https. It knows no platform: any sender whose API is plain REST over one
origin can use it (the Discord sender does; the Slack sender goes through slack_sdk's client).
Timeouts belong to the caller (the engine wraps each send); a request cancelled midway closes
its connection, whose state is then unknown.

Connection-level failures raise `ConnectionError` (an `OSError`) so callers treat them as
transient.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import deque
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

#: How long opening a connection (TCP and TLS) may take.
CONNECT_TIMEOUT_SECONDS = 10.0


class ProtocolError(ConnectionError):
    """The server's answer was not valid HTTP/1.1 or the connection ended mid-answer."""


class Response:
    """One answer: status, headers and the whole body. Headers are decoded on first use (a
    successful send never looks at them)."""

    __slots__ = ("_headers", "_raw_headers", "body", "status")

    def __init__(self, status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.body = body
        self._raw_headers = raw_headers
        self._headers: dict[str, str] | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        """Header values by lower-cased name (the last one wins when a name repeats)."""
        if self._headers is None:
            self._headers = {
                name.decode("latin-1").lower(): value.decode("latin-1")
                for name, value in self._raw_headers
            }
        return self._headers

    def json(self) -> Any:
        """The body as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body.decode())
        except ValueError:
            return None


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._headers_done = False

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"invalid HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._headers_done and self._delimited_by_close():
            self._complete()
        else:
            self._fail(ProtocolError("the connection closed before the answer was complete"))

    # -- httptools callbacks -----------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._complete()
        if not self._parser.should_keep_alive():
            self.close()

    # -- requests ----------------------------------------------------------------------------

    async def request(self, data: bytes) -> Response:
        if self.closed or self.transport is None:
            raise ProtocolError("the connection is closed")
        self._headers = []
        self._body = []
        self._headers_done = False
        waiter: asyncio.Future[Response] = self.loop.create_future()
        self._waiter = waiter
        self.transport.write(data)
        try:
            return await waiter
        except asyncio.CancelledError:
            self.close()  # the answer may still arrive: this connection cannot be reused
            raise
        finally:
            self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _delimited_by_close(self) -> bool:
        """No length and not chunked: the body runs until the server closes the connection."""
        return not any(
            name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self._headers
        )

    def _complete(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            status = self._parser.get_status_code()
            waiter.set_result(Response(status, self._headers, b"".join(self._body)))

    def _fail(self, exc: Exception) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


class HttpClient:
    """Requests to one origin (`base_url`) over at most `limit` keep-alive connections."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        limit: int = 100,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.base_path = parts.path
        self.limit = max(1, limit)
        self._ssl = (ssl_context or ssl.create_default_context()) if self.tls else None
        default_port = 443 if self.tls else 80
        authority = self.host if self.port == default_port else f"{self.host}:{self.port}"
        if ":" in self.host and self.port == default_port:  # an IPv6 literal
            authority = f"[{self.host}]"
        elif ":" in self.host:
            authority = f"[{self.host}]:{self.port}"
        fixed = {"Host": authority, **(headers or {})}
        self._fixed_headers = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._idle: deque[_Connection] = deque()
        self._waiting: deque[asyncio.Future[_Connection | None]] = deque()
        self._open = 0
        self._closed = False

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        content_type: str = "application/json",
    ) -> Response:
        """Send one request (path relative to the base URL) and read the whole answer."""
        head = f"{method} {self.base_path}{path} HTTP/1.1\r\n".encode("latin-1")
        if body is None:
            data = head + self._fixed_headers + b"Content-Length: 0\r\n\r\n"
        else:
            data = b"".join(
                (
                    head,
                    self._fixed_headers,
                    b"Content-Type: %s\r\nContent-Length: %d\r\n\r\n"
                    % (content_type.encode("latin-1"), len(body)),
                    body,
                )
            )
        connection = await self._acquire()
        try:
            return await connection.request(data)
        finally:
            self._release(connection)

    async def close(self) -> None:
        """Close every connection; waiting requests fail."""
        self._closed = True
        while self._idle:
            self._idle.popleft().close()
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(ProtocolError("the client is closed"))

    # -- the pool ----------------------------------------------------------------------------

    async def _acquire(self) -> _Connection:
        if self._closed:
            raise ProtocolError("the client is closed")
        while self._idle:
            connection = self._idle.pop()  # the most recently used is the least likely stale
            if not connection.closed:
                return connection
            self._open -= 1
        if self._open < self.limit:
            return await self._connect()
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            handed = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Handed a connection (or the right to open one) just as we were cancelled.
                handed_over = waiter.result()
                if handed_over is None:
                    self._hand_over(None)
                else:
                    self._release(handed_over)
            raise
        return handed if handed is not None else await self._connect()

    async def _connect(self) -> _Connection:
        self._open += 1
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop),
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self._ssl is not None else None,
                )
        except BaseException:
            self._open -= 1
            self._hand_over(None)  # a waiter may open the connection we could not
            raise
        return connection

    def _release(self, connection: _Connection | None) -> None:
        if connection is None:
            return
        if connection.closed or self._closed:
            connection.close()
            self._open -= 1
            self._hand_over(None)
            return
        if not self._hand_over(connection):
            self._idle.append(connection)

    def _hand_over(self, connection: _Connection | None) -> bool:
        """Give `connection` (or, for None, the right to open one) to the first waiter."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

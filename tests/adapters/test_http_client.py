"""The senders' lean HTTP/1.1 client against raw loopback servers: keep-alive reuse,
body framings, the connection limit, and failures that must surface as ConnectionError."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.adapters.http import HttpClient, ProtocolError
from tests.ports import free_port

Handler = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head + body


@asynccontextmanager
async def server(
    handler: Handler, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[str, list[int]]]:
    """A loopback server answering each request with `handler` (False: close the connection).
    Yields its URL and a list recording, per connection, how many requests it served."""
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(connections)
        connections.append(0)
        try:
            while (request := await _read_request(reader)) is not None:
                connections[index] += 1
                if not await handler(request, writer):
                    break
                await writer.drain()
        finally:
            writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}/api/v10", connections
    finally:
        srv.close()
        await srv.wait_closed()


def _answer(status: int, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def echo(request: bytes, writer: asyncio.StreamWriter) -> bool:
    """Answers with the request line, the Host header and the JSON body it got."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    host = next(line.split(": ", 1)[1] for line in lines if line.lower().startswith("host:"))
    answer = {"line": lines[0], "host": host, "body": json.loads(body) if body else None}
    writer.write(_answer(200, json.dumps(answer).encode(), "X-RateLimit-Bucket: abc"))
    return True


async def test_requests_reuse_one_keep_alive_connection() -> None:
    async with server(echo) as (url, connections):
        client = HttpClient(url, headers={"Authorization": "Bot t"})
        try:
            for i in range(3):
                response = await client.request("POST", "/channels/1/messages", b'{"n":%d}' % i)
                assert response.status == 200
                answer = response.json()
                assert answer["line"] == "POST /api/v10/channels/1/messages HTTP/1.1"
                assert answer["body"] == {"n": i}
                assert answer["host"] == url.split("/")[2]
                assert response.headers["x-ratelimit-bucket"] == "abc"  # names lower-cased
        finally:
            await client.close()
    assert connections == [3]


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_https_verifies_the_server_and_keeps_the_connection(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    async with server(echo, tls=server_tls) as (url, connections):
        trusting = HttpClient(url, ssl_context=ssl.create_default_context(cafile=str(cert)))
        for i in range(2):
            answer = (await trusting.request("POST", "/x", b'{"n":%d}' % i)).json()
            assert answer["body"] == {"n": i}
        await trusting.close()
        untrusting = HttpClient(url)  # the system's CAs do not know this certificate
        with pytest.raises(ssl.SSLError):
            await untrusting.request("GET", "/x")
        await untrusting.close()
    assert connections[0] == 2


async def test_chunked_and_close_delimited_bodies_are_read_whole() -> None:
    async def chunked(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n'
        )
        return True

    async def until_close(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"b":2}')
        return False

    async with server(chunked) as (url, _):
        client = HttpClient(url)
        assert (await client.request("GET", "/x")).json() == {"a": 1}
        await client.close()
    async with server(until_close) as (url, connections):
        client = HttpClient(url)
        assert (await client.request("GET", "/x")).json() == {"b": 2}
        assert (await client.request("GET", "/x")).json() == {"b": 2}  # a new connection
        await client.close()
    assert connections == [1, 1]


async def test_a_connection_the_server_drops_mid_answer_is_a_connection_error() -> None:
    async def half(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
        return False

    async with server(half) as (url, _):
        client = HttpClient(url)
        with pytest.raises(ConnectionError):
            await client.request("POST", "/x", b"{}")
        await client.close()


async def test_garbage_is_a_protocol_error() -> None:
    async def garbage(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SMTP ready\r\n\r\n")
        return True

    async with server(garbage) as (url, _):
        client = HttpClient(url)
        with pytest.raises(ProtocolError):
            await client.request("GET", "/x")
        await client.close()


async def test_at_most_limit_connections_and_every_request_answered() -> None:
    in_flight = 0
    most = 0

    async def slow(request: bytes, writer: asyncio.StreamWriter) -> bool:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        writer.write(_answer(200, b"{}"))
        return True

    async with server(slow) as (url, connections):
        client = HttpClient(url, limit=3)
        answers = await asyncio.gather(*(client.request("GET", f"/{i}") for i in range(20)))
        await client.close()
    assert [a.status for a in answers] == [200] * 20
    assert most <= 3 and len(connections) <= 3 and sum(connections) == 20


async def test_a_cancelled_request_frees_its_slot_and_drops_its_connection() -> None:
    release = asyncio.Event()

    async def stuck_once(request: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"/stuck" in request:
            await release.wait()
            return False
        writer.write(_answer(200, b"{}"))
        return True

    async with server(stuck_once) as (url, connections):
        client = HttpClient(url, limit=1)
        stuck = asyncio.create_task(client.request("GET", "/stuck"))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(client.request("GET", "/next"))  # waits for the slot
        await asyncio.sleep(0.01)
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck
        assert (await asyncio.wait_for(waiting, 5)).status == 200
        release.set()
        await client.close()
    assert len(connections) == 2  # the cancelled request's connection was not reused


async def test_nothing_listening_is_a_connection_error() -> None:
    client = HttpClient(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(OSError):
        await client.request("GET", "/x")
    await client.close()


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="not an http"):
        HttpClient("ftp://example.invalid/api")

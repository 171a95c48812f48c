"""The in-process HTTP server over real loopback HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from bot.ops.http_server import HttpServer


async def test_healthz_and_added_routes() -> None:
    server = HttpServer("127.0.0.1", 0)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    server.add_route("GET", "/hello", hello)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/healthz") as resp:
                assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
            async with session.get(f"{server.url}/hello") as resp:
                assert await resp.text() == "hi"
            async with session.get(f"{server.url}/nope") as resp:
                assert resp.status == 404
        with pytest.raises(RuntimeError):
            server.add_route("GET", "/late", hello)
    finally:
        await server.stop()

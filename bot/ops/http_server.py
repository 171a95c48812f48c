"""The HTTP server inside the bot process (aiohttp): health, and routes adapters add.

Slack's events endpoint (HTTP mode), `/readyz` and `/metrics` are added by the features that
own them through `add_route`; this module only owns the server and `/healthz`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web.http import WebHandler, WebRequest, not_modified

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.web_app = web.Application(client_max_size=1024 * 1024)
        self._runner: web.AppRunner | None = None
        self.add_route("GET", "/healthz", self._healthz)

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Register a route; only before `start()`."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the HTTP server starts")
        self.web_app.router.add_route(method, path, handler)

    def add_page(self, path: str, handler: WebHandler) -> None:
        """Serve a public GET (and HEAD) route built from a neutral `WebHandler`.

        The server answers conditional requests with 304 from the response's validators.
        """

        async def serve(request: web.Request) -> web.StreamResponse:
            headers = {k.lower(): v for k, v in request.headers.items()}
            req = WebRequest(
                path_params=dict(request.match_info), query=dict(request.query), headers=headers
            )
            response = await handler(req)
            if not_modified(headers, response):
                out = web.Response(status=304, headers=response.headers())
                del out.headers["Content-Type"]
                return out
            return web.Response(
                status=response.status, body=response.body, headers=response.headers()
            )

        self.add_route("GET", path, serve)
        self.add_route("HEAD", path, serve)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.web_app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # bound to a free port: record which (tests)
            server = getattr(site, "_server", None)
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = sockets[0].getsockname()[1]
        log.info("HTTP server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @staticmethod
    async def _healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

"""A loopback mock of the Slack Web API (and of response_url), recording every call.

Answers `POST|GET /api/<method>` like Slack (JSON with `ok`), and `POST /response/<id>` like a
response_url. Scripted failures: `fail(method, status=429, retry_after=3)` or
`fail(method, error="channel_not_found")`, consumed in order.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: float | None = None
    html: bool = False  # answer like a proxy in trouble: an HTML page, not JSON


@dataclass
class SlackMock:
    team_id: str = "T0001"
    bot_user_id: str = "UBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Users a DM cannot be opened with (deactivated accounts): conversations.open refuses them.
    disabled_users: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    responses: list[Call] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    port: int = 0
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    #: Socket Mode: messages the bot sent over the websocket (envelope acks), and the socket.
    socket_replies: list[dict[str, Any]] = field(default_factory=list)
    socket_tokens: list[str] = field(default_factory=list)
    _socket: web.WebSocketResponse | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "1") -> str:
        return f"{self.url}/response/{key}"

    def fail(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        html: bool = False,
    ) -> None:
        self.failures.setdefault(method, []).append(Failure(status, error, retry_after, html))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Any, within: float = 5.0) -> None:
        """Wait until `predicate()` is true (checked after every recorded call)."""

        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(loop(), within)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        return params

    def _record(self, target: list[Call], name: str, params: dict[str, Any], request: web.Request):
        target.append(Call(name, params, dict(request.headers)))
        self._changed.set()

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1})
        self._changed.set()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                self.socket_replies.append(json.loads(msg.data))
                self._changed.set()
        return ws

    async def push(self, envelope: dict[str, Any]) -> None:
        """Send a Socket Mode envelope to the connected bot."""
        await self.wait_for(lambda: self._socket is not None)
        assert self._socket is not None
        await self._socket.send_json(envelope)

    async def _response(self, request: web.Request) -> web.Response:
        self._record(self.responses, request.match_info["key"], await request.json(), request)
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self._record(self.calls, method, params, request)
        if method == "apps.connections.open":
            self.socket_tokens.append(request.headers.get("Authorization", ""))
        queued = self.failures.get(method)
        if queued:
            failure = queued.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            if failure.html:
                return web.Response(
                    status=failure.status, text="<html>Bad gateway</html>", content_type="text/html"
                )
            body = {"ok": False, "error": failure.error or "ratelimited"}
            return web.json_response(body, status=failure.status, headers=headers)
        return web.json_response(self._answer(method, params))

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.team_id,
                "team": "Test",
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
                "url": "https://test.slack.com/",
            }
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": params["user"], **user}}
        if method == "conversations.open":
            if str(params.get("users")) in self.disabled_users:
                # conversations.open error "user_disabled" (Slack Web API reference).
                return {"ok": False, "error": "user_disabled"}
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))}}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            return {"ok": True, "channel": params.get("channel"), "ts": "1700000000.000100"}
        return {"ok": True}


def decode(value: Any) -> Any:
    """Form-encoded Web API params carry JSON strings (e.g. blocks)."""
    return json.loads(value) if isinstance(value, str) else value

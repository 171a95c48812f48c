"""A loopback mock of the Slack Web API (and of response_url), recording every call.

Answers `POST|GET /api/<method>` like Slack (JSON with `ok`), and `POST /response/<id>` like a
response_url. Scripted failures: `fail(method, status=429, retry_after=3)` or
`fail(method, error="channel_not_found")`, consumed in order.

As strict as the real API (rules and their sources in `tests/slack/slack_rules.py` and below):
message bodies breaking a Block Kit or text limit are refused (`invalid_blocks`,
`msg_too_long`, `no_text`) and recorded in `refusals`; a response_url takes 5 uses within 30
minutes; channels in `missing_channels` answer `channel_not_found`, those in `not_joined`
answer `not_in_channel`; `limit(method, calls, per)` answers 429 with Retry-After once a
method is called too often; `revoke(error)` makes every call with the bot token answer
`token_revoked` / `invalid_auth` / `account_inactive`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from tests.slack.slack_rules import (
    FILE_NOT_FOUND,
    INVALID_ARGUMENTS,
    completed_files,
    message_error,
    upload_url_error,
)

#: Methods whose body is a message (blocks / text) that Slack validates.
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
#: Methods that address a channel the bot must be able to see (and, to post, be a member of).
CHANNEL_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
#: https://docs.slack.dev/interactivity/handling-user-interaction#message_responses: a
#: response_url may be used "up to 5 times within 30 minutes" of the interaction.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


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
class UploadedFile:
    """A file going through the external upload flow (see slack_rules for the sources)."""

    id: str
    filename: str
    length: int  # as declared to files.getUploadURLExternal
    content: bytes | None = None  # once POSTed to the upload URL
    title: str = ""
    channel_id: str | None = None  # where files.completeUploadExternal shared it
    completed: bool = False


@dataclass
class Refusal:
    """A call the mock refused the way Slack would (kept for assertions)."""

    method: str
    error: str
    detail: str = ""


@dataclass
class _Limit:
    calls: int
    per: float
    times: deque[float] = field(default_factory=deque)


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
    #: Everything refused the way Slack would refuse it (invalid blocks, revoked token, ...).
    refusals: list[Refusal] = field(default_factory=list)
    #: Channels that do not exist (or the bot cannot see): `channel_not_found`.
    missing_channels: set[str] = field(default_factory=set)
    #: Channels the bot is not a member of: `not_in_channel` when it posts there.
    not_joined: set[str] = field(default_factory=set)
    #: token -> the error every call made with it answers ("*" for any token).
    revoked: dict[str, str] = field(default_factory=dict)
    #: response_url key -> the messages that replaced the interaction's original message.
    replaced: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: file id -> the file, from files.getUploadURLExternal on.
    files: dict[str, UploadedFile] = field(default_factory=dict)
    response_url_uses: int = RESPONSE_URL_USES
    response_url_seconds: float = RESPONSE_URL_SECONDS
    _limits: dict[str, _Limit] = field(default_factory=dict)
    _url_issued: dict[str, float] = field(default_factory=dict)
    _url_used: dict[str, int] = field(default_factory=dict)
    _posted: list[str] = field(default_factory=list)  # channels of accepted chat.postMessage
    _revoke_at: tuple[int, str, str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str = "1") -> str:
        """The response_url of one interaction; its 30 minutes start when first handed out."""
        self._url_issued.setdefault(key, time.monotonic())
        return f"{self.url}/response/{key}"

    def expire_response_url(self, key: str = "1") -> None:
        """Make `key`'s response_url older than Slack's 30 minutes."""
        self._url_issued[key] = time.monotonic() - self.response_url_seconds - 1

    def revoke(self, error: str = "token_revoked", token: str = "*", after_posts: int = 0) -> None:
        """Every later call with `token` (default: any token) answers `error` - or only once
        `after_posts` more chat.postMessage calls have succeeded (a token revoked mid fan-out).

        https://docs.slack.dev/reference/methods/auth.test (and every method's error table):
        `invalid_auth` "Some aspect of authentication cannot be validated", `account_inactive`
        "Authentication token is for a deleted user or workspace", `token_revoked`
        "Authentication token is for a deleted user or workspace or the app has been removed".
        Slack answers these with HTTP 200 and `ok: false`.
        """
        if after_posts > 0:
            self._revoke_at = (len(self._posted) + after_posts, token, error)
            return
        self.revoked[token] = error

    def limit(self, method: str, calls: int, per: float = 60.0) -> None:
        """Answer 429 with Retry-After once `method` is called more than `calls` times in `per` s.

        https://docs.slack.dev/apis/web-api/rate-limits: "If you exceed a rate limit when using
        any of our HTTP-based APIs, Slack will return a HTTP 429 Too Many Requests error, and a
        Retry-After HTTP header containing the number of seconds until you can retry."
        (users.info is a Tier 4 method: 100+ per minute.)
        """
        self._limits[method] = _Limit(calls, per)

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
        app.router.add_post("/upload/{file_id}", self._upload)
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

    def _refuse(self, method: str, error: str, detail: str = "") -> None:
        self.refusals.append(Refusal(method, error, detail))
        self._changed.set()

    async def _response(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        params = await request.json()
        self._record(self.responses, key, params, request)
        issued = self._url_issued.setdefault(key, time.monotonic())
        # Slack answers a spent or stale response_url with a 404 (the body names the reason;
        # getsentry/sentry#73985 matches its "Expired url" text).
        if time.monotonic() - issued > self.response_url_seconds:
            self._refuse(f"response_url:{key}", "expired_url")
            return web.Response(status=404, text="expired_url")
        used = self._url_used.get(key, 0) + 1
        self._url_used[key] = used
        if used > self.response_url_uses:
            self._refuse(f"response_url:{key}", "used_url")
            return web.Response(status=404, text="used_url")
        refused = message_error(params)
        if refused is not None:
            self._refuse(f"response_url:{key}", *refused)
            return web.Response(status=400, text=refused[0])
        # https://docs.slack.dev/interactivity/handling-user-interaction#message_responses:
        # "replace_original": true replaces the message the interaction came from (the only
        # way to change an ephemeral message); "replace_original": false adds a new one.
        if params.get("replace_original") is True:
            self.replaced.setdefault(key, []).append(params)
        return web.Response(text="ok")

    def _token(self, request: web.Request, params: dict[str, Any]) -> str:
        auth = request.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ").strip() or str(params.get("token", ""))

    def _rate_limited(self, method: str) -> float | None:
        limit = self._limits.get(method)
        if limit is None:
            return None
        now = time.monotonic()
        while limit.times and now - limit.times[0] >= limit.per:
            limit.times.popleft()
        if len(limit.times) >= limit.calls:
            return max(1.0, math.ceil(limit.per - (now - limit.times[0])))
        limit.times.append(now)
        return None

    def shared_files(self) -> list[UploadedFile]:
        """Files whose upload was completed (shared in a channel or kept private)."""
        return [f for f in self.files.values() if f.completed]

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: takes the file's bytes (raw, or the first part of a multipart)."""
        upload = self.files.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="file_not_found")
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read(decode=False) if isinstance(part, BodyPartReader) else b""
            upload.content = bytes(data)
        else:
            upload.content = await request.read()
        self._changed.set()
        return web.Response(text=f"OK - {len(upload.content)}")

    def _files_answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            refused = upload_url_error(params)
            if refused is not None:
                return self._refused(method, *refused)
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = UploadedFile(
                file_id, str(params["filename"]), int(str(params["length"]))
            )
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        listed = completed_files(params)
        if isinstance(listed, tuple):
            return self._refused(method, *listed)
        channel = params.get("channel_id")
        if channel is not None:
            refused = self._channel_error(str(channel))
            if refused is not None:
                return self._refused(method, *refused)
        chosen: list[UploadedFile] = []
        for item in listed:
            upload = self.files.get(item["id"])
            if upload is None or upload.completed or upload.content is None:
                return self._refused(method, FILE_NOT_FOUND, str(item["id"]))
            if len(upload.content) != upload.length:
                detail = (
                    f"{item['id']}: uploaded {len(upload.content)} bytes, declared {upload.length}"
                )
                return self._refused(method, INVALID_ARGUMENTS, detail)
            chosen.append(upload)
        for upload, item in zip(chosen, listed, strict=True):
            upload.title = str(item.get("title") or upload.filename)
            upload.channel_id = None if channel is None else str(channel)
            upload.completed = True
        return {"ok": True, "files": [{"id": f.id, "title": f.title} for f in chosen]}

    def _refused(self, method: str, error: str, detail: str = "") -> dict[str, Any]:
        self._refuse(method, error, detail)
        return {"ok": False, "error": error}

    def _check(self, method: str, params: dict[str, Any]) -> tuple[str, str] | None:
        if method in MESSAGE_METHODS:
            decoded = dict(params)
            refused = message_error(decoded)
            if refused is not None:
                return refused
        if method in CHANNEL_METHODS:
            # https://docs.slack.dev/reference/methods/chat.postMessage errors:
            # channel_not_found "Value passed for channel was invalid", not_in_channel
            # "Cannot post user messages to a channel they are not in".
            return self._channel_error(str(params.get("channel", "")))
        return None

    def _channel_error(self, channel: str) -> tuple[str, str] | None:
        if not channel or channel in self.missing_channels:
            return "channel_not_found", channel
        if channel in self.not_joined:
            return "not_in_channel", channel
        return None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        self._record(self.calls, method, params, request)
        if method == "apps.connections.open":
            self.socket_tokens.append(request.headers.get("Authorization", ""))
        revoked = self.revoked.get(self._token(request, params)) or self.revoked.get("*")
        if revoked is not None and method != "apps.connections.open":
            self._refuse(method, revoked)
            return web.json_response({"ok": False, "error": revoked})
        wait = self._rate_limited(method)
        if wait is not None:
            self._refuse(method, "ratelimited", f"retry after {wait}")
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(int(wait))},
            )
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
        refused = self._check(method, params)
        if refused is not None:
            self._refuse(method, *refused)
            body = {"ok": False, "error": refused[0]}
            if refused[1]:
                body["response_metadata"] = {"messages": [f"[ERROR] {refused[1]}"]}
            return web.json_response(body)
        if method == "chat.postMessage":
            self._posted.append(str(params.get("channel")))
            if self._revoke_at is not None and len(self._posted) >= self._revoke_at[0]:
                _, token, error = self._revoke_at
                self._revoke_at = None
                self.revoked[token] = error
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
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return self._files_answer(method, params)
        if method == "files.upload":
            # Slack changelog 2024-04 "a better way to upload files is here to stay": "November
            # 12, 2025, the files.upload API will be sunset and no longer available". (The
            # error name is the mock's: Slack's own answer is not documented.)
            return self._refused(method, "method_deprecated")
        return {"ok": True}


def decode(value: Any) -> Any:
    """Form-encoded Web API params carry JSON strings (e.g. blocks)."""
    return json.loads(value) if isinstance(value, str) else value

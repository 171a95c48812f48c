"""An emulator of the Discord API on 127.0.0.1, enough for discord.py and the bot.

REST (`/api/v10`): current user and application, gateway discovery, bulk overwrite of global
and guild commands, interaction callbacks, webhook follow-ups and edits, channel messages
(`nonce` + `enforce_nonce` dedupe), DM channel creation. Every call is recorded. Faults can be
queued per route: 429 (per-route or global, with `Retry-After` header and body), 5xx, or a
Discord error code such as 50007 (cannot send messages to this user).

Gateway (`/gateway`, JSON text frames, no compression): HELLO, IDENTIFY -> READY and one
GUILD_CREATE per guild, HEARTBEAT -> HEARTBEAT_ACK, and `dispatch()` for events such as
INTERACTION_CREATE (see `slash`, `autocomplete`, `click`). `reconnect()` asks the clients to
reconnect (opcode 7); RESUME with a known session id and sequence replays the events the client
missed and answers RESUMED, an unknown session gets INVALID_SESSION.

Payload shapes follow Discord's documentation (developer docs: Interactions, Receiving and
Responding; Gateway Events; Rate Limits).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.emulators.discord import rules
from tests.emulators.discord.ratelimits import RateLimits

API_PREFIX = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41250
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send, use app commands
EPHEMERAL = 1 << 6

# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, HELLO, HEARTBEAT_ACK = 0, 1, 2, 10, 11
RESUME, RECONNECT, INVALID_SESSION = 6, 7, 9
#: Dispatched events kept per gateway session for RESUME to replay.
EVENT_LOG_SIZE = 1000


@dataclass(frozen=True)
class Call:
    """One REST request the emulator received."""

    method: str
    path: str  # without the /api/v10 prefix
    body: Any
    headers: Mapping[str, str]
    files: tuple[Upload, ...] = ()


@dataclass(frozen=True)
class Upload:
    """A file sent as a `files[n]` part of a multipart request."""

    field: str
    filename: str
    content: bytes
    content_type: str


@dataclass
class Fault:
    """An error to answer instead of the real thing, for requests matching `method` + `path`
    (a regular expression matched against the path without the API prefix)."""

    method: str
    path: str
    status: int = 429
    retry_after: float = 0.05
    is_global: bool = False
    code: int = 0
    message: str = ""
    times: int = 1
    after: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        if self.times <= 0 or method != self.method or re.fullmatch(self.path, path) is None:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        return True


@dataclass
class Guild:
    id: str
    name: str
    owner_id: str = "900000000000000001"
    channels: dict[str, str] = field(default_factory=lambda: {"100000000000000001": "general"})
    system_channel_id: str | None = "100000000000000001"
    roles: dict[str, str] = field(default_factory=dict)  # role id -> name, besides @everyone


@dataclass
class _GatewaySession:
    """A gateway session (what READY names and RESUME continues), across connections."""

    session_id: str
    seq: int = 0
    #: Dispatched events (seq, event, data), for RESUME to replay what a client missed.
    log: collections.deque[tuple[int, str, Any]] = field(
        default_factory=lambda: collections.deque(maxlen=EVENT_LOG_SIZE)
    )
    awaiting_resume: bool = False


@dataclass
class _Session:
    """One websocket connection."""

    ws: web.WebSocketResponse
    identified: asyncio.Event = field(default_factory=asyncio.Event)
    identify: dict[str, Any] | None = None
    resume: dict[str, Any] | None = None
    gateway: _GatewaySession | None = None


class DiscordEmulator:
    """Start with `await emulator.start()`; point the bot at `api_url` and `gateway_url`."""

    def __init__(
        self,
        *,
        guilds: Iterable[Guild] = (),
        application_id: str = "800000000000000001",
        bot_id: str = "800000000000000002",
        token: str = "test-token",
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.guilds = {g.id: g for g in guilds}
        self.application_id = application_id
        self.bot_id = bot_id
        self.token = token
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> commands
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> created messages
        self.callbacks: dict[str, list[dict[str, Any]]] = {}  # interaction id -> callback bodies
        self.webhook_messages: dict[str, list[dict[str, Any]]] = {}  # token -> follow-ups/edits
        self.deleted_originals: set[str] = set()  # interaction tokens
        self.dm_channels: dict[str, str] = {}  # user id -> DM channel id
        self.closed_dms: set[str] = set()  # user ids that do not accept DMs (50007)
        self.unknown_users: set[str] = set()
        #: Rate-limit headers on every answer; `RateLimits.discord()` also refuses with 429.
        self.rate_limits = rate_limits or RateLimits.relaxed()
        #: Seconds, for interaction deadlines and the daily command-create limit.
        self.clock: Callable[[], float] = time.monotonic
        #: Discord docs, Receiving and Responding: "you must send an initial response within 3
        #: seconds of receiving the event" (else 10062 Unknown interaction), and "interaction
        #: tokens are valid for 15 minutes" (follow-ups and edits after that: 50027 Invalid
        #: Webhook Token).
        #: https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction
        self.initial_response_seconds = 3.0
        self.token_seconds = 15 * 60.0
        self._interaction_born: dict[str, float] = {}  # token -> when dispatched
        #: Discord docs, Application Commands, "Registering a Command": "There is a global rate
        #: limit of 200 application command creates per day, per guild" (30034 beyond).
        #: https://discord.com/developers/docs/interactions/application-commands#registering-a-command
        self.daily_creates = 200
        self._creates: dict[str, list[float]] = {}  # scope -> when each command was created
        #: Revoke the bot token once this many messages were created (None: never).
        self.revoke_after_messages: int | None = None
        self.messages_created = 0
        #: Requests answered 401, 403 or 429 (not shared-scope 429s): what Discord counts
        #: towards its ban of 10,000 invalid requests in 10 minutes (Discord docs, Topics:
        #: Rate Limits, "Invalid Request Limit aka Cloudflare bans").
        #: https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-cloudflare-bans
        self.invalid_requests: collections.Counter[int] = collections.Counter()
        self.sessions: list[_Session] = []
        self.identifies = 0
        self.resumes = 0
        self._session_ids = itertools.count(1)
        self._gateway_sessions: dict[str, _GatewaySession] = {}
        self._ids = itertools.count(1_000_000_000_000_000_000)
        self._interaction_tokens: dict[str, str] = {}  # token -> interaction id
        self._interaction_kinds: dict[str, int] = {}  # interaction id -> interaction type
        #: The `attachment_size_limit` new interactions carry (Discord docs, Receiving and
        #: Responding, Interaction Structure: "Attachment size limit in bytes"); files over it
        #: are refused on that interaction's callback and webhooks.
        self.attachment_size_limit = rules.DEFAULT_ATTACHMENT_SIZE
        self._size_limits: dict[str, int] = {}  # interaction token -> its limit
        #: Files received, by interaction token (callbacks and webhooks) or channel id.
        self.files: dict[str, list[Upload]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> str:
        return str(next(self._ids))

    def fail(self, method: str, path: str, **kwargs: Any) -> Fault:
        """Queue a fault for the next matching request(s); see `Fault`."""
        fault = Fault(method, path, **kwargs)
        self.faults.append(fault)
        return fault

    def requests(self, method: str | None = None, path: str | None = None) -> list[Call]:
        """Recorded calls, optionally filtered (`path` is a regular expression)."""
        return [
            c
            for c in self.calls
            if (method is None or c.method == method)
            and (path is None or re.fullmatch(path, c.path) is not None)
        ]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Any, within: float = 10.0) -> None:
        """Wait until `predicate()` is true (checked after every recorded change)."""

        async def waiter() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(waiter(), within)

    # -- REST ------------------------------------------------------------------------------

    def _user(self, user_id: str, name: str = "") -> dict[str, Any]:
        return {
            "id": user_id,
            "username": name or f"user{user_id[-4:]}",
            "discriminator": "0",
            "global_name": name or None,
            "avatar": None,
        }

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body: Any = None
        files: tuple[Upload, ...] = ()
        refused: web.Response | None = None
        if request.content_type == "multipart/form-data":
            body, files, refused = await _read_multipart(request)
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        call = Call(request.method, path, body, dict(request.headers), files)
        self.calls.append(call)
        try:
            if refused is not None:
                return refused
            response = await self._answer(request, path, body, files)
            if response.status in (401, 403) or (
                response.status == 429 and response.headers.get("X-RateLimit-Scope") != "shared"
            ):
                self.invalid_requests[response.status] += 1
            return response
        finally:
            await self._notify()

    def revoke_token(self) -> None:
        """The bot token stops working (as after a reset in the developer portal): every
        request carrying it is answered 401 and the gateway closes IDENTIFY with 4004."""
        self.token = f"revoked-{self.token}"

    async def _answer(
        self, request: web.Request, path: str, body: Any, files: tuple[Upload, ...] = ()
    ) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bot {self.token}" and not path.startswith(
            ("/interactions/", "/webhooks/")
        ):
            # Discord docs, Topics: Opcodes and Status Codes: 401 UNAUTHORIZED, body
            # {"message": "401: Unauthorized", "code": 0}.
            # https://discord.com/developers/docs/topics/opcodes-and-status-codes#http
            # It carries no X-RateLimit-* headers (a captured one in discord/discord-api-docs
            # issue 1569 has none), so it is answered before the rate-limit count.
            return _error(401, 0, "401: Unauthorized")
        for fault in self.faults:
            if fault.matches(request.method, path):
                fault.times -= 1
                return _fault_response(fault)
        headers, retry_after, is_global = self.rate_limits.take(request.method, path)
        if retry_after is not None:
            return _rate_limited(headers, retry_after, is_global=is_global)
        response = await self._route(request.method, path, body, request.query, files)
        response.headers.update(headers)
        return response

    async def _route(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, str],
        files: tuple[Upload, ...] = (),
    ) -> web.StreamResponse:
        app = re.escape(self.application_id)
        if method == "GET" and path == "/users/@me":
            user = self._user(self.bot_id, "mlebot")
            user["bot"] = True
            return _json(user)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(self._application())
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            out: dict[str, Any] = {"url": self.gateway_url}
            if path == "/gateway/bot":
                out["shards"] = 1
                out["session_start_limit"] = {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                }
            return _json(out)
        m = re.fullmatch(rf"/applications/{app}(?:/guilds/(\d+))?/commands", path)
        if m:
            scope = m.group(1) or "global"
            if method == "PUT":
                if scope != "global":
                    # `contexts` is for global commands only; BOT_DM (1) makes no sense for a
                    # guild command (Discord docs, Application Commands: Interaction Context
                    # Types and the application command object's `contexts`).
                    # https://discord.com/developers/docs/interactions/application-commands#interaction-contexts
                    for n, command in enumerate(body):
                        if 1 in (command.get("contexts") or ()):
                            return _form_error(
                                f"{n}.contexts", "BOT_DM is not valid for guild commands"
                            )
                violation = rules.command_violation(body or [], is_global=scope == "global")
                if violation is not None:
                    return _violation(violation)
                known = {c["name"] for c in self.commands.get(scope, [])}
                created = [c for c in body if c.get("name") not in known]
                now = self.clock()
                day = [t for t in self._creates.get(scope, []) if now - t < 86_400]
                if len(day) + len(created) > self.daily_creates:
                    return _error(
                        400,
                        30034,
                        "Max number of daily application command creates has been reached (200)",
                    )
                self._creates[scope] = day + [now] * len(created)
                self.commands[scope] = [self._registered_command(c, scope) for c in body]
            return _json(self.commands.get(scope, []))
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m and method == "POST":
            return self._callback(m.group(1), m.group(2), body, query, files)
        m = re.fullmatch(rf"/webhooks/{app}/([^/]+)/messages/@original", path)
        if m and method == "DELETE":
            if m.group(1) not in self._interaction_tokens:
                return _error(404, 10015, "Unknown Webhook")
            self.deleted_originals.add(m.group(1))
            return web.Response(status=204)
        m = re.fullmatch(rf"/webhooks/{app}/([^/]+)(/messages/@original)?", path)
        if m and method in ("POST", "PATCH"):
            token = m.group(1)
            if token not in self._interaction_tokens:
                return _error(404, 10015, "Unknown Webhook")
            if self._age(token) > self.token_seconds:
                return _error(401, 50027, "Invalid Webhook Token")
            too_big = self._files_violation(files, token)
            if too_big is not None:
                return _violation(too_big)
            violation = rules.message_violation(body, files=len(files))
            if violation is not None and not (
                method == "PATCH" and _edits_nothing(body) and not files
            ):
                return _violation(violation)
            message = self._message(self.new_id(), body, files)
            self.files.setdefault(token, []).extend(files)
            message["edit_original"] = method == "PATCH"
            self.webhook_messages.setdefault(token, []).append(message)
            return _json(message)
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST":
            return self._create_message(m.group(1), body, files)
        if method == "POST" and path == "/users/@me/channels":
            user_id = str((body or {}).get("recipient_id", ""))
            if user_id in self.unknown_users:
                return _error(400, 50035, "Invalid Form Body")
            channel_id = self.dm_channels.setdefault(user_id, self.new_id())
            return _json({"id": channel_id, "type": 1, "recipients": [self._user(user_id)]})
        return _error(404, 0, f"404: Not Found ({method} {path})")

    def _registered_command(self, command: Mapping[str, Any], scope: str) -> dict[str, Any]:
        """A command as Discord answers a bulk overwrite: with ids, and permissions as a string."""
        out = {
            **command,
            "id": self.new_id(),
            "application_id": self.application_id,
            "version": "1",
        }
        if out.get("default_member_permissions") is not None:
            out["default_member_permissions"] = str(out["default_member_permissions"])
        if scope != "global":
            out["guild_id"] = scope
        return out

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": "mlebot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self._user("900000000000000001", "owner"),
            "verify_key": "0" * 64,
            "flags": 0,
        }

    def _message(
        self, message_id: str, body: Any, files: tuple[Upload, ...] = ()
    ) -> dict[str, Any]:
        data = dict(body or {})
        attachments = [
            {
                "id": self.new_id(),
                "filename": f.filename,
                "size": len(f.content),
                "content_type": f.content_type,
                "url": f"{self.api_url}/attachments/{f.filename}",
                "proxy_url": f"{self.api_url}/attachments/{f.filename}",
            }
            for f in files
        ]
        return {
            "attachments": attachments,
            "id": message_id,
            "type": 0,
            "content": data.get("content", ""),
            "embeds": data.get("embeds", []),
            "components": data.get("components", []),
            "flags": data.get("flags", 0),
            "nonce": data.get("nonce"),
            "allowed_mentions": data.get("allowed_mentions"),
            "author": {**self._user(self.bot_id, "mlebot"), "bot": True},
        }

    def _age(self, token: str) -> float:
        return self.clock() - self._interaction_born.get(token, self.clock())

    def _files_violation(
        self, files: tuple[Upload, ...], token: str | None
    ) -> rules.Violation | None:
        """Too many files, or one over the size limit: the interaction's
        `attachment_size_limit`, else Discord's default."""
        limit = self._size_limits.get(token or "", rules.DEFAULT_ATTACHMENT_SIZE)
        return rules.files_violation([len(f.content) for f in files], size_limit=limit)

    def _callback(
        self,
        interaction_id: str,
        token: str,
        body: Any,
        query: Mapping[str, str],
        files: tuple[Upload, ...] = (),
    ) -> web.StreamResponse:
        if self._interaction_tokens.get(token) != interaction_id:
            return _error(404, 10062, "Unknown interaction")
        if self._age(token) > self.initial_response_seconds:
            return _error(404, 10062, "Unknown interaction")
        done = self.callbacks.setdefault(interaction_id, [])
        if done:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        kind = (body or {}).get("type")
        if kind in COMPONENT_ONLY_CALLBACKS and self._interaction_kinds.get(interaction_id) != (
            MESSAGE_COMPONENT
        ):
            return _form_error(
                "type", f"Callback type {kind} is only valid for component interactions"
            )
        if files and kind not in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            return _form_error("files", f"Callback type {kind} carries no message")
        too_big = self._files_violation(files, token)
        if too_big is not None:
            return _violation(too_big)
        violation = _callback_violation(body or {}, files=len(files))
        if violation is not None:
            return _violation(violation)
        done.append(body)
        self.files.setdefault(token, []).extend(files)
        return web.Response(status=204)

    def _create_message(
        self, channel_id: str, body: Any, files: tuple[Upload, ...] = ()
    ) -> web.StreamResponse:
        known = {cid for g in self.guilds.values() for cid in g.channels}
        dm_users = {cid: uid for uid, cid in self.dm_channels.items()}
        if channel_id not in known and channel_id not in dm_users:
            return _error(404, 10003, "Unknown Channel")
        if channel_id in dm_users and dm_users[channel_id] in self.closed_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        too_big = self._files_violation(files, None)
        if too_big is not None:
            return _violation(too_big)
        violation = rules.message_violation(body, files=len(files))
        if violation is not None:
            return _violation(violation)
        self.files.setdefault(channel_id, []).extend(files)
        posted = self.messages.setdefault(channel_id, [])
        nonce = (body or {}).get("nonce")
        if nonce is not None and (body or {}).get("enforce_nonce"):
            for existing in posted:
                if existing["nonce"] == nonce:
                    return _json(existing)
        message = self._message(self.new_id(), body, files)
        message["channel_id"] = channel_id
        posted.append(message)
        self.messages_created += 1
        if self.revoke_after_messages is not None and (
            self.messages_created >= self.revoke_after_messages
        ):
            self.revoke_token()
        return _json(message)

    # -- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        session = _Session(ws)
        self.sessions.append(session)
        await ws.send_json({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == HEARTBEAT:
                    await ws.send_json({"op": HEARTBEAT_ACK})
                elif op == IDENTIFY:
                    session.identify = payload["d"]
                    if payload["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    self.identifies += 1
                    await self._ready(session)
                elif op == RESUME:
                    session.resume = payload["d"]
                    if payload["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    await self._resume(session, payload["d"])
        finally:
            self.sessions.remove(session)
            await self._notify()
        return ws

    async def _send(self, session: _Session, event: str, data: Any) -> None:
        assert session.gateway is not None
        await self._emit(session.gateway, session.ws, event, data)

    async def _emit(
        self, gateway: _GatewaySession, ws: web.WebSocketResponse | None, event: str, data: Any
    ) -> None:
        gateway.seq += 1
        gateway.log.append((gateway.seq, event, data))
        if ws is None:
            return  # the client is reconnecting: it gets this when it resumes
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await ws.send_json({"op": DISPATCH, "t": event, "s": gateway.seq, "d": data})

    async def _resume(self, session: _Session, resume: Mapping[str, Any]) -> None:
        gateway = self._gateway_sessions.get(str(resume.get("session_id")))
        if gateway is None:
            await session.ws.send_json({"op": INVALID_SESSION, "d": False})
            return
        for other in self.sessions:  # the connection being replaced, if still open
            if other is not session and other.gateway is gateway:
                other.identified.clear()
                other.gateway = None
        session.gateway = gateway
        seen = int(resume.get("seq") or 0)
        for seq, event, data in list(gateway.log):
            if seq > seen:
                await session.ws.send_json({"op": DISPATCH, "t": event, "s": seq, "d": data})
        gateway.awaiting_resume = False
        self.resumes += 1
        await self._send(session, "RESUMED", {})
        session.identified.set()
        await self._notify()

    async def reconnect(self) -> None:
        """Ask every connected client to reconnect and resume (opcode 7 RECONNECT), as Discord
        does before it moves a session. Events dispatched until a client resumes are kept and
        replayed to it."""
        for session in [s for s in self.sessions if s.identified.is_set()]:
            assert session.gateway is not None
            session.gateway.awaiting_resume = True
            session.identified.clear()
            await session.ws.send_json({"op": RECONNECT, "d": None})

    async def wait_resumed(self, count: int = 1, within: float = 10.0) -> None:
        await self.wait_for(lambda: self.resumes >= count, within)

    async def _ready(self, session: _Session) -> None:
        bot = {**self._user(self.bot_id, "mlebot"), "bot": True}
        gateway = _GatewaySession(f"emulated-session-{next(self._session_ids)}")
        self._gateway_sessions[gateway.session_id] = gateway
        session.gateway = gateway
        await self._send(
            session,
            "READY",
            {
                "v": 10,
                "user": bot,
                "guilds": [{"id": g.id, "unavailable": True} for g in self.guilds.values()],
                "session_id": gateway.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": self.application_id, "flags": 0},
            },
        )
        for guild in self.guilds.values():
            await self._send(session, "GUILD_CREATE", self.guild_payload(guild))
        session.identified.set()
        await self._notify()

    def guild_payload(self, guild: Guild, *, joined: bool = False) -> dict[str, Any]:
        """A GUILD_CREATE payload; `joined=True` for a server the bot was just added to (no
        `unavailable` key, which is how a library tells a join from an outage ending)."""
        payload = {
            "id": guild.id,
            "name": guild.name,
            "owner_id": guild.owner_id,
            "icon": None,
            "features": [],
            "member_count": 2,
            "roles": [
                {
                    "id": guild.id,
                    "name": "@everyone",
                    "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                },
                *(
                    {
                        "id": rid,
                        "name": name,
                        "permissions": "0",
                        "position": i + 1,
                        "color": 0,
                        "hoist": False,
                        "managed": False,
                        "mentionable": False,
                    }
                    for i, (rid, name) in enumerate(guild.roles.items())
                ),
            ],
            "channels": [
                {"id": cid, "name": name, "type": 0, "position": i, "guild_id": guild.id}
                for i, (cid, name) in enumerate(guild.channels.items())
            ],
            "system_channel_id": guild.system_channel_id,
            "members": [],
            "voice_states": [],
            "presences": [],
            "threads": [],
            "stickers": [],
            "emojis": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
        }
        if joined:
            del payload["unavailable"]
        return payload

    async def wait_identified(self, count: int = 1, within: float = 10.0) -> None:
        await self.wait_for(lambda: self.identifies >= count, within)

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a DISPATCH event to every identified gateway session (and keep it for the
        sessions that were asked to reconnect and have not resumed yet)."""
        sessions = [s for s in self.sessions if s.identified.is_set()]
        waiting = [g for g in self._gateway_sessions.values() if g.awaiting_resume]
        assert sessions or waiting, "no gateway session is connected"
        for session in sessions:
            await self._send(session, event, data)
        for gateway in waiting:
            await self._emit(gateway, None, event, data)

    # -- interactions ----------------------------------------------------------------------

    def open_interaction(self, kind: int = 2, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """An interaction Discord created but nobody was sent (for testing the REST rules)."""
        return self._interaction(
            kind,
            data or {"name": "demo", "type": 1},
            user_id="700000000000000001",
            user_name="ana",
            guild_id=next(iter(self.guilds), None),
            channel_id=None,
            permissions=MEMBER_PERMISSIONS,
            roles=(),
        )

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: str,
        user_name: str,
        guild_id: str | None,
        channel_id: str | None,
        permissions: int,
        roles: Iterable[str],
    ) -> dict[str, Any]:
        interaction_id, token = self.new_id(), f"tok-{self.new_id()}"
        self._interaction_tokens[token] = interaction_id
        self._interaction_kinds[interaction_id] = kind
        self._size_limits[token] = self.attachment_size_limit
        self._interaction_born[token] = self.clock()
        user = self._user(user_id, user_name)
        out: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": "en-US",
            "app_permissions": "0",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "attachment_size_limit": self.attachment_size_limit,
        }
        if guild_id is not None:
            guild = self.guilds[guild_id]
            channel_id = channel_id or next(iter(guild.channels))
            out["guild_id"] = guild_id
            out["guild_locale"] = "en-US"
            out["context"] = 0
            out["channel_id"] = channel_id
            out["channel"] = {
                "id": channel_id,
                "name": guild.channels.get(channel_id, ""),
                "type": 0,
                "guild_id": guild_id,
            }
            out["member"] = {
                "user": user,
                "roles": list(roles),
                "permissions": str(permissions),
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        else:
            channel_id = self.dm_channels.setdefault(user_id, self.new_id())
            out["context"] = 1
            out["channel_id"] = channel_id
            out["channel"] = {"id": channel_id, "type": 1, "recipients": [user]}
            out["user"] = user
        return out

    async def interact(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: str = "700000000000000001",
        user_name: str = "ana",
        guild_id: str | None = None,
        channel_id: str | None = None,
        moderator: bool = False,
        roles: Iterable[str] = (),
        permissions: int | None = None,
    ) -> dict[str, Any]:
        """Dispatch an INTERACTION_CREATE and return its payload. Without `guild_id` it comes
        from the first guild (use `guild_id=""` for a DM). `permissions` replaces the member's
        computed permissions (default: a member's, plus Manage Server with `moderator`)."""
        if guild_id is None:
            guild_id = next(iter(self.guilds)) if self.guilds else ""
        perms = MEMBER_PERMISSIONS | (MANAGE_GUILD if moderator else 0)
        if permissions is not None:
            perms = permissions
        payload = self._interaction(
            kind,
            data,
            user_id=user_id,
            user_name=user_name,
            guild_id=guild_id or None,
            channel_id=channel_id,
            permissions=perms,
            roles=roles,
        )
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def command_data(
        self, path: str, options: Mapping[str, Any] | None = None, *, focused: str | None = None
    ) -> dict[str, Any]:
        """The `data` of an application command: `path` words become (sub)command levels."""
        words = path.split()
        leaf: list[dict[str, Any]] = [
            {
                "name": k,
                "type": _value_type(v),
                "value": v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in (options or {}).items()
        ]
        options_tree = leaf
        for depth in range(len(words) - 1, 0, -1):
            kind = 1 if depth == len(words) - 1 else 2
            options_tree = [{"name": words[depth], "type": kind, "options": options_tree}]
        return {"id": self.new_id(), "name": words[0], "type": 1, "options": options_tree}

    async def slash(
        self, path: str, options: Mapping[str, Any] | None = None, **who: Any
    ) -> dict[str, Any]:
        return await self.interact(2, self.command_data(path, options), **who)

    async def autocomplete(
        self, path: str, options: Mapping[str, Any], focused: str, **who: Any
    ) -> dict[str, Any]:
        return await self.interact(4, self.command_data(path, options, focused=focused), **who)

    async def click(self, custom_id: str, **who: Any) -> dict[str, Any]:
        return await self.interact(3, {"custom_id": custom_id, "component_type": 2}, **who)

    def replies(self, interaction: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every message payload the bot answered `interaction` with, in order: the callback's
        data (unless it was a defer) and the webhook edits/follow-ups."""
        out: list[dict[str, Any]] = []
        for body in self.callbacks.get(str(interaction["id"]), []):
            if body.get("type") == 4:
                out.append(body["data"])
        out.extend(self.webhook_messages.get(str(interaction["token"]), []))
        return out

    def files_for(self, interaction: Mapping[str, Any]) -> list[Upload]:
        """The files the bot sent answering `interaction` (callback, edits and follow-ups)."""
        return list(self.files.get(str(interaction["token"]), []))

    def updates(self, interaction: Mapping[str, Any]) -> list[dict[str, Any]]:
        """What a button click replaced its message with (type 7 UPDATE_MESSAGE data)."""
        return [
            body.get("data") or {}
            for body in self.callbacks.get(str(interaction["id"]), [])
            if body.get("type") == UPDATE_MESSAGE
        ]

    async def wait_reply(
        self, interaction: Mapping[str, Any], count: int = 1, within: float = 10.0
    ) -> list[dict[str, Any]]:
        await self.wait_for(lambda: len(self.replies(interaction)) >= count, within)
        return self.replies(interaction)

    async def wait_callback(
        self, interaction: Mapping[str, Any], within: float = 10.0
    ) -> dict[str, Any]:
        key = str(interaction["id"])
        await self.wait_for(lambda: bool(self.callbacks.get(key)), within)
        return self.callbacks[key][0]


def _value_type(value: Any) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


async def _read_multipart(
    request: web.Request,
) -> tuple[Any, tuple[Upload, ...], web.Response | None]:
    """(payload_json, the files, a refusal) of a multipart/form-data request, checked against
    Discord docs, Reference, "Uploading Files": every `files[n]` part has a filename and a
    unique name; the JSON body is the `payload_json` part."""
    body: Any = None
    files: list[Upload] = []
    names: set[str] = set()
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            return None, (), _form_error("files", "nested multipart is not accepted")
        name = part.name or ""
        data = await part.read(decode=False)
        if name == "payload_json":
            try:
                body = json.loads(bytes(data))
            except ValueError:
                return None, (), _form_error("payload_json", "Invalid JSON")
        elif rules.FILE_FIELD.fullmatch(name):
            if name in names or not part.filename:
                return None, (), _form_error(name, "files[n] needs a filename and a unique name")
            names.add(name)
            kind = part.headers.get("Content-Type", "application/octet-stream")
            files.append(Upload(name, part.filename, bytes(data), kind))
        else:
            return None, (), _form_error(name, f"Unknown form field {name!r}")
    return body, tuple(files), None


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # discord.py decodes a body as JSON only when Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status=status)


def _violation(violation: rules.Violation) -> web.Response:
    if violation.code == rules.INVALID_FORM_BODY:
        return _form_error(violation.path, violation.message, violation.error)
    return _error(violation.status, violation.code, violation.message)


def _edits_nothing(body: Any) -> bool:
    """A PATCH changing neither content, embeds nor components (e.g. flags only)."""
    return not any(key in (body or {}) for key in ("content", "embeds", "components"))


#: Interaction callback types (Discord docs, Receiving and Responding: Interaction Callback Type).
CHANNEL_MESSAGE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT = 4, 7, 8
#: Same table: DEFERRED_UPDATE_MESSAGE (6) and UPDATE_MESSAGE (7) are "Only valid for
#: component-based interactions" (interaction type 3, MESSAGE_COMPONENT).
COMPONENT_ONLY_CALLBACKS = frozenset({6, 7})
MESSAGE_COMPONENT = 3


def _callback_violation(body: Mapping[str, Any], *, files: int = 0) -> rules.Violation | None:
    data = body.get("data") or {}
    kind = body.get("type")
    if kind == CHANNEL_MESSAGE:
        return rules.message_violation(data, files=files)
    if kind == UPDATE_MESSAGE and not (_edits_nothing(data) and not files):
        return rules.message_violation(data, files=files)
    if kind == AUTOCOMPLETE_RESULT:
        return rules.autocomplete_violation(list(data.get("choices") or []))
    return None


def _form_error(field_path: str, message: str, code: str = "BASE_TYPE_INVALID") -> web.Response:
    """400 / 50035 Invalid Form Body with Discord's nested `errors` tree (Discord docs,
    Reference: Error Messages)."""
    tree: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field_path.split(".")):
        tree = {part: tree}
    return _json({"code": 50035, "message": "Invalid Form Body", "errors": tree}, status=400)


def _rate_limited(headers: dict[str, str], retry_after: float, *, is_global: bool) -> web.Response:
    """429 as Discord answers it (Discord docs, Topics: Rate Limits, "Exceeding A Rate Limit":
    Retry-After, X-RateLimit-Scope, X-RateLimit-Global and {message, retry_after, global})."""
    headers = {
        **headers,
        "Retry-After": str(max(1, round(retry_after + 0.499))),
        "X-RateLimit-Scope": "global" if is_global else "user",
        "Via": "1.1 google",
    }
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
    return _json(body, status=429, headers=headers)


def _fault_response(fault: Fault) -> web.Response:
    if fault.status == 429:
        headers = {
            "Retry-After": str(max(1, round(fault.retry_after + 0.499))),
            "X-RateLimit-Scope": "global" if fault.is_global else "user",
            "Via": "1.1 google",
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        else:
            headers["X-RateLimit-Bucket"] = "emulated-bucket"
            headers["X-RateLimit-Limit"] = "5"
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset-After"] = str(fault.retry_after)
        body = {
            "message": fault.message or "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.is_global,
        }
        if fault.code:
            body["code"] = fault.code
        return _json(body, status=429, headers=headers)
    return _json(
        {"code": fault.code, "message": fault.message or f"{fault.status} error"},
        status=fault.status,
    )

"""Sending on the bot's own initiative in Discord: the delivery engine's `Sender` for "discord".

Channel posts go to `POST /channels/{id}/messages`; DMs first open the DM channel with
`POST /users/@me/channels` (cached in the engine's DM cache, so a DM costs one request). Every
message carries the outbox row's idempotency key as `nonce` with `enforce_nonce`, so a resend
after a crash is dropped by Discord. One attempt per call, over the adapters' lean keep-alive
HTTP client (`bot.adapters.http`: discord.py's client would retry and sleep by itself, and
aiohttp costs more CPU per request than a whole delivery may); failures are reported as the
delivery engine's error types: 429 -> RateLimited (global or route, Retry-After), 5xx and network
trouble -> TransientError, DMs closed (50007) and unknown user/channel -> PermanentError, a
refused token (401) -> InvalidCredentials. After one 401 the sender sends nothing more (every
later call raises InvalidCredentials without a request): Discord bans an IP after 10,000 invalid
requests in 10 minutes, so a revoked token costs at most the requests already in flight - at
most 10 at Discord's ordinary pace (`delivery_limits`).

A digest goes to every subscriber as the same Message: its JSON is rendered and encoded once
(`_encoded`), and each send only splices its nonce in front.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.adapters.discord.render import render, stored_button_ids
from bot.adapters.http import HttpClient
from bot.delivery.dm_cache import DMChannelCache
from bot.delivery.limits import PlatformLimits
from bot.delivery.sender import (
    DeliveryError,
    InvalidCredentials,
    PermanentError,
    RateLimited,
    TransientError,
)
from bot.messages import Message
from bot.scheduling.jobs import Destination, DestinationKind
from bot.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_LIMIT = 25
#: Messages whose encoded bodies are kept (a fan-out sends one message to everyone).
ENCODED_CACHE_SIZE = 64
#: Connections to the API kept open at most; the adapter passes the engine's concurrency (a
#: smaller pool would cap throughput below the engine's rate).
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_RETRY_AFTER = 1.0
USER_AGENT = "DiscordBot (https://github.com/mlebot/mlebot, 0.1)"

#: Discord error codes meaning "this recipient cannot be reached".
CANNOT_DM = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_USER = 10013
RECIPIENT_CODES = frozenset({CANNOT_DM, UNKNOWN_CHANNEL, UNKNOWN_USER})
#: The bot lacks access to a channel: a moderator can fix it, so not the recipient's fault.
ACCESS_CODES = frozenset({50001, 50013})


#: Rate-limit state kept for at most this many (bucket, resource) pairs (expired ones go first).
MAX_BUCKETS = 50_000
#: Answers of one window differ this much in their reset instant (network latency varies).
WINDOW_JITTER = 0.25
_TOP_LEVEL = re.compile(r"^/(channels|guilds|webhooks)/(\d+)")


class _Bucket:
    """What Discord's headers said of one bucket and top-level resource."""

    __slots__ = ("limit", "remaining", "reset_at", "window")

    def __init__(self, limit: int, remaining: int, reset_at: float, window: float) -> None:
        self.limit = limit
        self.remaining = remaining
        self.reset_at = reset_at
        self.window = window  # the longest Reset-After seen: the window's length at most


def route_of(method: str, path: str) -> tuple[str, str]:
    """(route, top-level resource): Discord counts a bucket per channel, guild or webhook in
    the path (Discord docs, Topics: Rate Limits); other routes share one bucket."""
    match = _TOP_LEVEL.match(path)
    if match is None:
        return f"{method} {path}", ""
    rest = path[match.end() :]
    return f"{method} /{match.group(1)}/{{}}{rest}", match.group(2)


class SharedGlobalLimit:
    """Discord's global rate limit is per bot token, so one state for everything the process
    sends: the delivery sender and discord.py's HTTP client (its `_global_over` event, cleared
    while discord.py waits out a global 429) honour each other's global 429s. The steady
    pace under the limit is the delivery engine's DELIVERY_DISCORD_RATE (no header announces
    the global limit)."""

    #: How long a send waits while discord.py holds its global lock (it does not say how long).
    DISCORDPY_WAIT = 0.5

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.blocked_until = 0.0
        self._http: Any = None

    def attach(self, http: Any) -> None:
        """Share the limit with discord.py's `HTTPClient`."""
        self._http = http

    def _event(self) -> asyncio.Event | None:
        event = getattr(self._http, "_global_over", None)
        return event if isinstance(event, asyncio.Event) else None

    def wait_time(self) -> float:
        wait = max(0.0, self.blocked_until - self.clock())
        event = self._event()
        if event is not None and not event.is_set():
            wait = max(wait, self.DISCORDPY_WAIT)
        return wait

    def hold(self, seconds: float) -> None:
        """Discord answered a global 429: every sender of the process waits `seconds`."""
        self.blocked_until = max(self.blocked_until, self.clock() + seconds)
        event = self._event()
        if event is not None and event.is_set():
            event.clear()
            asyncio.get_running_loop().call_later(seconds, event.set)


class UnknownChannel(PermanentError):
    """Discord 10003: the channel does not exist (or the bot cannot see it)."""


def nonce(idempotency_key: str, part: int) -> str:
    """The nonce of part `part` of a (possibly split) message, at most 25 characters."""
    raw = idempotency_key if part == 0 else f"{idempotency_key}.{part}"
    if len(raw) <= NONCE_LIMIT:
        return raw
    return hashlib.sha256(raw.encode()).hexdigest()[:NONCE_LIMIT]


def delivery_limits(settings: Settings) -> PlatformLimits:
    """Discord allows a bot 50 requests/s globally and about 5 messages per 5 s per channel
    (Discord docs, Topics: Rate Limits); the DELIVERY_DISCORD_* defaults keep headroom. The
    global limit is per bot token: each process takes its configured share of it.

    Requests in flight are what a revoked token costs (each is answered 401), so a paced
    process keeps at most `in_flight_for(rate)` of them (DELIVERY_CONCURRENCY caps it further):
    10 at the default 48 requests/s, which is still the full pace up to 200 ms round trips."""
    rate = settings.delivery_discord_rate * settings.discord_global_rate_share
    return PlatformLimits(
        rate,
        settings.delivery_discord_route_rate,
        settings.delivery_discord_route_burst,
        min(settings.delivery_concurrency, in_flight_for(rate)),
    )


#: Discord bans an IP after 10,000 invalid requests in 10 minutes (Discord docs, Topics: Rate
#: Limits, https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-
#: cloudflare-bans); a token revoked in the middle of a fan-out may cost at most this many 401s
#: at Discord's ordinary pace (issue 16).
MIN_IN_FLIGHT = 10
#: Round trip (seconds) the in-flight cap still sustains the pace for: rate x this, at least
#: MIN_IN_FLIGHT (a token with a raised global limit gets proportionally more).
IN_FLIGHT_ROUND_TRIP = 0.2


def in_flight_for(rate: float) -> int:
    """Most requests a process pacing Discord at `rate`/s keeps in flight; unpaced (0): no cap
    beyond DELIVERY_CONCURRENCY."""
    if rate <= 0:
        return 10**9
    return max(MIN_IN_FLIGHT, math.ceil(rate * IN_FLIGHT_ROUND_TRIP))


class DiscordSender:
    """Posts to Discord channels and DMs for the delivery engine."""

    platform = PLATFORM

    def __init__(
        self,
        token: str,
        *,
        api_base_url: str,
        dm_cache: DMChannelCache | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        remember_buttons: Callable[[Mapping[str, str]], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        global_limit: SharedGlobalLimit | None = None,
    ) -> None:
        self.token = token
        self.clock = clock
        self.global_limit = global_limit if global_limit is not None else SharedGlobalLimit(clock)
        #: Rate limits learnt from the headers: route -> X-RateLimit-Bucket, and per (bucket,
        #: top-level resource) the requests left and when the window resets. No rate is
        #: hard-coded: a bucket is known once Discord named it.
        self._route_buckets: dict[str, str] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        #: Routes whose first request is out: the others wait for its answer.
        self._probing: dict[str, asyncio.Future[None]] = {}
        #: Stores the custom ids of buttons sent behind a short id (see render.button_ids).
        self.remember_buttons = remember_buttons
        self._remembered: set[str] = set()
        self.base = api_base_url.rstrip("/")
        self.dm_cache = dm_cache if dm_cache is not None else DMChannelCache()
        self.max_connections = max_connections
        self._client: HttpClient | None = None
        #: Why Discord refused the token (401); set once, nothing is sent afterwards.
        self.refused: str | None = None
        # id(message) -> (message, its encoded parts); the message is kept so its id stays unique
        self._encoded: OrderedDict[int, tuple[Message, list[bytes]]] = OrderedDict()

    def limits(self, settings: Settings) -> PlatformLimits:
        return delivery_limits(settings)

    def route_key(self, destination: Destination) -> str:
        """Discord limits messages per channel; a DM user's channel is one route."""
        return f"{destination.kind}:{destination.target_id}"

    def _http(self) -> HttpClient:
        if self._client is None:
            self._client = HttpClient(
                self.base,
                headers={"Authorization": f"Bot {self.token}", "User-Agent": USER_AGENT},
                limit=self.max_connections,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        if self.refused is not None:
            raise InvalidCredentials(self.refused)
        is_dm = destination.kind is DestinationKind.DM
        try:
            if is_dm:
                channel = await self.dm_cache.get(destination.target_id, self._open_dm)
            else:
                channel = destination.target_id
            await self._remember(message)
            for part, encoded in enumerate(self._encode(message)):
                body = with_nonce(encoded, nonce(idempotency_key, part))
                await self._request("POST", f"/channels/{channel}/messages", body, answer=False)
        except UnknownChannel:
            if is_dm:  # a stale cached DM channel: open it again next time
                self.dm_cache.forget(destination.target_id)
                raise TransientError("the cached DM channel is gone") from None
            raise
        except PermanentError:
            if is_dm:
                self.dm_cache.forget(destination.target_id)
            raise
        except DeliveryError:
            raise
        except (TimeoutError, OSError) as exc:
            raise TransientError(f"Discord unreachable: {type(exc).__name__}") from None

    async def _remember(self, message: Message) -> None:
        """Store the message's long button ids before it goes out (once per process)."""
        if not message.buttons or self.remember_buttons is None:
            return
        stored = stored_button_ids(message)
        if stored and not stored.keys() <= self._remembered:
            await self.remember_buttons(stored)
            if len(self._remembered) > ENCODED_CACHE_SIZE * 100:
                self._remembered.clear()
            self._remembered.update(stored)

    def _encode(self, message: Message) -> list[bytes]:
        """The message's parts as JSON bodies (posts are never ephemeral), encoded once."""
        key = id(message)
        cached = self._encoded.get(key)
        if cached is not None and cached[0] is message:
            self._encoded.move_to_end(key)
            return cached[1]
        parts = [_dumps(payload) for payload in render(message.with_privacy(False))]
        self._encoded[key] = (message, parts)
        if len(self._encoded) > ENCODED_CACHE_SIZE:
            self._encoded.popitem(last=False)
        return parts

    async def _open_dm(self, user_id: str) -> str:
        body = (
            b'{"recipient_id":"%s"}' % user_id.encode()
            if user_id.isdigit()  # a snowflake: nothing to escape
            else _dumps({"recipient_id": user_id})
        )
        data = await self._request("POST", "/users/@me/channels", body)
        channel = str((data or {}).get("id", "")) if isinstance(data, dict) else ""
        if not channel:
            raise TransientError("Discord returned no DM channel")
        return channel

    async def _request(self, method: str, path: str, body: bytes, *, answer: bool = True) -> Any:
        """The answer's JSON (None with `answer=False`: a posted message is not read back)."""
        if self.refused is not None:  # refused while this send waited (e.g. after opening a DM)
            raise InvalidCredentials(self.refused)
        wait = self.global_limit.wait_time()
        if wait > 0:
            raise RateLimited(wait, scope="global", reason="Discord's global limit is held")
        route, resource = route_of(method, path)
        await self._reserve(route, resource)
        try:
            response = await self._http().request(method, path, body)
            self._learn(route, resource, response.headers)
        finally:
            probe = self._probing.pop(route, None)
            if probe is not None and not probe.done():
                probe.set_result(None)
        if 200 <= response.status < 300:
            return response.json() if answer else None
        error = classify(response.status, response.headers, response.json(), path)
        if isinstance(error, InvalidCredentials) and self.refused is None:
            self.refused = error.reason
        if isinstance(error, RateLimited) and error.is_global:
            self.global_limit.hold(error.retry_after)
        raise error

    async def _reserve(self, route: str, resource: str) -> None:
        """Count this request against its bucket, or raise RateLimited (without a request) when
        the headers said the bucket is empty until its reset: no 429 needed to learn that."""
        name = self._route_buckets.get(route)
        if name is None:
            # A route never answered yet: one request learns its bucket before others follow
            # (a shared bucket, such as opening DMs, could otherwise be overrun at once).
            probe = self._probing.get(route)
            if probe is None:
                self._probing[route] = asyncio.get_running_loop().create_future()
                return
            await asyncio.shield(probe)
            if self.refused is not None:  # the first request learnt that the token is refused
                raise InvalidCredentials(self.refused)
            await self._reserve(route, resource)
            return
        state = self._buckets.get((name, resource))
        if state is None:
            return
        now = self.clock()
        if now >= state.reset_at:
            # A new window: assume it is as large as the last one until an answer says more
            # (forgetting it would let every send in flight through at once).
            state.remaining = state.limit
            state.reset_at = now + state.window
        if state.remaining <= 0:
            raise RateLimited(
                state.reset_at - now, scope=name, reason=f"Discord bucket {name} is empty"
            )
        state.remaining -= 1

    def _learn(self, route: str, resource: str, headers: Mapping[str, str]) -> None:
        name = headers.get("x-ratelimit-bucket")
        if not name:
            return
        try:
            limit = int(headers.get("x-ratelimit-limit", ""))
            remaining = int(headers.get("x-ratelimit-remaining", ""))
            reset_after = float(headers.get("x-ratelimit-reset-after", ""))
        except ValueError:
            return
        self._route_buckets[route] = name
        key = (name, resource)
        now = self.clock()
        reset_at = now + reset_after
        state = self._buckets.get(key)
        if (
            state is None
            or now >= state.reset_at
            or reset_at > state.reset_at + WINDOW_JITTER
            or remaining < state.remaining
        ):
            # A newer window, or fewer left than we counted (requests we did not see).
            if state is None and len(self._buckets) >= MAX_BUCKETS:
                self._prune()
            window = max(reset_after, state.window if state is not None else 0.0)
            self._buckets[key] = _Bucket(limit, remaining, reset_at, window)

    def _prune(self) -> None:
        now = self.clock()
        for key in [k for k, b in self._buckets.items() if b.reset_at <= now]:
            del self._buckets[key]
        while len(self._buckets) >= MAX_BUCKETS:
            del self._buckets[next(iter(self._buckets))]


def _dumps(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def with_nonce(encoded: bytes, nonce_value: str) -> bytes:
    """`encoded` (a JSON object) with `nonce` and `enforce_nonce: true` added in front."""
    head = b'{"nonce":%s,"enforce_nonce":true' % json.dumps(nonce_value).encode()
    return head + (b"}" if encoded == b"{}" else b"," + encoded[1:])


def classify(status: int, headers: Mapping[str, str], data: Any, path: str = "") -> DeliveryError:
    """The delivery error for a failed Discord REST call (`headers` with lower-case names)."""
    body = data if isinstance(data, dict) else {}
    code = int(body.get("code") or 0)
    message = str(body.get("message") or f"HTTP {status}")
    if status == 429:
        retry_after = _retry_after(headers, body)
        is_global = (
            bool(body.get("global")) or str(headers.get("x-ratelimit-global", "")).lower() == "true"
        )
        scope = "global" if is_global else str(headers.get("x-ratelimit-bucket") or path)
        return RateLimited(retry_after, scope=scope, reason=f"Discord rate limit: {message}")
    if status >= 500:
        return TransientError(f"Discord answered {status}")
    if status == 401:
        # Discord docs, Topics: Opcodes and Status Codes (HTTP 401 UNAUTHORIZED: the
        # Authorization header was missing or invalid) - a revoked or wrong bot token.
        return InvalidCredentials(f"Discord 401: {message} (check DISCORD_TOKEN)")
    if code == UNKNOWN_CHANNEL:
        return UnknownChannel(f"Discord {code}: {message}")
    if code in RECIPIENT_CODES:
        return PermanentError(f"Discord {code}: {message}")
    if path == "/users/@me/channels" and status == 400:
        return PermanentError(f"Discord cannot open a DM: {message}")
    if code in ACCESS_CODES:
        return PermanentError(f"Discord {code}: {message}", recipient_undeliverable=False)
    if status == 404:
        return PermanentError(f"Discord 404: {message}")
    # An invalid body...: retrying cannot help, and it is not the recipient's fault.
    return PermanentError(f"Discord {status} {code}: {message}", recipient_undeliverable=False)


def _retry_after(headers: Mapping[str, str], body: dict[str, Any]) -> float:
    for raw in (body.get("retry_after"), headers.get("retry-after")):
        try:
            if raw is not None:
                return max(0.0, float(raw))
        except (TypeError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER

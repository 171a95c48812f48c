"""Sending on the bot's own initiative in Discord: the delivery engine's `Sender` for "discord".

Channel posts go to `POST /channels/{id}/messages`; DMs first open the DM channel with
`POST /users/@me/channels` (cached in the engine's DM cache, so a DM costs one request). Every
message carries the outbox row's idempotency key as `nonce` with `enforce_nonce`, so a resend
after a crash is dropped by Discord. One attempt per call, on its own HTTP session (discord.py's
client would retry and sleep by itself); failures are reported as the delivery engine's error
types: 429 -> RateLimited (global or route, Retry-After), 5xx and network trouble ->
TransientError, DMs closed (50007) and unknown user/channel -> PermanentError.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import aiohttp

from bot.adapters.discord.render import render
from bot.delivery.dm_cache import DMChannelCache
from bot.delivery.sender import DeliveryError, PermanentError, RateLimited, TransientError
from bot.jobs import Destination, DestinationKind
from bot.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "discord"
NONCE_LIMIT = 25
REQUEST_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRY_AFTER = 1.0
USER_AGENT = "DiscordBot (https://github.com/mlebot/mlebot, 0.1)"

#: Discord error codes meaning "this recipient cannot be reached".
CANNOT_DM = 50007
UNKNOWN_CHANNEL = 10003
UNKNOWN_USER = 10013
RECIPIENT_CODES = frozenset({CANNOT_DM, UNKNOWN_CHANNEL, UNKNOWN_USER})
#: The bot lacks access to a channel: a moderator can fix it, so not the recipient's fault.
ACCESS_CODES = frozenset({50001, 50013})


class UnknownChannel(PermanentError):
    """Discord 10003: the channel does not exist (or the bot cannot see it)."""


def nonce(idempotency_key: str, part: int) -> str:
    """The nonce of part `part` of a (possibly split) message, at most 25 characters."""
    raw = idempotency_key if part == 0 else f"{idempotency_key}.{part}"
    if len(raw) <= NONCE_LIMIT:
        return raw
    return hashlib.sha256(raw.encode()).hexdigest()[:NONCE_LIMIT]


class DiscordSender:
    """Posts to Discord channels and DMs for the delivery engine."""

    platform = PLATFORM

    def __init__(
        self, token: str, *, api_base_url: str, dm_cache: DMChannelCache | None = None
    ) -> None:
        self.token = token
        self.base = api_base_url.rstrip("/")
        self.dm_cache = dm_cache if dm_cache is not None else DMChannelCache()
        self._session: aiohttp.ClientSession | None = None

    def route_key(self, destination: Destination) -> str:
        """Discord limits messages per channel; a DM user's channel is one route."""
        return f"{destination.kind}:{destination.target_id}"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
                headers={"Authorization": f"Bot {self.token}", "User-Agent": USER_AGENT},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        is_dm = destination.kind is DestinationKind.DM
        try:
            if is_dm:
                channel = await self.dm_cache.get(destination.target_id, self._open_dm)
            else:
                channel = destination.target_id
            for part, payload in enumerate(render(message.with_privacy(False))):
                body = {**payload, "nonce": nonce(idempotency_key, part), "enforce_nonce": True}
                await self._request("POST", f"/channels/{channel}/messages", body)
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
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransientError(f"Discord unreachable: {type(exc).__name__}") from None

    async def _open_dm(self, user_id: str) -> str:
        data = await self._request("POST", "/users/@me/channels", {"recipient_id": user_id})
        channel = str((data or {}).get("id", "")) if isinstance(data, dict) else ""
        if not channel:
            raise TransientError("Discord returned no DM channel")
        return channel

    async def _request(self, method: str, path: str, body: dict[str, Any]) -> Any:
        async with self._http().request(method, self.base + path, json=body) as response:
            try:
                data: Any = await response.json(content_type=None)
            except ValueError:
                data = None
            if 200 <= response.status < 300:
                return data
            raise classify(response.status, response.headers, data, path)


def classify(status: int, headers: Any, data: Any, path: str = "") -> DeliveryError:
    """The delivery error for a failed Discord REST call."""
    body = data if isinstance(data, dict) else {}
    code = int(body.get("code") or 0)
    message = str(body.get("message") or f"HTTP {status}")
    if status == 429:
        retry_after = _retry_after(headers, body)
        is_global = (
            bool(body.get("global")) or str(headers.get("X-RateLimit-Global", "")).lower() == "true"
        )
        scope = "global" if is_global else str(headers.get("X-RateLimit-Bucket") or path)
        return RateLimited(retry_after, scope=scope, reason=f"Discord rate limit: {message}")
    if status >= 500:
        return TransientError(f"Discord answered {status}")
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
    # Bad token, invalid body...: retrying cannot help, and it is not the recipient's fault.
    return PermanentError(f"Discord {status} {code}: {message}", recipient_undeliverable=False)


def _retry_after(headers: Any, body: dict[str, Any]) -> float:
    for raw in (body.get("retry_after"), headers.get("Retry-After")):
        try:
            if raw is not None:
                return max(0.0, float(raw))
        except (TypeError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER

"""Who acts and where, from Slack payloads; moderators from `users.info` (cached)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.sender import CREDENTIAL_ERRORS
from bot.commands.context import Actor, Place

log = logging.getLogger(__name__)

PLATFORM = "slack"
ADMIN_CACHE_SECONDS = 600.0
#: How long one admin lookup may wait out users.info rate limits before it gives up (uncached).
RATE_LIMIT_MAX_WAIT = 30.0
DEFAULT_RETRY_AFTER = 1.0


class AdminCache:
    """Whether a Slack user is a workspace admin or owner, asked once per `ttl` seconds.

    Users listed in `configured` are moderators without asking Slack. A lookup that could not
    reach Slack counts as "not an admin" and is not cached, so the next command asks again.
    A 429 is waited out (Slack's Retry-After, for every lookup: the limit is per method and
    workspace) and asked again, for at most `max_wait` seconds in all; it is never cached.
    Concurrent lookups of one user share a single `users.info` call.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        configured: Iterable[str] = (),
        *,
        ttl: float = ADMIN_CACHE_SECONDS,
        max_wait: float = RATE_LIMIT_MAX_WAIT,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.configured = frozenset(configured)
        self.ttl = ttl
        self.max_wait = max_wait
        self.monotonic = monotonic
        self.sleep = sleep
        self._cache: dict[str, tuple[float, bool]] = {}
        self._inflight: dict[str, asyncio.Future[bool]] = {}
        self._blocked_until = 0.0

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.configured:
            return True
        hit = self._cache.get(user_id)
        if hit is not None and self.monotonic() - hit[0] < self.ttl:
            return hit[1]
        pending = self._inflight.get(user_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._inflight[user_id] = future
        try:
            admin = await self._lookup(user_id)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(admin)
            return admin
        finally:
            del self._inflight[user_id]

    async def _lookup(self, user_id: str) -> bool:
        deadline = self.monotonic() + self.max_wait
        while True:
            wait = self._blocked_until - self.monotonic()
            if wait > 0:
                if self.monotonic() + wait > deadline:
                    log.warning("users.info rate-limited; %s counts as a member this time", user_id)
                    return False
                await self.sleep(wait)
            try:
                response = await self.client.users_info(user=user_id)
            except SlackApiError as exc:
                if exc.response.status_code == 429 or exc.response.get("error") == "ratelimited":
                    # at least half a second, so a "Retry-After: 0" cannot make a busy loop
                    retry_after = max(0.5, _retry_after(exc.response.headers))
                    log.info("users.info rate-limited; asking again in %.0f s", retry_after)
                    self._blocked_until = max(self._blocked_until, self.monotonic() + retry_after)
                    continue
                if exc.response.get("error") in CREDENTIAL_ERRORS:
                    # Our token, not the user: a restart with a good token asks again.
                    log.warning("users.info refused the bot's token; %s not looked up", user_id)
                    return False
                # Slack answered (e.g. user_not_found): remember the "no" like any other answer.
                log.warning("users.info refused for %s: %s", user_id, exc.response.get("error"))
                self._cache[user_id] = (self.monotonic(), False)
                return False
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
                return False
            user: Mapping[str, Any] = response.get("user") or {}
            admin = bool(
                user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
            )
            self._cache[user_id] = (self.monotonic(), admin)
            return admin


def _retry_after(headers: Mapping[str, Any]) -> float:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):  # slack_sdk keeps each header as a list of values
        raw = raw[0] if raw else None
    try:
        return max(0.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def is_dm_channel(channel_id: str, channel_name: str = "") -> bool:
    return channel_id.startswith("D") or channel_name == "directmessage"


def command_place(body: Mapping[str, Any]) -> Place:
    """The Place of a slash command payload."""
    channel_id = str(body.get("channel_id", ""))
    channel_name = str(body.get("channel_name", ""))
    return Place(
        platform=PLATFORM,
        community_id=str(body.get("team_id", "")),
        community_name=str(body.get("team_domain", "") or body.get("team_id", "")),
        channel_id=channel_id,
        channel_name=channel_name,
        is_dm=is_dm_channel(channel_id, channel_name),
    )


def action_place(body: Mapping[str, Any]) -> Place:
    """The Place of a block_actions payload."""
    team = body.get("team") or {}
    channel = body.get("channel") or {}
    channel_id = str(channel.get("id") or (body.get("container") or {}).get("channel_id") or "")
    channel_name = str(channel.get("name", ""))
    return Place(
        platform=PLATFORM,
        community_id=str(team.get("id", "")),
        community_name=str(team.get("domain", "") or team.get("id", "")),
        channel_id=channel_id,
        channel_name=channel_name,
        is_dm=is_dm_channel(channel_id, channel_name),
    )


def actor(user_id: str, display_name: str, *, is_admin: bool) -> Actor:
    return Actor(
        platform=PLATFORM,
        user_id=user_id,
        display_name=display_name or user_id,
        is_platform_admin=is_admin,
    )

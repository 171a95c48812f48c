"""Who acts and where, from Slack payloads; moderators from `users.info` (cached)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands.context import Actor, Place

log = logging.getLogger(__name__)

PLATFORM = "slack"
ADMIN_CACHE_SECONDS = 600.0


class AdminCache:
    """Whether a Slack user is a workspace admin or owner, asked once per `ttl` seconds.

    Users listed in `configured` are moderators without asking Slack. A lookup that could not
    reach Slack counts as "not an admin" and is not cached, so the next command asks again.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        configured: Iterable[str] = (),
        *,
        ttl: float = ADMIN_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.configured = frozenset(configured)
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, bool]] = {}

    async def is_admin(self, user_id: str) -> bool:
        if user_id in self.configured:
            return True
        now = self.monotonic()
        hit = self._cache.get(user_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as exc:
            # Slack answered (e.g. user_not_found): remember the "no" like any other answer.
            log.warning("users.info refused for %s: %s", user_id, exc.response.get("error"))
            self._cache[user_id] = (now, False)
            return False
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
            return False
        user: Mapping[str, Any] = response.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._cache[user_id] = (now, admin)
        return admin


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

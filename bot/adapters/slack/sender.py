"""Sending on the bot's own initiative in Slack: the delivery engine's `Sender` for "slack".

Channel posts go to `chat.postMessage`; DMs first open (and cache) the conversation with
`conversations.open`. One attempt per call: the client has no retry handlers, and every failure is
reported as the delivery engine's error type (429 -> RateLimited with Retry-After, 5xx and
network trouble -> TransientError, unknown/archived channel or user -> PermanentError).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import render
from bot.delivery.sender import DeliveryError, PermanentError, RateLimited, TransientError
from bot.jobs import Destination, DestinationKind
from bot.messages import Message

log = logging.getLogger(__name__)

PLATFORM = "slack"
DM_CACHE_SIZE = 50_000
DEFAULT_RETRY_AFTER = 1.0

#: The recipient cannot be reached: stop trying and mark them undeliverable.
RECIPIENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "is_archived",
        "not_in_channel",
        "cannot_dm_bot",
        "user_disabled",
        "user_not_visible",
        "messages_tab_disabled",
        "restricted_action",
    }
)
#: Slack's own trouble: worth another attempt later.
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


class SlackSender:
    """Posts to Slack channels and DMs for the delivery engine."""

    platform = PLATFORM

    def __init__(self, token: str, *, base_url: str) -> None:
        # No retry handlers: retrying and pacing are the delivery engine's job.
        self.client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])
        self._dm_channels: OrderedDict[str, str] = OrderedDict()
        self._opening: dict[str, asyncio.Future[str]] = {}

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        body = render(message)
        try:
            if destination.kind is DestinationKind.DM:
                channel = await self._dm_channel(destination.target_id)
            else:
                channel = destination.target_id
            try:
                await self.client.chat_postMessage(
                    channel=channel,
                    text=body["text"],
                    blocks=body["blocks"],
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError:
                self._dm_channels.pop(destination.target_id, None)
                raise
        except SlackApiError as exc:
            raise classify(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError, SlackClientError) as exc:
            raise TransientError(f"Slack unreachable: {type(exc).__name__}") from None

    async def _dm_channel(self, user_id: str) -> str:
        cached = self._dm_channels.get(user_id)
        if cached is not None:
            self._dm_channels.move_to_end(user_id)
            return cached
        # Concurrent sends to one user share a single conversations.open.
        pending = self._opening.get(user_id)
        if pending is None:
            pending = asyncio.ensure_future(self._open(user_id))
            self._opening[user_id] = pending
            pending.add_done_callback(lambda _: self._opening.pop(user_id, None))
        return await asyncio.shield(pending)

    async def _open(self, user_id: str) -> str:
        response = await self.client.conversations_open(users=user_id)
        channel = str((response.get("channel") or {}).get("id", ""))
        if not channel:
            raise TransientError("conversations.open returned no channel")
        self._dm_channels[user_id] = channel
        if len(self._dm_channels) > DM_CACHE_SIZE:
            self._dm_channels.popitem(last=False)
        return channel

    def cached_dm_channels(self) -> int:
        return len(self._dm_channels)


def classify(exc: SlackApiError) -> DeliveryError:
    """The delivery error for a failed Web API call."""
    response = exc.response
    status = int(getattr(response, "status_code", None) or getattr(response, "status", 0) or 0)
    headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
    data = getattr(response, "data", None)
    error = str(data.get("error", "")) if isinstance(data, dict) else ""
    if status == 429 or error == "ratelimited":
        return RateLimited(_retry_after(headers), scope="global", reason="Slack rate limit (429)")
    if status >= 500:
        return TransientError(f"Slack answered {status}")
    if error in RECIPIENT_ERRORS:
        return PermanentError(f"Slack: {error}")
    if error in TRANSIENT_ERRORS:
        return TransientError(f"Slack: {error}")
    # Anything else (invalid_auth, invalid_blocks, missing_scope...) will not get better by
    # retrying, but it is not the recipient's fault either.
    return PermanentError(f"Slack: {error or f'HTTP {status}'}", recipient_undeliverable=False)


def _retry_after(headers: Mapping[str, Any]) -> float:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER

"""Sending on the bot's own initiative in Slack: the delivery engine's `Sender` for "slack".

Channel posts go to `chat.postMessage`; DMs first open the conversation with
`conversations.open`, cached in the engine's DM channel cache. One attempt per call: the client
has no retry handlers, and every failure is reported as the delivery engine's error type (429 ->
RateLimited with Retry-After, 5xx and network trouble -> TransientError, unknown/archived
channel or user -> PermanentError, a refused token -> InvalidCredentials).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.blocks import render
from bot.adapters.slack.naming import rename_commands, unchanged
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

PLATFORM = "slack"
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
#: The bot's token no longer works (https://docs.slack.dev/reference/methods/chat.postMessage
#: errors; tokens_revoked / app_uninstalled are also the Events API's names for it): every
#: further request would be refused too, so the platform's sending stops.
CREDENTIAL_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "tokens_revoked",
        "token_expired",
        "account_inactive",
        "app_uninstalled",
        "org_login_required",
    }
)
#: Slack's own trouble: worth another attempt later.
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


def delivery_limits(settings: Settings) -> PlatformLimits:
    """chat.postMessage allows about one message per second per channel, plus a
    workspace-wide limit Slack does not publish (Slack docs, Rate limits): DELIVERY_SLACK_*."""
    return PlatformLimits(
        settings.delivery_slack_rate,
        settings.delivery_slack_route_rate,
        settings.delivery_slack_route_burst,
        settings.delivery_concurrency,
    )


class SlackSender:
    """Posts to Slack channels and DMs for the delivery engine.

    `dm_cache` is the engine's per-platform DM channel cache (`app.delivery.dm_cache("slack")`),
    so concurrent sends to one member share a single `conversations.open`.
    """

    platform = PLATFORM

    def __init__(
        self, token: str, *, base_url: str, dm_cache: DMChannelCache | None = None
    ) -> None:
        # No retry handlers: retrying and pacing are the delivery engine's job.
        self.client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=[])
        self.dm_cache = dm_cache if dm_cache is not None else DMChannelCache()
        #: Rewrites `/group` mentions to the prefixed Slack names (set by the adapter).
        self.rename: Callable[[str], str] = unchanged

    def limits(self, settings: Settings) -> PlatformLimits:
        return delivery_limits(settings)

    async def send(
        self, destination: Destination, message: Message, *, idempotency_key: str
    ) -> None:
        body = render(rename_commands(message, self.rename))
        is_dm = destination.kind is DestinationKind.DM
        try:
            if is_dm:
                channel = await self.dm_cache.get(destination.target_id, self._open)
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
                if is_dm:  # the cached DM channel may be stale: open it afresh next time
                    self.dm_cache.forget(destination.target_id)
                raise
        except SlackApiError as exc:
            raise classify(exc) from None
        except (aiohttp.ClientError, TimeoutError, OSError, SlackClientError) as exc:
            raise TransientError(f"Slack unreachable: {type(exc).__name__}") from None

    async def _open(self, user_id: str) -> str:
        response = await self.client.conversations_open(users=user_id)
        channel = str((response.get("channel") or {}).get("id", ""))
        if not channel:
            raise TransientError("conversations.open returned no channel")
        return channel


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
    if error in CREDENTIAL_ERRORS or status == 401:
        return InvalidCredentials(f"Slack: {error or 'HTTP 401'}")
    if error in RECIPIENT_ERRORS:
        return PermanentError(f"Slack: {error}")
    if error in TRANSIENT_ERRORS:
        return TransientError(f"Slack: {error}")
    # Anything else (invalid_blocks, missing_scope...) will not get better by
    # retrying, but it is not the recipient's fault either.
    return PermanentError(f"Slack: {error or f'HTTP {status}'}", recipient_undeliverable=False)


def _retry_after(headers: Mapping[str, Any]) -> float:
    raw = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER

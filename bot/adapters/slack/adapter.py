"""The Slack adapter on slack-bolt's async app.

One slash command per top-level command group (`/resource`, or `/ml-resource` with
`SLACK_COMMAND_PREFIX=ml-`); the text after it is parsed by the core's text syntax. Buttons
arrive as `block_actions` and are routed to the cog action named in the button's value.

HTTP mode: Slack posts to `/slack/events` on the bot's HTTP server; bolt verifies
`X-Slack-Signature` and rejects timestamps older than five minutes (401). Socket Mode (with an
app-level token): bolt's websocket client receives the same payloads, no public URL needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.base import PlatformUnreachable, network_problem
from bot.adapters.slack import identity
from bot.adapters.slack.blocks import parse_button_value
from bot.adapters.slack.manifest import BOT_EVENTS
from bot.adapters.slack.naming import EVENTS_PATH, command_renamer, rename_commands, slash_commands
from bot.adapters.slack.responder import SlackResponder, payload
from bot.adapters.slack.sender import SlackSender
from bot.adapters.slack.text import decode_command_text
from bot.adapters.slack.verify import (
    MalformedBody,
    RefusalLog,
    check_signature,
    raised_by_framework,
    read_body,
    where_raised,
)
from bot.adapters.tasks import TaskTracker
from bot.commands.context import ActionInvocation, Invocation
from bot.commands.errors import UserError
from bot.commands.textsyntax import invocation_target, parse_line
from bot.messages import Message, Tone

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

#: How long a slash command waits for its first reply to travel in the ack. Slack allows 3 s;
#: the margin covers a busy event loop and the trip back (bench.slack: core dispatch p99 can
#: reach 1.5 s at 10 concurrent commands on a loaded 2-core machine).
ACK_WINDOW_SECONDS = 1.5
#: auth.test errors that mean the token itself is refused (Slack Web API, auth.test errors).
REFUSED_TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)

Ack = Callable[..., Awaitable[Any]]


class SlackConfigError(Exception):
    """The Slack settings cannot work together (the message names the variables)."""


class SlackAdapter:
    """Serves one Slack workspace through bolt: Socket Mode when `SLACK_APP_TOKEN` is set,
    else HTTP mode (`/slack/events` on the bot's HTTP server, with `SLACK_SIGNING_SECRET`)."""

    platform = identity.PLATFORM

    def __init__(self, app: Application, *, client: AsyncWebClient | None = None) -> None:
        settings = app.settings
        if settings.slack_bot_token is None:
            raise SlackConfigError("SLACK_BOT_TOKEN is not set")
        secret = settings.slack_signing_secret
        self.app_token = (
            settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
        )
        if self.app_token is None:
            if secret is None:
                raise SlackConfigError(
                    "set SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)"
                )
            if app.http is None:
                raise SlackConfigError(
                    "Slack HTTP mode needs the HTTP server: set HTTP_ENABLED=true (and HTTP_PORT)"
                )
        self.app = app
        self.ack_window = ACK_WINDOW_SECONDS
        token = settings.slack_bot_token.get_secret_value()
        self.client = client or AsyncWebClient(token=token, base_url=settings.slack_api_url)
        bolt_logger = logging.getLogger("bot.adapters.slack.bolt")
        bolt_logger.addFilter(_ignore_env_token_warning)
        self.bolt = AsyncApp(
            client=self.client,
            # HTTP requests are verified by `_events` on the raw bytes before bolt sees them
            # (bolt's own check logs refused bodies); Socket Mode is authenticated by the
            # connection.
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=False,
            name="mlebot",
            logger=bolt_logger,
        )
        self.admins = identity.AdminCache(self.client, settings.slack_moderators)
        #: Posts and DMs the bot sends on its own initiative (through the delivery engine).
        self.sender = SlackSender(
            token, base_url=settings.slack_api_url, dm_cache=app.delivery.dm_cache(self.platform)
        )
        self.prefix = settings.slack_command_prefix
        self._socket: AsyncSocketModeHandler | None = None
        self._rename: tuple[tuple[str, ...], Callable[[str], str]] | None = None
        #: Commands and clicks in progress: stop() lets them finish (briefly).
        self.tasks = TaskTracker()
        self._closed = asyncio.Event()
        self._started = False
        self.bolt.command(re.compile(r"^/.+"))(self._on_command)
        self.bolt.action(re.compile(r".+"))(self._on_action)
        for event in BOT_EVENTS:
            self.bolt.event(event)(self._on_lifecycle_event)
        self.bolt.error(self._on_bolt_error)
        # With a signing secret the events endpoint is served too (also next to Socket Mode).
        self.http_mode = secret is not None and app.http is not None
        self._signing_secret = secret.get_secret_value() if secret else ""
        #: Refused requests: counted by reason, summarised in the log at most once a minute.
        self.refusals = RefusalLog(self._count_refusal)
        if self.http_mode:
            assert app.http is not None
            app.http.add_route("POST", EVENTS_PATH, self._events)

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._check_token()
        self.sender.rename = self._renamer()
        self.app.delivery.register_sender(self.platform, self.sender)
        if self.app_token is not None:
            await self._connect_socket_mode(self.app_token)
        self._started = True
        modes = [m for m, on in (("Socket Mode", self.socket_mode), ("HTTP", self.http_mode)) if on]
        log.info(
            "Slack adapter ready (%s): %s",
            " + ".join(modes),
            ", ".join(slash_commands(self.app.registry, self.prefix)),
        )

    async def _check_token(self) -> None:
        """auth.test: a refused token or an unreachable API stops the start with one line."""
        where = self.app.settings.slack_api_url
        try:
            await self.client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in REFUSED_TOKEN_ERRORS:
                raise PlatformUnreachable(
                    f"Slack refused the bot token ({error}): check SLACK_BOT_TOKEN (the app's "
                    "OAuth & Permissions page; reinstall the app if it was revoked)"
                ) from None
            raise PlatformUnreachable(
                f"the Slack API at {where} answered {error} to auth.test: check SLACK_API_URL"
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise PlatformUnreachable(
                f"cannot reach the Slack API at {where} ({network_problem(exc)}): "
                "check the network and SLACK_API_URL"
            ) from None

    async def _connect_socket_mode(self, app_token: str) -> None:
        """Open the Socket Mode connection; a refused app-level token or an unreachable API
        stops the start with one line, like auth.test.

        The WebSocket URL is asked for here (apps.connections.open) and handed to the Socket Mode
        client: left to itself, the client logs a traceback and retries every 10 s forever when
        Slack refuses the token, so a wrong SLACK_APP_TOKEN would never stop the start.
        """
        self._socket = AsyncSocketModeHandler(self.bolt, app_token)
        try:
            opened = await self.client.apps_connections_open(app_token=app_token)
            self._socket.client.wss_uri = str(opened["url"])
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            await self._close_socket()
            if error in REFUSED_TOKEN_ERRORS:
                raise PlatformUnreachable(
                    f"Slack refused the app-level token ({error}): check SLACK_APP_TOKEN (the "
                    "app's Basic Information page, App-Level Tokens, scope connections:write)"
                ) from None
            raise PlatformUnreachable(
                f"Slack answered {error} when opening Socket Mode: check SLACK_APP_TOKEN"
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            await self._close_socket()
            raise PlatformUnreachable(
                f"cannot open Slack's Socket Mode connection ({network_problem(exc)}): check "
                "the network and SLACK_API_URL"
            ) from None

    async def _close_socket(self) -> None:
        if self._socket is not None:
            socket, self._socket = self._socket, None
            with contextlib.suppress(Exception):
                await socket.close_async()  # type: ignore[no-untyped-call]

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def stop(self) -> None:
        """Let in-flight commands finish (briefly), then stop."""
        self._started = False
        self.refusals.flush()  # refusals not summarised yet are not lost with the process
        await self.tasks.drain()
        if self._socket is not None:
            socket, self._socket = self._socket, None
            await socket.close_async()  # type: ignore[no-untyped-call]
        self._closed.set()

    async def idle(self) -> None:
        """Return once every command and click taken so far has been fully answered."""
        await self.tasks.idle()

    def is_connected(self) -> bool:
        if not self._started:
            return False
        if self._socket is None:
            return True  # HTTP mode: up while the HTTP server serves /slack/events
        session = self._socket.client.current_session
        return session is not None and not session.closed

    # -- HTTP ------------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Verify the signature on the raw bytes (401), then read the body (400), and only
        then hand it to bolt. No refused or malformed body is ever logged."""
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self.refusals.refused("too_large")
            return web.json_response({"error": "request too large"}, status=413)
        verify = functools.partial(
            check_signature,
            self._signing_secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.headers.get("X-Slack-Signature"),
            raw,
            now=time.time(),
        )
        # hashlib releases the GIL on large buffers: big bodies are hashed off the event loop,
        # so a flood of them does not stall genuine requests.
        refused = await asyncio.to_thread(verify) if len(raw) > 65536 else verify()
        if refused is not None:
            self.refusals.refused(refused)
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body = read_body(raw, request.headers.get("Content-Type", ""))
            bolt_request = AsyncBoltRequest(
                body=body.text,
                query=request.query_string,
                headers={k.lower(): list(request.headers.getall(k)) for k in request.headers},
            )
        except Exception as exc:  # MalformedBody, or whatever bolt's parser refuses
            reason = str(exc) if isinstance(exc, MalformedBody) else type(exc).__name__
            self.app.metrics.slack_refused.labels("malformed").inc()
            log.info("refused a signed Slack request that cannot be read (%s)", reason)
            return web.json_response({"error": "malformed request"}, status=400)
        try:
            bolt_response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:  # raised before bolt's own error handling (its context set-up)
            if not raised_by_framework(exc):
                raise
            bolt_response = self._malformed_shape(exc)
        return await to_aiohttp_response(bolt_response)

    async def _on_bolt_error(self, error: Exception) -> BoltResponse:
        """bolt failed on a verified request: a shape bolt cannot read is the sender's mistake
        (400, one line, counted as malformed); an error through the bot's code is a bug."""
        if raised_by_framework(error):
            return self._malformed_shape(error)
        log.error("handling a Slack request failed", exc_info=error)
        return BoltResponse(status=500, body="")

    def _malformed_shape(self, error: Exception) -> BoltResponse:
        self.app.metrics.slack_refused.labels("malformed").inc()
        log.info(
            "refused a signed Slack request of a shape Slack does not send (%s)",
            where_raised(error),
        )
        return BoltResponse(status=400, body={"error": "malformed request"})

    def _count_refusal(self, reason: str) -> None:
        self.app.metrics.slack_refused.labels(reason).inc()

    def _renamer(self) -> Callable[[str], str]:
        """The `/group` -> `/prefix-group` rewriter for the groups registered now."""
        groups = tuple(self.app.registry.groups())
        if self._rename is None or self._rename[0] != groups:
            self._rename = (groups, command_renamer(groups, self.prefix))
        return self._rename[1]

    # -- slash commands --------------------------------------------------------------------

    async def _on_command(self, ack: Ack, body: Mapping[str, Any]) -> None:
        groups = slash_commands(self.app.registry, self.prefix)
        name = str(body.get("command", ""))
        group = groups.get(name)
        if group is None:
            await ack(
                payload(_warning(f"{name} is not one of my commands. Try /{self.prefix}help."))
            )
            return
        try:
            # Slack sends `&amp;`, `<https://…|label>`…: read what the person typed.
            text = decode_command_text(str(body.get("text", "")))
            parsed = parse_line(f"{group} {text}", self.app.registry)
        except UserError as exc:
            await ack(payload(rename_commands(_warning(str(exc)), self._renamer())))
            return
        path, options = invocation_target(parsed)
        place = identity.command_place(body)
        user_id = str(body.get("user_id", ""))
        responder = SlackResponder(
            self.client,
            channel_id=place.channel_id,
            user_id=user_id,
            response_url=body.get("response_url"),
            ack_window=True,
            rename=self._renamer(),
            on_refused_credentials=self._refused_credentials,
        )

        async def run() -> None:
            actor = identity.actor(
                user_id,
                str(body.get("user_name", "")),
                is_admin=await self.admins.is_admin(user_id),
            )
            invocation = Invocation(path=path, options=options, actor=actor, place=place)
            await self.app.dispatcher.dispatch(invocation, responder)

        task = self.tasks.track(run())
        first = await responder.first_reply(self.ack_window)
        try:
            if first is None:
                await ack()
            else:
                await ack(payload(first))
        finally:
            responder.acked()
        await task

    # -- buttons ---------------------------------------------------------------------------

    async def _on_action(self, ack: Ack, body: Mapping[str, Any]) -> None:
        await ack()
        actions = body.get("actions") or []
        if not actions:
            return
        action_name, value = parse_button_value(str(actions[0].get("value", "")))
        place = identity.action_place(body)
        user = body.get("user") or {}
        user_id = str(user.get("id", ""))
        responder = SlackResponder(
            self.client,
            channel_id=place.channel_id,
            user_id=user_id,
            response_url=body.get("response_url"),
            ack_window=False,
            rename=self._renamer(),
            on_refused_credentials=self._refused_credentials,
        )

        async def run() -> None:
            name = str(user.get("username") or user.get("name") or "")
            actor = identity.actor(user_id, name, is_admin=await self.admins.is_admin(user_id))
            invocation = ActionInvocation(action=action_name, value=value, actor=actor, place=place)
            await self.app.dispatcher.dispatch_action(invocation, responder)

        await self.tasks.track(run())

    def _refused_credentials(self, reason: str) -> None:
        self.app.delivery.refuse_credentials(self.platform, reason)

    async def _on_lifecycle_event(self, body: Mapping[str, Any]) -> None:
        event = body.get("event") or {}
        kind = str(event.get("type", ""))
        log.warning(
            "Slack says %s for team %s: the bot can no longer act there until reinstalled",
            kind,
            body.get("team_id"),
        )
        revoked = (event.get("tokens") or {}).get("bot") if kind == "tokens_revoked" else None
        if kind == "app_uninstalled" or revoked:
            # https://docs.slack.dev/reference/events/tokens_revoked, .../app_uninstalled:
            # the bot token is gone, so stop sending now rather than on the next refusal.
            self.app.delivery.refuse_credentials(self.platform, f"Slack: {kind}")


def _ignore_env_token_warning(record: logging.LogRecord) -> bool:
    # bolt also reads SLACK_BOT_TOKEN from the environment and warns that the client (which
    # carries that same token and our SLACK_API_URL) wins; nothing is wrong, so stay quiet.
    return "`token` will be unused" not in record.getMessage()


def _warning(body: str) -> Message:
    return Message(body=body, private=True, tone=Tone.WARNING)

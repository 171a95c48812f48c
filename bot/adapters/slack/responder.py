"""Answering one Slack interaction within its deadline.

A slash command must be acknowledged within 3 seconds. The first reply that is ready inside the
ack window travels in the acknowledgement itself; if the handler is slower (or defers), the
command is acknowledged empty and replies follow through `response_url` (up to 5 uses within 30
minutes), then through `chat.postEphemeral` / `chat.postMessage`. Private replies are ephemeral.

A reply's files (a `/privacy export`) are uploaded with Slack's external upload flow
(`files.getUploadURLExternal`, the bytes to the upload URL, `files.completeUploadExternal`),
shared in the person's DM with the bot for a private reply, else in the channel.

A reply is never lost to a refusal and never raises: a spent or expired response_url falls back
to the Web API; a channel the bot cannot post in (`not_in_channel`, `channel_not_found`, ...)
falls back from a public post to an ephemeral one, then to a DM with the person.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.blocks import render
from bot.adapters.slack.naming import rename_commands, unchanged
from bot.adapters.slack.sender import CREDENTIAL_ERRORS
from bot.messages import Attachment, Message, Tone

log = logging.getLogger(__name__)

RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60 - 60  # a minute of margin
#: Web API errors worth trying the next way of reaching the person (a private channel the bot
#: was never added to answers `channel_not_found`, a public one `not_in_channel`).
CHANNEL_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "user_not_in_channel",
        "restricted_action",
        "ekm_access_denied",
        "cannot_reply_to_message",
    }
)
_NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError, SlackClientError)


def payload(message: Message) -> dict[str, Any]:
    """A response_url / ack body: blocks plus the response type from the message's privacy."""
    body = render(message)
    body["response_type"] = "in_channel" if message.private is False else "ephemeral"
    return body


class SlackResponder:
    """The `Responder` for one slash command or button click."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        channel_id: str,
        user_id: str,
        response_url: str | None,
        ack_window: bool,
        rename: Callable[[str], str] = unchanged,
        on_refused_credentials: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        #: Told when Slack refuses the bot's token (the adapter stops the platform's sending).
        self.on_refused_credentials = on_refused_credentials
        self.rename = rename
        self.channel_id = channel_id
        self.user_id = user_id
        self.response_url = response_url
        self._url_uses = 0
        self._url_deadline = time.monotonic() + RESPONSE_URL_SECONDS
        self._first: asyncio.Future[Message | None] | None = (
            asyncio.get_running_loop().create_future() if ack_window else None
        )
        self._acked = asyncio.Event()
        if not ack_window:
            self._acked.set()

    # -- the ack window (slash commands) ---------------------------------------------------

    async def first_reply(self, window: float) -> Message | None:
        """Wait up to `window` seconds for a reply to put in the ack; then close the window."""
        assert self._first is not None, "this responder has no ack window"
        try:
            return await asyncio.wait_for(asyncio.shield(self._first), window)
        except TimeoutError:
            if not self._first.done():
                self._first.set_result(None)
            return self._first.result()

    def acked(self) -> None:
        """The acknowledgement was handed to Slack; later replies may follow it."""
        self._acked.set()

    def _take_window(self, message: Message | None) -> bool:
        if self._first is not None and not self._first.done():
            self._first.set_result(message)
            return True
        return False

    # -- Responder -------------------------------------------------------------------------

    async def defer(self, private: bool) -> None:
        self._take_window(None)

    async def send(self, message: Message) -> None:
        message = rename_commands(message, self.rename)
        files = message.attachments
        if files:
            message = _noting_files(message)
        if not self._take_window(message):
            await self._acked.wait()
            await self.post(message)
        if files:
            await self._acked.wait()
            await self.upload(files, private=message.private is not False)

    async def upload(self, files: tuple[Attachment, ...], *, private: bool) -> None:
        """Share `files` in the person's DM (private) or the channel; never raises: a refusal
        is logged and told to the person."""
        for attachment in files:
            try:
                channel = await self._dm_channel() if private else self.channel_id
                await self.client.files_upload_v2(
                    file=attachment.content,
                    filename=attachment.filename,
                    title=attachment.filename,
                    channel=channel,
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error") or exc.response.status_code)
                log.warning("Slack refused the file %s (%s)", attachment.filename, error)
                await self.post(_file_failed(attachment, error))
            except _NETWORK_ERRORS as exc:
                log.warning("file %s not sent (%s)", attachment.filename, type(exc).__name__)
                await self.post(_file_failed(attachment, type(exc).__name__))

    async def update(self, message: Message) -> None:
        """Replace the message whose button was clicked, through the click's response_url
        (`replace_original`); a slash command has no such message, so it is a reply there."""
        if self._first is not None:
            await self.send(message)
            return
        message = rename_commands(message, self.rename)
        await self._acked.wait()
        if not await self._via_response_url(payload(message), replace=True):
            await self.post(message)

    async def post(self, message: Message) -> None:
        """Send `message` after the ack: response_url while it lasts, else the Web API.

        Never raises for anything Slack or the network answers: each refusal falls back to the
        next way of reaching the person (public post, ephemeral, DM) and the last one is logged.
        """
        body = payload(message)
        if await self._via_response_url(body):
            return
        attempts: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        kwargs = {"text": body["text"], "blocks": body["blocks"]}
        if body["response_type"] != "ephemeral":
            attempts.append(
                (
                    "chat.postMessage",
                    lambda: self.client.chat_postMessage(channel=self.channel_id, **kwargs),
                )
            )
        attempts.append(
            (
                "chat.postEphemeral",
                lambda: self.client.chat_postEphemeral(
                    channel=self.channel_id, user=self.user_id, **kwargs
                ),
            )
        )
        attempts.append(("DM", lambda: self._direct_message(kwargs)))
        last = ""
        for name, attempt in attempts:
            try:
                await attempt()
                return
            except SlackApiError as exc:
                error = str(exc.response.get("error") or exc.response.status_code)
                if error in CREDENTIAL_ERRORS:
                    log.error("Slack refused the bot's token (%s); reply not sent", error)
                    if self.on_refused_credentials is not None:
                        self.on_refused_credentials(f"Slack: {error}")
                    return
                if error not in CHANNEL_ERRORS and name != "DM":
                    # Not about where we post (e.g. revoked token, invalid blocks): another
                    # channel will not help.
                    log.error("Slack refused a reply to %s (%s: %s)", self.user_id, name, error)
                    return
                log.info("%s refused in %s (%s); trying the next way", name, self.channel_id, error)
                last = f"{name}: {error}"
            except _NETWORK_ERRORS as exc:
                log.warning("reply to %s failed (%s: %s)", self.user_id, name, type(exc).__name__)
                return
        log.warning("could not reach %s in %s or by DM (%s)", self.user_id, self.channel_id, last)

    async def _via_response_url(self, body: dict[str, Any], *, replace: bool = False) -> bool:
        if not (
            self.response_url
            and self._url_uses < RESPONSE_URL_USES
            and time.monotonic() < self._url_deadline
        ):
            return False
        self._url_uses += 1
        try:
            resp = await AsyncWebhookClient(self.response_url).send_dict(
                {**body, "replace_original": replace}
            )
        except Exception as exc:  # network trouble: fall back, never lose the reply
            log.warning("response_url failed (%s); using the Web API", exc)
            return False
        if resp.status_code == 200:
            return True
        log.warning(
            "response_url answered %s %s; using the Web API", resp.status_code, resp.body[:40]
        )
        if resp.status_code == 404:  # used up or expired: Slack will not take it again
            self._url_uses = RESPONSE_URL_USES
        return False

    async def _dm_channel(self) -> str:
        opened = await self.client.conversations_open(users=self.user_id)
        return str((opened.get("channel") or {}).get("id", ""))

    async def _direct_message(self, kwargs: dict[str, Any]) -> None:
        await self.client.chat_postMessage(channel=await self._dm_channel(), **kwargs)


def _noting_files(message: Message) -> Message:
    """The message without its files, saying where they go (Slack shares them apart)."""
    names = ", ".join(a.filename for a in message.attachments)
    where = "your direct messages with me" if message.private is not False else "this channel"
    note = f"The file ({names}) is shared in {where}."
    footer = f"{message.footer}\n{note}" if message.footer else note
    return replace(message, attachments=(), footer=footer)


def _file_failed(attachment: Attachment, error: str) -> Message:
    return Message(
        body=f"Sorry, Slack did not take the file {attachment.filename} ({error}).",
        private=True,
        tone=Tone.ERROR,
    )

"""Answering one Discord interaction: the initial response, a defer, then follow-ups.

Discord wants an answer to every interaction within 3 seconds. The first reply goes out as the
interaction response (type 4); `defer` answers "thinking…" (type 5) so the reply can follow
later, then the first reply edits that placeholder and any further ones are webhook
follow-ups. Private replies are ephemeral. A button click may instead first replace the message
the button was on (`update`: type 7 UPDATE_MESSAGE, e.g. the prompt with its buttons disabled).
A placeholder's visibility cannot be changed, so when
the first reply's privacy differs from the defer's (e.g. a slow public command ends in a private
error), the placeholder is deleted and the reply goes out as a follow-up with its own privacy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum
from typing import Any, Protocol

from bot.adapters.discord.files import (
    DEFAULT_SIZE_LIMIT,
    batches,
    split_fitting,
    with_attachments,
)
from bot.adapters.discord.render import EPHEMERAL, render, stored_button_ids
from bot.messages import Attachment, Message

CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
#: "For components, edit the message the component was attached to" (Discord docs, Receiving
#: and Responding: Interaction Callback Type; only valid for component-based interactions).
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8


class Rest(Protocol):
    """The REST calls the responder needs (discord.py's HTTP client in production); with
    `files` the body goes as multipart form data."""

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        files: Sequence[Attachment] = (),
        **params: Any,
    ) -> Any: ...


class _State(Enum):
    NEW = "new"
    DEFERRED = "deferred"
    ANSWERED = "answered"


class InteractionResponder:
    """A core `Responder` for one interaction."""

    def __init__(
        self,
        rest: Rest,
        *,
        interaction_id: str,
        token: str,
        application_id: str,
        remember_buttons: Callable[[Mapping[str, str]], Awaitable[None]] | None = None,
        component: bool = False,
        file_size_limit: int = DEFAULT_SIZE_LIMIT,
    ) -> None:
        #: The interaction's `attachment_size_limit`: larger files are not sent.
        self.file_size_limit = file_size_limit
        self.rest = rest
        #: A button click: its first answer may update the message the button was on.
        self.component = component
        self.remember_buttons = remember_buttons
        self.interaction_id = interaction_id
        self.token = token
        self.application_id = application_id
        self._state = _State.NEW
        self._deferred_private = False
        self._lock = asyncio.Lock()

    @property
    def answered(self) -> bool:
        """Whether Discord has had its initial response (a reply or a defer)."""
        return self._state is not _State.NEW

    @property
    def replied(self) -> bool:
        """Whether a message (not only a defer) went out."""
        return self._state is _State.ANSWERED

    async def _callback(self, body: dict[str, Any], files: Sequence[Attachment] = ()) -> None:
        await self.rest.request(
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
            json=body,
            files=files,
            interaction_id=self.interaction_id,
            interaction_token=self.token,
        )

    async def send(self, message: Message) -> None:
        async with self._lock:
            await self._deliver(message, update=False)

    async def _deliver(self, message: Message, *, update: bool) -> None:
        """Send `message`'s payloads in order (the first as an UPDATE_MESSAGE with `update`),
        its files on the last one, at most ten a message (the rest follow)."""
        stored = stored_button_ids(message)
        if stored and self.remember_buttons is not None:
            await self.remember_buttons(stored)
        payloads = render(message)
        fitting, notes = split_fitting(message.attachments, self.file_size_limit)
        if notes:
            last = payloads[-1]
            last["content"] = "\n".join([*filter(None, [last.get("content")]), *notes])[:2000]
        groups = batches(fitting)
        for n, payload in enumerate(payloads):
            files = groups[0] if groups and n == len(payloads) - 1 else []
            if n == 0 and update:
                # An update keeps the message's visibility: flags cannot change it.
                data = {k: v for k, v in payload.items() if k != "flags"}
                await self._callback(
                    {"type": UPDATE_MESSAGE, "data": with_attachments(data, files)}, files
                )
                self._state = _State.ANSWERED
            else:
                await self._send_one(payload, files)
        for group in groups[1:]:
            extra = {k: v for k, v in payloads[-1].items() if k in ("flags", "allowed_mentions")}
            await self._send_one(extra, group)

    async def update(self, message: Message) -> None:
        """Replace the clicked message (type 7) when this is a click not yet answered; else
        the message goes out as a reply."""
        async with self._lock:
            await self._deliver(message, update=self.component and self._state is _State.NEW)

    async def _send_one(self, payload: dict[str, Any], files: Sequence[Attachment] = ()) -> None:
        payload = with_attachments(payload, files)
        if self._state is _State.NEW:
            await self._callback({"type": CHANNEL_MESSAGE, "data": payload}, files)
        elif self._state is _State.DEFERRED and self._deferred_private == _private(payload):
            edit = {k: v for k, v in payload.items() if k != "flags"}
            await self.rest.request(
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                json=edit,
                files=files,
                webhook_id=self.application_id,
                webhook_token=self.token,
            )
        else:
            if self._state is _State.DEFERRED:
                await self.rest.request(
                    "DELETE",
                    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                    webhook_id=self.application_id,
                    webhook_token=self.token,
                )
            await self.rest.request(
                "POST",
                "/webhooks/{webhook_id}/{webhook_token}",
                json=payload,
                files=files,
                webhook_id=self.application_id,
                webhook_token=self.token,
            )
        self._state = _State.ANSWERED

    async def defer(self, private: bool) -> None:
        async with self._lock:
            if self._state is _State.NEW:
                data = {"flags": EPHEMERAL} if private else {}
                await self._callback({"type": DEFERRED_CHANNEL_MESSAGE, "data": data})
                self._state = _State.DEFERRED
                self._deferred_private = private

    async def autocomplete(self, choices: list[dict[str, Any]]) -> None:
        async with self._lock:
            if self._state is _State.NEW:
                await self._callback({"type": AUTOCOMPLETE_RESULT, "data": {"choices": choices}})
                self._state = _State.ANSWERED


def _private(payload: dict[str, Any]) -> bool:
    return bool(int(payload.get("flags", 0)) & EPHEMERAL)

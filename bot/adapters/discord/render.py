"""Rendering a core Message as Discord message payloads, within Discord's limits.

Pure: `render(message)` returns one or more JSON payloads (the fields of an interaction
response, a webhook follow-up or a channel message). A short plain message becomes `content`;
anything else becomes embeds. Text too long for one embed is split at line boundaries into
several embeds, embeds are packed into messages of at most 10 embeds and 6,000 characters, and
buttons go on the last message. Mentions never ping (`allowed_mentions` parses nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button, ButtonStyle, Message, Tone

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELDS_PER_EMBED = 25
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
EPHEMERAL = 1 << 6
ELLIPSIS = "…"
#: Custom ids starting with this name a stored button (`button_ids`), never an action.
STORED_ID_PREFIX = "~"


_COLOURS = {
    Tone.NORMAL: 0x5865F2,
    Tone.SUCCESS: 0x57F287,
    Tone.WARNING: 0xFEE75C,
    Tone.ERROR: 0xED4245,
}
_STYLES = {
    ButtonStyle.PRIMARY: 1,
    ButtonStyle.SECONDARY: 2,
    ButtonStyle.SUCCESS: 3,
    ButtonStyle.DANGER: 4,
}


def trim(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Split at line boundaries into chunks of at most `limit` characters (long lines are cut
    hard). Fenced code blocks cut in two are closed and reopened so both halves render."""
    fence_room = len("```\n") + len("\n```") if "```" in text else 0
    size = max(1, limit - fence_room)
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:size])
            line = line[size:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return _balance_fences([c for c in chunks if c.strip()] or [""], limit)


def _balance_fences(chunks: list[str], limit: int) -> list[str]:
    out: list[str] = []
    reopen = False
    for chunk in chunks:
        text = ("```\n" + chunk) if reopen else chunk
        open_fence = text.count("```") % 2 == 1
        if open_fence:
            text += "\n```"
        if len(text) > limit:  # no room for the fence repair: keep the plain chunk
            text = chunk
        out.append(text)
        reopen = open_fence
    return out


def embed_size(embed: dict[str, Any]) -> int:
    """Characters that count towards Discord's 6,000 per message."""
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    for f in embed.get("fields", ()):
        size += len(f["name"]) + len(f["value"])
    return size


@dataclass
class _Embeds:
    colour: int
    embeds: list[dict[str, Any]] = field(default_factory=list)

    def new(self) -> dict[str, Any]:
        embed: dict[str, Any] = {"color": self.colour}
        self.embeds.append(embed)
        return embed


def _text_of(message: Message) -> str:
    parts: list[str] = []
    if message.body:
        parts.append(message.body)
    for section in message.sections:
        parts.append(f"**{section.heading}**\n{section.body}")
    if message.links:
        parts.append("\n".join(f"- [{link.label}]({link.url})" for link in message.links))
    return "\n\n".join(parts)


def _embeds(message: Message) -> list[dict[str, Any]]:
    box = _Embeds(_COLOURS[message.tone])
    text = _text_of(message)
    for i, chunk in enumerate(split_text(text, DESCRIPTION_LIMIT) if text else []):
        embed = box.new()
        if i == 0 and message.title:
            embed["title"] = trim(message.title, TITLE_LIMIT)
            if message.url:
                embed["url"] = message.url
        if chunk:
            embed["description"] = chunk
    if not box.embeds and (message.title or message.fields or message.footer):
        embed = box.new()
        if message.title:
            embed["title"] = trim(message.title, TITLE_LIMIT)
            if message.url:
                embed["url"] = message.url
    for f in message.fields:
        name = trim(f.name, FIELD_NAME_LIMIT) or "\u200b"
        value = trim(f.value, FIELD_VALUE_LIMIT) or "\u200b"
        item: dict[str, Any] = {"name": name, "value": value, "inline": f.inline}
        last = box.embeds[-1]
        fields = last.setdefault("fields", [])
        cost = len(name) + len(value)
        if len(fields) >= FIELDS_PER_EMBED or embed_size(last) + cost > EMBED_TOTAL_LIMIT:
            if not fields:
                del last["fields"]
            last = box.new()
            fields = last.setdefault("fields", [])
        fields.append(item)
    if message.footer:
        footer = trim(message.footer, FOOTER_LIMIT)
        last = box.embeds[-1]
        if embed_size(last) + len(footer) > EMBED_TOTAL_LIMIT:
            last = box.new()
        last["footer"] = {"text": footer}
    return box.embeds


def stored_id(custom_id: str, index: int) -> str:
    """The short id of button `index` whose custom id cannot be sent as it is."""
    digest = hashlib.sha256(f"{index}\x00{custom_id}".encode()).hexdigest()
    return STORED_ID_PREFIX + digest[:32]


def button_ids(buttons: tuple[Button, ...]) -> tuple[list[str], dict[str, str]]:
    """The custom id each button is sent with, and the stored ones (short id -> custom id).

    A custom id is `action:value` (static, so clicks still route after a restart). Discord
    refuses one over 100 characters or repeated in a message: such a button gets a short id
    whose full custom id the sender stores first (`storage.button_ids`); nothing is cut.
    """
    sent: list[str] = []
    stored: dict[str, str] = {}
    seen: set[str] = set()
    for index, button in enumerate(buttons[: BUTTONS_PER_ROW * ROWS_PER_MESSAGE]):
        custom_id = button.custom_id
        if (
            len(custom_id) > CUSTOM_ID_LIMIT
            or custom_id in seen
            or custom_id.startswith(STORED_ID_PREFIX)
        ):
            short = stored_id(custom_id, index)
            stored[short] = custom_id
            custom_id = short
        seen.add(custom_id)
        sent.append(custom_id)
    return sent, stored


def stored_button_ids(message: Message) -> dict[str, str]:
    """The short ids `render(message)` uses that must be stored before it is sent."""
    return button_ids(message.buttons)[1] if message.buttons else {}


def components(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    """Action rows of buttons (5 per row, 5 rows), with the custom ids of `button_ids`."""
    ids, _stored = button_ids(buttons)
    rows: list[dict[str, Any]] = []
    for i in range(0, min(len(buttons), BUTTONS_PER_ROW * ROWS_PER_MESSAGE), BUTTONS_PER_ROW):
        rows.append(
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": _STYLES[b.style],
                        "label": trim(b.label, BUTTON_LABEL_LIMIT),
                        "custom_id": custom_id,
                        **({"disabled": True} if b.disabled else {}),
                    }
                    for b, custom_id in zip(
                        buttons[i : i + BUTTONS_PER_ROW], ids[i : i + BUTTONS_PER_ROW], strict=True
                    )
                ],
            }
        )
    return rows


def is_plain(message: Message) -> bool:
    """Only a short body: sent as message content rather than an embed."""
    return (
        message.tone is Tone.NORMAL
        and not (message.title or message.sections or message.fields or message.links)
        and not message.footer
        and 0 < len(message.body) <= CONTENT_LIMIT
    )


def render(message: Message) -> list[dict[str, Any]]:
    """One or more message payloads for `message` (send them in order)."""
    payloads: list[dict[str, Any]] = []
    if is_plain(message):
        payloads.append({"content": message.body})
    else:
        embeds = _embeds(message) or [{"color": _COLOURS[message.tone], "description": "\u200b"}]
        current: list[dict[str, Any]] = []
        size = 0
        for embed in embeds:
            cost = embed_size(embed)
            if current and (len(current) >= EMBEDS_PER_MESSAGE or size + cost > EMBED_TOTAL_LIMIT):
                payloads.append({"embeds": current})
                current, size = [], 0
            current.append(embed)
            size += cost
        payloads.append({"embeds": current})
    if message.buttons:
        payloads[-1]["components"] = components(message.buttons)
    for payload in payloads:
        payload["allowed_mentions"] = {"parse": []}
        if message.private:
            payload["flags"] = EPHEMERAL
    return payloads

"""The platform-neutral message model every cog replies with and every adapter renders.

Bodies use a small Markdown subset: **bold**, *italic*, `code`, fenced code blocks, `- ` bullet
lists and [text](https://url) links. Renderers translate it and keep within platform limits.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


class Tone(StrEnum):
    """What kind of message this is, so renderers can colour it."""

    NORMAL = "normal"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    """A short labelled fact (rendered as an inline embed field / Block Kit field)."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Section:
    """A headed block of Markdown text, e.g. one tip in a digest issue."""

    heading: str
    body: str


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Button:
    """A button whose click is routed back to the cog action named `action`.

    `action` and `value` together form the platform custom id (`action:value`), which is
    static, so buttons keep working after a restart. A `disabled` button is shown but cannot
    be pressed (a prompt already answered).
    """

    label: str
    action: str
    value: str = ""
    style: ButtonStyle = ButtonStyle.PRIMARY
    disabled: bool = False

    @property
    def custom_id(self) -> str:
        return f"{self.action}:{self.value}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message (e.g. a data export): a Discord attachment, a Slack file
    upload, a file written to disk by the console. Replies (`ctx.reply`) carry files on every
    platform; a queued post keeps them through `to_dict` (base64), but only the console's
    sender writes them: the Discord and Slack outbox senders send the text alone."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:  # never dump the bytes into logs
        return f"Attachment({self.filename!r}, {len(self.content)} bytes, {self.content_type!r})"


@dataclass(frozen=True, slots=True)
class Message:
    """One reply or post. `private=None` means: use the command's default."""

    body: str = ""
    title: str | None = None
    url: str | None = None
    sections: tuple[Section, ...] = ()
    fields: tuple[Field, ...] = ()
    links: tuple[Link, ...] = ()
    footer: str | None = None
    buttons: tuple[Button, ...] = ()
    private: bool | None = None
    tone: Tone = Tone.NORMAL
    attachments: tuple[Attachment, ...] = ()

    def with_privacy(self, private: bool) -> Message:
        return replace(self, private=private)

    def with_buttons_disabled(self, footer: str | None = None) -> Message:
        """This message with every button disabled (and `footer`, e.g. what was chosen)."""
        return replace(
            self,
            buttons=tuple(replace(b, disabled=True) for b in self.buttons),
            footer=footer if footer is not None else self.footer,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (for the outbox); only non-default values are included."""
        out: dict[str, Any] = {}
        if self.body:
            out["body"] = self.body
        for key in ("title", "url", "footer", "private"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.sections:
            out["sections"] = [[s.heading, s.body] for s in self.sections]
        if self.fields:
            out["fields"] = [[f.name, f.value, f.inline] for f in self.fields]
        if self.links:
            out["links"] = [[link.label, link.url] for link in self.links]
        if self.buttons:
            out["buttons"] = [
                [b.label, b.action, b.value, str(b.style), *([True] if b.disabled else [])]
                for b in self.buttons
            ]
        if self.tone is not Tone.NORMAL:
            out["tone"] = str(self.tone)
        if self.attachments:
            out["attachments"] = [
                [a.filename, base64.b64encode(a.content).decode("ascii"), a.content_type]
                for a in self.attachments
            ]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        """The inverse of `to_dict` (unknown keys are an error: stored data must round-trip)."""
        unknown = set(data) - _MESSAGE_KEYS
        if unknown:
            raise ValueError(f"unknown message keys: {', '.join(sorted(unknown))}")
        return cls(
            body=str(data.get("body", "")),
            title=data.get("title"),
            url=data.get("url"),
            footer=data.get("footer"),
            private=data.get("private"),
            sections=tuple(Section(str(h), str(b)) for h, b in data.get("sections", ())),
            fields=tuple(Field(str(n), str(v), bool(i)) for n, v, i in data.get("fields", ())),
            links=tuple(Link(str(label), str(url)) for label, url in data.get("links", ())),
            buttons=tuple(_button(item) for item in data.get("buttons", ())),
            tone=Tone(data.get("tone", Tone.NORMAL)),
            attachments=tuple(
                Attachment(str(name), base64.b64decode(content, validate=True), str(kind))
                for name, content, kind in data.get("attachments", ())
            ),
        )

    def plain_text(self) -> str:
        """All visible text, in reading order (used for logs-free summaries and fallbacks)."""
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        if self.body:
            parts.append(self.body)
        for section in self.sections:
            parts.append(f"{section.heading}\n{section.body}")
        for f in self.fields:
            parts.append(f"{f.name}: {f.value}")
        for link in self.links:
            parts.append(f"{link.label}: {link.url}")
        if self.footer:
            parts.append(self.footer)
        for a in self.attachments:
            parts.append(f"(file {a.filename}, {len(a.content):,} bytes)")
        return "\n\n".join(parts)


_MESSAGE_KEYS = frozenset(
    (
        "body",
        "title",
        "url",
        "footer",
        "private",
        "sections",
        "fields",
        "links",
        "buttons",
        "tone",
        "attachments",
    )
)


def _button(item: list[Any]) -> Button:
    label, action, value, style, *rest = item
    return Button(str(label), str(action), str(value), ButtonStyle(style), bool(rest and rest[0]))


def text(body: str, *, private: bool | None = None, tone: Tone = Tone.NORMAL) -> Message:
    """Shorthand for a message that is only a body."""
    return Message(body=body, private=private, tone=tone)

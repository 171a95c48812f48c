"""Rendering a core `Message` as Slack Block Kit, within Slack's limits.

Pure functions, no I/O. Limits honoured: 50 blocks per message, 3,000 characters per section
text, 10 fields per section (2,000 characters each), 150 characters per header, 25 elements per
actions block, 75 characters per button label. Long text is split at paragraph, line or word
boundaries into several sections; what still does not fit in 50 blocks is cut with a notice.
"""

from __future__ import annotations

import re
from typing import Any

from bot.adapters.slack.text import escape, link
from bot.messages import Button, ButtonStyle, Message, Tone
from bot.sanitize import neutralize_mentions

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_ACTIONS = 25
MAX_BUTTON_LABEL = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
TRIMMED_NOTICE = "_This message was shortened to fit in Slack._"

Block = dict[str, Any]

_TONE_PREFIX = {
    Tone.NORMAL: "",
    Tone.SUCCESS: ":white_check_mark: ",
    Tone.WARNING: ":warning: ",
    Tone.ERROR: ":x: ",
}
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s|<>]+)\)")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![*\w])")
_BULLET = re.compile(r"^(\s*)[-*] ", re.MULTILINE)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def strip_controls(value: str) -> str:
    """`value` with each control character (but tab, newline, carriage return) shown as the
    replacement character, so a text made of them still renders as something."""
    return _CONTROLS.sub("\ufffd", value)


def to_mrkdwn(markdown: str) -> str:
    """Translate the core Markdown subset into Slack mrkdwn, leaving code untouched.

    User-supplied mention syntax cannot ping: `<` is escaped and `@here`-style broadcasts are
    broken with a zero-width space.
    """
    # Control characters mean nothing in a Slack message, and NUL and SOH are the placeholders
    # of parked links and bold markers below: a person's text cannot smuggle one in.
    markdown = strip_controls(markdown)
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(markdown):
        out.append(_convert_prose(markdown[pos : match.start()]))
        out.append(escape(match.group(0)))
        pos = match.end()
    out.append(_convert_prose(markdown[pos:]))
    return "".join(out)


def _convert_prose(value: str) -> str:
    value = escape(value)
    links: list[str] = []

    def keep_link(m: re.Match[str]) -> str:
        links.append(f"<{m.group(2)}|{m.group(1)}>")
        return f"\x00{len(links) - 1}\x00"

    # Links are parked so their URLs are not touched by the emphasis rules.
    value = _LINK.sub(keep_link, value)
    value = _BOLD.sub(lambda m: f"\x01{m.group(1)}\x01", value)
    value = _ITALIC.sub(lambda m: f"_{m.group(1)}_", value)
    value = value.replace("\x01", "*")
    value = _BULLET.sub(lambda m: f"{m.group(1)}• ", value)
    value = neutralize_mentions(value)
    return re.sub("\x00(\\d+)\x00", lambda m: links[int(m.group(1))], value)


def split_text(value: str, limit: int) -> list[str]:
    """Split `value` into pieces of at most `limit` characters at the best boundary."""
    pieces: list[str] = []
    rest = value.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = window.rfind(sep)
            if cut > limit // 3:
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces


def _truncate(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _mrkdwn(value: str) -> dict[str, Any]:
    # verbatim: Slack must not auto-parse mentions or channel names in our text.
    return {"type": "mrkdwn", "text": value, "verbatim": True}


def _sections(value: str) -> list[Block]:
    return [{"type": "section", "text": _mrkdwn(p)} for p in split_text(value, MAX_SECTION_TEXT)]


def _button(button: Button, index: int) -> Block:
    element: Block = {
        "type": "button",
        "text": {
            "type": "plain_text",
            "text": _truncate(button.label, MAX_BUTTON_LABEL) or "…",
            "emoji": True,
        },
        # action_id must be unique within a message; routing uses `value`. The index comes
        # first so that cutting a long action name cannot make two ids equal.
        "action_id": f"{index}:{button.action}"[:MAX_ACTION_ID],
        "value": button.custom_id[:MAX_BUTTON_VALUE],
    }
    if button.style is ButtonStyle.PRIMARY:
        element["style"] = "primary"
    elif button.style is ButtonStyle.DANGER:
        element["style"] = "danger"
    return element


def parse_button_value(value: str) -> tuple[str, str]:
    """The (action, value) pair a rendered button carries back in `block_actions`."""
    action, _, rest = value.partition(":")
    return action, rest


def render_blocks(message: Message) -> list[Block]:
    """The Block Kit blocks for `message` (at most 50)."""
    content: list[Block] = []
    prefix = _TONE_PREFIX[message.tone]
    if message.title and message.url:
        title = f"{prefix}*{link(message.url, _truncate(message.title, MAX_HEADER))}*"
        content.append({"type": "section", "text": _mrkdwn(neutralize_mentions(title))})
        prefix = ""
    elif message.title:
        header = _truncate(neutralize_mentions(prefix + message.title), MAX_HEADER)
        content.append(
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}}
        )
        prefix = ""
    if message.body:
        content.extend(_sections(prefix + to_mrkdwn(message.body)))
        prefix = ""
    for section in message.sections:
        heading = f"*{neutralize_mentions(escape(section.heading))}*"
        content.extend(_sections(f"{prefix}{heading}\n{to_mrkdwn(section.body)}"))
        prefix = ""
    for start in range(0, len(message.fields), MAX_FIELDS):
        chunk = message.fields[start : start + MAX_FIELDS]
        content.append(
            {
                "type": "section",
                "fields": [
                    _mrkdwn(
                        _truncate(
                            f"*{neutralize_mentions(escape(f.name))}*\n{to_mrkdwn(f.value)}",
                            MAX_FIELD_TEXT,
                        )
                    )
                    for f in chunk
                ],
            }
        )
    if message.links:
        lines = "\n".join(f"• {link(item.url, item.label)}" for item in message.links)
        content.extend(_sections(neutralize_mentions(lines)))
    if prefix and not content:
        content.extend(_sections(prefix.strip()))

    tail: list[Block] = []
    if message.footer:
        tail.append(
            {
                "type": "context",
                "elements": [_mrkdwn(_truncate(to_mrkdwn(message.footer), MAX_SECTION_TEXT))],
            }
        )
    # Block Kit buttons cannot be disabled: an answered prompt's buttons are left out (the
    # footer says what was chosen).
    live = [(i, b) for i, b in enumerate(message.buttons) if not b.disabled]
    for start in range(0, len(live), MAX_ACTIONS):
        tail.append(
            {
                "type": "actions",
                "elements": [_button(b, i) for i, b in live[start : start + MAX_ACTIONS]],
            }
        )
    tail = tail[: MAX_BLOCKS // 2]
    room = MAX_BLOCKS - len(tail)
    if len(content) > room:
        content = content[: room - 1]
        content.append({"type": "context", "elements": [_mrkdwn(TRIMMED_NOTICE)]})
    return content + tail


def fallback_text(message: Message) -> str:
    """The plain notification text sent alongside the blocks."""
    value = neutralize_mentions(
        escape(strip_controls(message.title or message.plain_text() or " "))
    )
    return _truncate(value, MAX_FALLBACK_TEXT)


def render(message: Message) -> dict[str, Any]:
    """A chat.postMessage / response_url payload body (without channel or response type)."""
    return {"text": fallback_text(message), "blocks": render_blocks(message)}

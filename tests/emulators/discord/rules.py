"""What Discord refuses in a message or a command, as the emulator answers it.

Each rule names the Discord developer documentation page and section it comes from, with its
address. A violation is returned as (HTTP status, JSON error code, field path, error code
string, message); the emulator answers 400 / 50035 "Invalid Form Body" with Discord's nested
`errors` tree for form errors (Discord docs, Reference: "Error Messages",
https://discord.com/developers/docs/reference#error-messages), or the specific JSON error code
(Discord docs, Topics: Opcodes and Status Codes, "JSON Error Codes",
https://discord.com/developers/docs/topics/opcodes-and-status-codes#json-json-error-codes).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006  # "Cannot send an empty message" (Opcodes and Status Codes, JSON codes)

# Message Resource, Create Message: "content: up to 2000 characters"; "embeds: up to 10".
# https://discord.com/developers/docs/resources/message#create-message
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
# Message Resource, Embed Object, "Embed Limits": title 256, description 4096, up to 25 fields,
# field name 256, field value 1024, footer text 2048, author name 256, and 6000 characters in
# total across title, description, field names/values, footer text and author name of ALL the
# embeds of a message. https://discord.com/developers/docs/resources/message#embed-object-embed-limits
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
EMBEDS_TOTAL_LIMIT = 6000
# Components Reference, Action Row: "up to 5 action rows per message", "up to 5 buttons" a row.
# Button: custom_id "max 100 characters"; Custom ID: "must be unique per component; multiple
# buttons on the same message must not share the same custom_id"; label max 80 characters.
# https://discord.com/developers/docs/components/reference#action-row, https://discord.com/developers/docs/components/reference#button,
# https://discord.com/developers/docs/components/reference#anatomy-of-a-component-custom-id
ROWS_LIMIT = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_LIMIT = 100
BUTTON_LABEL_LIMIT = 80
# Application Commands, "Application Command Naming": names match
# ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ and are lowercase where the letter has a lower
# case; description 1-100 characters; up to 25 options; up to 25 choices, choice name and value
# 1-100 characters; "Registering a Command": the combined name, description and option/choice
# names, descriptions and values of a command may not exceed 8000 characters; an app can have
# up to 100 global CHAT_INPUT commands (30032 "Maximum number of application commands reached").
# https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-naming,
# https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-structure,
# https://discord.com/developers/docs/interactions/application-commands#registering-a-command
NAME_LENGTH = 32
NAME_PUNCTUATION = frozenset("-_'")
#: Scripts whose every character (vowel signs and other marks too) the naming rule allows.
NAME_SCRIPTS = ("DEVANAGARI ", "THAI ")
DESCRIPTION_MAX = 100
OPTIONS_LIMIT = 25
CHOICES_LIMIT = 25
CHOICE_LIMIT = 100
COMMAND_TOTAL_LIMIT = 8000
GLOBAL_COMMANDS_LIMIT = 100
# Receiving and Responding, "Autocomplete": up to 25 choices (choice name/value 1-100).
# https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-autocomplete
AUTOCOMPLETE_CHOICES = 25
# Reference, "Uploading Files": "The file upload size limit applies to each file in a request.
# The default limit is 10 MiB for all users [...] The `attachment_size_limit` value provided when
# working with interactions is calculated as the maximum of these values." Each file part is
# named `files[n]`. Opcodes and Status Codes, JSON Error Codes: 40005 "Request entity too large"
# (HTTP 413). https://discord.com/developers/docs/reference#uploading-files
DEFAULT_ATTACHMENT_SIZE = 10 * 1024 * 1024
FILE_FIELD = re.compile(r"files\[\d+\]")
ENTITY_TOO_LARGE = 40005
# Files per message: 10 (discord.py refuses more: "files parameter must be a list of up to 10
# elements"; Discord answers an `attachments` array over 10 with BASE_TYPE_MAX_LENGTH).
FILES_LIMIT = 10


@dataclass(frozen=True)
class Violation:
    status: int
    code: int
    path: str  # dotted field path for the `errors` tree ("" for a non-form error)
    error: str  # Discord's error code string, e.g. BASE_TYPE_MAX_LENGTH
    message: str


def _too_long(path: str, limit: int) -> Violation:
    return Violation(
        400, INVALID_FORM_BODY, path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
    )


_too_many = _too_long  # Discord reports a too-long array with the same error


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def message_violation(body: Mapping[str, Any] | None, *, files: int = 0) -> Violation | None:
    """The first rule a message payload (create message, webhook, interaction data) breaks;
    `files`: how many `files[n]` parts came with it."""
    for violation in _message_violations(body or {}, files):
        return violation
    return None


def files_violation(sizes: list[int], *, size_limit: int) -> Violation | None:
    """Too many files for one message, or one over the size limit (bytes)."""
    if len(sizes) > FILES_LIMIT:
        return _too_many("attachments", FILES_LIMIT)
    if any(size > size_limit for size in sizes):
        return Violation(413, ENTITY_TOO_LARGE, "", "", "Request entity too large")
    return None


def _message_violations(body: Mapping[str, Any], files: int = 0) -> Iterator[Violation]:
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    rows = body.get("components") or []
    # Message Resource, Create Message: "At least one of content, embeds, sticker_ids,
    # components, files[n], or poll is required."
    if not content and not embeds and not rows and not body.get("sticker_ids") and not files:
        yield Violation(400, EMPTY_MESSAGE, "", "", "Cannot send an empty message")
    if len(content) > CONTENT_LIMIT:
        yield _too_long("content", CONTENT_LIMIT)
    if len(embeds) > EMBEDS_LIMIT:
        yield _too_many("embeds", EMBEDS_LIMIT)
    total = 0
    for n, embed in enumerate(embeds):
        yield from _embed_violations(f"embeds.{n}", embed)
        total += _embed_size(embed)
    if total > EMBEDS_TOTAL_LIMIT:
        yield Violation(
            400,
            INVALID_FORM_BODY,
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBEDS_TOTAL_LIMIT}",
        )
    yield from _component_violations(rows)


def _embed_size(embed: Mapping[str, Any]) -> int:
    size = _length(embed.get("title")) + _length(embed.get("description"))
    size += _length((embed.get("footer") or {}).get("text"))
    size += _length((embed.get("author") or {}).get("name"))
    for f in embed.get("fields") or ():
        size += _length(f.get("name")) + _length(f.get("value"))
    return size


def _embed_violations(path: str, embed: Mapping[str, Any]) -> Iterator[Violation]:
    if _length(embed.get("title")) > TITLE_LIMIT:
        yield _too_long(f"{path}.title", TITLE_LIMIT)
    if _length(embed.get("description")) > DESCRIPTION_LIMIT:
        yield _too_long(f"{path}.description", DESCRIPTION_LIMIT)
    if _length((embed.get("footer") or {}).get("text")) > FOOTER_LIMIT:
        yield _too_long(f"{path}.footer.text", FOOTER_LIMIT)
    if _length((embed.get("author") or {}).get("name")) > AUTHOR_NAME_LIMIT:
        yield _too_long(f"{path}.author.name", AUTHOR_NAME_LIMIT)
    fields = embed.get("fields") or []
    if len(fields) > FIELDS_LIMIT:
        yield _too_many(f"{path}.fields", FIELDS_LIMIT)
    for i, f in enumerate(fields):
        if not f.get("name") or _length(f.get("name")) > FIELD_NAME_LIMIT:
            yield _too_long(f"{path}.fields.{i}.name", FIELD_NAME_LIMIT)
        if not f.get("value") or _length(f.get("value")) > FIELD_VALUE_LIMIT:
            yield _too_long(f"{path}.fields.{i}.value", FIELD_VALUE_LIMIT)


def _component_violations(rows: list[Any]) -> Iterator[Violation]:
    if len(rows) > ROWS_LIMIT:
        yield _too_many("components", ROWS_LIMIT)
    seen: set[str] = set()
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > BUTTONS_PER_ROW:
            yield _too_many(f"components.{r}.components", BUTTONS_PER_ROW)
        for b, item in enumerate(items):
            path = f"components.{r}.components.{b}"
            custom_id = item.get("custom_id")
            if _length(item.get("label")) > BUTTON_LABEL_LIMIT:
                yield _too_long(f"{path}.label", BUTTON_LABEL_LIMIT)
            if custom_id is None:
                continue
            if _length(custom_id) > CUSTOM_ID_LIMIT:
                yield _too_long(f"{path}.custom_id", CUSTOM_ID_LIMIT)
            if custom_id in seen:
                yield Violation(
                    400,
                    INVALID_FORM_BODY,
                    f"{path}.custom_id",
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    "Component custom id cannot be duplicated",
                )
            seen.add(custom_id)


def command_violation(commands: list[Mapping[str, Any]], *, is_global: bool) -> Violation | None:
    """The first rule a bulk overwrite of application commands breaks."""
    chat_input = [c for c in commands if c.get("type", 1) == 1]
    if is_global and len(chat_input) > GLOBAL_COMMANDS_LIMIT:
        return Violation(400, 30032, "", "", "Maximum number of application commands reached (100)")
    for n, command in enumerate(commands):
        for violation in _command_violations(str(n), command):
            return violation
    return None


def valid_command_name(name: str) -> bool:
    """Discord's rule: 1-32 of `-`, `_`, `'`, letters (\\p{L}), numbers (\\p{N}) and any
    Devanagari or Thai character, lower case where the letter has one."""
    if not 1 <= len(name) <= NAME_LENGTH or name != name.lower():
        return False
    return all(
        char in NAME_PUNCTUATION
        or unicodedata.category(char)[0] in "LN"
        or unicodedata.name(char, "").startswith(NAME_SCRIPTS)
        for char in name
    )


def _name_violation(path: str, name: Any) -> Violation | None:
    if not isinstance(name, str) or not valid_command_name(name):
        return Violation(
            400,
            INVALID_FORM_BODY,
            f"{path}.name",
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        )
    return None


def _description_violation(path: str, description: Any) -> Violation | None:
    if not isinstance(description, str) or not 1 <= len(description) <= DESCRIPTION_MAX:
        return _too_long(f"{path}.description", DESCRIPTION_MAX)
    return None


def _command_violations(path: str, command: Mapping[str, Any]) -> Iterator[Violation]:
    chat_input = command.get("type", 1) == 1
    checks = [_name_violation(path, command.get("name"))]
    if chat_input:
        checks.append(_description_violation(path, command.get("description")))
    yield from (c for c in checks if c is not None)
    yield from _option_violations(f"{path}.options", command.get("options") or [])
    if _command_size(command) > COMMAND_TOTAL_LIMIT:
        yield Violation(
            400,
            INVALID_FORM_BODY,
            path,
            "APPLICATION_COMMAND_TOO_LARGE",
            f"Command exceeds maximum size ({COMMAND_TOTAL_LIMIT})",
        )


def _option_violations(path: str, options: list[Any]) -> Iterator[Violation]:
    if len(options) > OPTIONS_LIMIT:
        yield _too_many(path, OPTIONS_LIMIT)
    for i, option in enumerate(options):
        here = f"{path}.{i}"
        for check in (
            _name_violation(here, option.get("name")),
            _description_violation(here, option.get("description")),
        ):
            if check is not None:
                yield check
        choices = option.get("choices") or []
        if len(choices) > CHOICES_LIMIT:
            yield _too_many(f"{here}.choices", CHOICES_LIMIT)
        yield from choice_violations(f"{here}.choices", choices)
        yield from _option_violations(f"{here}.options", option.get("options") or [])


def choice_violations(path: str, choices: list[Any]) -> Iterator[Violation]:
    for j, choice in enumerate(choices):
        if not 1 <= _length(choice.get("name")) <= CHOICE_LIMIT:
            yield _too_long(f"{path}.{j}.name", CHOICE_LIMIT)
        value = choice.get("value")
        if isinstance(value, str) and not 1 <= len(value) <= CHOICE_LIMIT:
            yield _too_long(f"{path}.{j}.value", CHOICE_LIMIT)


def _command_size(command: Mapping[str, Any]) -> int:
    size = _length(command.get("name")) + _length(command.get("description"))

    def walk(options: list[Any]) -> int:
        total = 0
        for option in options:
            total += _length(option.get("name")) + _length(option.get("description"))
            for choice in option.get("choices") or ():
                total += _length(choice.get("name")) + len(str(choice.get("value", "")))
            total += walk(option.get("options") or [])
        return total

    return size + walk(command.get("options") or [])


def autocomplete_violation(choices: list[Any]) -> Violation | None:
    if len(choices) > AUTOCOMPLETE_CHOICES:
        return _too_many("data.choices", AUTOCOMPLETE_CHOICES)
    for violation in choice_violations("data.choices", choices):
        return violation
    return None

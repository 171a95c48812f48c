"""What the real Slack Web API refuses, for the loopback mock (and the ack check in conftest).

Each rule names the documentation it comes from. `message_error(params)` answers the error
string Slack would put in `{"ok": false, "error": ...}` for a chat.postMessage /
chat.postEphemeral / response_url body, or None when Slack would accept it. The renderer's own
constants are deliberately NOT imported: the limits are written down here from the docs, so a
renderer that drifts from them fails a test.
"""

from __future__ import annotations

import json
from typing import Any

# https://docs.slack.dev/reference/block-kit/blocks ("You can include up to 50 blocks in each
# message, and 100 blocks in modals or Home tabs.")
MAX_BLOCKS = 50
# https://docs.slack.dev/reference/block-kit/blocks/section-block: "text ... Maximum length for
# the text in this field is 3000 characters"; "fields ... Maximum number of items is 10.
# Maximum length for the text in each item is 2000 characters."
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
# https://docs.slack.dev/reference/block-kit/blocks/header-block: "plain_text ... Maximum length
# for the text in this field is 150 characters."
MAX_HEADER = 150
# https://docs.slack.dev/reference/block-kit/blocks/context-block: "elements: An array of image
# elements and text objects. Maximum number of items is 10."
MAX_CONTEXT_ELEMENTS = 10
# https://docs.slack.dev/reference/block-kit/blocks/actions-block: "There is a maximum of 25
# elements in each action block."
MAX_ACTIONS_ELEMENTS = 25
# https://docs.slack.dev/reference/block-kit/block-elements/button-element: text "Maximum length
# for the text in this field is 75 characters"; action_id "Maximum length is 255 characters";
# value "Maximum length is 2000 characters"; url "Maximum length is 3000 characters";
# style "primary" or "danger".
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_BUTTON_VALUE = 2000
MAX_BUTTON_URL = 3000
BUTTON_STYLES = frozenset({"primary", "danger"})
# https://docs.slack.dev/reference/block-kit/blocks (every block): "block_id ... Maximum length
# for this field is 255 characters."
MAX_BLOCK_ID = 255
# https://docs.slack.dev/reference/block-kit/composition-objects/text-object: type is
# "plain_text" or "mrkdwn"; text "minimum of 1 and maximum of 3000 characters".
MAX_TEXT_OBJECT = 3000
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
# https://docs.slack.dev/reference/methods/chat.postMessage: "The text field ... truncat[es]
# messages containing more than 40,000 characters"; errors `msg_too_long` ("Message text is too
# long") and `no_text` ("No message text provided").
MAX_MESSAGE_TEXT = 40_000
# https://docs.slack.dev/reference/block-kit/blocks: the block types a message may carry.
MESSAGE_BLOCK_TYPES = frozenset(
    {"section", "header", "context", "actions", "divider", "image", "rich_text", "markdown"}
)

INVALID_BLOCKS = "invalid_blocks"


def _text_object(obj: Any, *, limit: int = MAX_TEXT_OBJECT, plain_only: bool = False) -> bool:
    if not isinstance(obj, dict) or obj.get("type") not in TEXT_TYPES:
        return False
    if plain_only and obj["type"] != "plain_text":
        return False
    text = obj.get("text")
    return isinstance(text, str) and 1 <= len(text) <= limit


def _button(el: dict[str, Any]) -> bool:
    if not _text_object(el.get("text"), limit=MAX_BUTTON_TEXT, plain_only=True):
        return False
    if len(str(el.get("action_id", ""))) > MAX_ACTION_ID:
        return False
    if len(str(el.get("value", ""))) > MAX_BUTTON_VALUE:
        return False
    if len(str(el.get("url", ""))) > MAX_BUTTON_URL:
        return False
    return "style" not in el or el["style"] in BUTTON_STYLES


def block_problem(block: Any) -> str | None:
    """Why Slack refuses `block` (a short reason for the mock's response_metadata), or None."""
    if not isinstance(block, dict):
        return "a block must be an object"
    kind = block.get("type")
    if kind not in MESSAGE_BLOCK_TYPES:
        return f"unknown block type {kind!r}"
    if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
        return "block_id longer than 255"
    if kind == "section":
        has_text = "text" in block
        fields = block.get("fields")
        if not has_text and not fields:
            return "section needs text or fields"
        if has_text and not _text_object(block["text"], limit=MAX_SECTION_TEXT):
            return "section text must be 1..3000 characters"
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= MAX_FIELDS:
                return "section fields must be 1..10 items"
            if not all(_text_object(f, limit=MAX_FIELD_TEXT) for f in fields):
                return "section field text must be 1..2000 characters"
    elif kind == "header":
        if not _text_object(block.get("text"), limit=MAX_HEADER, plain_only=True):
            return "header text must be plain_text of 1..150 characters"
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            return "context elements must be 1..10 items"
        for el in elements:
            if isinstance(el, dict) and el.get("type") == "image":
                continue
            if not _text_object(el):
                return "context text must be 1..3000 characters"
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= MAX_ACTIONS_ELEMENTS:
            return "actions elements must be 1..25 items"
        seen: set[str] = set()
        for el in elements:
            if not isinstance(el, dict):
                return "an action element must be an object"
            if el.get("type") == "button" and not _button(el):
                return "button text 1..75 plain_text, action_id <= 255, value <= 2000"
            # button-element docs: action_id "Should be unique among all other action_ids in
            # the containing block."
            action_id = el.get("action_id")
            if action_id is not None:
                if action_id in seen:
                    return f"duplicate action_id {action_id!r}"
                seen.add(str(action_id))
    return None


def blocks_problem(blocks: Any) -> str | None:
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "blocks are not JSON"
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > MAX_BLOCKS:
        return f"{len(blocks)} blocks; at most {MAX_BLOCKS} in a message"
    for i, block in enumerate(blocks):
        problem = block_problem(block)
        if problem is not None:
            return f"block {i}: {problem}"
    return None


def message_error(params: dict[str, Any]) -> tuple[str, str] | None:
    """(error, detail) Slack answers for this message body, or None when it is acceptable."""
    blocks = params.get("blocks")
    text = params.get("text")
    if blocks not in (None, "", []):
        problem = blocks_problem(blocks)
        if problem is not None:
            return INVALID_BLOCKS, problem
    elif not text:
        return "no_text", "neither text nor blocks"
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long", f"text is {len(text)} characters"
    return None


# Files: https://docs.slack.dev/reference/methods/files.getUploadURLExternal - required
# arguments `filename` ("Name of the file being uploaded") and `length` ("Size in bytes of the
# file being uploaded", an integer); it "returns an upload URL and a file ID". The bytes are then
# POSTed to that URL. https://docs.slack.dev/reference/methods/files.completeUploadExternal -
# required `files` ("Array of file ids and their corresponding (optional) titles", e.g.
# [{"id":"F044GKUHN9Z", "title":"slack-test"}]), optional `channel_id` ("If not specified the
# file will remain private"); "This method can only be called once" per upload. A missing or
# malformed argument answers `invalid_arguments`, a file id Slack does not know (or one already
# completed) `file_not_found`. (files.upload is retired: the mock does not answer it.)
INVALID_ARGUMENTS = "invalid_arguments"
FILE_NOT_FOUND = "file_not_found"


def upload_url_error(params: dict[str, Any]) -> tuple[str, str] | None:
    """What files.getUploadURLExternal answers for these arguments (None: accepted)."""
    if not str(params.get("filename") or "").strip():
        return INVALID_ARGUMENTS, "missing required field: filename"
    length = str(params.get("length", ""))
    if not length.isdigit() or int(length) < 1:
        return INVALID_ARGUMENTS, "missing required field: length (a positive integer)"
    return None


def completed_files(params: dict[str, Any]) -> list[dict[str, Any]] | tuple[str, str]:
    """The `files` of a files.completeUploadExternal call, or the (error, detail) Slack
    answers for a missing or malformed one."""
    files = params.get("files")
    if isinstance(files, str):
        try:
            files = json.loads(files)
        except ValueError:
            return INVALID_ARGUMENTS, "files is not JSON"
    if not isinstance(files, list) or not files:
        return INVALID_ARGUMENTS, "missing required field: files"
    if not all(isinstance(f, dict) and isinstance(f.get("id"), str) for f in files):
        return INVALID_ARGUMENTS, "each file needs an id"
    return files

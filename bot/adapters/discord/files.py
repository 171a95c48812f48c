"""Files on Discord messages: multipart bodies and Discord's limits on them.

Discord docs, Reference, "Uploading Files": a request with files replaces its JSON body by a
`multipart/form-data` body whose `payload_json` part is the JSON, and one `files[n]` part per
file (with a filename); the message's `attachments` refer to each by its index `n`. The size
limit applies to each file: 10 MiB by default, given per interaction as
`attachment_size_limit` (discord.py: `Interaction.filesize_limit`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any

import discord

from bot.messages import Attachment

#: Discord docs, Reference, "Uploading Files": "The default limit is 10 MiB for all users".
DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024
#: Files per message: discord.py refuses more ("files parameter must be a list of up to 10
#: elements"), as Discord does.
FILES_PER_MESSAGE = 10


def with_attachments(payload: dict[str, Any], files: Sequence[Attachment]) -> dict[str, Any]:
    """`payload` naming `files` in its `attachments` (ids are the `files[n]` indexes)."""
    if not files:
        return payload
    listed = [{"id": i, "filename": a.filename} for i, a in enumerate(files)]
    return {**payload, "attachments": listed}


def multipart(
    body: Any, files: Sequence[Attachment]
) -> tuple[list[dict[str, Any]], list[discord.File]]:
    """discord.py's `form` and `files` for an HTTP request carrying `files` beside `body`."""
    handles = [discord.File(io.BytesIO(a.content), filename=a.filename) for a in files]
    form: list[dict[str, Any]] = [{"name": "payload_json", "value": json.dumps(body)}]
    for i, (attachment, handle) in enumerate(zip(files, handles, strict=True)):
        form.append(
            {
                "name": f"files[{i}]",
                "value": handle.fp,
                "filename": attachment.filename,
                "content_type": attachment.content_type,
            }
        )
    return form, handles


def split_fitting(
    files: Sequence[Attachment], size_limit: int
) -> tuple[list[Attachment], list[str]]:
    """The files Discord accepts, and a line for each one too large to send."""
    fitting: list[Attachment] = []
    notes: list[str] = []
    for attachment in files:
        if len(attachment.content) <= size_limit:
            fitting.append(attachment)
        else:
            notes.append(
                f"{attachment.filename} ({len(attachment.content) / 1048576:.1f} MiB) is larger "
                f"than Discord accepts here ({size_limit / 1048576:.0f} MiB) and was not sent."
            )
    return fitting, notes


def batches(files: Sequence[Attachment]) -> list[list[Attachment]]:
    """Files in groups Discord takes on one message."""
    return [list(files[i : i + FILES_PER_MESSAGE]) for i in range(0, len(files), FILES_PER_MESSAGE)]

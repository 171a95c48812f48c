"""Answered confirmation prompts: a prompt's buttons (e.g. /privacy delete's Delete and Cancel)
work once. The first press claims the prompt by inserting its key; the key is unique, so of two
presses at once (two processes, or a double click) exactly one wins, and a restart does not
forget it. Keys are SHA-256 digests of the prompt's button value, so no user id is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import UTCDateTime

prompt_answers = sa.Table(
    "prompt_answers",
    metadata,
    sa.Column("prompt_key", sa.String(64), primary_key=True),
    sa.Column("answered_at", UTCDateTime, nullable=False, index=True),
)


def prompt_key(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class PromptAnswers:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, value: str, *, now: datetime, forget_after: timedelta) -> bool:
        """True for the first press of the prompt `value`, False once it was answered.

        Answers older than `forget_after` (longer than a prompt lives) are removed on the way.
        """
        async with self.db.transaction() as conn:
            await conn.execute(
                prompt_answers.delete().where(prompt_answers.c.answered_at < now - forget_after)
            )
            result = await conn.execute(
                insert_ignore(conn, prompt_answers).values(
                    prompt_key=prompt_key(value), answered_at=now
                )
            )
            return bool(result.rowcount == 1)

"""Button state behind short ids: a button whose `action:value` does not fit the platform's
custom id (Discord: 100 characters), or repeats another button's in one message, is sent with a
short id; the full custom id is kept here so a click still routes, also after a restart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database, insert_ignore
from storage.types import UTCDateTime

button_ids = sa.Table(
    "button_ids",
    metadata,
    sa.Column("short_id", sa.String(40), primary_key=True),
    sa.Column("custom_id", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


class ButtonIdStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, ids: Mapping[str, str], *, now: datetime) -> None:
        """Store short id -> full custom id (a short id always names the same custom id, so
        one already stored is left as it is)."""
        if not ids:
            return
        rows = [{"short_id": k, "custom_id": v, "created_at": now} for k, v in ids.items()]
        async with self.db.transaction() as conn:
            await conn.execute(insert_ignore(conn, button_ids), rows)

    async def get(self, short_id: str) -> str | None:
        async with self.db.transaction() as conn:
            row = await conn.execute(
                sa.select(button_ids.c.custom_id).where(button_ids.c.short_id == short_id)
            )
            value = row.scalar_one_or_none()
        return None if value is None else str(value)

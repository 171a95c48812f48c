"""Small named values the bot keeps about itself (e.g. the hash of the last command sync)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database
from storage.types import JSONText, UTCDateTime

bot_state = sa.Table(
    "bot_state",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JSONText, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


class StateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, key: str, default: Any = None) -> Any:
        async with self.db.transaction() as conn:
            row = (
                await conn.execute(sa.select(bot_state.c.value).where(bot_state.c.key == key))
            ).first()
        return default if row is None else row[0]

    async def set(self, key: str, value: Any, *, now: datetime) -> None:
        async with self.db.transaction() as conn:
            updated = await conn.execute(
                bot_state.update().where(bot_state.c.key == key).values(value=value, updated_at=now)
            )
            if not updated.rowcount:
                await conn.execute(bot_state.insert().values(key=key, value=value, updated_at=now))

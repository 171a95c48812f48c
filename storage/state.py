"""Small named values the bot keeps about itself (e.g. the hash of the last command sync)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.base import metadata
from storage.database import Database, dialect_insert
from storage.types import JSONText, UTCDateTime

bot_state = sa.Table(
    "bot_state",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", JSONText, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class StateRow:
    """A stored value and when it was set."""

    value: Any
    updated_at: datetime


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

    async def claim(
        self, key: str, value: Any, *, now: datetime, unless_set_after: datetime | None
    ) -> tuple[bool, StateRow | None]:
        """Set `key` to `value` unless it was set after `unless_set_after` (None: always), in
        one statement, so two processes cannot both claim it. Returns whether it was claimed
        and the row before, which `restore` puts back if the claimer gives up."""
        async with self.db.transaction() as conn:
            found = (
                await conn.execute(
                    sa.select(bot_state.c.value, bot_state.c.updated_at).where(
                        bot_state.c.key == key
                    )
                )
            ).first()
            insert = dialect_insert(conn, bot_state).values(key=key, value=value, updated_at=now)
            set_long_ago = (
                None if unless_set_after is None else bot_state.c.updated_at <= unless_set_after
            )
            upsert = insert.on_conflict_do_update(
                index_elements=[bot_state.c.key],
                set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
                where=set_long_ago,
            )
            claimed = (await conn.execute(upsert)).rowcount == 1
        return claimed, None if found is None else StateRow(found[0], found[1])

    async def restore(self, key: str, before: StateRow | None) -> None:
        """Put back the row `claim` replaced (None: there was none)."""
        async with self.db.transaction() as conn:
            if before is None:
                await conn.execute(bot_state.delete().where(bot_state.c.key == key))
            else:
                await conn.execute(
                    bot_state.update()
                    .where(bot_state.c.key == key)
                    .values(value=before.value, updated_at=before.updated_at)
                )

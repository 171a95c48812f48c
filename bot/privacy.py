"""The privacy registry: everything stored about a person, for `/privacy export` and `delete`.

Each part of the bot that stores data about members registers one entry (usually in its cog's
`setup()`):

```python
app.privacy.register(
    "dsa.progress",
    "DSA problems you solved and your streak",
    export=export_progress,   # async (PrivacySubject) -> JSON-safe value (empty when nothing)
    delete=delete_progress,   # async (PrivacySubject) -> number of items removed
)
```

A subject is a platform user (`platform`, `user_id`) across every community of that platform.
The core registers its own data (membership, personal schedules, outbox DMs, undeliverable
marks, DM channel ids, moderator grants, audit entries) in `register_core`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from storage import privacy as core_data
from storage.database import Database

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PrivacySubject:
    """The person whose data is exported or deleted."""

    platform: str
    user_id: str


ExportFn = Callable[[PrivacySubject], Awaitable[Any]]
DeleteFn = Callable[[PrivacySubject], Awaitable[int]]


def export_document(subject: PrivacySubject, data: dict[str, Any]) -> str:
    """The export as stable, pretty-printed JSON (two-space indents, keys sorted)."""
    document = {"platform": subject.platform, "user_id": subject.user_id, "data": data}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class PrivacyEntry:
    name: str
    description: str
    export: ExportFn
    delete: DeleteFn


class PrivacyRegistry:
    def __init__(self) -> None:
        self._entries: dict[str, PrivacyEntry] = {}

    def register(self, name: str, description: str, *, export: ExportFn, delete: DeleteFn) -> None:
        """Declare a kind of personal data; `name` is its key in the export (unique)."""
        if name in self._entries:
            raise ValueError(f"privacy entry {name!r} is registered twice")
        self._entries[name] = PrivacyEntry(name, description, export, delete)

    def register_table(
        self,
        name: str,
        description: str,
        db: Database,
        table: sa.Table,
        *,
        user_column: str = "user_id",
    ) -> None:
        """Register a feature table keyed by `community_id` and a platform user id column."""

        async def export(s: PrivacySubject) -> Any:
            return await core_data.export_member_rows(
                db, table, s.platform, s.user_id, user_column=user_column
            )

        async def delete(s: PrivacySubject) -> int:
            return await core_data.delete_member_rows(
                db, table, s.platform, s.user_id, user_column=user_column
            )

        self.register(name, description, export=export, delete=delete)

    @property
    def entries(self) -> list[PrivacyEntry]:
        return [self._entries[n] for n in sorted(self._entries)]

    async def export(self, subject: PrivacySubject) -> dict[str, Any]:
        """Every entry's data about `subject` (entries with nothing stored are left out)."""
        out: dict[str, Any] = {}
        for entry in self.entries:
            data = await entry.export(subject)
            if data:
                out[entry.name] = data
        return out

    async def delete(self, subject: PrivacySubject) -> dict[str, int]:
        """Delete everything about `subject`; entry name -> items removed (all attempted)."""
        removed: dict[str, int] = {}
        failed: list[str] = []
        for entry in self.entries:
            try:
                removed[entry.name] = await entry.delete(subject)
            except Exception:
                log.exception("privacy delete failed for %s", entry.name)
                failed.append(entry.name)
        if failed:
            raise PrivacyDeleteError(failed, removed)
        return removed


class PrivacyDeleteError(Exception):
    """Some entries could not be deleted (the others were)."""

    def __init__(self, failed: list[str], removed: dict[str, int]) -> None:
        super().__init__(f"could not delete: {', '.join(failed)}")
        self.failed = failed
        self.removed = removed


def register_core(app: Application) -> None:
    """Register the data the core itself stores about members."""
    db = app.db

    def entry(
        name: str,
        description: str,
        export: Callable[..., Awaitable[Any]],
        delete: Callable[..., Awaitable[int]],
    ) -> None:
        async def do_export(s: PrivacySubject) -> Any:
            return await export(db, s.platform, s.user_id)

        async def do_delete(s: PrivacySubject) -> int:
            return await delete(db, s.platform, s.user_id)

        app.privacy.register(name, description, export=do_export, delete=do_delete)

    entry(
        "memberships",
        "Communities where you used the bot: your display name, first and last use",
        core_data.export_memberships,
        core_data.delete_memberships,
    )

    async def delete_schedules(database: Any, platform: str, user_id: str) -> int:
        count = await core_data.delete_personal_schedules(database, platform, user_id)
        if count and app.schedules.running:
            await app.schedules.sync()  # disarm their timers now
        return count

    entry(
        "personal_schedules",
        "Your personal schedules (e.g. DSA reminders) and their run history",
        core_data.export_personal_schedules,
        delete_schedules,
    )
    entry(
        "direct_messages",
        "Direct messages the bot queued or sent to you, with their delivery status",
        core_data.export_direct_messages,
        core_data.delete_direct_messages,
    )
    entry(
        "undeliverable",
        "Whether your DMs are marked undeliverable (DMs closed), and why",
        core_data.export_undeliverable,
        core_data.delete_undeliverable,
    )
    entry(
        "dm_channel",
        "The id of your DM channel with the bot (saves an API call per DM)",
        core_data.export_dm_channel,
        core_data.delete_dm_channel,
    )
    entry(
        "moderator_grants",
        "Communities where you were made a bot moderator by user",
        core_data.export_moderator_grants,
        core_data.delete_moderator_grants,
    )
    entry(
        "audit_log",
        "Moderator actions you took (on delete your name and id are removed, the action kept)",
        core_data.export_audit,
        core_data.anonymise_audit,
    )

"""QUOTA_PUBLISH_NOW_MINUTES: `/digest publish-now` at most once per window unless confirmed.

Each publish DMs every subscriber, so a second one within the window (a double click, an
impatient moderator) is refused with when the last one went out and how to publish anyway
(`confirm:true`). The last publish time is kept in the database (bot_state), per community, so
it holds across restarts and processes; it is claimed before publishing, atomically, and given
back if nothing went out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.commands.errors import UserError
from storage.state import StateRepository, StateRow

if TYPE_CHECKING:
    from bot.app import Application


class PublishNowQuota:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.state = StateRepository(app.db)

    @staticmethod
    def _key(community_id: int) -> str:
        return f"digest.publish_now.last:{community_id}"

    async def claim(self, community_id: int, *, confirmed: bool) -> StateRow | None:
        """Take this window's publish for the community, or raise UserError when it published
        within the window (unless confirmed). The check and the record are one statement, so
        two processes (or two clicks) cannot both publish. Returns what `give_back` needs."""
        minutes = self.app.settings.quota_publish_now_minutes
        now = self.app.clock.now()
        window = None if confirmed or minutes <= 0 else now - timedelta(minutes=minutes)
        claimed, before = await self.state.claim(
            self._key(community_id), now.isoformat(), now=now, unless_set_after=window
        )
        if claimed:
            return before
        last = before.updated_at if before is not None else now
        minutes_ago = int((now - last).total_seconds() // 60)
        ago = f"{minutes_ago} min ago" if minutes_ago else "less than a minute ago"
        raise UserError(
            f"An issue was published {ago}; publishing again sends every subscriber "
            f"another DM. The limit is once per {minutes:g} min (QUOTA_PUBLISH_NOW_MINUTES).",
            hint="To publish anyway, run /digest publish-now confirm:true.",
        )

    async def give_back(self, community_id: int, before: StateRow | None) -> None:
        """Undo `claim` when nothing was published, so the moderator can try again at once."""
        await self.state.restore(self._key(community_id), before)

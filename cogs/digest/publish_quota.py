"""QUOTA_PUBLISH_NOW_MINUTES: `/digest publish-now` at most once per window unless confirmed.

Each publish DMs every subscriber, so a second one within the window (a double click, an
impatient moderator) is refused with when the last one went out and how to publish anyway
(`confirm:true`). The last publish time is kept in the database (bot_state), per community, so
it holds across restarts and processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.commands.errors import UserError
from storage.state import StateRepository

if TYPE_CHECKING:
    from bot.app import Application


class PublishNowQuota:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.state = StateRepository(app.db)

    @staticmethod
    def _key(community_id: int) -> str:
        return f"digest.publish_now.last:{community_id}"

    async def check(self, community_id: int, *, confirmed: bool) -> None:
        """Raise UserError when the community published within the window (unless confirmed)."""
        minutes = self.app.settings.quota_publish_now_minutes
        if confirmed or minutes <= 0:
            return
        last_text = await self.state.get(self._key(community_id))
        if not last_text:
            return
        last = datetime.fromisoformat(str(last_text))
        elapsed = self.app.clock.now() - last
        if elapsed >= timedelta(minutes=minutes):
            return
        ago = max(1, int(elapsed.total_seconds() // 60))
        raise UserError(
            f"An issue was published {ago} min ago; publishing again sends every subscriber "
            f"another DM. The limit is once per {minutes:g} min (QUOTA_PUBLISH_NOW_MINUTES).",
            hint="To publish anyway, run /digest publish-now confirm:true.",
        )

    async def record(self, community_id: int) -> None:
        now = self.app.clock.now()
        await self.state.set(self._key(community_id), now.isoformat(), now=now)

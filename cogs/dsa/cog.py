"""`/dsa ...`: the community's problems of the day, personal reminders, progress and streaks.

Scheduled work: `dsa.daily` posts the day's problems to a channel (moderators create it with
`/schedule dsa`); `dsa.reminder` DMs one member a problem picked for them (a PERSONAL schedule
created by `/dsa remind set`, stored through the schedule service).

The cog is one class made of mixins, one per behaviour: `practice` (members' commands),
`community` (the daily post and its settings), `reminders` and `hints` (the approach on
request); what they share lives in `base`.
"""

from __future__ import annotations

from cogs.dsa.base import DsaBase
from cogs.dsa.community import CommunityPosts
from cogs.dsa.hints import HintCommands
from cogs.dsa.practice import PracticeCommands
from cogs.dsa.reminders import ReminderCommands
from storage.dsa import dsa_picks, dsa_skips, dsa_solves


class DsaCog(PracticeCommands, CommunityPosts, ReminderCommands, HintCommands, DsaBase):
    name = "dsa"
    description = "DSA practice: problems of the day, personal reminders, progress and streaks."
    groups = {"dsa": "DSA interview practice: daily problems, reminders, streaks"}

    async def setup(self) -> None:
        register = self.app.privacy.register_table
        db = self.app.db
        register("dsa_solves", "DSA problems you marked solved, and on which day", db, dsa_solves)
        register("dsa_skips", "DSA problems you skipped", db, dsa_skips)
        register("dsa_picks", "Problems picked for your reminders", db, dsa_picks)

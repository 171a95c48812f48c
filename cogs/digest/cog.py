"""The weekly tips digest: `/digest ...`, `/tip`, `/tips topics`, and the `digest` job kind.

A community's digest schedule (created with `/schedule digest`, issue 3) runs the `digest` job:
it composes the next issue, stores it as sent, and returns the channel post plus one DM per
subscriber, which the scheduler hands to the outbox. `/digest publish-now` runs the same
schedule immediately, so a manual issue takes exactly the same path.

The cog is one class made of mixins, one per behaviour: `pipeline` (the job), `subscriptions`,
`tips`, `moderation` and `web_commands`; what they share lives in `base`.
"""

from __future__ import annotations

from typing import Any

from bot.privacy import PrivacySubject
from cogs.digest.base import DigestBase
from cogs.digest.forget import forget_in_issues
from cogs.digest.moderation import ModeratorCommands
from cogs.digest.pipeline import IssuePipeline
from cogs.digest.subscriptions import SubscriptionCommands
from cogs.digest.tips import TipCommands
from cogs.digest.web_commands import DigestWebCommands
from storage.digest import digest_subscriptions


class DigestCog(
    SubscriptionCommands,
    IssuePipeline,
    TipCommands,
    ModeratorCommands,
    DigestWebCommands,
    DigestBase,
):
    name = "digest"
    description = "The weekly tips digest, subscriptions, and tips on demand."
    groups = {
        "digest": "The weekly tips digest: subscribe, read past issues, moderate the next one",
        "tip": "A tip for aspiring ML engineers, now",
        "tips": "Browse the tips library",
    }

    async def setup(self) -> None:
        if self.app.http is not None:
            self.web_pages.mount(self.app.http)
        self.app.privacy.register_table(
            "digest_subscriptions",
            "Your digest subscription: how it reaches you and since when",
            self.app.db,
            digest_subscriptions,
        )

        async def forget(subject: PrivacySubject) -> int:
            changed = await forget_in_issues(self.app.db, subject)
            if changed:
                self.web_pages.forget()
            return changed

        async def nothing_to_export(subject: PrivacySubject) -> Any:
            return None  # the issues are the community's; the name is removed on delete

        # Sorted before `digest_subscriptions` and `members`, whose names it reads.
        self.app.privacy.register(
            "digest_issue_names",
            "Your name in past digest issues (mentions and streaks), removed from them",
            export=nothing_to_export,
            delete=forget,
        )

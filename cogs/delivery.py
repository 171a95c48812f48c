"""`/delivery status`: moderators see how the bot's own posts and DMs are getting out."""

from __future__ import annotations

from bot.cog import Cog, command
from bot.commands.context import Context
from bot.commands.registry import Permission
from bot.delivery.status import build_report, readable_run_label, to_message
from storage.outbox import community_filter


class DeliveryCog(Cog):
    name = "delivery"
    description = "Shows the progress of scheduled posts and DMs."
    groups = {"delivery": "How the bot's scheduled posts and DMs are getting out"}

    @command(
        "delivery status",
        "Sent, pending and failed messages of the latest scheduled runs",
        permission=Permission.MODERATOR,
        private=True,
        examples=("/delivery status",),
    )
    async def status(self, ctx: Context) -> None:
        community = ctx.community
        where = community_filter(community.platform, community.external_id)
        report = await build_report(self.app.delivery.store, where=where)
        views = await self.app.schedules.list_community(community.id)
        names = {v.schedule.id: v.schedule.name for v in views}
        zone = community.timezone
        await ctx.reply(to_message(report, lambda key: readable_run_label(key, names, zone)))

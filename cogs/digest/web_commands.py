"""`/digest web on <slug>` and `/digest web off`: moderators publish the archive on the web.

A mixin of the digest cog; the pages themselves are `cogs.digest.web.DigestWebPages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import OptionError, UserError
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Message, Tone
from cogs.digest.web import DigestWebPages
from cogs.digest.web_addresses import archive_path, feed_path, public_url, slug_problem
from storage.digest_web import DigestWebRepository, SlugTaken

if TYPE_CHECKING:
    from bot.app import Application


class DigestWebCommands:
    """Moderator commands that switch a community's public archive on and off."""

    app: Application
    archives: DigestWebRepository
    web_pages: DigestWebPages

    @command(
        "digest web on",
        "Publish the digest archive and feed on the web under a short name",
        Option(
            "slug",
            OptionType.STRING,
            "Short web name, e.g. ml-learners",
            required=True,
            min_length=2,
            max_length=40,
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/digest web on ml-learners",),
        help="Pages show the tips, resource and problem of each issue, and figures; "
        "never a member's name.",
    )
    async def web_on(self, ctx: Context, slug: str) -> None:
        slug = slug.strip().lower()
        problem = slug_problem(slug)
        if problem is not None:
            raise OptionError("slug", problem)
        now = self.app.clock.now()
        try:
            before, after = await self.archives.enable(
                ctx.community.id, slug, by=ctx.actor.display_name, now=now
            )
        except SlugTaken:
            raise UserError(
                f"The web name `{slug}` is, or was, another community's.",
                hint="Pick another one, e.g. with your community's name in it.",
            ) from None
        self.web_pages.forget()
        await ctx.audit(
            "digest.web.on",
            "digest:web",
            before.slug if before and before.enabled else None,
            after.slug,
        )
        await ctx.reply(
            Message(
                title="The digest archive is on the web",
                body=_where(self.app.settings.public_base_url, slug)
                + (
                    f"\n\nLinks to the old name `{before.slug}` now lead here, and it stays "
                    "yours: no other community can take it."
                    if before is not None and before.slug != slug
                    else ""
                ),
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "digest web off",
        "Stop publishing the digest archive on the web",
        permission=Permission.MODERATOR,
        private=True,
    )
    async def web_off(self, ctx: Context) -> None:
        now = self.app.clock.now()
        before = await self.archives.disable(ctx.community.id, by=ctx.actor.display_name, now=now)
        if before is None:
            await ctx.reply("The digest archive is not on the web; nothing to stop.")
            return
        self.web_pages.forget()
        await ctx.audit("digest.web.off", "digest:web", before.slug, None)
        await ctx.reply(
            Message(
                body=f"The web archive `{before.slug}` is no longer served. "
                f"`/digest web on {before.slug}` brings it back at the same address.",
                tone=Tone.SUCCESS,
            )
        )


def _where(base: str | None, slug: str) -> str:
    index = public_url(base, archive_path(slug))
    feed = public_url(base, feed_path(slug))
    if index and feed:
        return (
            f"Past issues: {index}\nAtom feed for feed readers: {feed}\n\n"
            "New issues appear there as they are published, and the channel post links "
            "to its web copy."
        )
    return (
        f"The bot's HTTP server serves it at `{archive_path(slug)}` (feed: `{feed_path(slug)}`). "
        "Ask whoever runs the bot to set PUBLIC_BASE_URL to its public address, so that "
        "/digest archive and the channel posts can link to it."
    )

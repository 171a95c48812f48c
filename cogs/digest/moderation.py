"""Moderators' digest commands: the note, a pinned tip, publish now."""

from __future__ import annotations

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import OptionError, UsageError
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Message, Tone
from bot.sanitize import clean_line
from bot.scheduling.runs import RunResult
from cogs.digest.base import (
    CLEAR_WORDS,
    JOB_KIND,
    MAX_NOTE,
    DigestBase,
    _tip_choices,
)
from cogs.digest.issue_gap import refuse_if_too_soon
from cogs.digest.publish_quota import PublishNowQuota
from storage.schedules import Schedule


class ModeratorCommands(DigestBase):
    """Moderators' digest commands: the note, a pinned tip, publish now."""

    @command(
        "digest note",
        "Write the moderators' note for the next issue ('clear' removes it)",
        Option(
            "text", OptionType.STRING, "The note, up to 500 characters", required=True, rest=True
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/digest note Welcome to our 40 new members!", "/digest note clear"),
    )
    async def note(self, ctx: Context, text: str) -> None:
        if text.strip().lower() in CLEAR_WORDS:
            before, _ = await self.repo.set_next(
                ctx.community.id, now=self.app.clock.now(), note=None, note_by=None
            )
            await ctx.audit("digest.note", "digest:next", before.note, None)
            await ctx.reply(
                "Note removed; the next issue has none."
                if before.note
                else "There was no note to remove."
            )
            return
        try:
            cleaned = clean_line(text, max_length=MAX_NOTE)
        except ValueError as exc:
            raise OptionError("text", f"the note {exc}.") from None
        before, _ = await self.repo.set_next(
            ctx.community.id,
            now=self.app.clock.now(),
            note=cleaned,
            note_by=ctx.actor.display_name,
        )
        await ctx.audit("digest.note", "digest:next", before.note, cleaned)
        verb = "replaced" if before.note else "saved"
        await ctx.reply(
            Message(
                body=f"Note {verb}; it opens the next issue:\n\n> {cleaned}\n\n"
                "See it in place with `/digest preview`.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "digest pin",
        "Make a tip the next issue's headline ('clear' unpins)",
        Option(
            "tip",
            OptionType.STRING,
            "Tip id (type to search titles)",
            required=True,
            autocomplete=_tip_choices,
            max_length=100,
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/digest pin baseline-first", "/digest pin clear"),
    )
    async def pin(self, ctx: Context, tip: str) -> None:
        wanted = tip.strip().lower()
        if wanted in CLEAR_WORDS:
            before, _ = await self.repo.set_next(
                ctx.community.id, now=self.app.clock.now(), pinned_tip=None, pinned_by=None
            )
            await ctx.audit("digest.pin", "digest:next", before.pinned_tip, None)
            await ctx.reply(
                "Unpinned; the next headline comes from the rotation."
                if before.pinned_tip
                else "No tip was pinned."
            )
            return
        found = self.library.get(wanted)
        if found is None:
            matches = [t for t in self.library if wanted in t.title.lower() or wanted in t.id]
            hint = (
                "Did you mean: " + ", ".join(f"`{t.id}`" for t in matches[:5]) + "?"
                if matches
                else "Type part of a title to search, or see `/tips topics`."
            )
            raise OptionError("tip", f"there is no tip with id {tip!r}.", hint=hint)
        before, _ = await self.repo.set_next(
            ctx.community.id,
            now=self.app.clock.now(),
            pinned_tip=found.id,
            pinned_by=ctx.actor.display_name,
        )
        await ctx.audit("digest.pin", "digest:next", before.pinned_tip, found.id)
        await ctx.reply(
            Message(
                body=f"Pinned: **{found.title}** will headline the next issue.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "digest publish-now",
        "Post the next issue now, through the normal delivery path",
        Option("schedule", OptionType.STRING, "Which digest schedule, if there are several"),
        Option(
            "confirm",
            OptionType.BOOLEAN,
            "Publish although an issue went out in the last 20 hours (each one DMs subscribers)",
        ),
        permission=Permission.MODERATOR,
        private=True,
    )
    async def publish_now(self, ctx: Context, schedule: str | None, confirm: bool | None) -> None:
        quota = PublishNowQuota(self.app)
        before = await quota.claim(ctx.community.id, confirmed=bool(confirm))
        published = False
        try:
            chosen, result = await self._publish(ctx, schedule, confirm=bool(confirm))
            published = True
        finally:
            if not published:  # refused, failed or cancelled: the window is not used up
                await quota.give_back(ctx.community.id, before)
        issue = await self.repo.latest(ctx.community.id)
        number = f"Issue #{issue.number}" if issue else "The issue"
        where = f"#{chosen.channel_name}" if chosen.channel_name else "no channel"
        await ctx.reply(
            Message(
                body=f"{number} is published to {where}: {result.outcome}.",
                tone=Tone.SUCCESS,
            )
        )

    async def _publish(
        self, ctx: Context, schedule: str | None, *, confirm: bool
    ) -> tuple[Schedule, RunResult]:
        """Check the 20-hour gap, choose the digest schedule and run it now; raise what the
        moderator should read when it cannot go out."""
        if not confirm:
            refuse_if_too_soon(
                await self.repo.latest(ctx.community.id),
                self.app.clock.now(),
                hint="To publish anyway, run /digest publish-now confirm:true.",
            )
        schedules = [
            v.schedule
            for v in await self.app.schedules.list_community(ctx.community.id)
            if v.schedule.kind == JOB_KIND
        ]
        if schedule is not None:
            chosen = await self.app.schedules.get(ctx.community.id, schedule.strip().lower())
            if chosen.kind != JOB_KIND:
                raise OptionError("schedule", f"{chosen.name!r} is not a digest schedule.")
        elif not schedules:
            raise UsageError(
                "There is no digest schedule here yet, so there is no channel to post to.",
                hint="Create one first, e.g. /schedule digest #announcements weekly mon 09:00",
            )
        else:
            chosen = schedules[0]
        await ctx.defer()
        result = await self.app.schedules.run_now(chosen, actor=ctx.actor)
        if result.status != "done":
            raise UsageError(f"The issue could not be published: {result.outcome}")
        return chosen, result

"""`/privacy export` and `/privacy delete`: what the bot stores about you, and removing it.

The data comes from the core's privacy registry (`app.privacy`), where every part of the bot
that stores something about members registers an export and a delete function.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.cog import Cog, action, command
from bot.commands.context import ActionContext, BaseContext, Context
from bot.commands.errors import PermissionDenied
from bot.messages import Attachment, Button, ButtonStyle, Field, Message, Tone
from bot.privacy import PrivacyDeleteError, PrivacySubject, export_document
from storage.prompts import PromptAnswers

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
CONFIRM = "privacy.delete"
CANCEL = "privacy.cancel"
#: A deletion prompt's buttons stop working after this long.
PROMPT_TTL = timedelta(minutes=10)

if TYPE_CHECKING:
    from bot.app import Application


def _subject(ctx: BaseContext) -> PrivacySubject:
    return PrivacySubject(platform=ctx.actor.platform, user_id=ctx.actor.user_id)


class PrivacyCog(Cog):
    name = "privacy"
    description = "Shows you what the bot stores about you, and deletes it."
    groups = {"privacy": "See or delete what the bot stores about you"}

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        #: Prompts already answered, in the database: their buttons work once, also after a
        #: restart and across processes.
        self.answers = PromptAnswers(app.db)

    def _prompt_value(self, user_id: str) -> str:
        """`user:issued-at:nonce` — whose prompt, when it was asked, and which one."""
        issued = int(self.app.clock.now().timestamp())
        return f"{user_id}:{issued}:{secrets.token_hex(4)}"

    def _prompt(self, value: str) -> Message:
        """The deletion prompt whose buttons carry `value` (rebuilt to show it answered)."""
        return Message(
            title="Delete your data?",
            body=(
                "This removes what the bot stores about you on this platform, in every "
                "community: your reminders and other personal schedules, progress, "
                "subscriptions, queued direct messages and delivery marks. Moderator "
                "actions you took stay in the audit log without your name. It cannot be "
                "undone; using the bot again starts afresh. The buttons work once, for 10 "
                "minutes."
            ),
            fields=tuple(
                Field(e.name, e.description, inline=False) for e in self.app.privacy.entries
            ),
            buttons=(
                Button("Delete my data", CONFIRM, value, ButtonStyle.DANGER),
                Button("Cancel", CANCEL, value, ButtonStyle.SECONDARY),
            ),
            tone=Tone.WARNING,
            private=True,
        )

    async def _answer(self, ctx: ActionContext, value: str, chosen: str) -> bool:
        """Whether this press of a prompt's button counts: the presser's own prompt, not yet
        answered and not expired. The prompt is updated to show its buttons disabled (and
        why); otherwise says why and returns False."""
        user, issued = _parse_prompt(value)
        if user != ctx.actor.user_id:
            raise PermissionDenied("This button deletes someone else's data: it is not yours.")
        now = self.app.clock.now()
        if issued is None or now - issued > PROMPT_TTL:
            await ctx.update_message(self._prompt(value).with_buttons_disabled("Expired."))
            await ctx.reply(
                Message(
                    body="These buttons expired (they work for 10 minutes). Nothing was "
                    "deleted; run `/privacy delete` again.",
                    private=True,
                )
            )
            return False
        if not await self.answers.claim(value, now=now, forget_after=2 * PROMPT_TTL):
            await ctx.update_message(self._prompt(value).with_buttons_disabled("Answered."))
            await ctx.reply(
                Message(
                    body="This question was already answered. Run `/privacy delete` again to "
                    "be asked afresh.",
                    private=True,
                )
            )
            return False
        await ctx.update_message(self._prompt(value).with_buttons_disabled(f"You chose: {chosen}."))
        return True

    @command(
        "privacy export",
        "Get everything the bot stores about you, as a JSON file (only you see it)",
        private=True,
        examples=("/privacy export",),
    )
    async def export(self, ctx: Context) -> None:
        subject = _subject(ctx)
        data = await self.app.privacy.export(subject)
        document = export_document(subject, data).encode()
        kinds = ", ".join(sorted(data)) or "nothing besides your user id"
        await ctx.reply(
            Message(
                title="What the bot stores about you",
                body=f"Stored: {kinds}.\nThe attached file `{self._filename(subject)}` holds "
                "all of it, as JSON.",
                attachments=(Attachment(self._filename(subject), document, "application/json"),),
                private=True,
            )
        )

    def _filename(self, subject: PrivacySubject) -> str:
        """`mlebot-data-discord-1234-20260105T080000Z.json` (safe characters only)."""
        stamp = self.app.clock.now().strftime("%Y%m%dT%H%M%SZ")
        user = _UNSAFE.sub("_", subject.user_id)[:64]
        return f"mlebot-data-{subject.platform}-{user}-{stamp}.json"

    @command(
        "privacy delete",
        "Delete everything the bot stores about you (asks for confirmation)",
        private=True,
        examples=("/privacy delete",),
    )
    async def delete(self, ctx: Context) -> None:
        await ctx.reply(self._prompt(self._prompt_value(ctx.actor.user_id)))

    @action(CONFIRM)
    async def confirm(self, ctx: ActionContext, value: str) -> None:
        if not await self._answer(ctx, value, "Delete my data"):
            return
        try:
            removed = await self.app.privacy.delete(_subject(ctx))
        except PrivacyDeleteError as exc:
            await ctx.reply(
                Message(
                    body=(
                        "Some of your data could not be deleted ("
                        + ", ".join(exc.failed)
                        + "); the rest was. Please try again in a few minutes."
                    ),
                    tone=Tone.ERROR,
                    private=True,
                )
            )
            return
        total = sum(removed.values())
        detail = ", ".join(f"{name}: {n}" for name, n in removed.items() if n) or "nothing stored"
        await ctx.reply(
            Message(
                title="Your data was deleted",
                body=f"{total} item{'' if total == 1 else 's'} removed ({detail}).",
                tone=Tone.SUCCESS,
                private=True,
            )
        )

    @action(CANCEL)
    async def cancel(self, ctx: ActionContext, value: str) -> None:
        if not await self._answer(ctx, value, "Cancel"):
            return
        await ctx.reply(Message(body="Nothing was deleted.", private=True))


def _parse_prompt(value: str) -> tuple[str, datetime | None]:
    """(user id, when asked) from a prompt button's value; no time for an old-style value."""
    user, sep, _nonce = value.rpartition(":")
    if not sep:
        return value, None
    user, sep, issued = user.rpartition(":")
    if not sep or not issued.isdigit():
        return value, None
    return user, datetime.fromtimestamp(int(issued), UTC)

"""The suggestion workflow: members suggest, moderators review the queue, approve or reject."""

from __future__ import annotations

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import OptionError, UsageError
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Message, Tone
from cogs.resources import render, validate
from cogs.resources.base import (
    MAX_PENDING_PER_MEMBER,
    QUEUE_PAGE,
    ResourcesBase,
    _by_url,
)
from cogs.resources.options import (
    _DESCRIPTION,
    _NEW_ID,
    _SUGGESTION,
    _TITLE,
    _TOPICS,
    _URL,
    _cost_option,
    _level_option,
    _type_option,
)
from content.resources import (
    Resource,
    normalize_url,
)
from storage.resources import (
    APPROVED,
    REJECTED,
)


class SuggestionCommands(ResourcesBase):
    """The suggestion workflow: members suggest, moderators review the queue, approve or reject."""

    @command(
        "resource suggest",
        "Suggest a resource for the catalog (a moderator reviews it)",
        _URL,
        _TITLE,
        _type_option(required=True),
        _TOPICS,
        _DESCRIPTION,
        _level_option(),
        _cost_option(),
        private=True,
        examples=(
            '/resource suggest https://example.org/course "Great MLOps course" course mlops',
        ),
    )
    async def suggest(
        self,
        ctx: Context,
        url: str,
        title: str,
        type: str,
        topics: str,
        description: str | None,
        level: str | None,
        cost: str | None,
    ) -> None:
        clean_url = validate.url(url)
        clean_title = validate.title(title)
        topic_ids = validate.topics(topics)
        clean_description = validate.description(description)
        normalized = normalize_url(clean_url)
        index = await self._index(ctx)
        existing = _by_url(index, normalized)
        if existing is not None:
            raise UsageError(
                f"That page is already in the catalog: **{render.escape(existing.title)}** "
                f"(`{existing.id}`). See /resource show {existing.id}."
            )
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            waiting = await self.repo.pending_with_url(conn, ctx.community.id, normalized)
            if waiting is not None:
                raise UsageError(
                    f"That page was already suggested (#{waiting.id}) and is waiting for a "
                    "moderator."
                )
            mine = await self.repo.pending_count_by(conn, ctx.community.id, ctx.actor.user_id)
            if mine >= MAX_PENDING_PER_MEMBER:
                raise UsageError(
                    f"You already have {mine} suggestions waiting for a moderator. Please wait "
                    "until they are reviewed before suggesting more."
                )
            suggestion_id = await self.repo.suggest(
                conn,
                community_id=ctx.community.id,
                url=clean_url,
                normalized_url=normalized,
                title=clean_title,
                type=type,
                topics=topic_ids,
                description=clean_description,
                level=level,
                cost=cost,
                platform=ctx.actor.platform,
                suggested_by_id=ctx.actor.user_id,
                suggested_by_name=ctx.actor.display_name,
                now=now,
            )
            await ctx.audit(
                "resource.suggest",
                f"suggestion:{suggestion_id}",
                None,
                {"url": clean_url, "title": clean_title, "type": type, "topics": topic_ids},
                conn=conn,
            )
        await ctx.reply(
            Message(
                body=f"Thanks! Suggestion #{suggestion_id} (“{render.escape(clean_title)}”) "
                "is waiting for a moderator. I will send you a direct message with the outcome.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource queue",
        "List suggestions waiting for review",
        permission=Permission.MODERATOR,
        private=True,
    )
    async def queue(self, ctx: Context) -> None:
        total, pending = await self.repo.pending(ctx.community.id, limit=QUEUE_PAGE)
        if not pending:
            await ctx.reply("No suggestions are waiting. ✨")
            return
        more = total - len(pending)
        footer = (
            "Approve: /resource approve <number> [level] [cost] [id]. "
            "Reject: /resource reject <number> [reason]."
        )
        if more > 0:
            footer = f"{more} more waiting after these. " + footer
        await ctx.reply(
            Message(
                title=f"Suggestions waiting for review ({total})",
                sections=tuple(render.suggestion_section(s) for s in pending),
                footer=footer,
            )
        )

    @command(
        "resource approve",
        "Add a suggested resource to the catalog",
        _SUGGESTION,
        _level_option(),
        _cost_option(),
        _NEW_ID,
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource approve 3 level:beginner cost:free",),
    )
    async def approve(
        self,
        ctx: Context,
        suggestion: int,
        level: str | None,
        cost: str | None,
        id: str | None,
    ) -> None:
        found = await self._pending(ctx, suggestion)
        level = level or found.level
        cost = cost or found.cost
        if level is None:
            raise OptionError(
                "level",
                f"suggestion #{found.id} has none; add level:beginner, intermediate or advanced.",
            )
        if cost is None:
            raise OptionError(
                "cost", f"suggestion #{found.id} has none; add cost:free, freemium or paid."
            )
        index = await self._index(ctx)
        existing = _by_url(index, found.normalized_url)
        if existing is not None:
            raise UsageError(
                f"That page is already in the catalog as `{existing.id}`; reject the suggestion "
                f"with /resource reject {found.id} already listed."
            )
        taken = await self._taken_ids(ctx, index)
        new_id = validate.resource_id(id) if id else validate.slug(found.title, taken)
        if new_id in taken:
            raise OptionError("id", f"`{new_id}` is already used; choose another.")
        resource = Resource(
            id=new_id,
            title=found.title,
            url=found.url,
            type=found.type,
            topics=found.topics,
            level=level,
            cost=cost,
            description=found.description,
        )
        async with self.app.db.transaction() as conn:
            await self._decide(
                ctx,
                conn,
                found,
                APPROVED,
                resource_id=new_id,
                tell=f"Your suggestion “{render.escape(found.title)}” was approved and is now in "
                f"the catalog: /resource show {new_id}. Thank you!",
            )
            # The suggestion's URL was normalized the same way (`found.normalized_url`).
            await self._put(ctx, conn, new_id, resource, "resource.approve", old=None)
        await ctx.reply(
            Message(
                body=f"Approved #{found.id}: added `{new_id}` ({render.escape(found.title)}). "
                "It shows up in searches now, and the suggester will get a direct message.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource reject",
        "Decline a suggestion, optionally saying why",
        _SUGGESTION,
        Option(
            "reason", OptionType.STRING, "Why (sent to the suggester)", max_length=300, rest=True
        ),
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource reject 4 already covered by the fast.ai course",),
    )
    async def reject(self, ctx: Context, suggestion: int, reason: str | None) -> None:
        found = await self._pending(ctx, suggestion)
        clean_reason = (
            validate.plain_text("reason", reason, max_length=300)
            if reason and reason.strip()
            else None
        )
        because = f" Reason: {render.escape(clean_reason)}" if clean_reason else ""
        async with self.app.db.transaction() as conn:
            await self._decide(
                ctx,
                conn,
                found,
                REJECTED,
                reason=clean_reason,
                tell=f"Thanks for suggesting “{render.escape(found.title)}”. A moderator decided "
                f"not to add it this time.{because}",
            )
            await ctx.audit(
                "resource.reject",
                f"suggestion:{found.id}",
                None,
                {"reason": clean_reason},
                conn=conn,
            )
        await ctx.reply(
            Message(body=f"Rejected #{found.id}. The suggester will get a direct message.")
        )

"""Direct moderation of the catalog: `/resource add`, `edit`, `remove`."""

from __future__ import annotations

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.commands.registry import Option, OptionType, Permission
from bot.messages import Message, Tone
from cogs.resources import render, validate
from cogs.resources.base import (
    ResourcesBase,
    _check_unique_url,
    _did_you_mean,
    _shown,
)
from cogs.resources.catalog import resource_data
from cogs.resources.options import (
    _AUTHOR,
    _DESCRIPTION,
    _ID,
    _NEW_ID,
    _TITLE,
    _TOPICS,
    _URL,
    _cost_option,
    _level_option,
    _type_option,
)
from content.resources import (
    Resource,
)


class ModerationCommands(ResourcesBase):
    """Direct moderation of the catalog: `/resource add`, `edit`, `remove`."""

    @command(
        "resource add",
        "Add a resource to the catalog",
        _URL,
        _TITLE,
        _type_option(required=True),
        _TOPICS,
        _level_option(required=True),
        _cost_option(required=True),
        _DESCRIPTION,
        _AUTHOR,
        _NEW_ID,
        permission=Permission.MODERATOR,
        private=True,
        examples=('/resource add https://example.org "Example Course" course mlops beginner free',),
    )
    async def add(
        self,
        ctx: Context,
        url: str,
        title: str,
        type: str,
        topics: str,
        level: str,
        cost: str,
        description: str | None,
        author: str | None,
        id: str | None,
    ) -> None:
        clean_url = validate.url(url)
        clean_title = validate.title(title)
        index = await self._index(ctx)
        taken = await self._taken_ids(ctx, index)
        new_id = validate.resource_id(id) if id else validate.slug(clean_title, taken)
        if new_id in taken:
            raise OptionError("id", f"`{new_id}` is already used; choose another.")
        resource = Resource(
            id=new_id,
            title=clean_title,
            url=clean_url,
            type=type,
            topics=validate.topics(topics),
            level=level,
            cost=cost,
            description=validate.description(description),
            author=validate.author(author),
        )
        _check_unique_url(index, resource)
        await self._store(ctx, resource, "resource.add", old=None)
        await ctx.reply(
            Message(
                body=f"Added `{new_id}` ({render.escape(clean_title)}). It shows up in "
                "searches now.",
                tone=Tone.SUCCESS,
            )
        )

    @command(
        "resource edit",
        "Change fields of a resource",
        _ID,
        Option("title", OptionType.STRING, "New title", max_length=200),
        Option("url", OptionType.URL, "New web address"),
        _type_option(),
        Option("topics", OptionType.STRING, "New topics, comma-separated", max_length=200),
        _level_option(),
        _cost_option(),
        _DESCRIPTION,
        _AUTHOR,
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource edit made-with-ml level:intermediate",),
    )
    async def edit(
        self,
        ctx: Context,
        id: str,
        title: str | None,
        url: str | None,
        type: str | None,
        topics: str | None,
        level: str | None,
        cost: str | None,
        description: str | None,
        author: str | None,
    ) -> None:
        index = await self._index(ctx)
        current = index.get(id.strip().lower())
        if current is None:
            raise NotFound(f"There is no resource `{_shown(id)}`.", hint=_did_you_mean(index, id))
        if all(v is None for v in (title, url, type, topics, level, cost, description, author)):
            raise UsageError(
                "Say what to change, e.g. `/resource edit "
                f"{current.id} level:beginner` (title, url, type, topics, level, cost, "
                "description, author)."
            )
        updated = Resource(
            id=current.id,
            title=validate.title(title) if title is not None else current.title,
            url=validate.url(url) if url is not None else current.url,
            type=type or current.type,
            topics=validate.topics(topics) if topics is not None else current.topics,
            level=level or current.level,
            cost=cost or current.cost,
            description=(
                validate.description(description)
                if description is not None
                else current.description
            ),
            author=validate.author(author) if author is not None else current.author,
        )
        if updated == current:
            await ctx.reply(f"`{current.id}` already looks like that; nothing changed.")
            return
        if updated.normalized_url != current.normalized_url:
            _check_unique_url(index, updated)
        await self._store(ctx, updated, "resource.edit", old=resource_data(current))
        await ctx.reply(
            Message(body=f"Updated `{current.id}`.", tone=Tone.SUCCESS),
        )

    @command(
        "resource remove",
        "Remove a resource from this community's catalog",
        _ID,
        permission=Permission.MODERATOR,
        private=True,
        examples=("/resource remove some-old-course",),
    )
    async def remove(self, ctx: Context, id: str) -> None:
        index = await self._index(ctx)
        current = index.get(id.strip().lower())
        if current is None:
            raise NotFound(f"There is no resource `{_shown(id)}`.", hint=_did_you_mean(index, id))
        async with self.app.db.transaction() as conn:
            await self._put(
                ctx, conn, current.id, None, "resource.remove", old=resource_data(current)
            )
        await ctx.reply(
            Message(
                body=f"Removed `{current.id}` ({render.escape(current.title)}) from this "
                "community's catalog.",
                tone=Tone.SUCCESS,
            )
        )

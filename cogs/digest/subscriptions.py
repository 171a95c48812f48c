"""Members: subscribe, unsubscribe, status; read issues (preview, latest, archive)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.cog import command
from bot.commands.context import Context
from bot.commands.errors import NotFound
from bot.commands.registry import Choice, Option, OptionType
from bot.messages import Field, Link, Message, Tone
from bot.scheduling.jobs import Delivery, Destination
from cogs.digest.base import (
    ARCHIVE_PAGE,
    DELIVERY_CHOICES,
    _describe,
    _topic_choices,
)
from cogs.digest.pipeline import IssuePipeline
from cogs.digest.render import Audience, render_issue
from cogs.digest.web_addresses import archive_path, issue_path, public_url
from storage.digest import (
    Subscription,
)


class SubscriptionCommands(IssuePipeline):
    """Members: subscribe, unsubscribe, status; read issues (preview, latest, archive).

    Built on the pipeline: a preview composes the next issue exactly as the job would.
    """

    @command(
        "digest subscribe",
        "Get the weekly digest by DM (or a mention in the digest channel)",
        Option(
            "topics",
            OptionType.STRING,
            "Topics you care most about, e.g. mlops, interviews",
            max_length=300,
            autocomplete=_topic_choices,
            rest=True,
        ),
        Option(
            "delivery",
            OptionType.STRING,
            "How to get it: dm (default) or channel-mention",
            choices=tuple(Choice(c, c) for c in DELIVERY_CHOICES),
        ),
        private=True,
        examples=(
            "/digest subscribe",
            "/digest subscribe mlops, interviews",
            "/digest subscribe delivery:channel-mention",
        ),
    )
    async def subscribe(self, ctx: Context, topics: str | None, delivery: str | None) -> None:
        chosen = self.parse_topics(topics)
        existing = await self.repo.subscription(ctx.community.id, ctx.actor.user_id)
        mode = delivery or (existing.delivery if existing else "dm")
        if existing is not None and topics is None:
            chosen = existing.topics
        before, after = await self.repo.subscribe(
            ctx.community.id,
            ctx.actor.user_id,
            ctx.actor.display_name,
            topics=chosen,
            delivery=mode,
            now=self.app.clock.now(),
        )
        summary = _describe(after)
        if before is None:
            when = await self._next_issue_text(ctx.community)
            if after.delivery == "dm":
                await self._welcome_by_dm(ctx, after, when)
            await ctx.reply(
                Message(
                    title="You're subscribed to the weekly digest",
                    body=f"{summary}\n\n{when}\nChange it any time with `/digest subscribe`; "
                    "stop with `/digest unsubscribe`.",
                    tone=Tone.SUCCESS,
                )
            )
        elif before.topics == after.topics and before.delivery == after.delivery:
            await ctx.reply(
                Message(
                    body=f"You're already subscribed: {summary} Nothing changed.\n"
                    "To change topics or delivery, give them, e.g. `/digest subscribe mlops`.",
                )
            )
        else:
            await ctx.reply(Message(body=f"Subscription updated: {summary}", tone=Tone.SUCCESS))

    async def _welcome_by_dm(self, ctx: Context, subscription: Subscription, when: str) -> None:
        """A new DM subscriber's first DM, through the outbox. It shows them at once that DMs
        reach them, and the DM channel it opens is stored, so each weekly issue then costs the
        bot one request per subscriber instead of two."""
        destination = Destination.dm(ctx.community, ctx.actor.user_id, ctx.actor.display_name)
        message = Message(
            title="Welcome to the weekly digest",
            body=f"Each issue of the {ctx.community.name} digest will arrive here. {when}\n"
            "Read past issues with `/digest archive`; stop with `/digest unsubscribe`.",
        )
        # QUOTA_WELCOME_DM_HOURS: at most one welcome per member in any window of that many
        # hours, however often they unsubscribe and subscribe again. The run key names the
        # period (the outbox queues a key once per recipient); a welcome in the period before
        # counts too while it is younger than the window.
        key = f"digest-welcome:{ctx.community.id}:{ctx.actor.user_id}"
        window = timedelta(hours=self.app.settings.quota_welcome_dm_hours)
        now = self.app.clock.now()
        if not window:
            await self.app.delivery.queue(
                f"{key}:{now.timestamp():.6f}", [Delivery(destination, message)]
            )
            return
        period = int(now.timestamp() // window.total_seconds())
        async with self.app.db.transaction() as conn:
            before = await self.app.delivery.queued_at(conn, f"{key}:{period - 1}")
            if before is not None and now - before < window:
                return
            await self.app.delivery.queue_in(
                conn, f"{key}:{period}", [Delivery(destination, message)]
            )

    @command("digest unsubscribe", "Stop getting the weekly digest", private=True)
    async def unsubscribe(self, ctx: Context) -> None:
        if await self.repo.unsubscribe(ctx.community.id, ctx.actor.user_id):
            await ctx.reply(
                Message(
                    body="You're unsubscribed: no more digest DMs or mentions. Past issues stay "
                    "readable with `/digest archive`; come back any time with `/digest subscribe`.",
                    tone=Tone.SUCCESS,
                )
            )
        else:
            await ctx.reply(
                "You weren't subscribed, so there was nothing to stop. "
                "Subscribe with `/digest subscribe`."
            )

    @command("digest status", "Your digest subscription", private=True)
    async def status(self, ctx: Context) -> None:
        sub = await self.repo.subscription(ctx.community.id, ctx.actor.user_id)
        when = await self._next_issue_text(ctx.community)
        if sub is None:
            await ctx.reply(
                Message(
                    body=f"You're not subscribed. `/digest subscribe` gets you each issue by DM.\n"
                    f"{when}"
                )
            )
            return
        await ctx.reply(
            Message(
                title="Your digest subscription",
                body=f"{_describe(sub)}\n{when}",
                fields=(
                    Field("Since", f"{sub.created_at:%d %b %Y}"),
                    Field("Delivery", sub.delivery),
                    Field("Topics", ", ".join(sub.topics) or "all"),
                ),
                footer="Change: /digest subscribe · stop: /digest unsubscribe",
            )
        )

    @command("digest preview", "Preview the next issue (only you see it)", private=True)
    async def preview(self, ctx: Context) -> None:
        community = ctx.community
        when = await self._next_slot(community) or self.app.clock.now()
        state = await self.repo.state(community.id)
        content = self.content(
            community, state, when=when, figures=await self.figures(community, when)
        )
        message = render_issue(content, Audience.CHANNEL)
        note = (
            "Preview: this is what the next issue looks like now. Figures are counted when it "
            "is published; moderators can still pin a tip or add a note."
        )
        await ctx.reply(replace(message, title=f"Preview · {message.title}", footer=note))

    @command("digest latest", "Show the latest issue as it was sent", private=True)
    async def latest(self, ctx: Context) -> None:
        issue = await self.repo.latest(ctx.community.id)
        if issue is None:
            raise NotFound(
                "No digest issue has been published here yet.",
                hint="Moderators: set a schedule with /schedule digest, or /digest publish-now.",
            )
        await ctx.reply(Message.from_dict(issue.message))

    @command(
        "digest archive",
        "List past issues, or show one by number",
        Option("number", OptionType.INTEGER, "Issue number, e.g. 3", min_value=1),
        private=True,
        examples=("/digest archive", "/digest archive 3"),
    )
    async def archive(self, ctx: Context, number: int | None) -> None:
        if number is not None:
            issue = await self.repo.issue(ctx.community.id, number)
            if issue is None:
                latest = await self.repo.latest(ctx.community.id)
                hint = (
                    f"Issues here run from #1 to #{latest.number}."
                    if latest
                    else "No issue has been published here yet."
                )
                raise NotFound(f"There is no issue #{number}.", hint=hint)
            await ctx.reply(Message.from_dict(issue.message))
            return
        issues, total = await self.repo.archive(ctx.community.id, limit=ARCHIVE_PAGE)
        if not issues:
            await ctx.reply("No digest issue has been published here yet.")
            return
        base = self.app.settings.public_base_url
        web_slug = await self._web_slug(ctx.community.id)
        lines = []
        for issue in issues:
            tip = self.library.get(issue.headline_tip)
            headline = tip.title if tip else issue.headline_tip
            when = f"{issue.issue_date:%d %b %Y} · {headline}"
            url = public_url(base, issue_path(web_slug, issue.number)) if web_slug else None
            if url:
                lines.append(f"- [#{issue.number} · {when}]({url})")
            else:
                lines.append(f"- **#{issue.number}** · {when}")
        more = f" (latest {len(issues)} of {total})" if total > len(issues) else ""
        index = public_url(base, archive_path(web_slug)) if web_slug else None
        links: tuple[Link, ...] = ()
        footer = "Read one: /digest archive <number>"
        if index:
            links = (Link("All issues on the web, with an Atom feed", index),)
        elif web_slug and ctx.is_moderator:
            footer += (
                f" · The web archive is on at {archive_path(web_slug)}; set PUBLIC_BASE_URL "
                "to link to it."
            )
        await ctx.reply(
            Message(
                title=f"{ctx.community.name} digest archive{more}",
                url=index,
                body="\n".join(lines),
                links=links,
                footer=footer,
            )
        )

"""The weekly tips digest: `/digest ...`, `/tip`, `/tips topics`, and the `digest` job kind.

A community's digest schedule (created with `/schedule digest`, issue 3) runs the `digest` job:
it composes the next issue, stores it as sent, and returns the channel post plus one DM per
subscriber, which the scheduler hands to the outbox. `/digest publish-now` runs the same
schedule immediately, so a manual issue takes exactly the same path.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.cog import Cog, command
from bot.commands.context import AutocompleteContext, Context
from bot.commands.errors import NotFound, OptionError, UsageError
from bot.commands.registry import Choice, Option, OptionType, Permission
from bot.messages import Field, Link, Message, Tone
from bot.sanitize import clean_line
from bot.scheduling.jobs import Delivery, Destination, DestinationKind, JobKind, RunContext
from bot.scheduling.scheduler import run_key
from bot.timing.recurrence import zone
from cogs.digest.compose import (
    FeaturedProblem,
    FeaturedResource,
    Figure,
    IssueContent,
    plan_issue,
)
from cogs.digest.render import Audience, footer_for, render_issue
from cogs.digest.web import DigestWebPages, archive_path, issue_path, public_url
from cogs.digest.web_commands import DigestWebCommands
from cogs.dsa.progress import weekly_figures
from content.problems import Problem, problem_set
from content.resources import Resource, shipped_resources
from content.tips import Tip, TipLibrary, default_library
from content.topics import get_topic, resolve_topic, suggest_topic
from storage.communities import Community
from storage.digest import (
    DigestRepository,
    DigestState,
    NewIssue,
    StoredIssue,
    Subscription,
    digest_subscriptions,
)
from storage.digest_web import DigestWebRepository

if TYPE_CHECKING:
    from bot.app import Application

JOB_KIND = "digest"
DELIVERY_CHOICES = ("dm", "channel-mention")
MAX_NOTE = 500
ARCHIVE_PAGE = 15
CLEAR_WORDS = frozenset({"clear", "none", "off", "remove"})


def community_seed(community: Community) -> str:
    """What makes one community's rotation differ from another's (stable for its lifetime)."""
    return f"{community.platform}:{community.external_id}"


async def _tip_choices(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    cog = ctx.app.cogs.get("digest")
    if not isinstance(cog, DigestCog):
        return []
    words = typed.strip().lower()
    found = [t for t in cog.library if words in t.id or words in t.title.lower()]
    return [Choice(name=f"{t.title[:80]} ({t.id})"[:100], value=t.id) for t in found[:25]]


async def _topic_choices(ctx: AutocompleteContext, typed: str) -> Sequence[Choice]:
    cog = ctx.app.cogs.get("digest")
    if not isinstance(cog, DigestCog):
        return []
    words = typed.strip().lower()
    names = [(t, get_topic(t).name) for t in cog.library.topics()]
    found = [(t, n) for t, n in names if words in t or words in n.lower()]
    return [Choice(name=n, value=t) for t, n in found[:25]]


class DigestCog(DigestWebCommands, Cog):
    name = "digest"
    description = "The weekly tips digest, subscriptions, and tips on demand."
    groups = {
        "digest": "The weekly tips digest: subscribe, read past issues, moderate the next one",
        "tip": "A tip for aspiring ML engineers, now",
        "tips": "Browse the tips library",
    }

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.repo = DigestRepository(self.app.db)
        self.library: TipLibrary = default_library()
        self.resources: dict[str, Resource] = {r.id: r for r in shipped_resources()}
        # Problem of the week: free problems only, so every member can open it.
        self.problems: dict[str, Problem] = {p.id: p for p in problem_set() if not p.premium}
        self.random = random.Random()
        self.archives = DigestWebRepository(self.app.db)
        self.web_pages = DigestWebPages(
            issues=self.repo,
            archives=self.archives,
            communities=self.app.communities,
            library=self.library,
            resources=self.resources,
            problems=self.problems,
            public_base_url=self.app.settings.public_base_url,
        )

    async def setup(self) -> None:
        if self.app.http is not None:
            self.web_pages.mount(self.app.http)
        self.app.privacy.register_table(
            "digest_subscriptions",
            "Your digest subscription: how it reaches you and since when",
            self.app.db,
            digest_subscriptions,
        )

    def jobs(self) -> list[JobKind]:
        return [
            JobKind(
                JOB_KIND,
                "Weekly tips digest: posts the next issue and DMs every subscriber",
                self.produce,
            )
        ]

    # -- the job ---------------------------------------------------------------------------

    async def produce(self, ctx: RunContext) -> list[Delivery]:
        """Publish the next issue for this slot (once) and address it to channel and DMs."""
        community = ctx.community
        source_key = run_key(ctx.schedule_id, ctx.scheduled_for)
        issue = await self.publish(community, source_key=source_key, when=ctx.scheduled_for)
        return await self.deliveries(
            community, issue, channel_id=ctx.channel_id, channel_name=ctx.channel_name
        )

    async def publish(
        self, community: Community, *, source_key: str, when: datetime
    ) -> StoredIssue:
        figures = await self.figures(community, when)
        subscribers = await self.repo.subscribers(community.id)
        recipients = sum(1 for s in subscribers if s.delivery == "dm")
        mentions = tuple(s.display_name for s in subscribers if s.delivery != "dm")
        web_slug = await self._web_slug(community.id)

        def compose(state: DigestState) -> NewIssue:
            content = replace(
                self.content(community, state, when=when, figures=figures), mentions=mentions
            )
            web_url = (
                public_url(self.app.settings.public_base_url, issue_path(web_slug, content.number))
                if web_slug
                else None
            )
            message = render_issue(content, Audience.CHANNEL, web_url=web_url)
            return NewIssue(
                issue_date=content.date,
                tip_ids=(content.headline.id, *(t.id for t in content.shorts)),
                resource_id=content.resource.id if content.resource else None,
                problem_id=content.problem.id if content.problem else None,
                note=content.note,
                title=message.title or "",
                message=message.to_dict(),
            )

        issue, _ = await self.repo.publish(
            community.id,
            source_key=source_key,
            compose=compose,
            recipients=recipients,
            now=self.app.clock.now(),
        )
        self.web_pages.forget()
        return issue

    async def _web_slug(self, community_id: int) -> str | None:
        """The community's web archive name when it is on, else None."""
        archive = await self.archives.get(community_id)
        return archive.slug if archive is not None and archive.enabled else None

    async def deliveries(
        self,
        community: Community,
        issue: StoredIssue,
        *,
        channel_id: str | None,
        channel_name: str | None,
    ) -> list[Delivery]:
        post = Message.from_dict(issue.message)
        out: list[Delivery] = []
        if channel_id:
            out.append(
                Delivery(
                    Destination(
                        platform=community.platform,
                        community_id=community.external_id,
                        kind=DestinationKind.CHANNEL,
                        target_id=channel_id,
                        target_name=channel_name or channel_id,
                    ),
                    post,
                )
            )
        dm = replace(post, footer=footer_for(Audience.DM, community.name))
        for sub in await self.repo.subscribers(community.id):
            if sub.delivery != "dm":
                continue
            out.append(
                Delivery(
                    Destination(
                        platform=community.platform,
                        community_id=community.external_id,
                        kind=DestinationKind.DM,
                        target_id=sub.user_id,
                        target_name=sub.display_name,
                    ),
                    dm,
                )
            )
        return out

    def content(
        self,
        community: Community,
        state: DigestState,
        *,
        when: datetime,
        figures: Sequence[Figure],
    ) -> IssueContent:
        """Resolve the next issue's content for `community` (pure given `state`)."""
        inputs = state.inputs
        plan = plan_issue(
            self.library,
            seed=community_seed(community),
            last_shown=state.last_shown,
            pinned=inputs.pinned_tip,
            has_note=bool(inputs.note),
            resource_ids=sorted(self.resources),
            resource_history=state.resource_history,
            problem_ids=sorted(self.problems),
            problem_history=state.problem_history,
        )
        headline = self._tip(plan.headline)
        resource = self.resources.get(plan.resource) if plan.resource else None
        problem = self.problems.get(plan.problem) if plan.problem else None
        return IssueContent(
            community_name=community.name,
            number=state.next_number,
            date=when.astimezone(zone(community.timezone)).date(),
            headline=headline,
            shorts=tuple(self._tip(t) for t in plan.shorts),
            resource=_featured(resource) if resource else None,
            problem=_problem(problem) if problem else None,
            figures=tuple(figures),
            note=inputs.note,
            tip_resources=tuple(
                _featured(self.resources[r]) for r in headline.resources if r in self.resources
            ),
        )

    async def figures(self, community: Community, when: datetime) -> list[Figure]:
        """Community figures for the week before `when`."""
        start = when - timedelta(days=7)
        dsa = await weekly_figures(
            self.app.db, community.id, community.timezone, start=start, end=when
        )
        new = await self.repo.new_subscribers(community.id, start, when)
        total = len(await self.repo.subscribers(community.id))
        figures = [Figure("Problems solved this week", str(dsa.solves))]
        if dsa.top_streaks:
            best = ", ".join(f"{e.display_name} ({e.streak} d)" for e in dsa.top_streaks)
            figures.append(Figure("Best streaks", best))
        figures += [Figure("New subscribers", str(new)), Figure("Subscribers", str(total))]
        return figures

    def _tip(self, tip_id: str) -> Tip:
        tip = self.library.get(tip_id)
        if tip is None:  # plan_issue only returns ids of this library
            raise LookupError(f"tip {tip_id!r} is not in the library")
        return tip

    # -- member commands -------------------------------------------------------------------

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
        destination = Destination(
            platform=ctx.actor.platform,
            community_id=ctx.community.external_id,
            kind=DestinationKind.DM,
            target_id=ctx.actor.user_id,
            target_name=ctx.actor.display_name,
        )
        message = Message(
            title="Welcome to the weekly digest",
            body=f"Each issue of the {ctx.community.name} digest will arrive here. {when}\n"
            "Read past issues with `/digest archive`; stop with `/digest unsubscribe`.",
        )
        since = subscription.created_at.strftime("%Y%m%dT%H%M%S%f")
        await self.app.delivery.queue(
            f"digest-welcome:{ctx.community.id}:{ctx.actor.user_id}:{since}",
            [Delivery(destination, message)],
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

    # -- tips on demand --------------------------------------------------------------------

    @command(
        "tip",
        "A tip now, optionally on a topic (or a tip by its id)",
        Option(
            "topic",
            OptionType.STRING,
            "A topic such as mlops, or a tip id from a digest",
            max_length=100,
            autocomplete=_topic_choices,
            rest=True,
        ),
        examples=("/tip", "/tip interviews", "/tip baseline-first"),
    )
    async def tip(self, ctx: Context, topic: str | None) -> None:
        if topic and (found := self.library.get(topic.strip().lower())) is not None:
            await ctx.reply(self.tip_message(found))
            return
        pool = list(self.library)
        if topic:
            (topic_id,) = self.parse_topics(topic, option="topic", single=True)
            pool = self.library.with_topic(topic_id)
        await ctx.reply(self.tip_message(self.random.choice(pool)))

    @command("tips topics", "The topics tips are about, with how many each", private=True)
    async def topics(self, ctx: Context) -> None:
        lines = [
            f"- `{t}` {get_topic(t).name} ({len(self.library.with_topic(t))})"
            for t in self.library.topics()
        ]
        await ctx.reply(
            Message(
                title=f"Tip topics ({len(self.library)} tips)",
                body="\n".join(lines),
                footer="A tip on one: /tip <topic> · follow some: /digest subscribe <topics>",
            )
        )

    def tip_message(self, tip: Tip) -> Message:
        links = tuple(
            Link(self.resources[r].title, self.resources[r].url)
            for r in tip.resources
            if r in self.resources
        )
        return Message(
            title=tip.title,
            body=f"{tip.body}\n\n**Try this week:** {tip.try_this_week}",
            links=links,
            footer=f"Topics: {', '.join(tip.topics)} · another: /tip {tip.topics[0]} "
            f"· this one: /tip {tip.id}",
        )

    # -- moderator commands ----------------------------------------------------------------

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
            await self._audit(ctx, "digest.note", before.note, None)
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
        await self._audit(ctx, "digest.note", before.note, cleaned)
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
            await self._audit(ctx, "digest.pin", before.pinned_tip, None)
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
        await self._audit(ctx, "digest.pin", before.pinned_tip, found.id)
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
        permission=Permission.MODERATOR,
        private=True,
    )
    async def publish_now(self, ctx: Context, schedule: str | None) -> None:
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
        issue = await self.repo.latest(ctx.community.id)
        number = f"Issue #{issue.number}" if issue else "The issue"
        where = f"#{chosen.channel_name}" if chosen.channel_name else "no channel"
        await ctx.reply(
            Message(
                body=f"{number} is published to {where}: {result.outcome}.",
                tone=Tone.SUCCESS,
            )
        )

    # -- helpers ---------------------------------------------------------------------------

    def parse_topics(
        self, text: str | None, *, option: str = "topics", single: bool = False
    ) -> tuple[str, ...]:
        """Topic ids from what a person typed (ids, names or aliases; comma separated)."""
        if not text or not text.strip():
            return ()
        whole = resolve_topic(text)
        parts = [text] if whole else [p for p in re.split(r"[,;]+", text) if p.strip()]
        if not whole and len(parts) == 1:
            parts = text.split()
        if single and len(parts) > 1 and not whole:
            raise OptionError(option, "give one topic.", hint=self._topic_hint())
        found: list[str] = []
        for part in parts:
            topic = resolve_topic(part)
            if topic is None or not self.library.with_topic(topic):
                guess = suggest_topic(part)
                extra = (
                    f" Did you mean `{guess}`?" if guess and self.library.with_topic(guess) else ""
                )
                raise OptionError(
                    option, f"{part.strip()!r} is not a tip topic.{extra}", hint=self._topic_hint()
                )
            if topic not in found:
                found.append(topic)
        return tuple(found)

    def _topic_hint(self) -> str:
        return "Topics: " + ", ".join(self.library.topics()) + "."

    async def _next_slot(self, community: Community) -> datetime | None:
        slots = [
            v.next_run
            for v in await self.app.schedules.list_community(community.id)
            if v.schedule.kind == JOB_KIND and v.next_run is not None
        ]
        return min(slots) if slots else None

    async def _next_issue_text(self, community: Community) -> str:
        slot = await self._next_slot(community)
        if slot is None:
            return (
                "No digest schedule is set here yet; moderators can add one with /schedule digest."
            )
        local = slot.astimezone(zone(community.timezone))
        return f"Next issue: {local:%A %d %B, %H:%M} ({community.timezone})."

    async def _audit(self, ctx: Context, action: str, old: str | None, new: str | None) -> None:
        await self.app.audit.record(
            community_id=ctx.community.id,
            actor_id=ctx.actor.user_id,
            actor_name=ctx.actor.display_name,
            action=action,
            target="digest:next",
            old=old,
            new=new,
            at=self.app.clock.now(),
        )


def _describe(sub: Subscription) -> str:
    how = "by DM" if sub.delivery == "dm" else "as a mention in the digest channel"
    topics = f"with {', '.join(sub.topics)} as your topics" if sub.topics else "all topics"
    return f"Each issue {how}, {topics}."


def _problem(problem: Problem) -> FeaturedProblem:
    return FeaturedProblem(
        id=problem.id,
        title=problem.title,
        url=problem.url,
        difficulty=problem.difficulty,
        pattern=problem.pattern_name,
        hint=problem.hint,
    )


def _featured(resource: Resource) -> FeaturedResource:
    return FeaturedResource(
        id=resource.id,
        title=resource.title,
        url=resource.url,
        kind=resource.type_name,
        description=resource.description,
        details=f"{resource.level}, {resource.cost}",
    )

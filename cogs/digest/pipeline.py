"""The issue pipeline: the `digest` job composes, stores and delivers the next issue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.cog import job
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, RunContext, RunSkipped
from bot.timing.recurrence import zone
from cogs.digest.base import (
    JOB_KIND,
    DigestBase,
    community_seed,
)
from cogs.digest.compose import (
    FeaturedProblem,
    FeaturedResource,
    Figure,
    IssueContent,
    plan_issue,
)
from cogs.digest.issue_gap import too_soon_after
from cogs.digest.render import Audience, dm_copy, for_topics, render_issue
from cogs.digest.web_addresses import issue_path, public_url
from cogs.dsa.progress import weekly_figures
from content.problems import Problem
from content.resources import Resource
from content.tips import Tip
from storage.communities import Community
from storage.digest import (
    DigestState,
    NewIssue,
    StoredIssue,
    Subscription,
)


class IssuePipeline(DigestBase):
    """The issue pipeline: the `digest` job composes, stores and delivers the next issue."""

    @job(JOB_KIND, "Weekly tips digest: posts the next issue and DMs every subscriber")
    async def produce(self, ctx: RunContext) -> list[Delivery]:
        """Publish the next issue for this slot (once) and address it to channel and DMs."""
        community = ctx.community
        source_key = ctx.run_key
        latest = await self.repo.latest(community.id)
        if (
            latest is not None
            and latest.source_key != source_key  # the same slot again re-sends its issue
            and not ctx.manual  # `/schedule run-now` confirms (see cogs.schedules)
            and not ctx.params.get("close_ok")  # created with confirm:yes
            and (gap := too_soon_after(latest, ctx.scheduled_for)) is not None
        ):
            hours = max(1, round(gap.total_seconds() / 3600))
            raise RunSkipped(
                f"skipped: Issue #{latest.number} went out {hours} h before; two issues within "
                "20 hours need a moderator's confirm:yes"
            )
        subscribers = await self.repo.subscribers(community.id)  # read once per issue
        issue = await self.publish(
            community, source_key=source_key, when=ctx.scheduled_for, subscribers=subscribers
        )
        return await self.deliveries(
            community,
            issue,
            channel_id=ctx.channel_id,
            channel_name=ctx.channel_name,
            subscribers=subscribers,
        )

    async def publish(
        self,
        community: Community,
        *,
        source_key: str,
        when: datetime,
        subscribers: Sequence[Subscription] | None = None,
    ) -> StoredIssue:
        if subscribers is None:
            subscribers = await self.repo.subscribers(community.id)
        figures = await self.figures(community, when, subscribers=subscribers)
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
        subscribers: Sequence[Subscription] | None = None,
    ) -> list[Delivery]:
        post = Message.from_dict(issue.message)
        out: list[Delivery] = []
        if channel_id:
            out.append(
                Delivery(
                    Destination.channel(community, channel_id, channel_name or channel_id),
                    post,
                )
            )
        dm = dm_copy(post, community.name)
        tips = [t for t in (self.library.get(i) for i in issue.tip_ids) if t is not None]
        if subscribers is None:
            subscribers = await self.repo.subscribers(community.id)
        for sub in subscribers:
            if sub.delivery != "dm":
                continue
            out.append(
                Delivery(
                    Destination.dm(community, sub.user_id, sub.display_name),
                    for_topics(dm, tips, sub.topics) if sub.topics else dm,
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

    async def figures(
        self,
        community: Community,
        when: datetime,
        *,
        subscribers: Sequence[Subscription] | None = None,
    ) -> list[Figure]:
        """Community figures for the week before `when` (`subscribers`: the list already read)."""
        start = when - timedelta(days=7)
        dsa = await weekly_figures(
            self.app.db, community.id, community.timezone, start=start, end=when
        )
        new = await self.repo.new_subscribers(community.id, start, when)
        if subscribers is None:
            subscribers = await self.repo.subscribers(community.id)
        total = len(subscribers)
        figures = [Figure("Problems solved this week", str(dsa.solves))]
        if dsa.top_streaks:
            best = ", ".join(
                f"@{e.display_name}: {e.streak} day{'' if e.streak == 1 else 's'}"
                for e in dsa.top_streaks
            )
            figures.append(Figure("Longest streaks this week", best))
        figures += [Figure("New subscribers", str(new)), Figure("Subscribers", str(total))]
        return figures

    def _tip(self, tip_id: str) -> Tip:
        tip = self.library.get(tip_id)
        if tip is None:  # plan_issue only returns ids of this library
            raise LookupError(f"tip {tip_id!r} is not in the library")
        return tip


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

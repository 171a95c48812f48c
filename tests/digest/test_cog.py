"""The digest cog: subscriptions, moderator inputs, publishing through the scheduler, archive."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.app import Application
from bot.commands.context import ChannelRef
from bot.messages import Message
from bot.scheduling.jobs import DestinationKind
from bot.timing.clock import ManualClock
from bot.timing.recurrence import WeeklyAt
from cogs.digest import DigestCog
from storage.communities import Community
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, actor, invocation, run_slots_by_hand
from tests.schedules.support import outbox_rows

pytestmark = pytest.mark.both_backends

MOD = actor("mia", moderator=True)


async def run(app: Application, line: str, who=None, **options: Any) -> RecordingResponder:
    responder = RecordingResponder()
    await app.dispatcher.dispatch(invocation(line, options, who=who), responder)
    return responder


async def community(app: Application) -> Community:
    return await app.communities.ensure(
        "console", "console", "test", default_timezone="UTC", now=app.clock.now()
    )


async def digest_schedule(app: Application, channel: str = "announcements"):
    return await app.schedules.create(
        await community(app),
        kind="digest",
        name="weekly-digest",
        rule=WeeklyAt(frozenset({0}), time(9, 0)),
        timezone="Europe/London",
        actor=MOD,
        channel=ChannelRef(channel, channel),
    )


def cog(app: Application) -> DigestCog:
    found = app.cogs["digest"]
    assert isinstance(found, DigestCog)
    return found


async def test_subscribe_twice_change_and_unsubscribe_twice(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    first = await run(app, "digest subscribe")
    assert "You're subscribed" in first.text() and first.last.private
    assert "No digest schedule" in first.text()
    again = await run(app, "digest subscribe")
    assert "already subscribed" in again.text() and "Nothing changed" in again.text()
    changed = await run(app, "digest subscribe", topics="mlops, Interviews")
    assert "Subscription updated" in changed.text() and "mlops, interviews" in changed.text()
    status = await run(app, "digest status")
    assert "mlops, interviews" in status.text()
    # Changing only the delivery keeps the topics.
    await run(app, "digest subscribe", delivery="channel-mention")
    sub = await cog(app).repo.subscription((await community(app)).id, "ana")
    assert sub is not None and sub.topics == ("mlops", "interviews")
    assert sub.delivery == "channel-mention"
    assert len(await cog(app).repo.subscribers(sub.community_id)) == 1
    gone = await run(app, "digest unsubscribe")
    assert "You're unsubscribed" in gone.text()
    twice = await run(app, "digest unsubscribe")
    assert "weren't subscribed" in twice.text()
    assert "not subscribed" in (await run(app, "digest status")).text()


async def test_unknown_topic_lists_the_valid_ones(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    bad = await run(app, "digest subscribe", topics="mlopz")
    text = bad.text()
    assert "'mlopz' is not a tip topic" in text and "Did you mean `mlops`?" in text
    assert "Topics: " in text and "forecasting" in text
    assert await cog(app).repo.subscription((await community(app)).id, "ana") is None
    aliases = await run(app, "digest subscribe", topics="k8s; time series")
    assert "kubernetes, forecasting" in aliases.text()


async def test_tip_by_topic_by_id_and_topics_list(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    library = cog(app).library
    for _ in range(5):
        reply = (await run(app, "tip", topic="forecasting")).last
        assert reply.title in {t.title for t in library.with_topic("forecasting")}
    by_id = (await run(app, "tip", topic="baseline-first")).last
    assert by_id.title == library.get("baseline-first").title  # type: ignore[union-attr]
    assert "**Try this week:**" in by_id.body and by_id.links
    assert "not a tip topic" in (await run(app, "tip", topic="cooking")).text()
    topics = (await run(app, "tips topics")).last
    assert "`mlops` MLOps" in topics.body and topics.private


async def test_moderator_note_and_pin_shape_the_next_issue(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    denied = await run(app, "digest note", text="hello")
    assert "moderator" in denied.text().lower()
    await run(app, "digest note", who=MOD, text="Welcome to our new members!")
    await run(app, "digest pin", who=MOD, tip="baseline-first")
    bad_pin = await run(app, "digest pin", who=MOD, tip="nonexistent")
    assert "there is no tip" in bad_pin.text()
    library = cog(app).library
    pin = next(t for t in library.ids() if t.startswith("overfit"))
    await run(app, "digest pin", who=MOD, tip=pin)
    preview = (await run(app, "digest preview")).last
    assert preview.private and preview.title and preview.title.startswith("Preview · ")
    assert preview.body.startswith("**From the moderators:** Welcome to our new members!")
    assert library.get(pin).title in preview.body  # type: ignore[union-attr]
    assert len(preview.sections) == 2 + 2  # two shorter tips with a note, resource, problem
    entries = await app.audit.recent((await community(app)).id, target_prefix="digest:")
    assert [e.action for e in entries][:3] == ["digest.pin", "digest.pin", "digest.note"]
    cleared = await run(app, "digest note", who=MOD, text="clear")
    assert "Note removed" in cleared.text()
    assert "no note" in (await run(app, "digest note", who=MOD, text="clear")).text()


async def test_a_new_dm_subscriber_is_welcomed_by_dm_once(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    await run(app, "digest subscribe", who=actor("ana"))  # already subscribed: no second welcome
    await run(app, "digest subscribe", who=actor("ana"), topics="mlops")  # a change: none either
    (welcome,) = await outbox_rows(app)
    assert welcome["run_key"].startswith("digest-welcome:") and welcome["status"] == "pending"
    assert (welcome["kind"], welcome["target_id"]) == ("dm", "ana")
    message = Message.from_dict(welcome["body"])
    assert message.title == "Welcome to the weekly digest"
    assert "Next issue:" in message.body and "/digest unsubscribe" in message.body
    # Leaving and coming back the same day: no second welcome (QUOTA_WELCOME_DM_HOURS=24) ...
    for _ in range(3):
        await run(app, "digest unsubscribe", who=actor("ana"))
        app.clock.advance(timedelta(seconds=1))  # type: ignore[attr-defined]
        assert "subscribed" in (await run(app, "digest subscribe", who=actor("ana"))).text()
    assert len(await outbox_rows(app)) == 1
    # ... a day later: welcomed again.
    await run(app, "digest unsubscribe", who=actor("ana"))
    app.clock.advance(timedelta(hours=24))  # type: ignore[attr-defined]
    await run(app, "digest subscribe", who=actor("ana"))
    assert len(await outbox_rows(app)) == 2


async def test_publish_now_posts_to_the_channel_and_dms_each_subscriber_once(
    make_app: AppFactory,
) -> None:
    app = await make_app([DigestCog])
    no_schedule = await run(app, "digest publish-now", who=MOD)
    assert "no digest schedule" in no_schedule.text()
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    await run(app, "digest subscribe", who=actor("bob"))
    await run(app, "digest subscribe", who=actor("cy"), delivery="channel-mention")
    await run(app, "digest note", who=MOD, text="First issue!")
    done = await run(app, "digest publish-now", who=MOD)
    assert "Issue #1 is published to #announcements" in done.text(), done.text()
    welcomes = [r for r in await outbox_rows(app) if r["run_key"].startswith("digest-welcome:")]
    assert sorted(r["target_id"] for r in welcomes) == ["ana", "bob"]  # not cy: no DMs for her
    rows = [r for r in await outbox_rows(app) if r not in welcomes]
    targets = sorted((r["kind"], r["target_id"]) for r in rows)
    assert targets == [("channel", "announcements"), ("dm", "ana"), ("dm", "bob")]
    channel = next(r for r in rows if r["kind"] == "channel")
    dm = next(r for r in rows if r["kind"] == "dm")
    post = Message.from_dict(channel["body"])
    assert post.title and "Issue #1" in post.title
    assert "First issue!" in post.body
    # channel-mention subscribers are named in the channel post instead of getting a DM.
    assert post.fields[-1].name == "For our subscribers" and post.fields[-1].value == "@cy"
    assert "you subscribed" in (Message.from_dict(dm["body"]).footer or "")
    # Stored exactly as sent: latest and archive show the same message.
    latest = (await run(app, "digest latest")).last
    assert latest.with_privacy(False) == post.with_privacy(False)
    archived = (await run(app, "digest archive", number=1)).last
    assert archived.with_privacy(False) == post.with_privacy(False)
    # The note and pin were consumed; the next issue has new tips.
    app.clock.advance(timedelta(seconds=2))  # type: ignore[attr-defined]
    await run(app, "digest publish-now", who=MOD, confirm=True)  # within the hour: confirmed
    repo = cog(app).repo
    first, second = (await repo.issue(1, 1)), (await repo.issue(1, 2))
    assert first and second and second.note is None
    assert not set(first.tip_ids) & set(second.tip_ids)
    listing = (await run(app, "digest archive")).last
    assert "**#2**" in listing.body and "**#1**" in listing.body
    assert "no issue #9" in (await run(app, "digest archive", number=9)).text()


async def test_an_issue_reads_the_subscriber_list_once(
    make_app: AppFactory, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = await run_slots_by_hand(await make_app([DigestCog]))  # Monday 5 January 2026 08:00 UTC
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    await run(app, "digest subscribe", who=actor("bo"))
    repo = cog(app).repo
    reads: list[int] = []
    read = repo.subscribers

    async def counted(community_id: int) -> Any:
        reads.append(community_id)
        return await read(community_id)

    monkeypatch.setattr(repo, "subscribers", counted)
    clock.set(datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))
    assert [r.status for r in await app.schedules.run_due()] == ["done"]
    assert reads == [1]  # the figures, the recipients count and the DMs share one read
    issue = await repo.latest(1)
    assert issue is not None and issue.recipients == 2
    figures = {f.name: f.value for f in Message.from_dict(issue.message).fields}
    assert figures["Subscribers"] == "2"
    rows = await outbox_rows(app)
    dms = [r for r in rows if r["kind"] == "dm" and not r["run_key"].startswith("digest-welcome:")]
    assert sorted(r["target_id"] for r in dms) == ["ana", "bo"]


async def test_scheduled_slot_publishes_once_with_figures(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(await make_app([DigestCog]))  # Monday 5 January 2026 08:00 UTC
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    clock.set(datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))
    results = await app.schedules.run_due()
    assert [r.status for r in results] == ["done"]
    assert await app.schedules.run_due() == []
    repo = cog(app).repo
    issue = await repo.latest(1)
    assert issue is not None and issue.number == 1 and issue.recipients == 1
    post = Message.from_dict(issue.message)
    figures = {f.name: f.value for f in post.fields}
    assert figures["New subscribers"] == "1" and figures["Problems solved this week"] == "0"
    assert post.sections[-1].heading == "DSA problem of the week"
    assert "/dsa done " in post.sections[-1].body
    assert "5 January 2026" in (post.title or "")
    # The job is idempotent per slot: producing the same slot again returns the stored issue.
    again = await cog(app).publish(
        await community(app), source_key=issue.source_key, when=issue.published_at
    )
    assert again == issue
    deliveries = await cog(app).deliveries(
        await community(app), issue, channel_id="announcements", channel_name="announcements"
    )
    assert [d.destination.kind for d in deliveries] == [DestinationKind.CHANNEL, DestinationKind.DM]


async def test_latest_and_archive_before_any_issue(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    assert "No digest issue has been published" in (await run(app, "digest latest")).text()
    assert "No digest issue has been published" in (await run(app, "digest archive")).text()


async def test_dsa_figures_and_problem_of_the_week(
    make_app: AppFactory, clock: ManualClock
) -> None:
    from datetime import date

    from storage.dsa import DsaRepository

    app = await run_slots_by_hand(await make_app([DigestCog]))  # Monday 5 January 2026 08:00 UTC
    await digest_schedule(app)
    await run(app, "digest subscribe", who=actor("ana"))
    dsa = DsaRepository(app.db)
    for day, slug in ((2, "two-sum"), (3, "valid-anagram"), (4, "contains-duplicate")):
        await dsa.add_solve(
            1,
            "ana",
            slug,
            local_day=date(2026, 1, day),
            timezone="UTC",
            now=datetime(2026, 1, day, 12, tzinfo=UTC),
        )
    clock.set(datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))
    await app.schedules.run_due()
    issue = await cog(app).repo.latest(1)
    assert issue is not None and issue.problem_id is not None
    problem = cog(app).problems[issue.problem_id]
    post = Message.from_dict(issue.message)
    figures = {f.name: f.value for f in post.fields}
    assert figures["Problems solved this week"] == "3"
    assert figures["Longest streaks this week"] == "@ana: 3 days"
    assert problem.title in post.sections[-1].body and not problem.premium


async def test_featured_problems_leave_out_premium_and_own_exercises(make_app: AppFactory) -> None:
    app = await make_app([DigestCog])
    featured = cog(app).problems
    assert featured and all(not p.premium and p.statement is None for p in featured.values())
    assert "ml-kmeans-from-scratch" not in featured and "two-sum" in featured

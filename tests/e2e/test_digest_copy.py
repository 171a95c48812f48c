"""What a digest reader sees, through the console: the DM copy leads with the subscriber's
topics and leaves out the channel-only line, streaks read as names and days, the headline's
links come with it, and every shorter tip is cut the same way (whole sentences)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.loader import load_cog_classes
from bot.messages import Message
from bot.timing.clock import ManualClock
from tests.conftest import AppFactory
from tests.helpers import run_slots_by_hand
from tests.schedules.support import ConsoleSession, outbox_rows


async def test_dm_copy_topics_streaks_links_and_short_tips(
    make_app: AppFactory, clock: ManualClock
) -> None:
    app = await run_slots_by_hand(
        await make_app(load_cog_classes([], []))
    )  # Monday 5 January 2026 08:00 UTC
    mia = ConsoleSession(app, name="mia", moderator=True)
    await mia.say("/schedule digest #general mon 09:00")
    await mia.say("/digest pin baseline-first")  # headline topics: machine-learning, ...
    ana = ConsoleSession(app, name="ana", moderator=False)
    assert "subscribed" in await ana.say("/digest subscribe machine-learning")
    zed = ConsoleSession(app, name="zed", moderator=False)
    assert "subscribed" in await zed.say("/digest subscribe reinforcement-learning")
    bob = ConsoleSession(app, name="bob", moderator=False)
    await bob.say("/digest subscribe delivery:channel-mention")
    out = await ana.say("/dsa done two-sum")
    assert "Marked" in out

    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    await app.schedules.run_due()
    sent = {
        r["recipient_key"]: Message.from_dict(r["body"])
        for r in await outbox_rows(app)
        if r["run_key"].startswith("schedule:")
    }
    post = sent["console:channel:general"]
    ana_dm, zed_dm = sent["console:dm:ana"], sent["console:dm:zed"]

    # the channel post names channel-mention subscribers; DMs do not
    assert any(f.name == "For our subscribers" and "@bob" in f.value for f in post.fields)
    assert all(f.name != "For our subscribers" for f in ana_dm.fields)
    # streaks: names and days
    streaks = {f.name: f.value for f in post.fields}["Longest streaks this week"]
    assert streaks == "@ana: 1 day"
    # the headline's links sit in the body, before the figures
    assert "**Read more:** [" in post.body
    assert not any("Read more" in link.label for link in post.links)
    # DM copies lead with the subscriber's topics
    assert ana_dm.body.startswith("**On your topics (machine-learning):** *Ship a dumb baseline")
    assert "(this week's headline)" in ana_dm.body
    assert zed_dm.body.startswith("**On your topics (reinforcement-learning):**")
    assert ana_dm.body.endswith(post.body)
    # every shorter tip: whole sentences, then the way to the full tip
    for section in post.sections:
        if section.heading.startswith("More tips: "):
            first = section.body.split("\n\n", 1)[0]
            assert re.search(r"[.!?)`\"']$", first), first
            assert not first.endswith("…"), first
            assert "Full tip: `/tip " in section.body

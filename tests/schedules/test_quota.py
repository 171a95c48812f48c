"""QUOTA_SCHEDULES_PER_COMMUNITY (issue 17 §6): a clear refusal once a community has its most
schedules; changing an existing one and personal reminders do not count against it. The count
is read from the database: both backends."""

from __future__ import annotations

from datetime import time

import pytest

from bot.commands.errors import UserError
from bot.timing.recurrence import WeeklyAt
from tests.schedules.support import PostCog
from tests.schedules.test_service import GENERAL, MOD, MON, community

pytestmark = pytest.mark.both_backends


async def test_a_community_has_at_most_its_quota_of_schedules(make_app) -> None:
    app = await make_app([PostCog], quota_schedules_per_community=2)
    place = await community(app)

    async def create(name: str) -> None:
        await app.schedules.create(
            place,
            kind="test.post",
            name=name,
            rule=WeeklyAt(frozenset({MON}), time(9, 0)),
            timezone="UTC",
            actor=MOD,
            channel=GENERAL,
        )

    await create("one")
    await create("two")
    with pytest.raises(UserError) as refused:
        await create("three")
    assert "already has 2 schedules" in str(refused.value)
    assert "QUOTA_SCHEDULES_PER_COMMUNITY=2" in str(refused.value)
    assert "/schedule remove" in str(refused.value)
    assert len(await app.schedules.list_community(place.id)) == 2
    one = await app.schedules.find(place.id, "one")
    assert one is not None
    await app.schedules.remove(one, actor=MOD)
    await create("three")  # room again

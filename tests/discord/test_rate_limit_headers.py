"""Discord's rate limits from the headers (issue 16 §3): the sender learns each bucket from
X-RateLimit-Bucket / -Remaining / -Reset-After and waits for the reset BEFORE Discord has to
answer 429, with no per-channel rate configured; the emulator applies Discord's limits
(tests/emulators/discord/ratelimits.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.adapters.discord.sender import DiscordSender, SharedGlobalLimit, route_of
from bot.delivery.sender import RateLimited
from bot.messages import Message
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from bot.timing.clock import ManualClock
from cogs.help import HelpCog
from tests.conftest import AppFactory
from tests.delivery.fakes import queue
from tests.discord.conftest import GUILD
from tests.emulators.discord import DiscordEmulator
from tests.emulators.discord.ratelimits import RateLimits

CHANNEL = "100000000000000001"


@pytest.fixture
async def strict(clock: ManualClock) -> AsyncIterator[DiscordEmulator]:
    """An emulator applying Discord's limits on the test's clock."""
    limits = RateLimits.discord(dm_open=(3, 10.0))
    limits.clock = lambda: clock.now().timestamp()
    emu = DiscordEmulator(guilds=[GUILD], rate_limits=limits)
    await emu.start()
    yield emu
    await emu.close()


def test_routes_are_counted_per_top_level_resource() -> None:
    assert route_of("POST", "/channels/123/messages") == ("POST /channels/{}/messages", "123")
    assert route_of("POST", "/users/@me/channels") == ("POST /users/@me/channels", "")


async def test_every_answer_carries_the_rate_limit_headers(strict: DiscordEmulator) -> None:
    headers = {"Authorization": f"Bot {strict.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for n in range(6):
            async with http.post(
                f"{strict.api_url}/channels/{CHANNEL}/messages", json={"content": f"m{n}"}
            ) as resp:
                got = resp.headers
                assert got["X-RateLimit-Bucket"] == "msg-create"
                assert got["X-RateLimit-Limit"] == "5"
                assert float(got["X-RateLimit-Reset-After"]) > 0 and "X-RateLimit-Reset" in got
                if n < 5:
                    assert resp.status == 200 and got["X-RateLimit-Remaining"] == str(4 - n)
                else:  # the sixth in the window
                    assert resp.status == 429 and got["X-RateLimit-Scope"] == "user"
                    assert (await resp.json())["global"] is False
        # Another channel has its own bucket.
        async with http.post(
            f"{strict.api_url}/channels/100000000000000002/messages", json={"content": "x"}
        ) as resp:
            assert resp.status == 200 and resp.headers["X-RateLimit-Remaining"] == "4"
    assert strict.invalid_requests[429] == 1


async def test_opening_dms_is_one_bucket_shared_by_every_recipient(
    strict: DiscordEmulator,
) -> None:
    """`POST /users/@me/channels` has no top-level resource in its path: every recipient counts
    against one bucket (3 per 10 s in `strict`), so a fourth new member is refused 429."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {strict.token}"}) as http:
        seen = []
        for n in range(4):
            async with http.post(
                f"{strict.api_url}/users/@me/channels", json={"recipient_id": str(7000 + n)}
            ) as resp:
                seen.append(
                    (
                        resp.status,
                        resp.headers["X-RateLimit-Bucket"],
                        resp.headers["X-RateLimit-Remaining"],
                    )
                )
    assert seen == [
        (200, "dm-open", "2"),
        (200, "dm-open", "1"),
        (200, "dm-open", "0"),
        (429, "dm-open", "0"),
    ]
    assert strict.invalid_requests[429] == 1


async def test_the_global_limit_answers_429_global(clock: ManualClock) -> None:
    limits = RateLimits.discord()
    limits.clock = lambda: clock.now().timestamp()
    emu = DiscordEmulator(guilds=[GUILD], rate_limits=limits)
    await emu.start()
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
            statuses = []
            for _ in range(50):
                async with http.get(f"{emu.api_url}/users/@me") as resp:
                    statuses.append(resp.status)
            assert statuses == [200] * 50
            async with http.get(f"{emu.api_url}/users/@me") as resp:
                assert resp.status == 429
                assert resp.headers["X-RateLimit-Global"] == "true"
                assert (await resp.json())["global"] is True
    finally:
        await emu.close()


async def test_the_sender_waits_for_an_empty_bucket_without_a_429(
    strict: DiscordEmulator, clock: ManualClock
) -> None:
    sender = DiscordSender(
        strict.token, api_base_url=strict.api_url, clock=lambda: clock.now().timestamp()
    )
    post = Destination("discord", "g", DestinationKind.CHANNEL, CHANNEL)
    try:
        for n in range(5):
            await sender.send(post, Message(body=f"m{n}"), idempotency_key=f"k{n}")
        with pytest.raises(RateLimited) as refused:
            await sender.send(post, Message(body="m5"), idempotency_key="k5")
        assert 0 < refused.value.retry_after <= 5.0
        assert len(strict.requests("POST")) == 5  # the sixth was never sent
        clock.advance(timedelta(seconds=refused.value.retry_after))
        await sender.send(post, Message(body="m5"), idempotency_key="k5")
    finally:
        await sender.close()
    assert strict.invalid_requests[429] == 0


async def test_a_fan_out_paced_only_by_the_headers_gets_no_429(
    strict: DiscordEmulator, make_app: AppFactory, clock: ManualClock
) -> None:
    """12 posts to one channel and 8 DMs to new members (the DM-open bucket is shared by every
    recipient: 3 per 10 s here), no per-route rate configured: all arrive, none answered 429."""
    app = await make_app(
        [HelpCog],
        delivery_discord_rate=0.0,
        delivery_discord_route_rate=0.0,
        delivery_concurrency=4,
    )
    sender = DiscordSender(
        strict.token,
        api_base_url=strict.api_url,
        dm_cache=app.delivery.dm_cache("discord"),
        clock=app.delivery.timer.time,
    )
    app.delivery.register_sender("discord", sender)
    try:
        post = Destination("discord", "g", DestinationKind.CHANNEL, CHANNEL)
        posts = [Delivery(post, Message(body=f"post {n}")) for n in range(12)]
        dms = [
            Delivery(
                Destination("discord", "g", DestinationKind.DM, str(7000 + n)), Message(body="hi")
            )
            for n in range(8)
        ]
        for n, delivery in enumerate(posts):  # one post per run: a run posts once a channel
            await queue(app, f"paced-{n}", [delivery])
        await queue(app, "paced-dms", dms)
        for _ in range(40):
            await asyncio.wait_for(app.delivery.idle(), 30)
            if strict.messages_created == 20:
                break
            clock.advance(timedelta(seconds=1))
        assert len(strict.messages[CHANNEL]) == 12
        assert strict.messages_created == 20
        assert strict.invalid_requests[429] == 0
        assert app.delivery.stats()["discord"]["rate_limited"] > 0  # it did wait, locally
    finally:
        await sender.close()


async def test_a_global_429_holds_discordpy_too_and_discordpy_holds_the_sender(
    strict: DiscordEmulator, clock: ManualClock
) -> None:
    """Discord's global limit is per token: the delivery sender and discord.py's HTTP client
    share it (discord.py's `_global_over` event is its global lock)."""

    class DiscordPyHttp:  # the attribute of discord.http.HTTPClient the limit shares
        def __init__(self) -> None:
            self._global_over = asyncio.Event()
            self._global_over.set()

    http = DiscordPyHttp()
    limit = SharedGlobalLimit(lambda: clock.now().timestamp())
    limit.attach(http)
    sender = DiscordSender(
        strict.token,
        api_base_url=strict.api_url,
        clock=lambda: clock.now().timestamp(),
        global_limit=limit,
    )
    post = Destination("discord", "g", DestinationKind.CHANNEL, CHANNEL)
    try:
        strict.fail("POST", r"/channels/\d+/messages", retry_after=2.0, is_global=True)
        with pytest.raises(RateLimited) as first:
            await sender.send(post, Message(body="a"), idempotency_key="a")
        assert first.value.is_global
        assert not http._global_over.is_set()  # discord.py's requests wait too
        with pytest.raises(RateLimited) as held:  # and so does the sender, without a request
            await sender.send(post, Message(body="a"), idempotency_key="a")
        assert held.value.is_global and len(strict.requests("POST")) == 1
        clock.advance(timedelta(seconds=2))
        http._global_over.clear()  # now discord.py is the one holding the global lock
        with pytest.raises(RateLimited) as discordpy:
            await sender.send(post, Message(body="a"), idempotency_key="a")
        assert discordpy.value.is_global and len(strict.requests("POST")) == 1
        http._global_over.set()
        await sender.send(post, Message(body="a"), idempotency_key="a")
        assert len(strict.requests("POST")) == 2
    finally:
        await sender.close()

"""A loopback emulator of the Discord and Slack message APIs, for the fan-out benchmark.

    python -m bench.emulator [--ceiling 2000] [--latency-ms 50] [--fail-rate 0]
                             [--revoke-after N]

Binds 127.0.0.1 on a free port and prints `PORT <n>` on its first line. Every request waits
`latency` before it is answered and counts against one global ceiling of `ceiling` requests per
one-second window; over it, the answer is a 429 shaped like the platform's (Discord: JSON
`retry_after` and `global: true`, `X-RateLimit-Scope: global`; Slack: `Retry-After` header,
`error: ratelimited`). `fail-rate` answers that fraction of message posts with a 503.
`revoke-after N` revokes the bot token once N messages were delivered: every request answered
after that is refused as the platform refuses a revoked token (Discord: 401 `{"message": "401:
Unauthorized", "code": 0}`; Slack: `{"ok": false, "error": "token_revoked"}`) and counted in
`unauthorized` - what Discord counts towards its ban of an IP after 10,000 invalid requests in
10 minutes (Discord docs, Topics: Rate Limits, "Invalid Request Limit aka Cloudflare bans",
https://discord.com/developers/docs/topics/rate-limits#invalid-request-limit-aka-cloudflare-bans).

Discord: `GET /discord/api/v10/users/@me` and `.../oauth2/applications/@me` (a discord.py
login), `POST /discord/api/v10/users/@me/channels` opens a DM (channel id `7<user id>`), `POST
/discord/api/v10/channels/{id}/messages` posts (a repeated `nonce` with `enforce_nonce` returns
the first message and is not delivered again). Slack: `conversations.open` and
`chat.postMessage` under `/slack/api/`. `GET /stats` returns the counts; `POST /reset` zeroes them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import random
import sys
import time
from collections import Counter
from typing import Any

from aiohttp import web


class Emulator:
    def __init__(
        self,
        ceiling: float,
        latency: float,
        fail_rate: float,
        seed: int = 1,
        revoke_after: int | None = None,
    ) -> None:
        self.ceiling = ceiling
        self.latency = latency
        self.fail_rate = fail_rate
        #: Revoke the token once this many messages were delivered (None: never).
        self.revoke_after = revoke_after
        self.random = random.Random(seed)
        self.window = math.floor(time.monotonic())
        self.in_window = 0
        self.delivered: Counter[str] = Counter()  # channel -> messages shown to the person
        self.nonces: set[tuple[str, str]] = set()
        self.counts: Counter[str] = Counter()
        self.first_admitted: float | None = None
        self.last_admitted = 0.0

    def reset(self) -> None:
        self.delivered.clear()
        self.nonces.clear()
        self.counts.clear()
        self.first_admitted = None

    async def admit(self) -> float:
        """Wait the round trip; 0 if the request is within the ceiling, else Retry-After."""
        self.counts["requests"] += 1
        await asyncio.sleep(self.latency)
        now = time.monotonic()
        window = math.floor(now)
        if window != self.window:
            self.window, self.in_window = window, 0
        if self.in_window >= self.ceiling:
            self.counts["rate_limited"] += 1
            return window + 1 - now
        self.in_window += 1
        if self.first_admitted is None:
            self.first_admitted = now
        self.last_admitted = now
        return 0.0

    def window_headers(self, bucket: str) -> dict[str, str]:
        """Discord's rate-limit headers for a bucket bounded by the ceiling's one-second window
        (Discord docs, Topics: Rate Limits, Header Format), so clients such as discord.py learn
        how many requests may be in flight instead of sending one at a time."""
        now = time.monotonic()
        reset_after = max(0.001, self.window + 1 - now)
        return {
            "X-RateLimit-Limit": str(int(self.ceiling)),
            "X-RateLimit-Remaining": str(max(0, int(self.ceiling) - self.in_window)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }

    def revoked(self) -> bool:
        """The token is revoked: count the refusal (after the round trip, so a request sent
        before the revocation but answered after it is refused too, as on the platform)."""
        if self.revoke_after is not None and self.counts["messages"] >= self.revoke_after:
            self.counts["unauthorized"] += 1
            return True
        return False

    async def discord_refusal(self) -> web.Response | None:
        """After the round trip: Discord's answer when this request is refused (over the
        ceiling: 429; the token revoked: 401), or None to serve it."""
        wait = await self.admit()
        if wait:
            return _discord_429(wait)
        return _discord_401() if self.revoked() else None

    async def slack_refusal(self) -> web.Response | None:
        """After the round trip: Slack's answer when this request is refused (over the
        ceiling: ratelimited; the token revoked: token_revoked), or None to serve it."""
        wait = await self.admit()
        if wait:
            return _slack_429(wait)
        return _slack_revoked() if self.revoked() else None

    def fails(self) -> bool:
        if self.fail_rate and self.random.random() < self.fail_rate:
            self.counts["failed_5xx"] += 1
            return True
        return False

    def deliver(self, channel: str, nonce: str | None) -> None:
        if nonce:
            if (channel, nonce) in self.nonces:
                self.counts["nonce_deduplicated"] += 1
                return
            self.nonces.add((channel, nonce))
        self.delivered[channel] += 1
        self.counts["messages"] += 1

    def stats(self) -> dict[str, Any]:
        return {
            **self.counts,
            "channels": len(self.delivered),
            "duplicates": sum(n - 1 for n in self.delivered.values() if n > 1),
            "emulator_cpu_s": time.process_time(),
            # from the first to the last request admitted (the bot's start-up excluded)
            "busy_seconds": 0.0
            if self.first_admitted is None
            else self.last_admitted - self.first_admitted,
        }

    # -- Discord -------------------------------------------------------------------------

    async def discord_me(self, request: web.Request) -> web.Response:
        """The bot user (discord.py's login asks for it)."""
        if (refused := await self.discord_refusal()) is not None:
            return refused
        return _discord_json({**_user("800000000000000002", "bench"), "bot": True})

    async def discord_application(self, request: web.Request) -> web.Response:
        """The application (discord.py's login asks for it too)."""
        if (refused := await self.discord_refusal()) is not None:
            return refused
        return _discord_json(
            {
                "id": "800000000000000001",
                "name": "bench",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": _user("900000000000000001", "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def discord_open(self, request: web.Request) -> web.Response:
        if (refused := await self.discord_refusal()) is not None:
            return refused
        body = await request.json()
        self.counts["dm_opened"] += 1
        recipient = str(body["recipient_id"])
        return _discord_json(
            {
                "id": f"7{recipient}",  # a snowflake: digits only
                "type": 1,
                "recipients": [_user(recipient, "member")],
            },
            headers=self.window_headers("dm-open"),
        )

    async def discord_post(self, request: web.Request) -> web.Response:
        if (refused := await self.discord_refusal()) is not None:
            return refused
        if self.fails():
            return web.json_response({"message": "Service unavailable"}, status=503)
        body = await request.json()
        channel = request.match_info["channel"]
        nonce = str(body["nonce"]) if body.get("enforce_nonce") and body.get("nonce") else None
        self.deliver(channel, nonce)
        # A channel's own message bucket (Discord: 5 per 5 s per channel); one DM each here.
        headers = {
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "4",
            "X-RateLimit-Reset": f"{time.time() + 5:.3f}",
            "X-RateLimit-Reset-After": "5.000",
            "X-RateLimit-Bucket": "channel-messages",
        }
        return _discord_json(_message(str(self.counts["messages"]), channel, body), headers=headers)

    # -- Slack ---------------------------------------------------------------------------

    async def _slack_args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(await request.post())
        return args

    async def slack_open(self, request: web.Request) -> web.Response:
        if (refused := await self.slack_refusal()) is not None:
            return refused
        args = await self._slack_args(request)
        self.counts["dm_opened"] += 1
        return web.json_response({"ok": True, "channel": {"id": f"D{args['users']}"}})

    async def slack_post(self, request: web.Request) -> web.Response:
        if (refused := await self.slack_refusal()) is not None:
            return refused
        if self.fails():
            return web.json_response({"ok": False, "error": "service_unavailable"}, status=503)
        args = await self._slack_args(request)
        self.deliver(str(args["channel"]), None)
        return web.json_response({"ok": True, "ts": f"{time.time():.6f}"})

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/discord/api/v10/users/@me", self.discord_me)
        app.router.add_get("/discord/api/v10/oauth2/applications/@me", self.discord_application)
        app.router.add_post("/discord/api/v10/users/@me/channels", self.discord_open)
        app.router.add_post("/discord/api/v10/channels/{channel}/messages", self.discord_post)
        app.router.add_post("/slack/api/conversations.open", self.slack_open)
        app.router.add_post("/slack/api/chat.postMessage", self.slack_post)
        app.router.add_get("/stats", self.get_stats)
        app.router.add_post("/reset", self.post_reset)
        return app


def _discord_json(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    # discord.py decodes a body as JSON only when Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


def _user(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "public_flags": 0,
    }


def _message(message_id: str, channel: str, body: dict[str, Any]) -> dict[str, Any]:
    """A created message as Discord answers it (the fields discord.py reads)."""
    return {
        "id": message_id,
        "channel_id": channel,
        "type": 0,
        "content": body.get("content") or "",
        "author": _user("800000000000000002", "bench"),
        "embeds": body.get("embeds") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
        "timestamp": "2026-12-05T00:00:00+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }


def _discord_429(wait: float) -> web.Response:
    return _discord_json(
        {"message": "You are being rate limited.", "retry_after": round(wait, 3), "global": True},
        status=429,
        headers={
            "Retry-After": str(math.ceil(wait)),
            "X-RateLimit-Global": "true",
            "X-RateLimit-Scope": "global",
            # Discord answers through its proxy; a 429 without it looks like a Cloudflare ban
            # to discord.py, which then gives up instead of waiting.
            "Via": "1.1 google",
        },
    )


def _discord_401() -> web.Response:
    """Discord docs, Topics: Opcodes and Status Codes, HTTP 401 UNAUTHORIZED
    (https://discord.com/developers/docs/topics/opcodes-and-status-codes#http): the body
    {"message": "401: Unauthorized", "code": 0}."""
    return _discord_json({"message": "401: Unauthorized", "code": 0}, status=401)


def _slack_revoked() -> web.Response:
    """https://docs.slack.dev/reference/methods/chat.postMessage errors: token_revoked
    "Authentication token is for a deleted user or workspace or the app has been removed",
    answered with HTTP 200 like every Web API error."""
    return web.json_response({"ok": False, "error": "token_revoked"})


def _slack_429(wait: float) -> web.Response:
    return web.json_response(
        {"ok": False, "error": "ratelimited"},
        status=429,
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def _not_a_client_gone(record: logging.LogRecord) -> bool:
    """A bot SIGKILLed mid-request (the --kills runs) is expected, not an emulator error."""
    return not (record.exc_info and isinstance(record.exc_info[1], ConnectionResetError))


async def serve(
    ceiling: float, latency: float, fail_rate: float, revoke_after: int | None = None
) -> None:
    logging.getLogger("aiohttp.server").addFilter(_not_a_client_gone)
    emulator = Emulator(ceiling, latency, fail_rate, revoke_after=revoke_after)
    runner = web.AppRunner(emulator.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ceiling", type=float, default=2000.0, help="requests per second")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="round trip per request")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of posts given 503")
    parser.add_argument(
        "--revoke-after", type=int, default=None, help="revoke the token after N messages"
    )
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.ceiling, args.latency_ms / 1000, args.fail_rate, args.revoke_after))
    return 0


if __name__ == "__main__":
    sys.exit(main())

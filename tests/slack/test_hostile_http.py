"""/slack/events under hostile traffic (issue 17 §2): the signature is checked on the raw bytes
before any parsing; refusals are 401, counted, summarised at most once a minute and never logged
with their body; signed but unreadable bodies are 400, never 500 or a traceback."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from bot.adapters.slack import adapter as slack_adapter
from bot.adapters.slack.blocks import to_mrkdwn
from bot.adapters.slack.verify import RefusalLog, check_signature
from tests.slack.conftest import SECRET, SlackBot, sign
from tests.slack.test_http_mode import texts

SECRET_TEXT = "response-url-and-token-must-not-be-logged"


async def raw_post(
    bot: SlackBot, body: bytes, *, signed: bool, content_type: str, timestamp: int | None = None
) -> int:
    headers = {"Content-Type": content_type}
    if signed:
        headers.update(sign(body, int(time.time()) if timestamp is None else timestamp))
    else:
        headers.update({"X-Slack-Request-Timestamp": str(int(time.time()))})
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    async with bot.session.post(bot.events_url, data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


def refused_total(bot: SlackBot) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric in bot.app.metrics.registry.collect():
        if metric.name == "mlebot_slack_requests_refused":
            for s in metric.samples:
                if s.name.endswith("_total"):
                    out[s.labels["reason"]] = s.value
    return out


FORM = "application/x-www-form-urlencoded"


def form_payload(value: object) -> bytes:
    return urlencode({"payload": json.dumps(value)}).encode()


MALFORMED: list[tuple[str, bytes, str]] = [
    ("invalid utf-8", b"command=/help&text=\xff\xfe\xfa", FORM),
    ("percent-encoded invalid utf-8", b"command=/help&text=%ff%fe", FORM),
    ("bad json", b'{"type": "event_callback", ', "application/json"),
    ("json not an object", b"[1, 2, 3]", "application/json"),
    ("payload garbage", b"payload=%7Bnot-json", FORM),
    ("payload not an object", b"payload=42", FORM),
    ("deeply nested json", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("deeply nested payload", b"payload=" + b"%5B" * 50_000, FORM),
    ("json in a form body", b'{"a": ' * 20_000, FORM),
    ("binary", bytes(range(256)) * 100, "application/octet-stream"),
    # Readable, but of shapes Slack never sends: bolt's own parsing trips over them.
    ("event not an object", b'{"type": "event_callback", "event": 42}', "application/json"),
    ("actions not a list", form_payload({"type": "block_actions", "actions": "x"}), FORM),
    ("action without an id", form_payload({"type": "block_actions", "actions": [{}]}), FORM),
    (
        "ids of the wrong type",
        form_payload(
            {"type": "block_actions", "actions": [{"action_id": 5}], "user": {"id": "U1"}}
        ),
        FORM,
    ),
    ("view not an object", form_payload({"type": "view_submission", "view": 5}), FORM),
]


@pytest.mark.parametrize(("name", "body", "content_type"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_bodies_are_401_unsigned_and_400_signed(
    slack_bot: SlackBot,
    caplog: pytest.LogCaptureFixture,
    name: str,
    body: bytes,
    content_type: str,
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert await raw_post(slack_bot, body, signed=False, content_type=content_type) == 401
        assert await raw_post(slack_bot, body, signed=True, content_type=content_type) == 400
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info]
    assert refused_total(slack_bot) == {"bad_signature": 1.0, "malformed": 1.0}
    # The bot still answers a genuine request afterwards.
    status, answer = await slack_bot.command("/help")
    assert status == 200 and "mlebot commands" in texts(answer)


async def test_refused_requests_never_log_their_body_and_are_summarised(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    genuine = f"command=/help&text={SECRET_TEXT}&response_url=https://hooks/{SECRET_TEXT}"
    with caplog.at_level(logging.DEBUG):
        for _ in range(50):
            assert (
                await raw_post(slack_bot, genuine.encode(), signed=False, content_type=FORM) == 401
            )
        stale = int(time.time()) - 6 * 60  # genuine but stale: a possible replay
        assert (
            await raw_post(
                slack_bot, genuine.encode(), signed=True, content_type=FORM, timestamp=stale
            )
            == 401
        )
    assert SECRET_TEXT not in caplog.text
    summaries = [
        r for r in caplog.records if "refused" in r.getMessage() and "Slack" in r.getMessage()
    ]
    assert len(summaries) == 1  # the first refusal of the minute; the rest wait for the next
    assert refused_total(slack_bot) == {"bad_signature": 50.0, "stale": 1.0}


def test_the_summary_is_logged_at_most_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    counted: list[str] = []
    timers: list[tuple[float, object]] = []
    refusals = RefusalLog(
        counted.append, clock=lambda: now[0], call_later=lambda d, f: timers.append((d, f))
    )
    with caplog.at_level(logging.INFO, logger="bot.adapters.slack.verify"):
        for second in range(180):
            now[0] = 1000.0 + second
            for _ in range(100):
                refusals.refused("bad_signature")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3  # t=0, 60, 120
    assert "refused 1 Slack request(s)" in lines[0]
    assert "refused 6000 Slack request(s) in the last 60 s (bad_signature: 6000)" in lines[1]
    assert len(counted) == 18_000
    assert len(timers) == 1  # one timer waits for the end of a minute, however many refusals


def test_the_tail_of_a_flood_is_summarised_when_the_minute_is_over(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    timers: list[tuple[float, Callable[[], None]]] = []
    refusals = RefusalLog(
        lambda _: None, clock=lambda: now[0], call_later=lambda d, f: timers.append((d, f))
    )
    with caplog.at_level(logging.INFO, logger="bot.adapters.slack.verify"):
        refusals.refused("bad_signature")  # summarised at once
        now[0] = 1010.0
        for _ in range(7):
            refusals.refused("stale")  # then nothing more arrives
        ((delay, fire),) = timers
        assert delay == 50.0  # when the minute since the last summary is over
        assert len(caplog.records) == 1
        now[0] = 1060.0
        fire()
        fire()  # nothing pending: no empty summary
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "refused 7 Slack request(s) in the last 60 s (stale: 7)" in lines[1]


@pytest.mark.parametrize(
    ("timestamp", "signature", "reason"),
    [
        (None, "v0=x", "unsigned"),
        ("1700000000", None, "unsigned"),
        ("soon", "v0=x", "bad_timestamp"),
        ("9" * 40, "v0=x", "bad_timestamp"),
        ("1699999000", "v0=x", "stale"),
        ("1700000000", "v0=" + "0" * 64, "bad_signature"),
        ("1700000000", "v0=\u00e9", "bad_signature"),
    ],
)
def test_check_signature_reasons(timestamp: str | None, signature: str | None, reason: str) -> None:
    assert check_signature(SECRET, timestamp, signature, b"x", now=1700000000) == reason


def test_a_genuine_signature_passes() -> None:
    headers = sign(b"command=/help", 1700000000)
    assert (
        check_signature(
            SECRET,
            headers["X-Slack-Request-Timestamp"],
            headers["X-Slack-Signature"],
            b"command=/help",
            now=1700000100,
        )
        is None
    )


async def test_nul_in_command_text_is_answered_not_a_500(slack_bot: SlackBot) -> None:
    status, answer = await slack_bot.command("/help", "a\x000\x00b")
    assert status == 200
    assert "\x00" not in json.dumps(answer).replace("\\u0000", "\x00")
    assert "\x00" not in to_mrkdwn("a\x000\x00b **\x001\x00** [x](https://e.org)")


async def test_an_error_in_the_bots_own_code_is_still_a_500_with_its_traceback(
    slack_bot: SlackBot, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only errors bolt raises reading a request are the sender's (400); a bug in the bot's
    listener keeps its traceback, so it is not mistaken for a malformed request."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in the bot")

    monkeypatch.setattr(slack_adapter, "slash_commands", broken)
    body = b"command=/help&text=&user_id=U1&team_id=T0001&channel_id=C1"
    with caplog.at_level(logging.INFO):
        assert await raw_post(slack_bot, body, signed=True, content_type=FORM) == 500
    (failed,) = [r for r in caplog.records if r.exc_info]
    assert "a bug in the bot" in str(failed.exc_info[1])  # type: ignore[index]
    assert "malformed" not in refused_total(slack_bot)


def test_a_timer_never_summarises_twice_within_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    timers: list[tuple[float, Callable[[], None]]] = []
    refusals = RefusalLog(
        lambda _: None, clock=lambda: now[0], call_later=lambda d, f: timers.append((d, f))
    )
    with caplog.at_level(logging.INFO, logger="bot.adapters.slack.verify"):
        refusals.refused("bad_signature")  # summary at 1000
        now[0] = 1010.0
        refusals.refused("bad_signature")  # waits: a timer for 1060
        now[0] = 1061.0
        refusals.refused("bad_signature")  # summary at 1061, before the timer ran
        now[0] = 1062.0
        refusals.refused("bad_signature")
        timers.pop(0)[1]()  # the late timer: 1062 is within 1061's minute
        assert len(caplog.records) == 2
        (delay, fire) = timers.pop(0)
        assert delay == 59.0
        now[0] = 1121.0
        fire()
    assert len(caplog.records) == 3

"""The dispatcher: option conversion, validation errors, permissions, incident ids."""

from __future__ import annotations

import logging
from datetime import time

import pytest

from bot.cog import Cog, action, command
from bot.commands.context import ActionContext, ChannelRef, Context
from bot.commands.converters import convert_options
from bot.commands.errors import OptionError, UserError
from bot.commands.registry import Choice, Command, Option, OptionType, Permission
from bot.messages import Button, Message, Tone
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, actor, click, invocation


class SampleCog(Cog):
    name = "sample"
    groups = {"sample": "Things to test the dispatcher with"}

    def __init__(self, app: object) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.calls: list[dict[str, object]] = []

    @command(
        "sample echo",
        "Echo converted values",
        Option("count", OptionType.INTEGER, "How many", required=True, min_value=1, max_value=5),
        Option("at", OptionType.TIME, "When"),
        Option("zone", OptionType.TIMEZONE, "Where"),
        Option(
            "level",
            OptionType.STRING,
            "Level",
            choices=(Choice("Beginner", "beginner"), Choice("Advanced", "advanced")),
        ),
        Option("where", OptionType.CHANNEL, "Channel"),
        Option("loud", OptionType.BOOLEAN, "Shout?", default=False),
    )
    async def echo(self, ctx: Context, **values: object) -> None:
        self.calls.append(values)
        await ctx.reply(Message(body="ok", buttons=(Button("Again", "sample.again", "1"),)))

    @command("sample admin", "Moderators only", permission=Permission.MODERATOR, private=True)
    async def admin(self, ctx: Context) -> None:
        await ctx.reply("done")

    @command("sample fail", "Always breaks")
    async def fail(self, ctx: Context) -> None:
        raise RuntimeError("boom")

    @command("sample refuse", "Raises a user error")
    async def refuse(self, ctx: Context) -> None:
        raise UserError("You can't do that yet.", hint="Try later.")

    @action("sample.again")
    async def again(self, ctx: ActionContext, value: str) -> None:
        await ctx.reply(f"again {value}")


async def test_converts_every_option_type(make_app: AppFactory) -> None:
    app = await make_app([SampleCog])
    cog = app.cogs["sample"]
    assert isinstance(cog, SampleCog)
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(
        invocation(
            "sample echo",
            {
                "count": "3",
                "at": "6:30pm",
                "zone": "europe/london",
                "level": "Advanced",
                "where": "#general",
                "loud": "yes",
            },
        ),
        responder,
    )
    assert outcome.status == "ok"
    assert cog.calls == [
        {
            "count": 3,
            "at": time(18, 30),
            "zone": "Europe/London",
            "level": "advanced",
            "where": ChannelRef("general", "general"),
            "loud": True,
        }
    ]
    assert responder.last.private is False


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "`count`: is required"),
        ({"count": "nine"}, "`count`: 'nine' is not a whole number"),
        ({"count": "9"}, "`count`: must be at most 5"),
        ({"count": "1", "at": "25:00"}, "`at`: '25:00' is not a time of day"),
        ({"count": "1", "zone": "Europe/Londn"}, "Did you mean Europe/London"),
        ({"count": "1", "level": "expert"}, "`level`: 'expert' is not one of: beginner, advanced"),
        ({"count": "1", "nope": "x"}, "has no option `nope`"),
    ],
)
async def test_validation_errors_name_the_option(
    make_app: AppFactory, options: dict[str, str], expected: str
) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(invocation("sample echo", options), responder)
    assert outcome.status == "user_error"
    assert expected in responder.last.body
    assert responder.last.private is True
    assert app.cogs["sample"].calls == []  # type: ignore[attr-defined]


async def test_moderator_command_refused_for_member(make_app: AppFactory) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(invocation("sample admin"), responder)
    assert outcome.status == "denied"
    assert "Only moderators" in responder.last.body
    outcome = await app.dispatcher.dispatch(
        invocation("sample admin", who=actor("mo", moderator=True)), responder
    )
    assert outcome.status == "ok"
    assert responder.last.body == "done" and responder.last.private is True


async def test_configured_moderator_user_and_role(make_app: AppFactory) -> None:
    from storage.communities import ModeratorGrant

    app = await make_app([SampleCog])
    responder = RecordingResponder()
    await app.dispatcher.dispatch(invocation("sample admin"), responder)
    community = await app.communities.find("console", "console")
    assert community is not None
    await app.communities.grant_moderator(community.id, ModeratorGrant("user", "ana", "ana"))
    await app.communities.grant_moderator(community.id, ModeratorGrant("role", "r1", "mods"))
    assert (await app.dispatcher.dispatch(invocation("sample admin"), responder)).status == "ok"
    bob_with_role = actor("bob", roles=frozenset({"r1"}))
    assert (
        await app.dispatcher.dispatch(invocation("sample admin", who=bob_with_role), responder)
    ).status == "ok"
    assert (
        await app.dispatcher.dispatch(invocation("sample admin", who=actor("carl")), responder)
    ).status == "denied"


async def test_unexpected_error_gets_incident_id_and_bot_keeps_going(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    with caplog.at_level(logging.ERROR):
        outcome = await app.dispatcher.dispatch(invocation("sample fail"), responder)
    assert outcome.status == "error" and outcome.incident
    assert outcome.incident in responder.last.body
    assert responder.last.tone is Tone.ERROR and responder.last.private
    assert any(outcome.incident in r.getMessage() for r in caplog.records)
    assert "boom" not in responder.last.body
    ok = await app.dispatcher.dispatch(invocation("sample echo", {"count": 1}), responder)
    assert ok.status == "ok"


async def test_user_error_is_private_and_friendly(make_app: AppFactory) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(invocation("sample refuse"), responder)
    assert outcome.status == "user_error"
    assert responder.last.body == "You can't do that yet.\nTry later."


async def test_button_routes_to_action_and_unknown_buttons_are_explained(
    make_app: AppFactory,
) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    assert (
        await app.dispatcher.dispatch_action(click("sample.again", "7"), responder)
    ).status == "ok"
    assert responder.last.body == "again 7" and responder.last.private
    assert (
        await app.dispatcher.dispatch_action(click("gone.away"), responder)
    ).status == "user_error"


async def test_unknown_command(make_app: AppFactory) -> None:
    app = await make_app([SampleCog])
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(invocation("nothing here"), responder)
    assert outcome.status == "user_error" and "/nothing here" in responder.last.body


async def test_outcome_observers_see_every_command(make_app: AppFactory) -> None:
    app = await make_app([SampleCog])
    seen: list[str] = []
    app.dispatcher.outcome_observers.append(lambda o: seen.append(f"{o.name}={o.status}"))
    await app.dispatcher.dispatch(invocation("sample fail"), RecordingResponder())
    await app.dispatcher.dispatch(invocation("sample admin"), RecordingResponder())
    assert seen == ["sample fail=error", "sample admin=denied"]


def test_plain_channel_names_only_in_the_console() -> None:
    declared = SampleCog.echo.__mlebot_command__  # type: ignore[attr-defined]
    cmd = Command(handler=SampleCog.echo, **declared)
    assert convert_options(cmd, {"count": "1", "where": "#general"})["where"] == ChannelRef(
        id="general", name="general"
    )
    slack = convert_options(cmd, {"count": "1", "where": "<#C123|general>"}, plain_names=False)
    assert slack["where"] == ChannelRef(id="C123", name="general")
    with pytest.raises(OptionError) as refused:
        convert_options(cmd, {"count": "1", "where": "#general"}, plain_names=False)
    assert "pick the channel from the suggestions" in refused.value.message

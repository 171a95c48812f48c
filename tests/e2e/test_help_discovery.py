"""Help and discovery through the console: one screen per role, group detail, `/tip` guesses,
the current time zone, and plain text pointing at search."""

from __future__ import annotations

from bot.loader import load_cog_classes
from tests.conftest import AppFactory
from tests.schedules.support import ConsoleSession


async def test_members_see_what_they_can_run_on_one_screen(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    member = ConsoleSession(app, name="ana", moderator=False)
    await member.say("/help")
    screen = member.buffer.getvalue()
    assert len(screen.splitlines()) <= 25, screen
    out = " ".join(screen.replace("│", " ").split())
    assert "What you can do" in out
    assert "/resource random · search · show · suggest · topics" in out
    assert "For moderators" not in out
    for moderator_only in ("/schedule", "publish-now", "approve", "/delivery", "/settings"):
        assert moderator_only not in out, moderator_only

    moderator = ConsoleSession(app, name="mo", moderator=True)
    out = await moderator.say("/help")
    assert "For moderators" in out
    assert "/schedule cron · digest · dsa · history · list" in out
    assert "/settings moderator-role" in out


async def test_group_help_shows_the_detail_members_may_use(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    member = ConsoleSession(app, name="ana", moderator=False)
    out = await member.say("/help resource")
    assert "/resource search [query]" in out
    assert "/resource approve" not in out
    assert "6 more commands for moderators." in out
    out = await member.say("/help schedule")
    assert "These commands are for moderators." in out
    moderator = ConsoleSession(app, name="mo", moderator=True)
    out = await moderator.say("/help resource")
    assert "/resource approve" in out and "(moderators)" in out


async def test_tip_guesses_ids_from_titles_and_typos(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    member = ConsoleSession(app, name="ana", moderator=False)
    out = await member.say("/tip baselin-first")
    assert "is neither a tip topic nor a tip id" in out
    assert "Did you mean /tip baseline-first (Ship a dumb baseline" in out
    out = await member.say("/tip dumb baseline")
    assert "/tip baseline-first" in out
    out = await member.say("/tip cooking")
    assert "'cooking' is not a tip topic" in out


async def test_timezone_without_a_zone_shows_the_current_one(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    moderator = ConsoleSession(app, name="mo", moderator=True)
    out = await moderator.say("/settings timezone")
    assert "The community's time zone is UTC." in out
    await moderator.say("/settings timezone Europe/Paris")
    out = await moderator.say("/settings timezone")
    assert "The community's time zone is Europe/Paris." in out


async def test_plain_text_says_how_to_search(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    member = ConsoleSession(app, name="ana", moderator=False)
    out = await member.say("what is mlops?")
    assert "There is no command" not in out
    assert "To search the library, type /resource search what is mlops" in out
    out = await member.say("/resorce search x")
    assert "Did you mean /resource?" in out

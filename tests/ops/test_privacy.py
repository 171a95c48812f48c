"""/privacy export and /privacy delete over the core's data (and a cog's registered entry)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import Application
from bot.cog import Cog
from bot.messages import Message
from bot.ops.cli import main
from bot.privacy import PrivacySubject
from bot.scheduling.jobs import Delivery, Destination, DestinationKind
from cogs.help import HelpCog
from cogs.privacy import PrivacyCog
from storage.audit import audit_log
from storage.communities import ModeratorGrant, members
from storage.outbox import dm_channels, enqueue, outbox, outbox_messages, undeliverable_recipients
from storage.schedules import schedules
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, actor, click, invocation

ANA, BEN = actor("ana"), actor("ben")
NOW_ISO = "2026-01-05T08:00:00+00:00"  # the `clock` fixture's time


class NotesCog(Cog):
    """Stands in for a feature cog that keeps per-member data and registers it."""

    name = "notes"

    def __init__(self, app: Application) -> None:
        super().__init__(app)
        self.notes: dict[str, list[str]] = {"ana": ["learn SQL"], "ben": ["read DDIA"]}

    async def setup(self) -> None:
        async def export(s: PrivacySubject) -> Any:
            return self.notes.get(s.user_id, [])

        async def delete(s: PrivacySubject) -> int:
            return len(self.notes.pop(s.user_id, []))

        self.app.privacy.register("notes", "Your notes", export=export, delete=delete)


async def seed(app: Application) -> None:
    """Data about ana and ben in every core table that holds personal data."""
    for person in (ANA, BEN):
        await app.dispatcher.dispatch(invocation("help", who=person), RecordingResponder())
    community = await app.communities.find("console", "console")
    assert community is not None
    now = app.clock.now()
    async with app.db.transaction() as conn:
        for who in ("ana", "ben"):
            await conn.execute(
                schedules.insert().values(
                    community_id=community.id,
                    kind="dsa.reminder",
                    name=f"dsa.reminder:{who}",
                    channel_id=None,
                    channel_name=None,
                    recurrence="cron 0 9 * * *",
                    timezone="UTC",
                    params={},
                    paused=False,
                    owner_user_id=who,
                    active_since=now,
                    created_by=who,
                    created_at=now,
                    updated_at=now,
                )
            )
            dm = Destination("console", "console", DestinationKind.DM, who)
            await enqueue(
                conn,
                run_key=f"run-{who}",
                deliveries=[Delivery(dm, Message(body=f"reminder for {who}"))],
                now=now,
            )
            await conn.execute(
                undeliverable_recipients.insert().values(
                    recipient_key=f"console:dm:{who}",
                    platform="console",
                    reason="DMs closed",
                    run_key=None,
                    marked_at=now,
                )
            )
            await conn.execute(
                dm_channels.insert().values(
                    platform="console", user_id=who, channel_id=f"D-{who}", updated_at=now
                )
            )
    for who in ("ana", "ben"):
        await app.communities.grant_moderator(community.id, ModeratorGrant("user", who, who))
        await app.audit.record(
            community_id=community.id,
            actor_id=who,
            actor_name=who.title(),
            action="settings.timezone",
            target="community",
            old="UTC",
            new="Europe/London",
            at=now,
        )


async def export_json(app: Application, who: Any = ANA) -> dict[str, Any]:
    responder = RecordingResponder()
    outcome = await app.dispatcher.dispatch(invocation("privacy export", who=who), responder)
    assert outcome.status == "ok"
    (reply,) = responder.messages  # one private reply carrying one JSON file
    assert reply.private
    (file,) = reply.attachments
    assert file.content_type == "application/json" and file.filename.endswith(".json")
    assert file.filename in reply.body
    text = file.content.decode()
    document: dict[str, Any] = json.loads(text)
    assert text == json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    return document


async def counts(app: Application, who: str) -> dict[str, int]:
    async with app.db.transaction() as conn:

        async def n(stmt: Any) -> int:
            return int((await conn.execute(stmt)).scalar_one())

        return {
            "members": await n(sa.select(sa.func.count()).where(members.c.user_id == who)),
            "schedules": await n(
                sa.select(sa.func.count()).where(schedules.c.owner_user_id == who)
            ),
            "outbox": await n(sa.select(sa.func.count()).where(outbox.c.target_id == who)),
            "undeliverable": await n(
                sa.select(sa.func.count()).where(
                    undeliverable_recipients.c.recipient_key == f"console:dm:{who}"
                )
            ),
            "dm_channels": await n(sa.select(sa.func.count()).where(dm_channels.c.user_id == who)),
            "audit": await n(sa.select(sa.func.count()).where(audit_log.c.actor_id == who)),
        }


async def test_export_holds_everything_stored_about_the_member_and_nothing_else(
    make_app: AppFactory,
) -> None:
    app = await make_app([HelpCog, PrivacyCog, NotesCog])
    await seed(app)
    direct = await app.privacy.export(PrivacySubject("console", "ana"))
    assert direct["undeliverable"] == [{"reason": "DMs closed", "marked_at": NOW_ISO}]
    document = await export_json(app)
    assert document["platform"] == "console" and document["user_id"] == "ana"
    data = document["data"]
    # Using a command clears the "undeliverable" mark (the member is reachable again).
    assert set(data) == {
        "audit_log",
        "direct_messages",
        "dm_channel",
        "memberships",
        "moderator_grants",
        "notes",
        "personal_schedules",
    }
    assert data["memberships"][0]["display_name"] == "ana"
    assert data["personal_schedules"][0]["kind"] == "dsa.reminder"
    assert data["direct_messages"][0]["message"]["body"] == "reminder for ana"
    assert data["notes"] == ["learn SQL"]
    text = json.dumps(data)
    assert "ben" not in text.lower() and "DDIA" not in text

    # Straight through the registry (no command, so ben's marks are all still there).
    removed = await app.privacy.delete(PrivacySubject("console", "ben"))
    assert removed == {
        "audit_log": 1,
        "direct_messages": 1,
        "dm_channel": 1,
        "memberships": 1,
        "moderator_grants": 1,
        "notes": 1,
        "personal_schedules": 1,
        "undeliverable": 1,
    }
    assert await app.privacy.export(PrivacySubject("console", "ben")) == {}


async def test_delete_asks_first_then_removes_only_that_members_data(
    make_app: AppFactory,
) -> None:
    app = await make_app([HelpCog, PrivacyCog, NotesCog])
    await seed(app)
    ben_before = await counts(app, "ben")

    asked = RecordingResponder()
    await app.dispatcher.dispatch(invocation("privacy delete", who=ANA), asked)
    prompt = asked.last
    assert prompt.private and [b.label for b in prompt.buttons] == ["Delete my data", "Cancel"]
    # Nothing deleted by asking (using a command clears only the undeliverable mark).
    assert await counts(app, "ana") == {**ben_before, "undeliverable": 0}

    first = prompt.buttons[0].value
    cancel = RecordingResponder()
    await app.dispatcher.dispatch_action(click("privacy.cancel", first, who=ANA), cancel)
    assert "Nothing was deleted" in cancel.text()
    # The prompt was answered: its Delete button no longer deletes.
    late = RecordingResponder()
    await app.dispatcher.dispatch_action(click("privacy.delete", first, who=ANA), late)
    assert "already answered" in late.text()
    assert (await counts(app, "ana"))["schedules"] == 1

    again = RecordingResponder()
    await app.dispatcher.dispatch(invocation("privacy delete", who=ANA), again)
    value = again.last.buttons[0].value
    # Someone else pressing ana's button deletes nothing.
    stranger = RecordingResponder()
    outcome = await app.dispatcher.dispatch_action(
        click("privacy.delete", value, who=BEN), stranger
    )
    assert outcome.status == "denied"
    assert (await counts(app, "ana"))["schedules"] == 1

    done = RecordingResponder()
    outcome = await app.dispatcher.dispatch_action(click("privacy.delete", value, who=ANA), done)
    assert outcome.status == "ok", done.text()
    assert "Your data was deleted" in done.text()
    assert await counts(app, "ana") == {
        "members": 0,
        "schedules": 0,
        "outbox": 0,
        "undeliverable": 0,
        "dm_channels": 0,
        "audit": 0,
    }
    # ben's data is untouched (his own click above cleared only his undeliverable mark).
    assert await counts(app, "ben") == {**ben_before, "undeliverable": 0}
    notes = app.cogs["notes"]
    assert isinstance(notes, NotesCog) and notes.notes == {"ben": ["read DDIA"]}
    async with app.db.transaction() as conn:
        anonymised = (
            await conn.execute(
                sa.select(audit_log.c.actor_name).where(audit_log.c.actor_id == "deleted")
            )
        ).all()
        bodies = [r[0] for r in await conn.execute(sa.select(outbox_messages.c.body))]
    assert [r[0] for r in anonymised] == ["(deleted member)"]  # the action stays, unnamed
    assert {"body": "reminder for ana"} not in bodies  # the DM's stored text went too
    community = await app.communities.find("console", "console")
    assert community is not None
    grants = await app.communities.moderator_grants(community.id)
    assert [g.ref_id for g in grants] == ["ben"]

    after = (await export_json(app))["data"]
    # Only what this very command stored again (ana used the bot) is left.
    assert set(after) == {"memberships"}


async def test_a_large_export_is_still_one_file(make_app: AppFactory) -> None:
    app = await make_app([PrivacyCog, NotesCog])
    notes = app.cogs["notes"]
    assert isinstance(notes, NotesCog)
    notes.notes["ana"] = [f"note {i} " + "x" * 200 for i in range(500)]  # ~110 kB of JSON
    document = await export_json(app)
    assert document["data"]["notes"] == notes.notes["ana"]


def test_cli_export_prints_the_whole_document(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for var in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    monkeypatch.chdir(tmp_path)
    assert main(["--env-file", "none.env", "privacy", "export", "console", "nobody"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document == {"platform": "console", "user_id": "nobody", "data": {}}


async def test_an_answered_prompt_stays_answered_across_processes_and_restarts(
    make_app: AppFactory,
) -> None:
    """The answer is in the database: another process (or the same bot after a restart) sees
    it, and of two presses at once exactly one counts."""
    first = await make_app([HelpCog, PrivacyCog, NotesCog])
    second = await make_app([HelpCog, PrivacyCog, NotesCog])  # another process, same database
    asked = RecordingResponder()
    await first.dispatcher.dispatch(invocation("privacy delete", who=ANA), asked)
    value = asked.last.buttons[0].value
    cancel = RecordingResponder()
    await second.dispatcher.dispatch_action(click("privacy.cancel", value, who=ANA), cancel)
    assert "Nothing was deleted" in cancel.text()
    (shown,) = cancel.updates  # the prompt, its buttons disabled, says what was chosen
    assert all(b.disabled for b in shown.buttons) and shown.footer == "You chose: Cancel."
    late = RecordingResponder()
    await first.dispatcher.dispatch_action(click("privacy.delete", value, who=ANA), late)
    assert "already answered" in late.text() and "deleted" not in late.last.body.lower()
    notes = first.cogs["notes"]
    assert isinstance(notes, NotesCog) and "ana" in notes.notes

    again = RecordingResponder()
    await first.dispatcher.dispatch(invocation("privacy delete", who=ANA), again)
    value = again.last.buttons[0].value
    presses = [RecordingResponder(), RecordingResponder()]
    await asyncio.gather(
        first.dispatcher.dispatch_action(click("privacy.delete", value, who=ANA), presses[0]),
        second.dispatcher.dispatch_action(click("privacy.delete", value, who=ANA), presses[1]),
    )
    texts = [p.text() for p in presses]
    assert sum("Your data was deleted" in t for t in texts) == 1, texts
    assert sum("already answered" in t for t in texts) == 1, texts

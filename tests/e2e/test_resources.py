"""`/resource ...` end to end through the console adapter (in-process, and one real subprocess)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import Application
from cogs.help import HelpCog
from cogs.resources import ResourcesCog
from content.resources import shipped_resources
from storage.audit import audit_log
from storage.resources import resource_changes, resource_suggestions
from tests.conftest import AppFactory
from tests.e2e.test_console import run_console
from tests.helpers import actor, place
from tests.schedules.support import ConsoleSession, outbox_rows

COGS = [HelpCog, ResourcesCog]
SUGGEST = (
    '/resource suggest https://example.org/great-course "Great MLOps course" course '
    '"mlops, k8s" "A hands-on course." beginner free'
)


async def count(app: Application, table: sa.Table) -> int:
    async with app.db.transaction() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def audit_actions(app: Application) -> list[str]:
    async with app.db.transaction() as conn:
        rows = await conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id))
        return [r[0] for r in rows]


async def test_search_shows_top_five_with_facts_links_and_how_to_narrow(
    make_app: AppFactory,
) -> None:
    app = await make_app(COGS)
    me = ConsoleSession(app, name="ana", moderator=False)
    out = await me.say("/resource search pytorh")
    assert "Resources for “pytorh”" in out
    assert "1. PyTorch Documentation" in out
    assert "Documentation · intermediate · free · pytorch-docs" in out
    assert "https://docs.pytorch.org/docs/stable/index.html" in out
    assert "4. " in out and "5. " not in out  # weak description-only matches are left out
    out = await me.say("/resource search python")
    assert "5. " in out and "6. " not in out
    # honest count, and a hint drawn from what matched (varies with the query)
    assert "41 more match. Narrow with level:beginner (28), type:documentation (23)" in out
    out = await me.say("/resource search deep learning")
    assert "Narrow with level:intermediate (30), topic:llm (17)" in out
    out = await me.say("/resource search cooking recipes")
    assert "Nothing fits “cooking recipes” well" in out and "/resource suggest" in out


async def test_search_filters_synonyms_and_browse(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    me = ConsoleSession(app, moderator=False)
    out = await me.say("/resource search k8s type:documentation")
    assert "1. Kubernetes Documentation" in out and "(type:documentation)" in out
    out = await me.say("/resource search interviews level:beginner free_only:true topic:dsa")
    assert "Resources for “interviews” (topic:dsa level:beginner free_only:true)" in out
    assert "paid" not in out
    out = await me.say("/resource search docs topic:K8S")  # topic aliases are accepted
    assert "(topic:kubernetes)" in out
    out = await me.say("/resource search type:book level:beginner")
    assert "Resources with type:book level:beginner" in out and "Book · beginner" in out
    out = await me.say("/resource search zzzzqqqq type:book")
    assert "Nothing matches “zzzzqqqq” with type:book" in out


BAD_QUERIES = [
    ("/resource search", "Tell me what to look for"),
    ("/resource search !!! ??? ...", "Tell me what to look for"),
    ("/resource search " + "x" * 2000, "the limit is 200"),
    ("/resource search '; DROP TABLE resources; --", "Resources for “'; DROP TABLE"),
    ('/resource search "; DROP TABLE resources; --', 'A quote (") is never closed'),
    ("/resource search x; DROP TABLE resources; --", "Resources for"),
    ('/resource search title:"x" OR NEAR(a b) *', "has no option"),
    ('/resource search "title:x" OR NEAR(a b) *', "Resources for"),
    ("/resource search python AND NOT (java OR c*)", "Resources for"),
    ("/resource search @everyone", "@\u200beveryone"),
    ("/resource search cooking topic:cooking", "'cooking' is not a topic"),
    ("/resource search x type:video", "is not one of"),
]


async def test_bad_queries_get_clear_answers(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    me = ConsoleSession(app, moderator=False)
    for line, expected in BAD_QUERIES:
        out = await me.say(line)
        reply = out.replace("> " + line, "", 1)
        assert expected in reply, line
        assert "went wrong on my side" not in reply, line
        assert "@everyone" not in reply, line


async def test_show_topics_random(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    me = ConsoleSession(app, moderator=False)
    out = await me.say("/resource show designing-ml-systems")
    assert "Designing Machine Learning Systems" in out and "Chip Huyen" in out
    assert "Topics ML system design, MLOps, Monitoring" in out
    out = await me.say("/resource show designing-ml")
    assert "There is no resource designing-ml. Did you mean designing-ml-systems" in out
    out = await me.say("/resource topics")
    dsa = sum("dsa" in r.topics for r in shipped_resources())
    assert f"Data structures and algorithms (dsa): {dsa}" in out
    out = await me.say("/resource random kubernetes")
    assert "A random pick from Kubernetes" in out
    out = await me.say("/resource random cooking")
    assert "is not a topic" in out


async def test_suggestion_approved_is_searchable_at_once_and_suggester_is_told(
    make_app: AppFactory,
) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    out = await ana.say(SUGGEST)
    assert "Suggestion #1 (“Great MLOps course”) is waiting for a moderator" in out
    assert "great-mlops-course" not in await ana.say("/resource search great mlops course")
    assert "Only moderators" in await ana.say("/resource approve 1")

    mod = ConsoleSession(app, name="mia", moderator=True)
    out = await mod.say("/resource queue")
    assert "Suggestions waiting for review (1)" in out
    assert "#1 Great MLOps course" in out and "mlops, kubernetes" in out
    assert "suggested by ana" in out
    out = await mod.say("/resource approve 1")
    assert "Approved #1: added great-mlops-course" in out

    out = await ana.say("/resource search great mlops course")
    assert "1. Great MLOps course" in out
    assert "Course · beginner · free · great-mlops-course" in out
    assert "No suggestions are waiting" in await mod.say("/resource queue")
    assert "already approved" in await mod.say("/resource reject 1")

    rows = await outbox_rows(app)
    assert len(rows) == 1
    assert rows[0]["kind"] == "dm" and rows[0]["target_id"] == "ana"
    assert "was approved" in rows[0]["body"]["body"]
    assert await audit_actions(app) == ["resource.suggest", "resource.approve"]


@pytest.mark.parametrize(
    ("decision", "told"),
    [("approve 1", "was approved"), ("reject 1 off topic", "Reason: off topic")],
)
async def test_the_outcome_dm_is_sent_at_once_not_at_the_next_poll(
    make_app: AppFactory, decision: str, told: str
) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.adapter.start()  # registers the console sender with the delivery engine
    try:
        await ana.say(SUGGEST)
        await asyncio.wait_for(app.delivery.idle(), 30)
        ana.new_output()
        # The clock stands still: only the wake after the decision's commit can send the DM.
        await ConsoleSession(app, name="mia").say(f"/resource {decision}")
        await asyncio.wait_for(app.delivery.idle(), 30)
        output = ana.new_output()
        assert "[DM @ana]" in output and told in output
        assert [r["status"] for r in await outbox_rows(app)] == ["sent"]
    finally:
        await ana.adapter.stop()


async def test_rejection_with_reason_is_sent_to_the_suggester(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    await ConsoleSession(app, name="ana", moderator=False).say(SUGGEST)
    mod = ConsoleSession(app, name="mia")
    out = await mod.say("/resource reject 1 we already list the MLOps Zoomcamp")
    assert "Rejected #1" in out
    rows = await outbox_rows(app)
    assert "Reason: we already list the MLOps Zoomcamp" in rows[0]["body"]["body"]
    assert "great-mlops-course" not in await mod.say("/resource search great mlops course")
    assert await audit_actions(app) == ["resource.suggest", "resource.reject"]
    assert "There is no suggestion #7" in await mod.say("/resource approve 7")


async def test_approve_needs_level_and_cost(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    await ConsoleSession(app, name="ana", moderator=False).say(
        '/resource suggest https://example.org/x "Some Course" course mlops'
    )
    mod = ConsoleSession(app, name="mia")
    assert "suggestion #1 has none; add level:beginner" in await mod.say("/resource approve 1")
    out = await mod.say("/resource approve 1 level:advanced cost:paid id:my-course")
    assert "added my-course" in out
    assert "Course · advanced · paid · my-course" in await mod.say("/resource search some course")


BAD_SUGGESTIONS = [
    (
        '/resource suggest https://example.org/x "Hi @everyone" course mlops',
        "title: must not contain mentions",
    ),
    (
        '/resource suggest https://example.org/x "Hi <@123>" course mlops',
        "title: must not contain mentions",
    ),
    (
        '/resource suggest https://example.org/x "[click](https://evil.example)" course mlops',
        "title: must be plain text without links",
    ),
    ('/resource suggest https://example.org/x "Fine" course cooking', "is not a topic"),
    ('/resource suggest ftp://example.org/x "Fine" course mlops', "must start with https://"),
    ('/resource suggest javascript:alert(1) "Fine" course mlops', "must start with https://"),
    ('/resource suggest https://u:p@example.org/ "Fine" course mlops', "user name or password"),
    ('/resource suggest https://localhost/x "Fine" course mlops', "no valid host name"),
    (
        "/resource suggest https://example.org/" + "a" * 2100 + ' "Fine" course mlops',
        "longer than 2048",
    ),
    ('/resource suggest https://example.org/x "' + "t" * 300 + '" course mlops', "limit"),
    ('/resource suggest https://www.madewithml.com/ "Dup" course mlops', "already in the"),
]


async def test_bad_suggestions_are_refused_and_nothing_is_stored(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    for line, expected in BAD_SUGGESTIONS:
        out = await ana.say(line)
        assert expected in out, line
        assert "went wrong on my side" not in out, line
    assert await count(app, resource_suggestions) == 0


async def test_duplicate_suggestions_are_found_by_normalised_url(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say(SUGGEST)
    out = await ana.say(
        '/resource suggest http://www.example.org/great-course/?utm_source=x "Again" course mlops'
    )
    assert "already suggested (#1)" in out
    assert await count(app, resource_suggestions) == 1


async def test_a_member_may_have_five_suggestions_waiting(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    ana = ConsoleSession(app, name="ana", moderator=False)
    for n in range(5):
        out = await ana.say(f'/resource suggest https://example.org/{n} "Course {n}" course mlops')
        assert f"Suggestion #{n + 1}" in out
    out = await ana.say('/resource suggest https://example.org/6 "Course 6" course mlops')
    assert "You already have 5 suggestions waiting" in out
    bob = ConsoleSession(app, name="bob", moderator=False)
    assert "Suggestion #6" in await bob.say(
        '/resource suggest https://example.org/6 "Course 6" course mlops'
    )
    assert await count(app, resource_suggestions) == 6


async def test_moderators_add_edit_remove_and_everything_is_audited(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    mod = ConsoleSession(app, name="mia")
    out = await mod.say(
        '/resource add https://example.net/book "Some Book" book python intermediate paid'
    )
    assert "Added some-book" in out
    assert "Book · intermediate · paid · some-book" in await mod.say("/resource search some book")
    assert "Updated some-book" in await mod.say("/resource edit some-book level:beginner")
    assert "Level beginner" in await mod.say("/resource show some-book")
    assert "nothing changed" in await mod.say("/resource edit some-book level:beginner")
    assert "Say what to change" in await mod.say("/resource edit some-book")
    out = await mod.say("/resource edit some-book url:https://madewithml.com")
    assert "already in the catalog as `made-with-ml`" in out or "made-with-ml" in out
    # shipped resources can be edited and removed for this community only
    assert "Updated pytorch-docs" in await mod.say('/resource edit pytorch-docs title:"Torch Docs"')
    assert "Torch Docs" in await mod.say("/resource show pytorch-docs")
    assert "Removed some-book" in await mod.say("/resource remove some-book")
    assert "There is no resource some-book" in await mod.say("/resource show some-book")
    assert "Removed leetcode" in await mod.say("/resource remove leetcode")
    assert "There is no resource leetcode" in await mod.say("/resource show leetcode")
    out = await mod.say(
        '/resource add https://example.net/b2 "Some Book" book python beginner free'
    )
    assert "Added some-book-2" in out  # removed ids are never reused
    assert await audit_actions(app) == [
        "resource.add",
        "resource.edit",
        "resource.edit",
        "resource.remove",
        "resource.remove",
        "resource.add",
    ]
    assert await count(app, resource_changes) == 4
    member = ConsoleSession(app, name="bob", moderator=False)
    for line in (
        "/resource add https://x.example.org a book python beginner free",
        "/resource edit leetcode level:advanced",
        "/resource remove neetcode",
        "/resource queue",
        "/resource reject 1",
    ):
        assert "Only moderators" in await member.say(line)


async def test_changes_stay_in_their_community(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    await ConsoleSession(app, name="mia").say("/resource remove leetcode")
    other = place()
    from bot.commands.context import Invocation, Place
    from tests.helpers import RecordingResponder

    elsewhere = Place("console", "other", "other", other.channel_id, other.channel_name)
    responder = RecordingResponder()
    await app.dispatcher.dispatch(
        Invocation(("resource", "show"), {"id": "leetcode"}, actor("ana"), elsewhere), responder
    )
    assert "LeetCode" in responder.text()


async def test_autocomplete_sources(make_app: AppFactory) -> None:
    app = await make_app(COGS)
    who, where = actor("ana"), place()

    async def complete(path: str, option: str, typed: str) -> list[str]:
        choices = await app.dispatcher.autocomplete(
            tuple(path.split()), option, typed, who, where, {}
        )
        return [f"{c.name}={c.value}" for c in choices]

    assert any("PyTorch" in c for c in await complete("resource search", "query", "pyto"))
    assert await complete("resource search", "query", "") == []
    topics = await complete("resource search", "topic", "k8")
    kubernetes = sum("kubernetes" in r.topics for r in shipped_resources())
    assert topics[0] == f"Kubernetes ({kubernetes})=kubernetes"
    assert len(await complete("resource random", "topic", "")) == 25
    ids = await complete("resource show", "id", "designing-ml")
    assert any(c.endswith("=designing-ml-systems") for c in ids)
    await ConsoleSession(app, name="ana", moderator=False).say(SUGGEST)
    assert await complete("resource approve", "suggestion", "") == ["#1 Great MLOps course=1"]


def test_console_subprocess_answers_resource_search(tmp_path: Path) -> None:
    script = "/resource search pytorh\n/resource search k8s\n/resource topics\n"
    result = run_console(tmp_path, script)  # SQLite: other tests cover both backends
    assert result.returncode == 0, result.stderr
    assert "1. PyTorch Documentation" in result.stdout
    assert "1. Kubernetes" in result.stdout
    assert "Resource topics" in result.stdout

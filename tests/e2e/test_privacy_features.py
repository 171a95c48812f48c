"""`/privacy export` and `delete` cover what the feature cogs store, not only the core tables."""

from __future__ import annotations

from bot.privacy import PrivacySubject
from cogs.digest import DigestCog
from cogs.dsa.cog import DsaCog
from cogs.help import HelpCog
from cogs.privacy import PrivacyCog
from cogs.resources import ResourcesCog
from tests.conftest import AppFactory
from tests.helpers import RecordingResponder, actor, invocation

FEATURE_DATA = {"digest_subscriptions", "dsa_solves", "resource_suggestions"}


async def _use_every_feature(app: object, name: str) -> None:
    who = actor(name)
    for path, options in (
        ("digest subscribe", {}),
        ("dsa done", {"problem": "two-sum"}),
        (
            "resource suggest",
            {
                "url": f"https://example.org/{name}-course",
                "title": f"MLOps course from {name}",
                "type": "course",
                "topics": "mlops",
            },
        ),
    ):
        responder = RecordingResponder()
        outcome = await app.dispatcher.dispatch(  # type: ignore[attr-defined]
            invocation(path, options, who=who), responder
        )
        assert "went wrong" not in responder.text(), (path, responder.text(), outcome)


async def test_feature_data_is_exported_then_deleted_for_that_member_only(
    make_app: AppFactory,
) -> None:
    app = await make_app([HelpCog, PrivacyCog, DigestCog, DsaCog, ResourcesCog])
    await _use_every_feature(app, "ana")
    await _use_every_feature(app, "bob")
    ana, bob = PrivacySubject("console", "ana"), PrivacySubject("console", "bob")

    exported = await app.privacy.export(ana)
    assert exported.keys() >= FEATURE_DATA
    assert exported["dsa_solves"][0]["problem_id"] == "two-sum"
    assert exported["resource_suggestions"][0]["title"] == "MLOps course from ana"

    removed = await app.privacy.delete(ana)
    assert all(removed[name] >= 1 for name in FEATURE_DATA)
    assert FEATURE_DATA.isdisjoint(await app.privacy.export(ana))
    assert (await app.privacy.export(bob)).keys() >= FEATURE_DATA

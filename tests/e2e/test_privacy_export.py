"""/privacy export through the console: one pretty-printed JSON file, written under EXPORT_DIR
(default: `exports` beside the SQLite database), its path printed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bot.loader import load_cog_classes
from tests.conftest import AppFactory
from tests.schedules.support import ConsoleSession


def saved_path(out: str) -> Path:
    found = re.search(r"File saved: (\S+\.json)", out)
    assert found, out
    return Path(found.group(1))


async def test_the_export_is_one_json_file_in_export_dir(
    make_app: AppFactory, tmp_path: Path
) -> None:
    app = await make_app(load_cog_classes([], []), export_dir=str(tmp_path / "out"))
    ana = ConsoleSession(app, name="ana", moderator=False)
    await ana.say("/dsa remind set 07:30 UTC")
    await ana.say("/digest subscribe")
    out = await ana.say("/privacy export")
    assert "What the bot stores about you" in out and "```" not in out
    path = saved_path(out)
    assert path.parent == (tmp_path / "out").absolute()
    assert path.name == "mlebot-data-console-ana-20260105T080000Z.json"
    assert path.name in out  # the reply names the file it attached
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    assert text.startswith('{\n  "data": {')  # pretty-printed, two-space indents
    assert document["platform"] == "console" and document["user_id"] == "ana"
    assert document["data"]["personal_schedules"][0]["kind"] == "dsa.reminder"
    assert document["data"]["digest_subscriptions"]
    assert "bob" not in text


async def test_by_default_exports_go_beside_the_database(make_app: AppFactory) -> None:
    app = await make_app(load_cog_classes([], []))
    out = await ConsoleSession(app, name="ana", moderator=False).say("/privacy export")
    path = saved_path(out)
    sqlite_file = app.db.sqlite_file
    expected = (sqlite_file.parent if sqlite_file else Path(".")).absolute() / "exports"
    assert path.parent == expected and json.loads(path.read_text())["user_id"] == "ana"

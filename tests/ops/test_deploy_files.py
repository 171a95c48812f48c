"""The Dockerfile and docker-compose.yml, checked without a Docker engine.

The compose file is validated against the Compose Specification schema (vendored beside this
test), and both files are checked against what the rest of the project says: the uv commands of
scripts/bootstrap.sh (what `make run`/`make test` use), the packages pyproject ships, the data
directory behind DATABASE_URL's default, and the HTTP port the healthcheck probes. The
healthcheck command itself is run against a real server.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

from bot.ops.http_server import HttpServer
from bot.settings import Settings
from storage.database import to_async_url
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose_spec.json")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends with a continuation line"
    return out


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text())
    # The file names draft 2019-09 by a non-canonical URI; say so explicitly.
    assert "2019-09" in schema["$schema"]
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def only(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


# -- compose ---------------------------------------------------------------------------------


def test_compose_file_matches_the_compose_schema() -> None:
    errors = sorted(validator().iter_errors(compose()), key=str)
    assert not errors, "\n".join(e.message for e in errors)


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c["services"]["bot"]["healthcheck"].update(every="30s"),
        lambda c: c["services"]["bot"].update(restart_policy="always"),
        lambda c: c["services"]["postgres"].update(profiles="postgres"),
        lambda c: c.update(volume={}),
    ],
)
def test_the_schema_check_catches_mistakes(breakage: Any) -> None:
    broken = copy.deepcopy(compose())
    breakage(broken)
    assert list(validator().iter_errors(broken))


def test_bot_service_runs_the_image_with_env_data_volume_restart_and_healthcheck() -> None:
    data = compose()
    bot = data["services"]["bot"]
    assert bot["build"] == "."
    env_files = [bot["env_file"]] if isinstance(bot["env_file"], str) else bot["env_file"]
    assert ".env" in env_files
    assert bot["restart"] in ("unless-stopped", "always")

    # A named volume mounted where the image keeps its data.
    volume = only(dockerfile(), "VOLUME")
    (data_dir,) = exec_form(volume.args)
    mounts = [m.split(":") for m in bot["volumes"]]
    named = [(src, dst) for src, dst, *_ in mounts if src in (data.get("volumes") or {})]
    assert (named[0][1] if named else None) == data_dir, bot["volumes"]

    # The healthcheck probes /healthz on the port the bot listens on inside the container.
    test = bot["healthcheck"]["test"]
    assert test[0] == "CMD" and "/healthz" in " ".join(test)
    assert str(bot["environment"]["HTTP_PORT"]) == "8080"
    assert bot["environment"]["HTTP_HOST"] == "0.0.0.0"
    published = [p for p in bot.get("ports", []) if str(p).endswith(":8080")]
    assert published, "the HTTP port is not published"


def test_postgres_runs_only_under_its_profile_and_the_documented_url_reaches_it() -> None:
    data = compose()
    postgres = data["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert "profiles" not in data["services"]["bot"]
    mount_sources = {m.split(":")[0] for m in postgres["volumes"]}
    assert mount_sources <= set(data["volumes"]), "PostgreSQL data is not on a named volume"
    env = postgres["environment"]

    # The DATABASE_URL the compose file and README tell people to set points at this service.
    header = (ROOT / "docker-compose.yml").read_text()
    documented = re.search(r"DATABASE_URL=(\S+)", header)
    assert documented, "docker-compose.yml does not document DATABASE_URL for the profile"
    url = to_async_url(documented.group(1))
    assert url.get_backend_name() == "postgresql"
    assert url.host == "postgres" and url.username == env["POSTGRES_USER"]
    assert url.database == env["POSTGRES_DB"]
    assert "COMPOSE_PROFILES=postgres" in header
    assert documented.group(1) in (ROOT / "README.md").read_text()


# -- Dockerfile ------------------------------------------------------------------------------


def test_image_is_slim_and_runs_as_a_non_root_user() -> None:
    steps = dockerfile()
    assert steps[0].keyword == "FROM" and "slim" in steps[0].args
    user = only(steps, "USER").args
    assert user not in ("root", "0") and not user.startswith("0:")
    keywords = [s.keyword for s in steps]
    # Nothing runs as root after the switch, and the command runs as that user.
    assert "RUN" not in keywords[keywords.index("USER") :]
    assert keywords.index("CMD") > keywords.index("USER")


def test_image_installs_the_lock_file_with_the_readme_commands() -> None:
    steps = dockerfile()
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()

    pin = re.search(r'"uv==([\d.]+)"', bootstrap)
    assert pin, "bootstrap.sh no longer pins uv"
    runs = [s.args for s in steps if s.keyword == "RUN"]
    assert any(f"uv=={pin.group(1)}" in r for r in runs), "the image installs another uv"

    boot_sync = re.search(r"^uv sync (.*)$", bootstrap, re.M)
    assert boot_sync
    boot_flags = {f for f in shlex.split(boot_sync.group(1)) if f != "--quiet"}
    syncs = [shlex.split(r) for r in runs if r.startswith("uv sync")]
    assert syncs, "the image does not run `uv sync`"
    for sync in syncs:
        flags = set(sync[2:])
        assert boot_flags <= flags, f"{sync} lacks {boot_flags}"
        assert "--no-dev" in flags and flags - boot_flags <= {"--no-dev", "--no-install-project"}
    assert "--no-install-project" not in syncs[-1], "the project itself is never installed"

    # The lock file and the project metadata go in before the first sync.
    first_sync = next(i for i, s in enumerate(steps) if s.args.startswith("uv sync"))
    copied_before = {
        src for s in steps[:first_sync] if s.keyword == "COPY" for src in s.args.split()[:-1]
    }
    assert {"pyproject.toml", "uv.lock", "README.md"} <= copied_before

    # Every package the wheel ships is copied in.
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    copies = [s.args.split() for s in steps if s.keyword == "COPY"]
    copied = {src.rstrip("/") for c in copies for src in c[:-1]}
    assert set(packages) <= copied

    # The command is the README's `mlebot run`, from the synced environment.
    assert exec_form(only(steps, "CMD").args) == ["mlebot", "run"]
    assert "| `mlebot run` |" in (ROOT / "README.md").read_text()
    env = " ".join(s.args for s in steps if s.keyword == "ENV")
    assert "/app/.venv/bin" in env


def test_data_volume_is_where_the_default_database_url_points() -> None:
    steps = dockerfile()
    workdir = PurePosixPath(only(steps, "WORKDIR").args)
    (volume,) = exec_form(only(steps, "VOLUME").args)
    default = Settings.model_fields["database_url"].default
    relative = to_async_url(default).database
    assert relative is not None
    assert (workdir / relative).parent == PurePosixPath(volume)
    example = (ROOT / ".env.example").read_text()
    assert f"DATABASE_URL={default}" in example


def test_secrets_and_local_data_stay_out_of_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", "data", ".venv", ".git"} <= ignored


def test_port_exposed_matches_compose_and_settings() -> None:
    steps = dockerfile()
    assert only(steps, "EXPOSE").args == "8080"
    assert Settings.model_fields["http_port"].default == 8080


# -- the healthcheck command, for real -------------------------------------------------------


def _healthcheck_commands() -> list[list[str]]:
    steps = dockerfile()
    health = only(steps, "HEALTHCHECK").args
    image_cmd = exec_form(health[health.index("CMD ") + 4 :])
    compose_cmd = compose()["services"]["bot"]["healthcheck"]["test"][1:]
    return [image_cmd, compose_cmd]


@pytest.mark.parametrize("which", [0, 1], ids=["Dockerfile", "compose"])
async def test_healthcheck_command_passes_when_healthy_and_fails_when_down(which: int) -> None:
    command = _healthcheck_commands()[which]
    assert command[0] == "python"
    argv = [sys.executable, *command[1:]]
    port = free_port()  # nobody else takes it once the server stops
    server = HttpServer("127.0.0.1", port)
    await server.start()
    env = {**os.environ, "HTTP_PORT": str(port)}
    try:
        up = await _run(argv, env)
    finally:
        await server.stop()
    down = await _run(argv, env)
    assert up == 0
    assert down != 0


async def _run(argv: list[str], env: dict[str, str]) -> int:
    import asyncio

    def go() -> int:
        return subprocess.run(argv, env=env, capture_output=True, timeout=60).returncode

    return await asyncio.to_thread(go)

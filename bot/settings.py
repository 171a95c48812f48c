"""Settings from the environment and `.env`, validated at start.

An invalid value stops start-up with a message naming the variable and the expected form.
Secrets are `SecretStr`, so they never appear in logs or reprs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.timing.timeparse import parse_timezone
from storage.database import DatabaseURLError, to_async_url


class SettingsError(Exception):
    """Start-up configuration is invalid; the message names each variable to fix."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _platform_url(value: str, schemes: tuple[str, str], example: str) -> str:
    """A platform endpoint: one of `schemes`, a host, no user or password (the bot sends its
    own token, which credentials in the URL would clash with) and, for an http API whose method
    names are appended to it, no query or fragment."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        kind = "an http(s)" if schemes[0] == "http" else "a ws(s)"
        raise ValueError(f"must be {kind} URL, e.g. {example}")
    if "@" in parts.netloc:
        raise ValueError(f"must not carry a user or password, e.g. {example}")
    if parts.scheme.startswith("http") and (parts.query or parts.fragment):
        raise ValueError(f"must be a plain address without a query, e.g. {example}")
    return value


class Settings(BaseSettings):
    """Every setting of the bot. The README and `.env.example` list them with their meaning."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Core
    database_url: str = Field(
        default="sqlite:///./data/mlebot.db",
        description="sqlite:///path/to/file.db (default) or postgresql://user:pass@host/db",
    )
    database_wait_seconds: float = Field(
        default=30.0,
        ge=0,
        le=600,
        description="At start, how long to keep retrying a database that refuses connections",
    )
    default_timezone: str = Field(default="UTC", description="IANA zone for new communities")
    cogs: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated cogs to enable (empty: all installed)"
    )
    disabled_cogs: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated cogs to leave out"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    event_loop: Literal["auto", "uvloop", "asyncio"] = Field(
        default="auto", description="auto (uvloop when installed), uvloop or asyncio"
    )
    console_name: str = Field(default="console", description="Name of the console community")
    console_history_file: str = Field(
        default="./data/console_history",
        description="File keeping the console's typed lines between runs (empty: none kept)",
    )
    export_dir: str = Field(
        default="",
        description="Folder the console writes files into (e.g. /privacy export); empty: an "
        "`exports` folder next to the SQLite database, or ./exports with PostgreSQL",
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server binds")
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP port (0: any free)")
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=300, description="How long in-flight commands may finish at stop"
    )
    http_enabled: bool = Field(
        default=True, description="Serve /healthz etc. while running on platforms"
    )
    public_base_url: str | None = Field(
        default=None,
        description="Public address of the HTTP server, for links to web archive pages",
    )
    schedule_grace_hours: float = Field(
        default=6.0,
        ge=0,
        le=168,
        description="A slot missed while the bot was down runs on start if at most this old",
    )

    # Quotas (README "Settings"): what one member or moderator can make the bot do
    quota_commands_per_minute: int = Field(
        default=20,
        ge=0,
        description="Commands one member may run per minute in a community (0: no limit); "
        "moderators are not limited",
    )
    quota_welcome_dm_hours: float = Field(
        default=24.0,
        ge=0,
        description="A member gets the digest's welcome DM at most once per this many hours",
    )
    quota_schedules_per_community: int = Field(
        default=25, ge=0, description="Schedules a community may have (0: no limit)"
    )
    quota_publish_now_minutes: float = Field(
        default=60.0,
        ge=0,
        description="/digest publish-now at most once per this many minutes unless confirmed",
    )

    # Delivery (the outbox engine; see README "Delivery")
    delivery_discord_rate: float = Field(
        default=48.0, ge=0, description="Discord requests/s for the whole bot (limit 50/s)"
    )
    delivery_discord_route_rate: float = Field(
        default=0.0,
        ge=0,
        description="Discord requests/s per channel; 0: paced by Discord's X-RateLimit headers",
    )
    delivery_discord_route_burst: int = Field(default=5, ge=1, le=1000)
    delivery_slack_rate: float = Field(
        default=10.0, ge=0, description="Slack chat.postMessage calls/s per workspace app"
    )
    delivery_slack_route_rate: float = Field(
        default=1.0, ge=0, description="Slack messages/s per channel (limit about 1/s)"
    )
    delivery_slack_route_burst: int = Field(default=1, ge=1, le=1000)
    delivery_concurrency: int = Field(
        default=50, ge=1, le=10_000, description="Requests in flight per platform"
    )
    delivery_max_attempts: int = Field(
        default=6, ge=1, le=100, description="Attempts on 5xx/timeouts before a row fails"
    )
    delivery_backoff_base: float = Field(
        default=2.0, gt=0, description="First retry delay in seconds (doubles each attempt)"
    )
    delivery_backoff_max: float = Field(default=900.0, gt=0, description="Longest retry delay")
    delivery_send_timeout: float = Field(
        default=30.0, gt=0, description="Seconds before one send attempt counts as timed out"
    )
    delivery_lease_seconds: float = Field(
        default=120.0, ge=5, description="How long a claimed outbox row stays claimed"
    )

    # Discord
    discord_token: SecretStr | None = None
    discord_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated guild ids to sync commands to instantly (else global)",
    )
    discord_api_base_url: str = Field(
        default="https://discord.com/api/v10",
        description="Discord REST base URL (a rate-limit proxy or a test server)",
    )
    discord_gateway_url: str = Field(
        default="wss://gateway.discord.gg/",
        description="Discord gateway websocket URL (a gateway proxy or a test server)",
    )
    discord_shard_count: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="Total gateway shards of the bot (all processes together); unset: 1 shard",
    )
    discord_shard_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated shard ids this process runs (unset: all shards)",
    )
    discord_global_rate_share: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="This process's share of the token's global REST limit (1/processes)",
    )

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Slack Web API base URL (a test server or a regional endpoint)",
    )
    slack_command_prefix: str = Field(
        default="",
        max_length=16,
        description="Prefix of the Slack slash commands, e.g. ml- for /ml-resource",
    )
    slack_moderators: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Slack user ids with moderator rights besides admins",
    )

    @field_validator("cogs", "disabled_cogs", "slack_moderators", mode="before")
    @classmethod
    def _csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("discord_guild_ids", mode="before")
    @classmethod
    def _guild_ids(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list):
            for item in value:
                if not str(item).isdigit():
                    raise ValueError(f"{item!r} is not a guild id (a number such as 1234567890)")
        return value

    @field_validator("discord_shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        value = _split_csv(value)
        if isinstance(value, list):
            for item in value:
                if not str(item).strip().isdigit():
                    raise ValueError(f"{item!r} is not a shard id (a number from 0)")
            if len({int(item) for item in value}) != len(value):
                raise ValueError("lists a shard id twice")
        return value

    @field_validator("discord_api_base_url")
    @classmethod
    def _discord_api(cls, value: str) -> str:
        return _platform_url(value, ("http", "https"), "https://discord.com/api/v10").rstrip("/")

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL, e.g. https://bot.example.org")
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError("must be a plain base address, without user, query or fragment")
        return value.rstrip("/")

    @field_validator("discord_gateway_url")
    @classmethod
    def _discord_gateway(cls, value: str) -> str:
        return _platform_url(value, ("ws", "wss"), "wss://gateway.discord.gg/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            to_async_url(value)
        except DatabaseURLError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _slack_api_url(cls, value: str) -> str:
        value = _platform_url(value, ("http", "https"), "https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_command_prefix")
    @classmethod
    def _slack_prefix(cls, value: str) -> str:
        value = value.strip().lstrip("/")
        if value and (
            value != value.lower()
            or not set(value) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
        ):
            raise ValueError("use lowercase letters, digits, - or _ (e.g. ml-)")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return parse_timezone(value)

    @field_validator(
        "discord_token",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "discord_shard_count",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    def secret_values(self) -> list[str]:
        """Every secret setting's value (for the log redactor)."""
        out: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                out.append(value.get_secret_value())
            elif name == "database_url" and "@" in str(value):
                password = to_async_url(str(value)).password
                if password:
                    out.append(str(password))
        return out

    def platforms(self) -> list[str]:
        """Platforms whose credentials are set."""
        return [
            name
            for name, on in (("discord", self.discord_enabled), ("slack", self.slack_enabled))
            if on
        ]

    def problems(self) -> list[str]:
        """Cross-setting problems (each names the variables involved)."""
        out: list[str] = []
        if (
            self.slack_bot_token is not None
            and self.slack_signing_secret is None
            and self.slack_app_token is None
        ):
            out.append(
                "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor "
                "SLACK_APP_TOKEN (Socket Mode) is: set one of them"
            )
        out.extend(self._shard_problems())
        return out

    def _shard_problems(self) -> list[str]:
        if self.discord_shard_ids and self.discord_shard_count is None:
            return [
                "DISCORD_SHARD_IDS is set but DISCORD_SHARD_COUNT is not: set the total number "
                "of shards of all processes, e.g. DISCORD_SHARD_COUNT=4"
            ]
        count = self.discord_shard_count
        outside = [i for i in self.discord_shard_ids if count is not None and i >= count]
        if count is None or not outside:
            return []
        return [
            f"DISCORD_SHARD_IDS: {', '.join(map(str, outside))} out of range: with "
            f"DISCORD_SHARD_COUNT={count} shard ids run from 0 to {count - 1}"
        ]

    def discord_shards(self) -> tuple[int | None, list[int] | None]:
        """(shard_count, shard ids this process runs); (None, None) when not sharded."""
        if self.discord_shard_count is None:
            return None, None
        ids = sorted(self.discord_shard_ids) or list(range(self.discord_shard_count))
        return self.discord_shard_count, ids


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read and validate settings, turning pydantic's errors into one readable `SettingsError`."""
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            var = "_".join(str(p) for p in err["loc"]).upper() or "settings"
            message = err["msg"].removeprefix("Value error, ")
            lines.append(f"{var}: {message}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from None
    problems = settings.problems()
    if problems:
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(problems))
    return settings

"""A loopback emulator of the Discord API (REST v10 and the gateway) for end-to-end tests."""

from tests.emulators.discord.server import Call, DiscordEmulator, Fault, Guild

__all__ = ["Call", "DiscordEmulator", "Fault", "Guild"]

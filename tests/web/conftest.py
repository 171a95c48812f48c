"""The `site` fixture (the bot's HTTP server with the digest cog) for the web page tests."""

from tests.digest.test_web import site  # noqa: F401

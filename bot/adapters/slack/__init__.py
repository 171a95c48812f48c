"""The Slack platform adapter (slack-bolt): slash commands, Block Kit, buttons."""

from bot.adapters.slack.adapter import EVENTS_PATH, SlackAdapter, SlackConfigError

__all__ = ["EVENTS_PATH", "SlackAdapter", "SlackConfigError"]

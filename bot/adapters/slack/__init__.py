"""The Slack platform adapter (slack-bolt): slash commands, Block Kit, buttons."""

from bot.adapters.slack.adapter import SlackAdapter, SlackConfigError
from bot.adapters.slack.naming import EVENTS_PATH

__all__ = ["EVENTS_PATH", "SlackAdapter", "SlackConfigError"]

"""Delivery: how the bot sends on its own initiative (outbox, workers, per-platform senders)."""

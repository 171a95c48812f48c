"""Platform adapters: translate platform events into core invocations and back. No feature logic."""

"""Time: the clock, time zones and clock times people type, cron and recurrence rules."""

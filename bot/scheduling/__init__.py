"""Scheduling: stored schedules, the job kinds cogs declare, and running their slots."""

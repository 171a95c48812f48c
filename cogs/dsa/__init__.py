"""DSA practice: the community problem of the day, personal reminders, progress and streaks.

Pure rules live beside the cog: `rotation` (which problem a community gets next, which one a
member is offered), `streaks` (what counts as a day and a streak) and `progress` (queries other
features use, e.g. the digest's weekly figures).
"""

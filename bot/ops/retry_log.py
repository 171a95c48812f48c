"""How a loop that retries database work logs its failures (the delivery engine, the schedule
timer).

An error that may pass (a lock, a dropped connection) is logged with its traceback on every
attempt, as the loop retries until it recovers. A vanished SQLite file (`DatabaseVanished`:
deleted or replaced under the running bot) never recovers: `Database.check_file` logs it
critically where it is detected, and each loop says once, as one ERROR line without a
traceback, that it cannot go on and the bot must be restarted; its later attempts are only
counted, so the log is not flooded with a traceback per poll.
"""

from __future__ import annotations

import logging

from storage.database import DatabaseVanished


class RetryLog:
    """The failure log of one retrying loop (`who` names it in the vanished-database line)."""

    def __init__(self, logger: logging.Logger, who: str) -> None:
        self._log = logger
        self.who = who
        #: Attempts that failed because the database vanished (the first one was logged).
        self.vanished_failures = 0

    def failed(self, error: BaseException, message: str, *args: object) -> None:
        """Log a failed attempt: `message % args` with the traceback of `error`, or, when the
        database vanished, the one line that says so (the first time only)."""
        if not isinstance(error, DatabaseVanished):
            self._log.error(message, *args, exc_info=error)
            return
        self.vanished_failures += 1
        if self.vanished_failures == 1:
            self._log.error(
                "%s cannot go on: %s. Restart the bot with DATABASE_URL naming the right "
                "database file (restore it first if it was lost: see `mlebot backup`); until "
                "then it keeps retrying without logging each failure",
                self.who,
                error,
            )

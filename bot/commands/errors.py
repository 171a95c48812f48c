"""Error types a handler raises for problems the person can fix.

The dispatcher turns every `UserError` into a private, friendly reply. Anything else is a bug:
it is logged with an incident id and the person sees a short apology carrying that id.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the person can fix; `message` is shown to them as is."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n{self.hint}"


class OptionError(UserError):
    """An option value that could not be converted or is out of bounds."""

    def __init__(self, option: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"`{option}`: {message}", hint=hint)
        self.option = option


class UsageError(UserError):
    """The command line itself could not be understood (unknown command, stray values...)."""


class PermissionDenied(UserError):
    """The actor may not run this command."""


class NotFound(UserError):
    """A thing the person named does not exist."""

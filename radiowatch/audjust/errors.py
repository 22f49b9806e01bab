"""Typed errors for Audjust-style work, local or remote.

Every message is fit to show to a user as-is: it says what went wrong and what to do. None of
them ever contains the API key (the client never formats request headers into a message).
"""

from __future__ import annotations


class AudjustError(Exception):
    """Base class: anything the Resize feature reports to the user."""


class AudioInputError(AudjustError):
    """The audio file cannot be used (unreadable, corrupt, too short, silent)."""


class TargetLengthError(AudjustError):
    """The requested target length cannot be produced from this song."""


class AnalysisCancelled(AudjustError):
    """The user cancelled a running analysis."""


class AudjustApiError(AudjustError):
    """The Audjust service refused or failed a request."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(AudjustApiError):
    """Missing, invalid or revoked API key."""


class RateLimitError(AudjustApiError):
    """More than the allowed requests per minute; `retry_after` seconds if the server said."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class UsageLimitError(AudjustApiError):
    """The plan's credits are used up."""


class RequestFailedError(AudjustApiError):
    """A queued request finished unsuccessfully on Audjust's side."""


class RequestTimedOutError(AudjustApiError):
    """A queued request did not finish before the deadline (Audjust promises 7 minutes)."""

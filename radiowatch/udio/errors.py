"""Typed exceptions for the Udio task API and its audio host.

Callers branch on the class and may show ``str(exc)`` to the user as is: messages say what
happened and what to do, and never contain the api key (``redact`` scrubs anything a server
echoes back).
"""

from __future__ import annotations

WHERE_TO_CONFIGURE = "Settings → Accounts & tokens"


def mask_secret(secret: str) -> str:
    """``ab***yz`` for logs and messages; short secrets are hidden entirely."""
    if len(secret) <= 6:
        return "***"
    return f"{secret[:2]}***{secret[-2:]}"


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` with its masked form."""
    if secret and secret in text:
        return text.replace(secret, mask_secret(secret))
    return text


class UdioError(Exception):
    """Base of everything this package raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UdioNotConfiguredError(UdioError):
    """No base URL or no key: nothing can be requested yet."""


class UdioConnectionError(UdioError):
    """The server could not be reached or the connection broke (after retries)."""


class UdioProtocolError(UdioError):
    """The reply is not JSON or not a shape we can read songs from."""


class UdioHTTPError(UdioError):
    """The API answered with an HTTP error status."""

    status_code: int = 0

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        if status_code is not None:
            self.status_code = status_code


class UdioAuthError(UdioHTTPError):
    """401: the key is missing, wrong or revoked."""

    status_code = 401


class UdioForbiddenError(UdioHTTPError):
    """403: the key is valid but not allowed (no credit, plan, region)."""

    status_code = 403


class UdioNotFoundError(UdioHTTPError):
    """404: the path template does not exist at this base URL (or the task is unknown)."""

    status_code = 404


class UdioGoneError(UdioHTTPError):
    """410: the reseller removed the endpoint or the task."""

    status_code = 410


class UdioRateLimitError(UdioHTTPError):
    """429 after the allowed retries; ``retry_after`` is the server's hint in seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UdioServerError(UdioHTTPError):
    """5xx after the allowed retries."""


class AudioDownloadError(UdioError):
    """The MP3 of one song could not be downloaded; the song's metadata is still good."""

    def __init__(self, song_id: str, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.song_id = song_id
        self.status_code = status_code


class AudioUnavailableError(AudioDownloadError):
    """The audio host refused or no longer has the file (401/403/404/410, or no link yet).

    Udio's signed storage links expire and downloads were restricted after the 2025 label
    settlement, so this is an expected state, not a crash.
    """


class AudioTooLargeError(AudioDownloadError):
    """The file is bigger than the configured cap (protects the disk from a wrong link)."""


class AudioNotMp3Error(AudioDownloadError):
    """The host answered 200 but with something that is not an MP3 (often an HTML page)."""

"""What to tell a person when recognition fails: which problem, and what to do about it.

Every failure in the Recognize and Catalog tabs goes through `friendly_error`, so the same AudD
error code reads the same everywhere. Tokens never appear: AudD errors already carry masked
parameters, and nothing here prints request parameters.
"""

from __future__ import annotations

from radiowatch.audd.errors import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDConnectionError,
    AudDCustomCatalogAccessError,
    AudDError,
    AudDInvalidAudioError,
    AudDInvalidRequestError,
    AudDInvalidResponse,
    AudDQuotaError,
    AudDSubscriptionError,
    AudDTokenMissingError,
)

CLIP_MAX_BYTES = 10 * 1024 * 1024
CLIP_MAX_SECONDS = 25

NO_BACKEND = (
    "No recognition backend yet: start the local engine, or add an AudD API token "
    "in Settings → Accounts."
)
NO_MATCH = (
    "No match. Nothing in the catalog sounds like this clip. Try 5–12 seconds of the "
    "song itself (not talk or applause), recorded closer to the speaker, or a "
    "different part of the song."
)
TOO_LARGE_FOR_CLIP = (
    "This file is too large for a clip (the standard endpoint takes up to "
    "10 MB / 25 s). Use Long file mode: it scans recordings of any length."
)


def _server_text(error: AudDAPIError) -> str:
    text = (error.message or "").strip()
    return f" The server said: “{text}”" if text else ""


def friendly_error(error: BaseException) -> str:
    """One or two sentences for the status area: what failed, then what to do."""
    if isinstance(error, AudDTokenMissingError):
        return (
            "No AudD API token is set. Add one in Settings → Accounts, or switch to the "
            "local engine."
        )
    if isinstance(error, AudDAuthenticationError):
        if error.code == 901:
            return (
                "AudD needs an API token (#901): the free limit without one was reached. "
                "Add your token in Settings → Accounts."
            )
        if error.code == 903:
            return "This AudD token is disabled (#903). Check your account on dashboard.audd.io."
        return (
            "The API token was refused (#900): it is incorrect, invalid or inactive. "
            "Check it in Settings → Accounts (and your account on dashboard.audd.io)."
        )
    if isinstance(error, AudDQuotaError):
        return (
            "The AudD request limit for this token was reached (#902). Wait for the quota "
            "to renew or upgrade on dashboard.audd.io; the local engine keeps working "
            "offline."
        )
    if isinstance(error, AudDCustomCatalogAccessError):
        return (
            "This AudD account has no access to the custom catalog (#904). Ask AudD "
            "(api@audd.io) to enable it; your local catalog keeps working."
        )
    if isinstance(error, AudDSubscriptionError):
        return (
            f"Your AudD plan does not include this (#{error.code})."
            + _server_text(error)
            + " Send the file itself instead of a URL, or upgrade the plan."
        )
    if isinstance(error, AudDInvalidAudioError):
        if error.code == 400:
            return TOO_LARGE_FOR_CLIP + _server_text(error)
        if error.code == 300:
            return (
                "Not enough usable audio to recognise (#300). Send 5–12 seconds of "
                "music." + _server_text(error)
            )
        return (
            "This file could not be read as audio (#500). Try an MP3, WAV, FLAC, OGG or "
            "M4A file, or a video with a sound track." + _server_text(error)
        )
    if isinstance(error, AudDInvalidRequestError):
        if error.code in (600, 601, 602):
            return (
                f"The audio at this URL could not be downloaded (#{error.code}). Check "
                "that the link opens in a browser and points to an audio or video file."
                + _server_text(error)
            )
        if error.code == 700:
            return "Nothing was sent: choose a file, paste a URL or record a clip first."
        return f"The request was refused (#{error.code})." + _server_text(error)
    if isinstance(error, AudDBlockedError):
        extra = f" ({error.branded_message})" if error.branded_message else ""
        return (
            f"The service refused the request (#{error.code}){extra}. Try again later or "
            "contact AudD support."
        )
    if isinstance(error, AudDAPIError):
        return (
            f"The recognition service failed (#{error.code})."
            + _server_text(error)
            + " Try again in a minute."
        )
    if isinstance(error, AudDConnectionError):
        return (
            f"Could not reach the recognition backend: {error.message}. Check that the "
            "local engine is running (or your internet connection for the AudD cloud)."
        )
    if isinstance(error, AudDInvalidResponse):
        return "The backend answered something that is not an AudD reply. Check the backend URL."
    if isinstance(error, FileNotFoundError):
        return f"The file is gone: {error.filename or error}. Choose it again."
    if isinstance(error, PermissionError):
        return f"No permission to read {error.filename or 'the file'}. Check its permissions."
    if isinstance(error, OSError):
        return f"The file could not be read: {error.strerror or error}."
    if isinstance(error, AudDError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}): {error}"

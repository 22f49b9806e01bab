"""AudD wire constants shared by the client and by AudD-compatible servers.

The local engine and the test fake build their replies from these helpers, so
the client's parser and every server agree on one wire format (docs/protocols/audd.md §2, §7.3, §10).
Pure Python: no httpx, no pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLACEHOLDER_CALLBACK_URL = "https://audd.tech/empty/"
"""AudD's do-nothing receiver for accounts that only long-poll (docs/protocols/audd.md §5.1)."""

TIMEOUT_TEXT = "no events before timeout"
"""Text of the live long-poll timeout reply, byte for byte (docs/protocols/audd.md §7.3)."""


@dataclass(frozen=True)
class ErrorCode:
    """One row of docs/protocols/audd.md §10.1: the exception class a client raises and a default text."""

    code: int
    exception: str
    text: str


_ROWS = [
    (19, "AudDBlockedError", "Internal error."),
    (20, "AudDNeedsUpdateError", "Please update the app or use the paid version."),
    (31337, "AudDBlockedError", "Your IP address has been banned."),
    (50, "AudDInvalidRequestError", "Invalid request."),
    (51, "AudDInvalidRequestError", "Deprecated parameter."),
    (100, "AudDServerError", "An unknown error. Contact api@audd.io"),
    (300, "AudDInvalidAudioError", "fingerprinting failed: the audio is probably too short."),
    (
        400,
        "AudDInvalidAudioError",
        "the file is too large for the standard endpoint, use enterprise.",
    ),
    (500, "AudDInvalidAudioError", "the audio file is invalid or in an unsupported format."),
    (600, "AudDInvalidRequestError", "couldn't download the audio from the given URL."),
    (601, "AudDInvalidRequestError", "Invalid URL."),
    (602, "AudDInvalidRequestError", "Invalid request."),
    (610, "AudDStreamLimitError", "the stream limit of your subscription was reached."),
    (611, "AudDRateLimitError", "the daily rate limit of this stream was reached."),
    (
        700,
        "AudDInvalidRequestError",
        "you haven't sent a file via POST or a file URL in the `url` parameter.",
    ),
    (701, "AudDInvalidRequestError", "Invalid request."),
    (702, "AudDInvalidRequestError", "Invalid request."),
    (
        900,
        "AudDAuthenticationError",
        "authorization failed: the provided api_token is incorrect, invalid, or inactive.",
    ),
    (
        901,
        "AudDAuthenticationError",
        "authorization failed: no api_token passed and the limit was reached.",
    ),
    (902, "AudDQuotaError", "authorization failed: the limit was reached."),
    (903, "AudDAuthenticationError", "authorization failed: the api_token is disabled."),
    (904, "AudDSubscriptionError", "this feature is not available for your api_token."),
    (905, "AudDSubscriptionError", "subscription problem."),
    (906, "AudDInvalidRequestError", "Invalid request."),
    (907, "AudDNotReleasedError", "the song is not yet released."),
    (1000, "AudDServerError", "Server error."),
]

ERROR_CODES: dict[int, ErrorCode] = {c: ErrorCode(c, exc, text) for c, exc, text in _ROWS}
"""Every AudD error code we know (docs/protocols/audd.md §10.1). Unknown codes map to AudDServerError."""

BRANDED_CODES = frozenset({19, 31337, 903})
"""Codes whose error reply may carry display text in ``result`` (docs/protocols/audd.md §10.2)."""

NOTIFICATION_CODES = {
    0: "Recognition restored: the stream is running.",
    650: "Recognition failed: can't connect to the audiostream",
    651: "Recognition paused: only noise, no music.",
}
"""Stream notification codes (docs/protocols/audd.md §6.2); only the 650 text is known from AudD."""

ACTION_PREFIX = {
    "recognize": "Recognition failed: ",
    "getCallbackUrl": "Getting the URL for callbacks failed: ",
    "setCallbackUrl": "Setting the URL for callbacks failed: ",
    "addStream": "Adding a stream stream failed: ",
    "setStreamUrl": "Changing the stream URL failed: ",
    "deleteStream": "Deleting the stream failed: ",
    "getStreams": "Getting the streams failed: ",
    "upload": "Adding the song failed: ",
    "findLyrics": "Finding lyrics failed: ",
}
"""Live messages read ``<Action> failed: <reason>`` (docs/protocols/audd.md §2); ``(sic)`` kept for addStream."""


def mask_token(token: str | None) -> str:
    """Mask a secret the way AudD echoes it: first char + ``***`` + last char.

    Short values become ``***`` so that nothing of a 1-2 character secret leaks.
    """
    if not token:
        return ""
    if len(token) <= 2:
        return "***"
    return f"{token[0]}***{token[-1]}"


def mask_params(params: dict[str, Any]) -> dict[str, Any]:
    """A copy of request params with every token-like value masked."""
    masked: dict[str, Any] = {}
    for key, value in params.items():
        if key in {"api_token", "token", "engine_token"} and isinstance(value, str):
            masked[key] = mask_token(value)
        else:
            masked[key] = value
    return masked


def success_envelope(result: Any) -> dict[str, Any]:
    """``{"status": "success", "result": ...}`` (docs/protocols/audd.md §2)."""
    return {"status": "success", "result": result}


def error_envelope(
    code: int,
    message: str | None = None,
    *,
    method: str = "recognize",
    params: dict[str, Any] | None = None,
    http_method: str = "POST",
    enterprise: bool = False,
    execution_time: str | None = None,
    branded: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Build an AudD error reply (docs/protocols/audd.md §2, §13 item 3).

    ``message`` defaults to ``<Action> failed: <default text>``. Params are echoed with
    the token masked. Enterprise replies use ``requested_params`` (+ ``method``) and
    ``execution_time`` and omit ``request_api_method``/``request_http_method``.
    """
    if message is None:
        known = ERROR_CODES.get(code)
        text = known.text if known else "Internal error."
        message = ACTION_PREFIX.get(method, f"{method} failed: ") + text
    body: dict[str, Any] = {
        "status": "error",
        "error": {"error_code": code, "error_message": message},
    }
    echoed = {str(k): str(v) for k, v in mask_params(dict(params or {})).items()}
    if enterprise:
        echoed.setdefault("method", method)
        body["requested_params"] = echoed
    else:
        body["request_params"] = echoed
        body["request_api_method"] = method
        body["request_http_method"] = http_method
    if branded is not None:
        body["result"] = {"artist": branded[0], "title": branded[1]}
    body["see api documentation"] = "https://docs.audd.io"
    body["contact us"] = "api@audd.io"
    if enterprise or execution_time is not None:
        body["execution_time"] = execution_time or "1.0ms"
    return body


def timeout_reply(timestamp_ms: int) -> dict[str, Any]:
    """The long-poll "nothing happened" reply, verbatim golongpoll (docs/protocols/audd.md §7.3)."""
    return {"timeout": TIMEOUT_TEXT, "timestamp": timestamp_ms}


def longpoll_event_reply(timestamp_ms: int, category: str, data: dict[str, Any]) -> dict[str, Any]:
    """The hybrid (C) long-poll reply for one event (docs/protocols/audd.md §7.4): golongpoll ``events`` plus
    the flat callback fields and a top-level ``timestamp``, readable by every client."""
    return {
        "events": [{"timestamp": timestamp_ms, "category": category, "data": data}],
        **data,
        "timestamp": timestamp_ms,
    }

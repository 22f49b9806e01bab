"""The AudD wire envelopes the local engine answers with (docs/protocols/audd.md §1.4, §2, §10).

Clients written for AudD (ours, the official SDKs, curl scripts) decide what happened from the
JSON body alone, so every API failure is an HTTP 200 JSON body in AudD's error envelope: the
numeric code from AudD's table, a message shaped like AudD's ("<Action> failed: <reason>"), and
an echo of the request parameters with the api_token masked. The enterprise host uses its own
variant (`requested_params` + `execution_time`, no method fields), as the live captures show.
The envelopes themselves come from radiowatch.audd.codes, shared with our client and the fake.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from radiowatch.audd.codes import ACTION_PREFIX, error_envelope, success_envelope

# Error codes used by the engine (docs/protocols/audd.md §10.1). The numbers are AudD's; clients map them to
# exception classes, so reuse them for the same situations and invent none.
BLOCKED_OR_INTERNAL = 19
INVALID_REQUEST = 50
FINGERPRINT_FAILED = 300
FILE_TOO_LARGE = 400
INVALID_AUDIO = 500
URL_FETCH_FAILED = 600
NO_INPUT = 700
INVALID_TOKEN = 900
MISSING_TOKEN = 901
LIMIT_REACHED = 902
FEATURE_NOT_AVAILABLE = 904
SERVER_ERROR = 1000


def go_duration(seconds: float) -> str:
    """Format a duration like Go's time.Duration.String(), as AudD's `execution_time` does."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3f}µs"
    if seconds < 1:
        return f"{seconds * 1e3:.6f}ms"
    return f"{seconds:.9f}s"


class ApiError(Exception):
    """An API-level failure that becomes an AudD error envelope.

    `reason` is the part after "<Action> failed: "; `message` overrides the whole text when AudD's
    wording has no action prefix (the enterprise 904, for example).
    """

    def __init__(
        self,
        code: int,
        reason: str,
        *,
        message: str | None = None,
        result: Any = None,
        http_status: int = 200,
    ) -> None:
        super().__init__(f"[#{code}] {message or reason}")
        self.code = code
        self.reason = reason
        self.message = message
        self.result = result
        self.http_status = http_status

    def text_for(self, method: str) -> str:
        return self.message or ACTION_PREFIX.get(method, f"{method} failed: ") + self.reason


def error_body(
    error: ApiError,
    *,
    method: str,
    http_method: str,
    params: Mapping[str, str],
    enterprise: bool = False,
    started: float | None = None,
) -> dict[str, Any]:
    body = error_envelope(
        error.code,
        error.text_for(method),
        method=method,
        params=dict(params),
        http_method=http_method,
        enterprise=enterprise,
        execution_time=_elapsed(started) if enterprise else None,
    )
    if error.result is not None:
        body["result"] = error.result
    return body


def success_body(
    result: Any, *, enterprise: bool = False, started: float | None = None
) -> dict[str, Any]:
    body = success_envelope(result)
    if enterprise:
        body["execution_time"] = _elapsed(started)
    return body


def _elapsed(started: float | None) -> str:
    return go_duration(time.perf_counter() - started if started is not None else 0.0)


def json_reply(body: Any, status_code: int = 200) -> Response:
    """A JSON response with a fresh X-Request-ID, like AudD's (the SDK records it in errors).

    A 413 also closes the connection: otherwise the server would keep reading (and discarding)
    the rest of a refused 2 GB body to keep the connection alive."""
    headers = {"X-Request-ID": uuid.uuid4().hex}
    if status_code == 413:
        headers["Connection"] = "close"
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )

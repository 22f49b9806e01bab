"""Decoding rules for request/reply methods (docs/protocols/audd.md §11.3), as pure functions.

Kept apart from the HTTP code so they can be fed hostile bodies directly (tests) and
reused by the WebSocket session, whose replies are the same envelopes.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

from pydantic import ValidationError

from radiowatch.audd.callbacks import load_object
from radiowatch.audd.codes import mask_params
from radiowatch.audd.errors import AudDInvalidResponse, AudDServerError, error_from_body
from radiowatch.audd.models import EnterpriseResult, LyricsResult, RecognitionResult, Stream

Decode = Literal["recognition", "method", "raw"]


def decode_envelope(
    status: int,
    content: bytes | str | dict[str, Any],
    decode: Decode = "method",
    *,
    api_method: str | None = None,
    sent: dict[str, Any] | None = None,
    token: str | None = None,
    request_id: str | None = None,
) -> dict[str, Any]:
    """An HTTP reply → the success envelope (dict), or the typed error raised.

    ``recognition``: a non-JSON body with HTTP ≥ 400 is AudDServerError(0), and code 51
    with a usable ``result`` is a DeprecationWarning, not an error. ``method``: a non-JSON
    body is always AudDInvalidResponse. ``raw``: any JSON object is returned as is.
    """
    secrets = (token,) if token else ()
    masked = mask_params(sent or {})
    try:
        body = load_object(content)
    except AudDInvalidResponse:
        if decode == "recognition" and status >= 400:
            raise AudDServerError(
                0,
                f"HTTP {status} with non-JSON response body",
                http_status=status,
                request_id=request_id,
                request_params=masked,
                request_method=api_method,
            ) from None
        raise
    if decode == "raw":
        return body
    state = body.get("status")
    if state == "error":
        error = body.get("error")
        if (
            decode == "recognition"
            and isinstance(error, dict)
            and str(error.get("error_code")).strip() == "51"
            and body.get("result") is not None
        ):
            warnings.warn(str(error.get("error_message"))[:500], DeprecationWarning, stacklevel=3)
            return {**body, "status": "success"}
        raise error_from_body(
            body,
            http_status=status,
            request_id=request_id,
            sent_params=masked,
            api_method=api_method,
            secrets=secrets,
        )
    if state == "success":
        return body
    raise AudDServerError(
        0,
        "Unexpected response status",
        http_status=status,
        request_id=request_id,
        request_params=masked,
        request_method=api_method,
    )


def _validate(model: Any, data: Any) -> Any:
    try:
        return model.model_validate(data)
    except (ValidationError, RecursionError, TypeError, ValueError) as exc:
        raise AudDInvalidResponse(f"{model.__name__} could not be read: {exc}") from None


def recognition_result(body: dict[str, Any]) -> RecognitionResult | None:
    """``result`` object → RecognitionResult; null or any non-object means no match."""
    result = body.get("result")
    return _validate(RecognitionResult, result) if isinstance(result, dict) else None


def enterprise_result(body: dict[str, Any]) -> EnterpriseResult:
    result = body.get("result")
    if result is None:
        result = []
    if not isinstance(result, list):
        raise AudDInvalidResponse("enterprise 'result' is not a list")
    execution_time = body.get("execution_time")
    return _validate(EnterpriseResult, {"chunks": result, "execution_time": execution_time})


def lyrics_results(body: dict[str, Any]) -> list[LyricsResult]:
    result = body.get("result")
    if not isinstance(result, list):
        return []
    return [_validate(LyricsResult, item) for item in result if isinstance(item, dict)]


def streams_result(body: dict[str, Any]) -> list[Stream]:
    result = body.get("result")
    if result is None:
        return []
    if not isinstance(result, list):
        raise AudDInvalidResponse("getStreams 'result' is not a list")
    return [_validate(Stream, item) for item in result if isinstance(item, dict)]


def callback_url_result(body: dict[str, Any]) -> str:
    result = body.get("result")
    if not isinstance(result, str):
        raise AudDInvalidResponse("getCallbackUrl 'result' is not a string")
    return result

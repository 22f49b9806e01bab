"""Typed exceptions for every way an AudD call can fail (docs/protocols/audd.md §10).

Callers branch on the class (``except AudDAuthenticationError``) and show
``str(exc)`` to the user; neither ever contains the api token, even when a
server echoes it back unmasked.
"""

from __future__ import annotations

from typing import Any

from radiowatch.audd.codes import BRANDED_CODES, ERROR_CODES, mask_token


class AudDError(Exception):
    """Base of everything this package raises."""


class AudDTokenMissingError(AudDError, ValueError):
    """No token: none passed, no AUDD_API_TOKEN, and the token provider had none."""

    def __init__(self) -> None:
        super().__init__(
            "No AudD api token: pass api_token=, set AUDD_API_TOKEN, or save a token in "
            "Settings (get one at dashboard.audd.io)."
        )


class AudDConnectionError(AudDError):
    """The server could not be reached or the connection broke (after any retries)."""

    def __init__(self, message: str, *, original: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.original = original


class AudDInvalidResponse(AudDError):
    """The reply is not JSON, not an object, or not the shape the method promises."""

    def __init__(self, message: str, *, raw_text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.raw_text = raw_text[:2000] if raw_text else raw_text


class AudDAPIError(AudDError):
    """An AudD error reply: ``{"status": "error", "error": {...}}``."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int | None = None,
        request_id: str | None = None,
        request_params: dict[str, Any] | None = None,
        request_method: str | None = None,
        branded_message: str | None = None,
        raw_response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"[#{code}] {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.request_params = request_params or {}
        self.request_method = request_method
        self.branded_message = branded_message
        self.raw_response = raw_response

    @property
    def error_code(self) -> int:
        """Alias matching the official SDK's attribute name."""
        return self.code


class AudDAuthenticationError(AudDAPIError):
    """900/901/903: token wrong, missing or disabled."""


class AudDQuotaError(AudDAPIError):
    """902: request quota or stream slots used up."""


class AudDSubscriptionError(AudDAPIError):
    """904/905: the feature is not in this token's plan."""


class AudDCustomCatalogAccessError(AudDSubscriptionError):
    """904 from /upload/: custom-catalog uploads need special access from AudD."""


class AudDInvalidRequestError(AudDAPIError):
    """50/51/600-602/700-702/906: the request itself is wrong."""


class AudDCallbackUrlMissingError(AudDInvalidRequestError):
    """Long poll needs a callback URL on the account; none is set (docs/protocols/audd.md §7.6)."""


class AudDInvalidAudioError(AudDAPIError):
    """300/400/500: audio too short, too large or undecodable."""


class AudDStreamLimitError(AudDAPIError):
    """610: no free stream slot."""


class AudDRateLimitError(AudDAPIError):
    """611: per-stream daily rate limit."""


class AudDNotReleasedError(AudDAPIError):
    """907: the song is not released yet."""


class AudDBlockedError(AudDAPIError):
    """19/31337: blocked, banned, or AudD's catch-all internal error."""


class AudDNeedsUpdateError(AudDAPIError):
    """20: the app must be updated."""


class AudDServerError(AudDAPIError):
    """100/1000, unknown codes, and HTTP-level failures (code 0)."""


_CLASSES: dict[str, type[AudDAPIError]] = {
    cls.__name__: cls
    for cls in (
        AudDAuthenticationError,
        AudDQuotaError,
        AudDSubscriptionError,
        AudDInvalidRequestError,
        AudDInvalidAudioError,
        AudDStreamLimitError,
        AudDRateLimitError,
        AudDNotReleasedError,
        AudDBlockedError,
        AudDNeedsUpdateError,
        AudDServerError,
    )
}


def exception_class(code: int, *, api_method: str | None = None) -> type[AudDAPIError]:
    """The class for an error code; 904 from ``upload`` is the custom-catalog variant."""
    if code == 904 and api_method == "upload":
        return AudDCustomCatalogAccessError
    row = ERROR_CODES.get(code)
    return _CLASSES[row.exception] if row else AudDServerError


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            return int(float(str(value)))
        except (TypeError, ValueError, OverflowError):
            return 0


def branded_message(body: dict[str, Any], code: int) -> str | None:
    """``"artist — title"`` from a branded error reply (docs/protocols/audd.md §10.2), else None."""
    if code not in BRANDED_CODES:
        return None
    result = body.get("result")
    if not isinstance(result, dict):
        return None
    parts = [
        str(result[k]).strip()
        for k in ("artist", "title")
        if isinstance(result.get(k), str | int | float) and str(result[k]).strip()
    ]
    return " — ".join(parts) or None


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every occurrence of a secret in ``text`` by its mask."""
    for secret in secrets:
        if secret and len(secret) >= 3 and secret in text:
            text = text.replace(secret, mask_token(secret))
    return text


def _scrub_value(value: Any, secrets: tuple[str, ...], depth: int = 0) -> Any:
    if depth > 20:
        return None
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, dict):
        return {
            str(k): (
                mask_token(v)
                if k == "api_token" and isinstance(v, str) and "***" not in v
                else _scrub_value(v, secrets, depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_value(v, secrets, depth + 1) for v in value]
    return value


def error_from_body(
    body: dict[str, Any],
    *,
    http_status: int | None = None,
    request_id: str | None = None,
    sent_params: dict[str, Any] | None = None,
    api_method: str | None = None,
    secrets: tuple[str, ...] = (),
) -> AudDAPIError:
    """Build the typed exception for an error envelope.

    ``sent_params`` (what we sent, token already masked) stands in when the server
    echoes nothing. ``secrets`` are scrubbed from every string, so a server that
    echoes the token in clear cannot leak it into logs.
    """
    err = body.get("error")
    err = err if isinstance(err, dict) else {}
    code = _as_int(err.get("error_code", 0))
    raw_message = err.get("error_message")
    message = raw_message if isinstance(raw_message, str) else str(raw_message or "Unknown error")
    echoed = body.get("request_params")
    if not isinstance(echoed, dict):
        echoed = body.get("requested_params")
    params = echoed if isinstance(echoed, dict) else dict(sent_params or {})
    method = body.get("request_api_method")
    method = method if isinstance(method, str) else api_method
    cls = exception_class(code, api_method=api_method or method)
    brand = branded_message(body, code)
    return cls(
        code,
        scrub(message, secrets),
        http_status=http_status,
        request_id=request_id,
        request_params=_scrub_value(params, secrets),
        request_method=method,
        branded_message=scrub(brand, secrets) if brand else None,
        raw_response=_scrub_value(body, secrets),
    )

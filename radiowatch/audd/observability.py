"""Request/response/exception events for logging and metrics.

An ``on_event`` hook sees every HTTP call the client makes (and WebSocket connects)
with timing. Events never carry the api token or a request body; URLs are stripped
of their query string. A failing hook is logged at DEBUG and otherwise ignored, so
observability can never break a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("radiowatch.audd")


@dataclass(frozen=True)
class AudDEvent:
    kind: Literal["request", "response", "exception"]
    method: str
    url: str
    request_id: str | None = None
    http_status: int | None = None
    elapsed_ms: float | None = None
    error_code: int | None = None
    extras: dict[str, Any] = field(default_factory=dict)


OnEvent = Callable[[AudDEvent], None]


def public_url(url: str) -> str:
    """The URL without query or credentials: safe to log (WebSocket URLs carry the token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid url>"
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def emit(hook: OnEvent | None, event: AudDEvent) -> None:
    if hook is None:
        return
    try:
        hook(event)
    except Exception:  # noqa: BLE001 - a broken hook must not break the request path
        log.debug("AudD on_event hook failed", exc_info=True)

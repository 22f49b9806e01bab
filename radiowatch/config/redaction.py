"""Keeping secrets out of text: masking for display and redaction for logs and errors.

Every token the app reads or stores is registered here, so the log filter can replace it
wherever it turns up (a URL, an exception from a library, a repr of a request). Patterns catch
the usual carriers of secrets we never registered (a token pasted into a URL by hand).
"""

from __future__ import annotations

import re
import threading

_MIN_REGISTERED = 4  # shorter values would redact ordinary words

_PATTERNS = [
    # api_token=..., api_key=..., access_token=... in URLs, form bodies and CLI echoes
    re.compile(r"(?i)\b((?:api_token|access_token|api_key|apikey|token)=)([^&\s\"',;)]+)"),
    # "api_token": "..." in JSON or a Python dict repr
    re.compile(
        r"(?i)([\"'](?:api_token|access_token|api_key|apikey|token|x-api-key|authorization)[\"']"
        r"\s*:\s*[\"'])([^\"']+)"
    ),
    # X-API-Key: ... header lines
    re.compile(r"(?i)(x-api-key\s*[:=]\s*)([^\s,;\"'}]+)"),
    # Authorization: Bearer ... (and a bare "Bearer ...")
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]+)"),
]

_lock = threading.Lock()
_registered: set[str] = set()


def mask(value: str | None) -> str:
    """`ab***yz`: enough to recognise which token is set, not enough to use it."""
    if not value:
        return ""
    if len(value) < 8:
        return "***"
    return f"{value[:2]}***{value[-2:]}"


def register_secret(value: str | None) -> None:
    """Remember a secret value so `redact` removes it from any text."""
    if value and len(value) >= _MIN_REGISTERED:
        with _lock:
            _registered.add(value)


def forget_secret(value: str | None) -> None:
    with _lock:
        _registered.discard(value or "")


def redact(text: str) -> str:
    """Replace every registered secret and every secret-looking parameter in `text`."""
    if not text:
        return text
    with _lock:
        known = sorted(_registered, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, mask(value))
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + _mask_unless_masked(m.group(2)), text)
    return text


def _mask_unless_masked(value: str) -> str:
    return value if "***" in value else mask(value) or "***"

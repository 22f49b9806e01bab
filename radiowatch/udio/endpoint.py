"""Where and how to ask for Udio tasks: base URL, path template, auth scheme, batch size.

Udio has no official public API; resellers wrap it behind their own gateways, and each puts
the task query at a different host, path and auth header (docs/protocols/udio.md §3):
the seed's ``/udio/query?ids=a,b`` with ``Authorization: Bearer``, ``/udio/fetch/{id}`` at
MagicAPI-style gateways, ``X-API-Key`` at PiAPI. So all three are settings, not constants.
The key is deliberately not part of this model: it lives in the token store.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from radiowatch.udio.errors import WHERE_TO_CONFIGURE, UdioNotConfiguredError

DEFAULT_PATH_TEMPLATE = "/udio/query?ids={ids}"


class AuthScheme(StrEnum):
    """How the key travels. Never in the URL: URLs end up in logs and proxies."""

    BEARER = "bearer"  # Authorization: Bearer <key>   (the seed)
    RAW = "raw"  # Authorization: <key>          (the seed's curl leaves out "Bearer")
    X_API_KEY = "x-api-key"  # X-API-Key: <key>     (PiAPI)

    def headers(self, key: str) -> dict[str, str]:
        if self is AuthScheme.BEARER:
            return {"Authorization": f"Bearer {key}"}
        if self is AuthScheme.RAW:
            return {"Authorization": key}
        return {"X-API-Key": key}


class UdioEndpoint(BaseModel):
    """Connection settings for one reseller."""

    model_config = ConfigDict(frozen=True)

    base_url: str = ""
    path_template: str = DEFAULT_PATH_TEMPLATE
    auth_scheme: AuthScheme = AuthScheme.BEARER
    batch_size: int = Field(default=20, ge=1, le=200)
    timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.strip().rstrip("/")

    @field_validator("path_template")
    @classmethod
    def _one_placeholder(cls, value: str) -> str:
        value = value.strip()
        if ("{ids}" in value) == ("{id}" in value):
            raise ValueError(
                "the path template needs exactly one placeholder: {ids} for a comma-separated "
                "batch (e.g. /udio/query?ids={ids}) or {id} for one task per request "
                "(e.g. /udio/fetch/{id})"
            )
        return value if value.startswith("/") else "/" + value

    @property
    def batches_ids(self) -> bool:
        """True when one request can carry several ids."""
        return "{ids}" in self.path_template

    @property
    def effective_batch_size(self) -> int:
        return self.batch_size if self.batches_ids else 1

    def url_for(self, ids: list[str]) -> str:
        if self.batches_ids:
            return self.base_url + self.path_template.replace("{ids}", ",".join(ids))
        if len(ids) != 1:
            raise ValueError("this path template takes one id per request")
        return self.base_url + self.path_template.replace("{id}", ids[0])

    def require_base_url(self) -> None:
        if not self.base_url:
            raise UdioNotConfiguredError(
                f"No Udio API base URL is configured. Set it in {WHERE_TO_CONFIGURE} "
                "(the address of your Udio API reseller, e.g. https://api.example.com)."
            )
        if not self.base_url.startswith(("http://", "https://")):
            raise UdioNotConfiguredError(
                f"The Udio API base URL {self.base_url!r} must start with http:// or https://. "
                f"Fix it in {WHERE_TO_CONFIGURE}."
            )


def endpoint_from_settings(settings: Any) -> UdioEndpoint:
    """Read a ``UdioEndpoint`` out of whatever the app's settings object is.

    Accepts a ``UdioEndpoint``; an object or mapping with a ``udio`` section; or one with flat
    ``udio_base_url`` / ``udio_path_template`` / ``udio_auth_scheme`` / ``udio_batch_size``
    fields (radiowatch.config.Settings has ``udio_base_url``), overlaid with an optional
    ``extras["udio"]`` mapping. Missing pieces fall back to the seed's defaults.
    """
    if isinstance(settings, UdioEndpoint):
        return settings
    if settings is None:
        return UdioEndpoint()
    section = _get(settings, "udio")
    if isinstance(section, UdioEndpoint):
        return section
    values = _pick(section, "") if section is not None else _pick(settings, "udio_")
    extras = _get(settings, "extras")
    if isinstance(extras, dict) and isinstance(extras.get("udio"), dict):
        values.update(_pick(extras["udio"], ""))
    try:
        return UdioEndpoint(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        raise UdioNotConfiguredError(
            f"The Udio {field.replace('_', ' ')} setting is invalid: {first.get('msg')}. "
            f"Fix it in {WHERE_TO_CONFIGURE}."
        ) from None


_FIELDS = ("base_url", "path_template", "auth_scheme", "batch_size", "timeout_s")


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _pick(obj: Any, prefix: str) -> dict[str, Any]:
    values = {f: _get(obj, prefix + f) for f in _FIELDS}
    return {k: v for k, v in values.items() if v is not None}

"""The GUI's side of the engine's catalog routes (engine/api/catalog_routes.py). No Qt.

The engine process is the catalog's only writer, so the GUI never opens the catalog files
itself: it asks the engine over loopback HTTP (or over the network when the user points the GUI
at an engine on another box). Errors come back as the same typed AudD errors as everything else
(`radiowatch.audd.errors`), so the tab shows them the same way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from radiowatch.audd.errors import AudDAPIError, AudDConnectionError, AudDError, scrub
from radiowatch.audd.replies import decode_envelope

NO_CATALOG_API = (
    "this engine has no catalog API (it is older than this app, or not a "
    "radiowatch engine); update and restart the local engine"
)
ADD_TIMEOUT = httpx.Timeout(300.0, connect=10.0)
READ_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class CatalogTrack(BaseModel):
    model_config = ConfigDict(extra="ignore")

    track_id: str
    audio_id: int | None = None
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    isrc: str | None = None
    kind: str = "song"
    duration_s: float = 0.0
    source_file: str | None = None
    provenance: str | None = None
    added_at: float = 0.0


class CatalogClient:
    """``CatalogClient(base_url, token)``; call ``aclose()`` (or use ``async with``)."""

    def __init__(
        self, base_url: str, token: str, *, http_client: httpx.AsyncClient | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=READ_TIMEOUT)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> CatalogClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def tracks(self, query: str = "") -> list[CatalogTrack]:
        result = await self._request(
            "GET", "/catalog/tracks/", "catalogTracks", params={"q": query} if query else None
        )
        return [CatalogTrack.model_validate(t) for t in result or []]

    async def index_status(self) -> dict[str, Any]:
        """The engine's catalog index state (`/health/` "catalog_index"): "current", or
        "running" with `done`/`total` tracks while an older index is upgraded, plus `missing`
        tracks that need their audio file again. {} from an engine that does not say."""
        return (await self._health()).get("catalog_index") or {}

    async def add_workers(self) -> int:
        """How many adds the engine fingerprints at once (its worker processes); 1 from an
        engine that does not say (it adds one file at a time)."""
        workers = ((await self._health()).get("catalog_adds") or {}).get("workers")
        return workers if isinstance(workers, int) and workers > 0 else 1

    async def _health(self) -> dict[str, Any]:
        try:
            response = await self._http.get(self.base_url + "/health/", timeout=READ_TIMEOUT)
            body = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return {}
        if not isinstance(body, dict):
            return {}
        return {k: v for k, v in body.items() if isinstance(v, dict)}

    async def add_file(
        self,
        path: str | Path,
        *,
        title: str | None = None,
        artist: str | None = None,
        album: str | None = None,
        isrc: str | None = None,
        kind: str = "song",
    ) -> CatalogTrack:
        """Upload one file; without a title the engine reads the tags, else the file name."""
        path = Path(path)
        try:
            content = await asyncio.to_thread(path.read_bytes)  # never on the GUI thread
        except OSError as exc:
            raise AudDError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        fields = {
            "title": title,  # none: the engine takes the tags, else the file name
            "artist": artist,
            "album": album,
            "isrc": isrc,
            "kind": kind,
            "source_file": str(path.resolve()),
        }
        result = await self._request(
            "POST",
            "/catalog/tracks/",
            "catalogAdd",
            data={k: v for k, v in fields.items() if v},
            files={"file": (path.name, content, "application/octet-stream")},
            timeout=ADD_TIMEOUT,
        )
        return CatalogTrack.model_validate(result)

    async def update(self, track_id: str, **fields: str | None) -> CatalogTrack:
        data = {k: ("" if v is None else str(v)) for k, v in fields.items()}
        result = await self._request(
            "POST", f"/catalog/tracks/{track_id}/", "catalogUpdate", data=data
        )
        return CatalogTrack.model_validate(result)

    async def remove(self, track_id: str) -> bool:
        result = await self._request(
            "POST", f"/catalog/tracks/{track_id}/delete/", "catalogRemove", data={}
        )
        return bool((result or {}).get("removed"))

    async def _request(
        self,
        http_method: str,
        path: str,
        api_method: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        url = self.base_url + path
        try:
            if http_method == "GET":
                response = await self._http.get(
                    url,
                    params={**(params or {}), "api_token": self._token},
                    timeout=timeout or READ_TIMEOUT,
                )
            else:
                response = await self._http.post(
                    url,
                    data={**(data or {}), "api_token": self._token},
                    files=files,
                    timeout=timeout or READ_TIMEOUT,
                )
        except httpx.HTTPError as exc:
            text = scrub(str(exc) or type(exc).__name__, (self._token,))
            raise AudDConnectionError(
                f"could not reach the engine at {self.base_url}: {text}", original=None
            ) from None
        if response.status_code == 404:
            raise AudDError(NO_CATALOG_API)
        try:
            body = decode_envelope(
                response.status_code,
                response.content,
                "method",
                api_method=api_method,
                sent={},
                token=self._token,
            )
        except AudDAPIError as exc:
            if exc.code == 50 and "unknown API method" in str(exc):
                raise AudDError(NO_CATALOG_API) from None
            raise
        return body.get("result")

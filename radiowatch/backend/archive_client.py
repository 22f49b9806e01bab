"""The GUI's side of the engine's archive routes (engine/api/archive_routes.py). No Qt.

The archive lives in the engine, next to the audio: the GUI asks for proof clips, coverage,
what the archive costs and "found later" searches over HTTP, the same against the local engine
and a radiowatch engine on another machine. The AudD cloud keeps no audio of the streams it
monitors, so with it there is no archive: `archive_client_for` says so in words the UI shows
(`ArchiveUnavailable`). Errors come back as the typed AudD errors, like the catalog client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from radiowatch.audd.errors import AudDAPIError, AudDConnectionError, AudDError, scrub
from radiowatch.audd.replies import decode_envelope

NEEDS_ENGINE = (
    "Listening to plays, saving clips and finding past plays need the radiowatch engine (the "
    "local engine, or one on another machine): the AudD cloud does not keep the audio of the "
    "streams it monitors. Choose the engine as the backend in Settings to keep audio."
)
NO_ARCHIVE_API = (
    "this engine has no archive (it is older than this app); update and restart the engine"
)
LOCAL_ENGINE_AWAY = "The local engine is not running yet."
READ_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
CLIP_TIMEOUT = httpx.Timeout(120.0, connect=10.0)


class ArchiveUnavailable(AudDError):
    """There is no archive to ask: the backend is the AudD cloud, or no engine is running."""


class EngineAway(ArchiveUnavailable):
    """The app's own engine is not running right now (starting, or restarting after it ended):
    the same engine, with the same archive, is back once it runs again."""


class StationUsage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    radio_id: int
    audio_bytes: int = 0
    audio_seconds: float = 0.0
    audio_mb_per_day: float | None = None
    peaks_bytes: int = 0
    peaks_mb_per_day: float | None = None
    segments: int = 0
    audio_from: float | None = None
    audio_to: float | None = None


class ArchiveUsage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    settings: dict[str, Any] = Field(default_factory=dict)
    stations: list[StationUsage] = Field(default_factory=list)
    total: dict[str, Any] = Field(default_factory=dict)


class CoverageInterval(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    start: float = Field(alias="from")
    end: float = Field(alias="to")
    state: str  # archived | heard | down | not_monitored


class StationCoverage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    radio_id: int
    seconds: dict[str, float] = Field(default_factory=dict)
    intervals: list[CoverageInterval] = Field(default_factory=list)


class AudioKept(BaseModel):
    model_config = ConfigDict(extra="ignore")

    radio_id: int
    kept_seconds: float = 0.0
    complete: bool = False
    formats: list[str] = Field(default_factory=list)


class ClipAudio(BaseModel):
    data: bytes
    mime: str
    file_name: str  # what the engine suggests, e.g. radio7-20260504-101500.mp3
    start: float
    end: float
    gaps: list[tuple[float, float]] = Field(default_factory=list)


class FoundPlay(BaseModel):
    model_config = ConfigDict(extra="ignore")

    radio_id: int
    track_id: str
    title: str | None = None
    artist: str | None = None
    start: float
    end: float
    score: int = 0
    status: str = ""


class SearchJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job_id: str
    state: str  # queued | running | done | cancelled | failed
    reason: str = "requested"
    progress: float = 0.0
    tracks: list[str] = Field(default_factory=list)
    stations: list[int] = Field(default_factory=list)
    found: int = 0
    published: int = 0
    plays: list[FoundPlay] = Field(default_factory=list)
    error: str | None = None
    retry_at: float | None = None  # failed; the engine runs it again by itself then (epoch s)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")


class Airing(BaseModel):
    model_config = ConfigDict(extra="ignore")

    radio_id: int
    start: float
    end: float


class DiscoveredPiece(BaseModel):
    """One piece of unknown audio the archive heard again and again (a discover row)."""

    model_config = ConfigDict(extra="ignore")

    key: str
    length_s: float
    count: int
    stations: list[int] = Field(default_factory=list)
    first_heard: float
    last_heard: float
    kind_hint: str = "song"  # jingle | ad | song, from its length
    representative: Airing
    airings: list[Airing] = Field(default_factory=list)


class DiscoverJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    job_id: str
    state: str  # queued | running | done | cancelled | failed
    progress: float = 0.0
    stations: list[int] = Field(default_factory=list)
    min_count: int = 3
    rows: list[DiscoveredPiece] = Field(default_factory=list)
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")


class AddedPiece(BaseModel):
    """A discovered piece now in the catalog, and the search for its other airings."""

    model_config = ConfigDict(extra="ignore")

    track: dict[str, Any]
    search: SearchJob


class ArchiveLimits(BaseModel):
    """The engine's archive settings a user may change (engine-settings.json `archive_*`)."""

    model_config = ConfigDict(extra="ignore")

    retention_days: float
    peaks_retention_days: float
    station_cap_mb: float
    total_cap_mb: float


class _Job(Protocol):
    job_id: str

    @property
    def finished(self) -> bool: ...


J = TypeVar("J", bound=_Job)
JOB_POLL_S = 0.5


async def follow_job(
    job: J,
    fetch: Callable[[str], Awaitable[J]],
    cancel: Callable[[str], Awaitable[Any]],
    on_update: Callable[[J], None],
    *,
    every_s: float = JOB_POLL_S,
) -> J:
    """Poll an engine job until it ends, handing each state to `on_update`. When the waiting
    is cancelled (a dialog closed), the engine's job is cancelled too: nobody is watching it."""
    try:
        while not job.finished:
            await asyncio.sleep(every_s)
            job = await fetch(job.job_id)
            on_update(job)
        return job
    except asyncio.CancelledError:
        with contextlib.suppress(AudDError, asyncio.CancelledError):
            await asyncio.shield(cancel(job.job_id))
        raise


def archive_client_for(session: Any) -> ArchiveClient:
    """The archive of the session's engine; raises ArchiveUnavailable with a reason to show
    when the backend is the AudD cloud or no engine is running yet (EngineAway while the app's
    own engine starts or restarts).

    The app's local engine listens on a new port after each restart, but it is the same engine
    (the same data folder, its archive and catalog): the client's `engine_id` says so."""
    kind = getattr(session, "kind", None)
    if kind == "audd":
        raise ArchiveUnavailable(NEEDS_ENGINE)
    client = getattr(session, "client", None)
    if client is None:
        if kind == "local":
            raise EngineAway(getattr(session, "reason", "") or LOCAL_ENGINE_AWAY)
        raise ArchiveUnavailable("the engine is not running yet; start monitoring first")
    engine_id = f"local engine in {session.dirs.engine_data}" if kind == "local" else None
    return ArchiveClient(str(client.base_url), client.api_token(), engine_id=engine_id)


class ArchiveClient:
    """``ArchiveClient(base_url, token)``; call ``aclose()`` (or use ``async with``). Its HTTP
    connection pool is made on first use, so a client made only to learn that the archive
    can be reached costs nothing. `engine_id` names the engine behind it, the same across the
    engine's restarts (by default its address)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        engine_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.engine_id = engine_id or self.base_url
        self._token = token
        self._owns_http = http_client is None
        self._client = http_client

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=READ_TIMEOUT)
        return self._client

    async def aclose(self) -> None:
        if self._owns_http and self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> ArchiveClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- reading -----------------------------------------------------------------------------
    async def usage(self) -> ArchiveUsage:
        return ArchiveUsage.model_validate(await self._call("GET", "usage", "archiveUsage"))

    async def coverage(
        self, start: float, end: float, radio_ids: list[int] | None = None
    ) -> list[StationCoverage]:
        params: dict[str, Any] = {"from": start, "to": end}
        if radio_ids:
            params["radio_id"] = ",".join(str(r) for r in radio_ids)
        result = await self._call("GET", "coverage", "archiveCoverage", params)
        return [StationCoverage.model_validate(s) for s in (result or {}).get("stations", [])]

    async def kept(self, radio_id: int, start: float, end: float) -> AudioKept:
        params = {"radio_id": radio_id, "start": start, "end": end}
        return AudioKept.model_validate(await self._call("GET", "kept", "archiveKept", params))

    async def clip(
        self, radio_id: int, start: float, end: float, *, pad: float = 5.0, mp3: bool = False
    ) -> ClipAudio:
        """The archived audio of [start, end] plus `pad` seconds each side; MP3 when asked
        (otherwise the stream's own format)."""
        fields = {
            "radio_id": radio_id,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "pad": pad,
            "format": "mp3" if mp3 else "original",
        }
        response = await self._send("POST", "clip", fields, timeout=CLIP_TIMEOUT)
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        if response.status_code == 200 and kind.startswith("audio/"):
            disposition = response.headers.get("content-disposition", "")
            name = (
                disposition.split("filename=")[-1].strip('"') if "filename=" in disposition else ""
            )
            gaps = json.loads(response.headers.get("x-radiowatch-clip-gaps") or "[]")
            return ClipAudio(
                data=response.content,
                mime=kind,
                file_name=name or f"radio{radio_id}.{'mp3' if mp3 else 'bin'}",
                start=float(response.headers.get("x-radiowatch-clip-start", start)),
                end=float(response.headers.get("x-radiowatch-clip-end", end)),
                gaps=[(float(a), float(b)) for a, b in gaps],
            )
        self._result(response, "archiveClip", fields)
        raise AudDError("the engine answered the clip request without audio")

    # -- found later -------------------------------------------------------------------------
    async def search(
        self,
        *,
        track_ids: list[str] | None = None,
        added_since: float | None = None,
        radio_ids: list[int] | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> SearchJob:
        fields = _scope(radio_ids, start, end)
        if track_ids:
            fields["track_ids"] = ",".join(track_ids)
        if added_since is not None:
            fields["added_since"] = added_since
        return SearchJob.model_validate(await self._call("POST", "search", "archiveSearch", fields))

    async def jobs(self) -> list[SearchJob]:
        result = await self._call("GET", "search", "archiveSearch")
        return [SearchJob.model_validate(j) for j in result or []]

    async def job(self, job_id: str) -> SearchJob:
        return SearchJob.model_validate(
            await self._call("GET", f"search/{job_id}", "archiveSearchJob")
        )

    async def cancel(self, job_id: str) -> SearchJob:
        return SearchJob.model_validate(
            await self._call("POST", f"search/{job_id}/cancel", "archiveSearchCancel")
        )

    # -- discover ----------------------------------------------------------------------------
    async def discover(
        self,
        *,
        radio_ids: list[int] | None = None,
        start: float | None = None,
        end: float | None = None,
        min_count: int = 3,
    ) -> DiscoverJob:
        fields = {**_scope(radio_ids, start, end), "min_count": min_count}
        return DiscoverJob.model_validate(
            await self._call("POST", "discover", "archiveDiscover", fields)
        )

    async def discover_job(self, job_id: str) -> DiscoverJob:
        return DiscoverJob.model_validate(
            await self._call("GET", f"discover/{job_id}", "archiveDiscoverJob")
        )

    async def cancel_discover(self, job_id: str) -> DiscoverJob:
        return DiscoverJob.model_validate(
            await self._call("POST", f"discover/{job_id}/cancel", "archiveDiscoverCancel")
        )

    async def add_discovered(
        self, airing: Airing, *, title: str, artist: str, kind: str = "song"
    ) -> AddedPiece:
        """Make the archived audio of `airing` a catalog track; the engine then searches the
        archive for its other airings (they become plays marked found later)."""
        fields = {
            "radio_id": airing.radio_id,
            "start": f"{airing.start:.3f}",
            "end": f"{airing.end:.3f}",
            "title": title,
            "artist": artist,
            "kind": kind,
        }
        return AddedPiece.model_validate(
            await self._call("POST", "discover/add", "archiveDiscoverAdd", fields)
        )

    # -- settings ----------------------------------------------------------------------------
    async def limits(self) -> ArchiveLimits:
        return ArchiveLimits.model_validate(await self._call("GET", "settings", "archiveSettings"))

    async def set_limits(self, **changes: float) -> ArchiveLimits:
        """Change retention days and caps (MB) on the engine, which keeps them across starts."""
        return ArchiveLimits.model_validate(
            await self._call("POST", "settings", "archiveSettings", changes)
        )

    # -- transport ---------------------------------------------------------------------------
    async def _call(
        self, http_method: str, route: str, api_method: str, fields: dict[str, Any] | None = None
    ) -> Any:
        response = await self._send(http_method, route, fields or {})
        return self._result(response, api_method, fields or {})

    async def _send(
        self,
        http_method: str,
        route: str,
        fields: dict[str, Any],
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        url = f"{self.base_url}/archive/{route}/"
        values = {**{k: str(v) for k, v in fields.items()}, "api_token": self._token}
        try:
            if http_method == "GET":
                return await self._http.get(url, params=values, timeout=timeout or READ_TIMEOUT)
            return await self._http.post(url, data=values, timeout=timeout or READ_TIMEOUT)
        except httpx.HTTPError as exc:
            text = scrub(str(exc) or type(exc).__name__, (self._token,))
            raise AudDConnectionError(
                f"could not reach the engine at {self.base_url}: {text}", original=None
            ) from None

    def _result(self, response: httpx.Response, api_method: str, fields: dict[str, Any]) -> Any:
        if response.status_code == 404:
            raise AudDError(NO_ARCHIVE_API)
        try:
            body = decode_envelope(
                response.status_code,
                response.content,
                "method",
                api_method=api_method,
                sent=fields,
                token=self._token,
            )
        except AudDAPIError as exc:
            if exc.code == 50 and "unknown API method" in str(exc):
                raise AudDError(NO_ARCHIVE_API) from None
            raise
        return body.get("result")


def _scope(radio_ids: list[int] | None, start: float | None, end: float | None) -> dict[str, Any]:
    """The request fields that say which stations and which period a job looks at."""
    fields: dict[str, Any] = {}
    if radio_ids:
        fields["radio_ids"] = ",".join(str(r) for r in radio_ids)
    if start is not None:
        fields["from"] = start
    if end is not None:
        fields["to"] = end
    return fields

"""The archive over HTTP: coverage, what it costs, proof clips and "found later" searches.

Extension routes under `/archive/`, a prefix AudD does not use, with the same token and the
same envelopes as `/catalog/` (extension_routes.py): `{"status": "success", "result": ...}` or
AudD's error envelope. Times are Unix epoch seconds (floats). Lists are comma-separated.

    GET  /archive/usage/                       -> {settings, stations: [{radio_id, audio_bytes,
                                                   audio_seconds, audio_mb_per_day, peaks_bytes,
                                                   peaks_mb_per_day, ...}], total}
    GET  /archive/settings/                    -> {retention_days, peaks_retention_days,
                                                   station_cap_mb, total_cap_mb}
    POST /archive/settings/ any of those       -> the same, changed now and written to
                                                   engine-settings.json (limits applied at once)
    GET  /archive/coverage/?radio_id=&from=&to= -> {stations: [{radio_id, seconds: {archived,
                                                   heard, down, not_monitored}, intervals:
                                                   [{from, to, state}]}]}  (radio_id: all if
                                                   omitted; to: now; from: 24 h before `to`)
    GET  /archive/kept/?radio_id=&start=&end=   -> {kept_seconds, complete, formats}
    POST /archive/clip/   radio_id, start, end, pad (s, default 5), format=original|mp3
                          -> the audio itself (audio/mpeg, audio/aac, audio/ogg or
                             audio/flac), with X-Radiowatch-Clip-Start/-End (what it covers) and
                             X-Radiowatch-Clip-Gaps (JSON [[from, to], ...]); errors are JSON
    GET  /archive/search/                      -> [job, ...] (newest last)
    POST /archive/search/ track_ids (or added_since, or neither: all tracks), radio_ids,
                          from, to              -> job (searching in the background)
    GET  /archive/search/{job_id}/             -> job
    POST /archive/search/{job_id}/cancel/      -> job
    POST /archive/discover/ radio_ids, from, to (default: the last 7 days), min_count (3),
                          same_airing_s (repeats closer than this on one station are one
                          airing; default: engine-settings.json's
                          archive_discover_same_airing_s, 600)
                                               -> discover job (in the background)
    GET  /archive/discover/{job_id}/           -> discover job
    POST /archive/discover/{job_id}/cancel/    -> discover job
    POST /archive/discover/add/ radio_id, start, end, title, artist, album, isrc,
                          kind (song|jingle|ad) -> {track, search}: the archived audio of
                          [start, end] becomes a catalog track, and a found-later search for
                          it starts at once (its other airings become plays)

A discover job is `{job_id, state, progress, stations, rows: [{key, length_s, count, stations,
first_heard, last_heard, kind_hint (jingle|ad|song), representative: {radio_id, start, end},
airings: [{radio_id, start, end}]}], error}`, most heard first.

A search job is `{job_id, state (queued|running|done|cancelled|failed), reason (requested|new
tracks|discovered), progress (0-1), done, total, tracks, skipped_tracks, stations, found,
published, plays: [{radio_id, track_id, title, artist, start, end, score, speed, tempo, status}],
error, retry_at}`; a play's status is "published" (it is in the long poll now, marked
`found_later`), "already_reported", "another_song_reported" (half of it is a reported play of
another song), "on_air", "station_not_monitored", "track_removed" or "not_delivered" (no
callback URL set). `retry_at` (epoch seconds) is set on a failed search of new tracks: the
engine runs it again by itself then (engine/archive/service.py).

Mounting: `create_app` lists `*archive_routes(runtime)` before its catch-all route.
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from radiowatch.engine.api.catalog_routes import KINDS, add_track, track_json
from radiowatch.engine.api.extension_routes import Handler, both_slashes, handle
from radiowatch.engine.api.replies import FEATURE_NOT_AVAILABLE, INVALID_REQUEST, ApiError
from radiowatch.engine.api.request import ApiRequest, AudioUpload
from radiowatch.engine.archive.clips import DEFAULT_PAD_S, MAX_CLIP_S, NotArchived
from radiowatch.engine.archive.discover_jobs import DiscoverRequest
from radiowatch.engine.archive.media import MediaError
from radiowatch.engine.archive.search_jobs import SearchRequest

log = logging.getLogger(__name__)

ARCHIVE_OFF = (
    "the archive is turned off on this engine (archive_enabled in engine-settings.json); "
    "turn it on and restart the engine to keep audio and search it later"
)
_DEFAULT_SPAN_S = 86400.0
# what a client may change through /archive/settings/ (engine-settings.json's archive_<name>)
SETTABLE = ("retention_days", "peaks_retention_days", "station_cap_mb", "total_cap_mb")

JOB_KINDS = {
    # route segment: (the service's runner, API method prefix, what the error calls a job)
    "search": ("searches", "archiveSearch", "search"),
    "discover": ("discoveries", "archiveDiscover", "discover job"),
}


def archive_routes(runtime: Any) -> list[Route]:
    """The routes to put in front of the server's catch-all route."""

    def route(path: str, method: str, handler: Handler, methods: list[str]) -> list[Route]:
        async def endpoint(request: Request) -> Response:
            return await handle(runtime, request, method, handler, limit=runtime.limits.OTHER)

        return both_slashes(path, endpoint, methods)

    def job_routes(kind: str, start: Handler) -> list[Route]:
        """`/archive/<kind>/`: GET lists the jobs, POST starts one; `{job_id}/`, `cancel/`."""
        runner, api_method, noun = JOB_KINDS[kind]

        def find(path: dict[str, Any]) -> Any:
            job = getattr(_service(runtime), runner).get(path["job_id"])
            if job is None:
                raise ApiError(
                    INVALID_REQUEST,
                    f"there is no {noun} {path['job_id']!r} (jobs are forgotten when the engine "
                    "restarts)",
                )
            return job

        async def jobs(runtime: Any, api: ApiRequest, path: dict[str, Any]) -> Any:
            if api.http_method == "POST":
                return (await start(runtime, api, path)).as_json()
            return [j.as_json() for j in getattr(_service(runtime), runner).jobs()]

        async def one(runtime: Any, api: ApiRequest, path: dict[str, Any]) -> Any:
            return find(path).as_json()

        async def cancel(runtime: Any, api: ApiRequest, path: dict[str, Any]) -> Any:
            job = find(path)
            getattr(_service(runtime), runner).cancel(job.id)
            return job.as_json()

        base = f"/archive/{kind}"
        return [
            *route(base + "/{job_id}/cancel", api_method + "Cancel", cancel, ["POST"]),
            *route(base + "/{job_id}", api_method + "Job", one, ["GET", "POST"]),
            *route(base, api_method, jobs, ["GET", "POST"]),
        ]

    return [
        *route("/archive/usage", "archiveUsage", _usage, ["GET", "POST"]),
        *route("/archive/settings", "archiveSettings", _settings, ["GET", "POST"]),
        *route("/archive/coverage", "archiveCoverage", _coverage, ["GET", "POST"]),
        *route("/archive/kept", "archiveKept", _kept, ["GET", "POST"]),
        *route("/archive/clip", "archiveClip", _clip, ["GET", "POST"]),
        *job_routes("search", _start_search),
        *route("/archive/discover/add", "archiveDiscoverAdd", _discover_add, ["POST"]),
        *job_routes("discover", _start_discover),
    ]


def _service(runtime: Any) -> Any:
    service = getattr(runtime, "archive", None)
    if service is None:
        raise ApiError(FEATURE_NOT_AVAILABLE, ARCHIVE_OFF)
    return service


# -- parameters ------------------------------------------------------------------------------------


def _number(api: ApiRequest, name: str, default: float | None = None) -> float:
    text = api.get(name).strip()
    if not text:
        if default is None:
            raise ApiError(INVALID_REQUEST, f"the `{name}` parameter is required")
        return default
    try:
        value = float(text)
    except ValueError:
        raise ApiError(
            INVALID_REQUEST, f"the `{name}` parameter must be a number (got {text[:40]!r})"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ApiError(INVALID_REQUEST, f"the `{name}` parameter must be a finite number")
    return value


def _radio_id(api: ApiRequest) -> int:
    ids = _radio_ids(api)
    if not ids or len(ids) != 1:
        raise ApiError(INVALID_REQUEST, "the `radio_id` parameter (one station) is required")
    return ids[0]


def _radio_ids(api: ApiRequest, name: str = "radio_id") -> list[int] | None:
    text = api.get(name).strip()
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ApiError(
            INVALID_REQUEST,
            f"the `{name}` parameter must be station numbers separated by commas "
            f"(got {text[:40]!r})",
        ) from None


def _range(api: ApiRequest, first: str, last: str) -> tuple[float, float]:
    end = _number(api, last, time.time())
    start = _number(api, first, end - _DEFAULT_SPAN_S)
    if end < start:
        raise ApiError(INVALID_REQUEST, f"`{last}` must not be before `{first}`")
    return start, end


def _optional_range(api: ApiRequest) -> tuple[float | None, float | None]:
    """`from` and `to` when given (a job's default is its own: all peaks kept, or 7 days)."""
    start = _number(api, "from") if api.get("from").strip() else None
    end = _number(api, "to") if api.get("to").strip() else None
    if start is not None and end is not None and end < start:
        raise ApiError(INVALID_REQUEST, "`to` must not be before `from`")
    return start, end


# -- handlers ----------------------------------------------------------------------------------------


async def _usage(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    return await _service(runtime).usage()


async def _settings(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    service = _service(runtime)
    changes = {}
    for name in SETTABLE:
        if api.get(name).strip():
            changes[f"archive_{name}"] = _number(api, name)
    if api.http_method == "POST" and changes:
        try:
            runtime.change_archive_settings(changes)
        except ValueError as exc:
            raise ApiError(INVALID_REQUEST, str(exc)) from None
        # the new limits apply now, not at the next upkeep; what is freed shows in usage
        runtime.run_in_background(
            service.run(service.archive.enforce_limits), name="archive limits"
        )
    current = service.archive.settings
    return {name: getattr(current, name) for name in SETTABLE}


async def _coverage(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    start, end = _range(api, "from", "to")
    stations = await _service(runtime).coverage(_radio_ids(api), start, end)
    return {"stations": stations}


async def _kept(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    start = _number(api, "start")
    end = _number(api, "end")
    if end < start:
        raise ApiError(INVALID_REQUEST, "`end` must not be before `start`")
    return await _service(runtime).kept(_radio_id(api), start, end)


async def _clip(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Response:
    service = _service(runtime)
    radio_id = _radio_id(api)
    start = _number(api, "start")
    end = _number(api, "end")
    pad = _number(api, "pad", DEFAULT_PAD_S)
    if not 0 <= pad <= 60:
        raise ApiError(INVALID_REQUEST, "the `pad` parameter must be 0-60 seconds")
    wanted = (api.get("format") or "original").strip().lower()
    if wanted not in ("original", "mp3"):
        raise ApiError(INVALID_REQUEST, "the `format` parameter must be original or mp3")
    try:
        clip = await service.clip(radio_id, start, end, pad_s=pad, as_mp3=wanted == "mp3")
    except (NotArchived, MediaError, ValueError) as exc:
        raise ApiError(INVALID_REQUEST, str(exc)) from None
    name = f"radio{radio_id}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime(clip.start_s))}"
    return Response(
        clip.data,
        media_type=clip.mime,
        headers={
            "Content-Disposition": f'attachment; filename="{name}{clip.extension}"',
            "X-Radiowatch-Clip-Start": f"{clip.start_s:.3f}",
            "X-Radiowatch-Clip-End": f"{clip.end_s:.3f}",
            "X-Radiowatch-Clip-Gaps": json.dumps(
                [[round(a, 3), round(b, 3)] for a, b in clip.gaps]
            ),
        },
    )


async def _start_search(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    service = _service(runtime)
    ids_text = api.get("track_ids").strip()
    track_ids = tuple(t.strip() for t in ids_text.split(",") if t.strip()) if ids_text else None
    added_since = _number(api, "added_since") if api.get("added_since").strip() else None
    radio_ids = _radio_ids(api, "radio_ids")
    start, end = _optional_range(api)
    return service.search(
        SearchRequest(
            track_ids=track_ids,
            added_since=added_since,
            radio_ids=tuple(radio_ids) if radio_ids else None,
            from_s=start,
            to_s=end,
        )
    )


# -- discover ----------------------------------------------------------------------------------


async def _start_discover(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    service = _service(runtime)
    radio_ids = _radio_ids(api, "radio_ids")
    start, end = _optional_range(api)
    min_count = int(_number(api, "min_count", 3))
    if not 2 <= min_count <= 1000:
        raise ApiError(INVALID_REQUEST, "the `min_count` parameter must be 2-1000")
    same_airing = _number(api, "same_airing_s", runtime.settings.archive_discover_same_airing_s)
    if not 0 <= same_airing <= 86400:
        raise ApiError(INVALID_REQUEST, "the `same_airing_s` parameter must be 0-86400")
    return service.discover(
        DiscoverRequest(
            radio_ids=tuple(radio_ids) if radio_ids else None,
            from_s=start,
            to_s=end,
            min_count=min_count,
            same_airing_s=same_airing,
        )
    )


async def _discover_add(runtime: Any, api: ApiRequest, _path: dict[str, Any]) -> Any:
    """Name a discovered piece: its archived audio becomes the catalog's reference."""
    service = _service(runtime)
    radio_id = _radio_id(api)
    start = _number(api, "start")
    end = _number(api, "end")
    if not 1.0 <= end - start <= MAX_CLIP_S:
        raise ApiError(INVALID_REQUEST, "`end` must be 1 s to 30 min after `start`")
    fields = {
        name: (api.get(name).strip() or None) for name in ("title", "artist", "album", "isrc")
    }
    kind = (api.get("kind") or "song").strip()
    if kind not in KINDS:
        raise ApiError(INVALID_REQUEST, "the `kind` parameter must be song, jingle or ad")
    if not (fields["title"] or fields["artist"]):
        raise ApiError(INVALID_REQUEST, "give the piece a `title` or an `artist`")
    try:
        clip = await service.clip(radio_id, start, end, pad_s=0.0, as_mp3=False)
    except (NotArchived, MediaError, ValueError) as exc:
        raise ApiError(INVALID_REQUEST, str(exc)) from None
    upload = AudioUpload(f"archive{clip.extension}", io.BytesIO(clip.data), len(clip.data))
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(clip.start_s))
    track = await add_track(
        runtime,
        upload,
        {**fields, "kind": kind},
        f"discovered in the archive: station {radio_id}, {stamp} UTC",
    )
    job = service.search(SearchRequest(track_ids=(track.track_id,), reason="discovered"))
    return {"track": track_json(runtime, track), "search": job.as_json()}

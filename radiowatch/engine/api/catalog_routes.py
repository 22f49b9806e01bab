"""Catalog management over HTTP: list, search, add, edit and remove the engine's tracks.

AudD's own `/upload/` can only add (docs/protocols/audd.md §8: "there is no list or delete method"), but the
GUI's Catalog tab must show, edit and remove the user's tracks, and the catalog has exactly one
writer: the engine process. So the engine exposes these extension routes, under `/catalog/`,
a prefix AudD does not use, so no AudD client can trip on them. Same token, same envelopes as
every other method (extension_routes.py).

    GET  /catalog/tracks/?q=text           -> [track, ...]  (q searches title, artist, album,
                                               ISRC and id; case-insensitive; omit for all)
    POST /catalog/tracks/                  multipart `file` + title, artist, album, isrc,
                                           kind (song|jingle|ad), source_file (the original
                                           path, kept so the GUI can push it to AudD later)
                                           -> track (with a fresh `audio_id`)
    POST /catalog/tracks/{track_id}/       form fields to change -> track
    POST /catalog/tracks/{track_id}/delete/ -> {"removed": true|false}

A track is `{track_id, audio_id, title, artist, album, isrc, kind, duration_s, source_file,
provenance, added_at}`. Added tracks get an `audio_id` (one past the highest in use), so
recognitions name them the way AudD's custom catalog would, and the GUI can upload the same
song under the same number to the AudD cloud.

Mounting: `create_app` must list `*catalog_routes(runtime)` before its catch-all route.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from radiowatch.engine.api.extension_routes import both_slashes, handle
from radiowatch.engine.api.replies import INVALID_REQUEST, NO_INPUT, ApiError

log = logging.getLogger(__name__)

EDITABLE = ("title", "artist", "album", "isrc", "kind")
KINDS = ("song", "jingle", "ad")


def catalog_routes(runtime: Any) -> list[Route]:
    """The routes to put in front of the server's catch-all route."""
    limit = runtime.limits.for_method("upload", False)

    async def tracks(request: Request) -> Response:
        if request.method == "GET":
            return await handle(runtime, request, "catalogTracks", _list, limit=limit)
        return await handle(runtime, request, "catalogAdd", _add, limit=limit)

    async def one(request: Request) -> Response:
        return await handle(runtime, request, "catalogUpdate", _update, limit=limit)

    async def delete(request: Request) -> Response:
        return await handle(runtime, request, "catalogRemove", _remove, limit=limit)

    return [
        *both_slashes("/catalog/tracks", tracks, ["GET", "POST"]),
        *both_slashes("/catalog/tracks/{track_id}/delete", delete, ["POST"]),
        *both_slashes("/catalog/tracks/{track_id}", one, ["POST"]),
    ]


def track_json(runtime: Any, track: Any) -> dict[str, Any]:
    body = asdict(track)
    body["audio_id"] = runtime.store.audio_id_for(track.track_id)
    return body


def _matches(track: Any, words: list[str]) -> bool:
    haystack = " ".join(
        str(v or "") for v in (track.track_id, track.title, track.artist, track.album, track.isrc)
    ).lower()
    return all(w in haystack for w in words)


async def _list(runtime: Any, api: Any, _path: dict) -> list[dict[str, Any]]:
    words = api.get("q").lower().split()
    found = [t for t in runtime.catalog.tracks() if _matches(t, words)]
    found.sort(key=lambda t: (t.added_at, t.track_id))
    return [track_json(runtime, t) for t in found]


def _fields(api: Any) -> dict[str, str | None]:
    fields: dict[str, str | None] = {}
    for name in EDITABLE:
        if name in api.params:
            fields[name] = api.params[name].strip() or None
    kind = fields.get("kind", "song") or "song"
    if kind not in KINDS:
        raise ApiError(INVALID_REQUEST, "the `kind` parameter must be song, jingle or ad")
    if "kind" in fields:
        fields["kind"] = kind
    return fields


def _next_audio_id(runtime: Any) -> int:
    ids = [runtime.store.audio_id_for(t.track_id) for t in runtime.catalog.tracks()]
    return max([i for i in ids if i is not None], default=0) + 1


_add_lock = asyncio.Lock()


async def add_track(
    runtime: Any, upload: Any, fields: dict[str, str | None], provenance: str
) -> Any:
    """Add audio to the catalog under the next free `audio_id` (any add route goes here).

    Fingerprinting runs on the engine's worker processes with no lock held, so several adds
    in flight use every core; only picking the `audio_id` and storing are serialised."""
    fp = await runtime.custom_catalog.fingerprint(
        upload,
        {
            "title": fields.get("title"),
            "artist": fields.get("artist"),
            "album": fields.get("album"),
            "isrc": fields.get("isrc"),
            "kind": fields.get("kind") or "song",
            "provenance": provenance,
        },
        name_from_file=True,
    )
    async with _add_lock:  # two adds must not pick the same audio_id
        return await runtime.custom_catalog.store(_next_audio_id(runtime), fp)


async def _add(runtime: Any, api: Any, _path: dict) -> dict[str, Any]:
    if api.upload is None or api.upload.size == 0:
        raise ApiError(NO_INPUT, "send the song as a multipart `file` field")
    fields = _fields(api)
    source_file = api.get("source_file").strip() or None
    track = await add_track(
        runtime, api.upload, fields, f"added in the Catalog tab ({api.upload.filename})"
    )
    if source_file:
        track = await _write(runtime, track.track_id, {"source_file": source_file})
    return track_json(runtime, track)


async def _write(runtime: Any, track_id: str, fields: dict[str, Any]) -> Any:
    loop = asyncio.get_running_loop()

    def update() -> Any:
        try:
            return runtime.catalog.update(track_id, **fields)
        except KeyError:
            raise ApiError(
                INVALID_REQUEST, f"there is no track {track_id!r} in the catalog"
            ) from None
        except ValueError as exc:
            raise ApiError(INVALID_REQUEST, str(exc)) from None

    return await loop.run_in_executor(runtime.catalog_writer, update)


async def _update(runtime: Any, api: Any, path: dict) -> dict[str, Any]:
    fields = _fields(api)
    if not fields:
        raise ApiError(INVALID_REQUEST, f"send at least one of {', '.join(EDITABLE)} to change")
    return track_json(runtime, await _write(runtime, path["track_id"], fields))


async def _remove(runtime: Any, api: Any, path: dict) -> dict[str, bool]:
    loop = asyncio.get_running_loop()
    removed = await loop.run_in_executor(
        runtime.catalog_writer, runtime.catalog.remove, path["track_id"]
    )
    return {"removed": bool(removed)}

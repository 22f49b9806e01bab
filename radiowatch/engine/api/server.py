"""The AudD-compatible HTTP/WebSocket app (docs/protocols/audd.md §13 is the checklist this follows).

Routing mirrors AudD's two hosts on one port:

- `Host: api.audd.io` (or any other host, e.g. `127.0.0.1:PORT`): `/` is standard recognition,
  `/<method>/` the other methods (`addStream`, `longpoll`, `upload`, ...), `/ws/` the WebSocket.
- `Host: enterprise.audd.io`: `/` (and `/enterprise/`) is enterprise recognition.
- The path prefix `/enterprise/` does the same on any host, for clients that cannot set Host.

Paths work with and without the trailing slash (no redirects: a redirect loses a POST body).
Every API failure is an HTTP 200 AudD error envelope; only transport-level refusals (a body over
the size limit) use another status (413), still with an AudD JSON body.

Extensions, all outside AudD's names so no AudD client can trip on them:
- `GET /health/` (no token): `{"status": "ok", "version": ..., "monitoring": {"streams",
  "running", "windows", "skipped_windows", "max_window_lag_s"}, "recognition": {"enterprise_scans",
  "enterprise_chunks", "enterprise_abandoned"}, "catalog_index": {"state": "current" |
  "running" | ..., "done", "total", "missing": [{"track_id", "reason"}]}, "catalog_adds":
  {"workers"}}` for launchers, benchmarks and the Catalog tab (an older catalog index is
  upgraded in the background after start; `missing` lists the tracks that need their audio
  file again, for as long as they do; `workers` is how many adds fingerprint at once).
- `/upload/` also takes `title`, `artist`, `album`, `isrc`, `kind` (song|jingle|ad) and
  `provenance` (free text, e.g. "udio:<task id>"). With a title or artist, recognitions answer a
  full song object plus `audio_id`; without, AudD's bare `{timecode, audio_id}`.
- `POST /playlog/`: the plays in a recording, streamed as they are found (playlog_routes.py).
- Streamed events carry `stream_title` (the ICY StreamTitle at play start) when the stream sends
  one.
- addStream takes `callbacks=both`: a play is published when it is sure (as with
  `callbacks=before`, without `play_length`) and again when it ends (as without the parameter,
  with `play_length`); getStreams says each stream's mode in `callbacks`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from radiowatch import __version__
from radiowatch.engine.api.archive_routes import archive_routes
from radiowatch.engine.api.audio_fetch import check_http_url, fetch_audio
from radiowatch.engine.api.catalog_routes import catalog_routes
from radiowatch.engine.api.playlog_routes import playlog_routes
from radiowatch.engine.api.recognition import ChunkPlan, ScanAbandoned, parse_int, url_timecode
from radiowatch.engine.api.replies import (
    BLOCKED_OR_INTERNAL,
    FEATURE_NOT_AVAILABLE,
    FILE_TOO_LARGE,
    INVALID_REQUEST,
    NO_INPUT,
    SERVER_ERROR,
    ApiError,
    error_body,
    json_reply,
    success_body,
)
from radiowatch.engine.api.request import MB, ApiRequest, AudioUpload, read_api_request
from radiowatch.engine.store import CALLBACK_MODES

log = logging.getLogger(__name__)

NO_INPUT_TEXT = (
    "you haven't sent a file via POST or a file URL in the `url` parameter. If you sent the "
    "request by POST, please check the protocol you're using: the URL should start with "
    "https:// (http:// requests get redirected to https and we don't receive any data from "
    "you) and that your Content-Type header equals to `multipart/form-data`."
)
BAD_TIMEOUT = {"error": "Invalid timeout arg.  Must be 1-120."}
BAD_CATEGORY = {"error": "Invalid subscription category, must be 1-1024 characters long."}
BAD_SINCE_TIME = {"error": "Invalid since_time arg."}
DEFAULT_LONGPOLL_TIMEOUT = 50

Handler = Callable[[Any, ApiRequest], Awaitable[Any]]


def create_app(runtime: Any) -> Starlette:
    """`runtime` is the EngineRuntime (store, recognizer, streams, events, limits)."""

    async def http_endpoint(request: Request) -> Response:
        return await _dispatch(runtime, request)

    async def ws_endpoint(websocket: WebSocket) -> None:
        await _websocket_session(runtime, websocket)

    return Starlette(
        routes=[
            WebSocketRoute("/ws", ws_endpoint),
            WebSocketRoute("/ws/", ws_endpoint),
            *catalog_routes(runtime),
            *archive_routes(runtime),
            *playlog_routes(runtime),
            Route("/{path:path}", http_endpoint, methods=["GET", "POST"]),
        ]
    )


def _route(request: Request) -> tuple[str, bool]:
    """(method name, enterprise?) from the Host header and the path."""
    host = request.headers.get("host", "").rsplit(":", 1)[0].strip("[]").lower()
    segments = [s for s in request.url.path.split("/") if s]
    enterprise = host.startswith("enterprise.")
    if segments and segments[0].lower() == "enterprise":
        enterprise = True
        segments = segments[1:]
    return (segments[0] if segments else "recognize"), enterprise


async def _dispatch(runtime: Any, request: Request) -> Response:
    method, enterprise = _route(request)
    if method == "longpoll":
        return await _longpoll(runtime, request)
    if method == "health":
        return json_reply(
            {
                "status": "ok",
                "version": __version__,
                "monitoring": runtime.streams.counters(),
                "recognition": runtime.recognizer.counters.as_dict(),
                # a thread: reading the catalog waits while the writer commits
                "catalog_index": await asyncio.get_running_loop().run_in_executor(
                    None, runtime.catalog_index_status
                ),
                "catalog_adds": {"workers": runtime.uploads.workers},
            }
        )
    if enterprise and method != "recognize":
        enterprise = False  # stream methods sent to the enterprise host: serve them anyway
    limit = runtime.limits.for_method(method, enterprise)
    api: ApiRequest | None = None
    try:
        api = await read_api_request(request, method=method, limit=limit, enterprise=enterprise)
        if method == "recognize" and api.params.get("method") in _HANDLERS:
            api.method = api.params["method"]  # v0 clients: POST / with method=...
        handler = (
            _ENTERPRISE
            if api.enterprise and api.method == "recognize"
            else _HANDLERS.get(api.method)
        )
        if handler is None:
            raise ApiError(INVALID_REQUEST, f"unknown API method {api.method!r}")
        runtime.token_check.require(api.token)
        result = await handler(runtime, api)
        return json_reply(success_body(result, enterprise=api.enterprise, started=api.started))
    except ScanAbandoned:
        return Response(status_code=499)  # nginx's "client closed request": nobody reads it
    except ApiError as error:
        params = api.params if api is not None else dict(request.query_params)
        body = error_body(
            error,
            method=api.method if api else method,
            http_method=request.method,
            params=params,
            enterprise=enterprise,
            started=api.started if api else None,
        )
        return json_reply(body, status_code=error.http_status)
    except Exception:
        log.exception("unexpected failure in %s", method)
        params = api.params if api is not None else dict(request.query_params)
        body = error_body(
            ApiError(SERVER_ERROR, "Internal error."),
            method=method,
            http_method=request.method,
            params=params,
            enterprise=enterprise,
        )
        return json_reply(body)
    finally:
        if api is not None:
            await api.close()


# -- recognition -----------------------------------------------------------------------------


async def _audio_input(runtime: Any, api: ApiRequest, max_bytes: int) -> tuple[AudioUpload, bool]:
    """The uploaded file, or the downloaded `url`; the bool says whether we own the file."""
    if api.upload is not None and api.upload.size > 0:
        if api.upload.size > max_bytes:
            raise ApiError(
                FILE_TOO_LARGE,
                f"the file is larger than this endpoint accepts ({max_bytes // MB} MB); "
                "use the enterprise endpoint for long files.",
            )
        return api.upload, False
    url = api.get("url").strip()
    if not url:
        raise ApiError(NO_INPUT, NO_INPUT_TEXT)
    return await fetch_audio(url, max_bytes=max_bytes), True


async def _recognize(runtime: Any, api: ApiRequest) -> Any:
    audio, owned = await _audio_input(runtime, api, runtime.limits.recognize_file)
    try:
        return await runtime.recognizer.recognize(audio)
    finally:
        if owned:
            audio.file.close()


async def _enterprise(runtime: Any, api: ApiRequest) -> Any:
    skip_first = parse_int(api.get("skip_first_seconds"), "skip_first_seconds") or 0
    if api.flag("use_timecode") and api.get("url"):
        skip_first = int(url_timecode(api.get("url")))
    plan = ChunkPlan(
        skip_first_seconds=float(skip_first),
        every=parse_int(api.get("every"), "every", minimum=1) or 1,
        skip=parse_int(api.get("skip"), "skip") or 0,
        limit=parse_int(api.get("limit"), "limit", minimum=1),
    )
    audio, owned = await _audio_input(runtime, api, runtime.limits.enterprise_file)
    try:
        return await runtime.recognizer.enterprise(
            audio, plan, accurate=api.flag("accurate_offsets"), client_gone=api.client_gone
        )
    finally:
        if owned:
            audio.file.close()


# -- streams -----------------------------------------------------------------------------------


def _radio_id(api: ApiRequest) -> int:
    text = api.get("radio_id").strip()
    if not text:
        raise ApiError(
            INVALID_REQUEST, "the `radio_id` parameter is required (an integer you choose)"
        )
    try:
        return int(text)
    except ValueError:
        raise ApiError(
            INVALID_REQUEST, f"the `radio_id` parameter must be an integer (got {text[:40]!r})"
        ) from None


def _stream_url(api: ApiRequest) -> str:
    url = api.get("url").strip()
    if not url:
        raise ApiError(INVALID_REQUEST, "the `url` parameter (the stream's URL) is required")
    return url


async def _set_callback_url(runtime: Any, api: ApiRequest) -> None:
    url = api.get("url").strip()
    if not url:
        raise ApiError(INVALID_REQUEST, "the `url` parameter is required")
    try:
        check_http_url(url)
    except ApiError as exc:
        raise ApiError(INVALID_REQUEST, exc.reason) from None
    runtime.events.set_callback_url(url)
    return None


async def _get_callback_url(runtime: Any, api: ApiRequest) -> str:
    url = runtime.events.callback_url
    if not url:
        raise ApiError(BLOCKED_OR_INTERNAL, "Internal error.")
    return url


async def _add_stream(runtime: Any, api: ApiRequest) -> None:
    callbacks = api.get("callbacks").strip().lower() or "after"
    if callbacks not in CALLBACK_MODES:
        raise ApiError(
            INVALID_REQUEST,
            "the `callbacks` parameter must be `before` (publish plays when they start), "
            "`both` (when they start and again when they end, with their length) or left out "
            "(when they end).",
        )
    await runtime.streams.add(
        _radio_id(api), _stream_url(api), callbacks=callbacks, token=api.token
    )
    return None


async def _set_stream_url(runtime: Any, api: ApiRequest) -> None:
    await runtime.streams.set_url(_radio_id(api), _stream_url(api))
    return None


async def _delete_stream(runtime: Any, api: ApiRequest) -> None:
    await runtime.streams.delete(_radio_id(api))
    return None


async def _get_streams(runtime: Any, api: ApiRequest) -> list[dict[str, Any]]:
    return runtime.streams.describe()


# -- custom catalog ----------------------------------------------------------------------------


async def _upload(runtime: Any, api: ApiRequest) -> None:
    audio_id = parse_int(api.get("audio_id"), "audio_id")
    if audio_id is None:
        raise ApiError(
            INVALID_REQUEST, "the `audio_id` parameter is required (an integer you choose)"
        )
    kind = api.get("kind", "song") or "song"
    if kind not in ("song", "jingle", "ad"):
        raise ApiError(INVALID_REQUEST, "the `kind` parameter must be song, jingle or ad")
    audio, owned = await _audio_input(runtime, api, runtime.limits.upload_file)
    try:
        await runtime.custom_catalog.add(
            audio_id,
            audio,
            title=api.get("title") or None,
            artist=api.get("artist") or None,
            album=api.get("album") or None,
            isrc=api.get("isrc") or None,
            kind=kind,
            provenance=api.get("provenance") or None,
        )
    finally:
        if owned:
            audio.file.close()
    return None


async def _find_lyrics(runtime: Any, api: ApiRequest) -> None:
    raise ApiError(
        FEATURE_NOT_AVAILABLE, "lyrics search is not available on the radiowatch local engine."
    )


_HANDLERS: dict[str, Handler] = {
    "recognize": _recognize,
    "setCallbackUrl": _set_callback_url,
    "getCallbackUrl": _get_callback_url,
    "addStream": _add_stream,
    "setStreamUrl": _set_stream_url,
    "deleteStream": _delete_stream,
    "getStreams": _get_streams,
    "upload": _upload,
    "findLyrics": _find_lyrics,
}
_ENTERPRISE: Handler = _enterprise


# -- long poll -----------------------------------------------------------------------------------


async def _longpoll(runtime: Any, request: Request) -> Response:
    """golongpoll's query API (docs/protocols/audd.md §7.2); bad arguments get HTTP 400 so the SDK stops instead
    of spinning (the deviation from golongpoll's 200 that docs/protocols/audd.md §13 recommends)."""
    query = request.query_params
    category = query.get("category", "")
    if not 1 <= len(category) <= 1024:
        return json_reply(BAD_CATEGORY, status_code=400)
    try:
        timeout = int(query.get("timeout", DEFAULT_LONGPOLL_TIMEOUT))
    except ValueError:
        return json_reply(BAD_TIMEOUT, status_code=400)
    if not 1 <= timeout <= 120:
        return json_reply(BAD_TIMEOUT, status_code=400)
    since: int | None = None
    if query.get("since_time"):
        try:
            since = int(query["since_time"])
        except ValueError:
            return json_reply(BAD_SINCE_TIME, status_code=400)
    reply = await runtime.event_log.wait(category, since, timeout)
    return json_reply(reply.body)


# -- WebSocket -------------------------------------------------------------------------------------


async def _websocket_session(runtime: Any, websocket: WebSocket) -> None:
    """Spec §9: each binary message is one recording; each gets one JSON text reply, in order."""
    await websocket.accept()
    params = dict(websocket.query_params)
    while True:
        try:
            message = await websocket.receive()
        except WebSocketDisconnect:
            return
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        body = await _websocket_reply(runtime, params, data)
        try:
            await websocket.send_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")))
        except (WebSocketDisconnect, RuntimeError):
            return


async def _websocket_reply(runtime: Any, params: dict[str, str], data: bytes | None) -> Any:
    import io
    import time

    started = time.perf_counter()
    try:
        runtime.token_check.require(params.get("api_token", ""))
        if not data:
            raise ApiError(NO_INPUT, "send each recording as one binary WebSocket message.")
        if len(data) > runtime.limits.recognize_file:
            raise ApiError(
                FILE_TOO_LARGE,
                f"the recording is larger than {runtime.limits.recognize_file // MB} MB",
            )
        upload = AudioUpload("websocket.bin", io.BytesIO(data), len(data))
        return success_body(await runtime.recognizer.recognize(upload))
    except ApiError as error:
        return error_body(
            error, method="recognize", http_method="GET", params=params, started=started
        )
    except Exception:
        log.exception("unexpected failure in a WebSocket recognition")
        return error_body(
            ApiError(SERVER_ERROR, "Internal error."),
            method="recognize",
            http_method="GET",
            params=params,
        )

"""Play logs of recordings over HTTP: the GUI's "Recognize → Long file → Play log" scan.

The same play detection as `radiowatch-engine playlog` (and as live stream monitoring), as an
extension route under `/playlog/`, a path AudD does not use:

    POST /playlog/   api_token, and either a multipart `file` (the recording) or `path` (a file
                     on the engine's own machine; accepted only from a loopback client, so a
                     local engine reads hours of audio in place instead of receiving a copy);
                     optional `min_play_s` (shortest airing that is a play, default 15)

    -> 200 `application/x-ndjson`, one JSON object per line, sent as the scan goes:
       {"progress": {"position_s": 600.0, "duration_s": 3600.0}}   (duration_s may be null)
       {"play": {"track_id", "start_s", "end_s", "score", "speed", "song": {AudD song}, ...}}
       {"done": {"plays": 28, "seconds": 3600.0}}              the whole recording was read
       {"done": {"plays": 9, "seconds": 1862.0, "error": "… is damaged at 31:02 …"}}
       {"error": {"message": "… not a readable audio or video file …"}}

Missing token or input are the usual AudD error envelope. Closing the connection stops the scan
after the block in hand (the Play log panel's Cancel). The scan runs in the recognition pool;
lines reach the client through a queue on the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from radiowatch.engine.api.replies import (
    INVALID_REQUEST,
    NO_INPUT,
    ApiError,
    error_body,
    json_reply,
)
from radiowatch.engine.api.request import ApiRequest, read_api_request

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 10.0  # seconds of audio between progress lines
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def playlog_routes(runtime: Any) -> list[Route]:
    """The routes to put in front of the server's catch-all route."""

    async def scan(request: Request) -> Response:
        return await _scan(runtime, request)

    return [
        Route("/playlog", scan, methods=["POST"]),
        Route("/playlog/", scan, methods=["POST"]),
    ]


async def _scan(runtime: Any, request: Request) -> Response:
    api: ApiRequest | None = None
    try:
        api = await read_api_request(
            request, method="playlog", limit=runtime.limits.for_method("recognize", True)
        )
        runtime.token_check.require(api.token)
        source, name = _source(api, request)
        min_play_s = _number(api.get("min_play_s"), "min_play_s")
    except ApiError as error:
        if api is not None:
            await api.close()
        params = api.params if api is not None else dict(request.query_params)
        body = error_body(error, method="playlog", http_method=request.method, params=params)
        return json_reply(body, status_code=error.http_status)
    return StreamingResponse(
        _lines(runtime, api, source, name, min_play_s), media_type="application/x-ndjson"
    )


def _source(api: ApiRequest, request: Request) -> tuple[Any, str]:
    path = api.get("path").strip()
    if api.upload is not None and api.upload.size > 0:
        return api.upload.file, api.upload.filename
    if not path:
        raise ApiError(NO_INPUT, "send the recording as a multipart `file`, or its `path`")
    host = request.client.host if request.client else ""
    if host not in _LOOPBACK:
        raise ApiError(
            INVALID_REQUEST,
            "`path` is only accepted from this machine; send the recording as a `file`",
        )
    return Path(path).expanduser(), Path(path).name


def _number(text: str, name: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ApiError(INVALID_REQUEST, f"the `{name}` parameter must be a number") from None
    if value < 0:
        raise ApiError(INVALID_REQUEST, f"the `{name}` parameter must not be negative")
    return value


async def _lines(
    runtime: Any, api: ApiRequest, source: Any, name: str, min_play_s: float | None
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    stop = threading.Event()

    def put(item: dict[str, Any] | None) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        try:
            outcome = runtime.scan_recording(
                source,
                name=name,
                min_play_s=min_play_s,
                on_play=lambda record: put({"play": record}),
                on_progress=lambda position, duration: put(
                    {"progress": {"position_s": round(position, 1), "duration_s": duration}}
                ),
                progress_every_s=PROGRESS_EVERY_S,
                stop=stop,
            )
            done: dict[str, Any] = {"plays": outcome.plays, "seconds": round(outcome.seconds, 1)}
            if outcome.error:
                done["error"] = outcome.error
            put({"done": done})
        except ApiError as exc:  # the recording cannot be read at all
            put({"error": {"message": exc.reason}})
        except Exception:
            log.exception("play-log scan of %s failed", name)
            put({"error": {"message": "Internal error while scanning the recording."}})
        finally:
            put(None)

    finished = asyncio.wrap_future(runtime.recognizer.submit(work))
    try:
        while (item := await queue.get()) is not None:
            yield json.dumps(item, ensure_ascii=False) + "\n"
    finally:
        stop.set()  # the client went away (or the scan ended): the worker stops at its next block
        finished.add_done_callback(lambda _f: asyncio.ensure_future(api.close()))

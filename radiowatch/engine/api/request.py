"""Reading an AudD request: parameters from the query and the body, an optional audio file.

AudD takes every parameter "by GET and POST, in a query or a request body" (docs/protocols/audd.md §1.2); the SDK
sends urlencoded forms without a file and multipart with one. We merge the query first and the
body second, so the body wins. Bodies are read through a byte counter: a request that announces
or sends more than its endpoint allows is refused at once (HTTP 413 with an AudD error body)
instead of being read to the end, so a 2 GB upload cannot tie the engine up.
"""

from __future__ import annotations

import base64
import binascii
import io
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import IO, Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from radiowatch.engine.api.replies import FILE_TOO_LARGE, INVALID_REQUEST, ApiError

MB = 1024 * 1024

# Bodies that are treated as the audio file itself when POSTed without a form.
_RAW_AUDIO_TYPES = ("audio/", "video/", "application/octet-stream")


class RequestTooLarge(ApiError):
    def __init__(self, limit: int, code: int = FILE_TOO_LARGE) -> None:
        super().__init__(
            code,
            f"the request is larger than this endpoint accepts ({limit // MB} MB). Send a shorter "
            "clip, or use the enterprise endpoint for long files.",
            http_status=413,
        )
        self.limit = limit


@dataclass
class AudioUpload:
    """The audio a client sent: a seekable binary file plus the name it was sent under."""

    filename: str
    file: IO[bytes]
    size: int

    def read_all(self) -> bytes:
        self.file.seek(0)
        return self.file.read()


@dataclass
class ApiRequest:
    method: str
    http_method: str
    params: dict[str, str]
    upload: AudioUpload | None = None
    enterprise: bool = False
    started: float = field(default_factory=time.perf_counter)
    # Starlette's request.is_disconnected: long work asks it to stop when nobody is waiting.
    client_gone: Callable[[], Awaitable[bool]] | None = None
    _closers: list[Callable[[], Awaitable[Any] | Any]] = field(default_factory=list)

    @property
    def token(self) -> str:
        return self.params.get("api_token", "")

    def get(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def flag(self, name: str) -> bool:
        return self.params.get(name, "").strip().lower() in {"true", "1", "yes", "on"}

    async def close(self) -> None:
        for closer in self._closers:
            result = closer()
            if hasattr(result, "__await__"):
                await result


def _limited_receive(receive, limit: int):
    seen = 0

    async def wrapped():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RequestTooLarge(limit)
        return message

    return wrapped


async def read_api_request(
    request: Request, *, method: str, limit: int, enterprise: bool = False
) -> ApiRequest:
    """Parse `request` into an ApiRequest, refusing bodies larger than `limit` bytes."""
    started = time.perf_counter()
    params = {k: v for k, v in request.query_params.items()}
    api = ApiRequest(
        method=method,
        http_method=request.method,
        params=params,
        enterprise=enterprise,
        started=started,
        client_gone=request.is_disconnected,
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(limit)
    if request.method not in ("POST", "PUT"):
        return api

    limited = Request(request.scope, receive=_limited_receive(request.receive, limit))
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await _read_form(limited, limit)
        api._closers.append(form.close)
        _take_form(api, form)
    elif content_type.startswith(_RAW_AUDIO_TYPES):
        api.upload = await _spool_body(limited, "upload.bin")
        api._closers.append(api.upload.file.close)
    _take_base64_audio(api)
    return api


async def _read_form(request: Request, limit: int) -> FormData:
    try:
        return await request.form(max_files=4, max_fields=200, max_part_size=limit)
    except (MultiPartException, HTTPException) as exc:
        detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise ApiError(INVALID_REQUEST, f"the request body could not be parsed: {detail}") from exc


def _take_form(api: ApiRequest, form: FormData) -> None:
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key in ("file", "audio") and api.upload is None:
                value.file.seek(0, io.SEEK_END)
                size = value.file.tell()
                value.file.seek(0)
                api.upload = AudioUpload(value.filename or "upload.bin", value.file, size)
        else:
            api.params[key] = value


async def _spool_body(request: Request, name: str) -> AudioUpload:
    spool = tempfile.SpooledTemporaryFile(max_size=4 * MB)  # noqa: SIM115 (closed by ApiRequest.close)
    size = 0
    async for chunk in request.stream():
        spool.write(chunk)
        size += len(chunk)
    spool.seek(0)
    return AudioUpload(name, spool, size)


def _take_base64_audio(api: ApiRequest) -> None:
    """AudD's discouraged `audio` parameter: the file as base64 in a form field."""
    encoded = api.params.pop("audio", "")
    if api.upload is not None or not encoded:
        return
    try:
        data = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(INVALID_REQUEST, "the `audio` parameter is not valid base64") from exc
    api.upload = AudioUpload("audio.bin", io.BytesIO(data), len(data))

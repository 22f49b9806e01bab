"""A protocol-faithful fake of the AudD cloud, served over real loopback HTTP.

It follows docs/protocols/audd.md and answers with the fixture bodies from
tests/fixtures/audd/ where one exists. It is written independently of
``radiowatch.audd`` (its own category hash, its own error envelopes), so a bug in the
client cannot hide behind the same bug in the fake.

Usage (see the ``fake_audd`` fixture in tests/audd/conftest.py)::

    with FakeAudD(tokens=["tok"]) as fake:          # starts uvicorn on 127.0.0.1:<free>
        fake.base_url, fake.enterprise_url           # http://127.0.0.1:P, .../enterprise
        fake.ws_url                                  # ws://127.0.0.1:P/ws/
        fake.set_callback_url("https://audd.tech/empty/")   # or let the client do it
        ts = fake.push_match(7, artist="A", title="T")      # publish a long-poll event
        fake.push_notification(7, code=650)
        fake.fail_next("/getStreams/", status=503, times=2) # HTTP failures
        fake.drop_next("/longpoll/", times=1)               # connection cut mid-reply
        fake.stop(); fake.start()                           # same port, state kept
        fake.count("/")                                     # requests received per path
        fake.requests                                       # RecordedRequest list

Behaviour, per endpoint (paths accepted with or without the trailing slash; params from
query, urlencoded or multipart body):

- ``/`` recognize: 901 without token, 900 for an unknown token, 700 with neither url nor
  file. File bytes starting with ``NOMATCH`` → ``result: null``; bytes previously uploaded
  with ``/upload/`` → custom-catalog match with that ``audio_id``; ``return`` picks the
  fixture with provider blocks. ``fake.next_reply("/", body)`` overrides the next reply.
- ``/enterprise/`` (or Host ``enterprise.audd.io``): 904 for a URL unless the token is in
  ``enterprise_tokens``; ``accurate_offsets=true`` → offsets fixture; bytes ``EMPTY`` → [].
- stream methods: per-token account state (callback URL, streams), 19 for an unset
  callback URL, 902 beyond ``stream_limit``; ``getStreams`` computes ``longpoll_category``.
- ``/longpoll/``: no token; ``category``, ``timeout`` (1–120, else golongpoll's error body),
  ``since_time`` replay, strictly increasing ms timestamps, live timeout reply. Envelope per
  ``longpoll_envelope``: ``"hybrid"`` (default, one event per reply), ``"flat"`` (SDK shape,
  one event) or ``"golongpoll"`` (all pending events in ``events``). Events are published
  only when the account has a callback URL, as AudD does.
- ``/upload/``: 904 unless the token is in ``catalog_tokens``; remembers the bytes.
- ``/findLyrics/``: a small fixed list.
- ``/ws/`` WebSocket: each binary message answered with one recognition envelope in order
  (plus ``received_bytes``); ``fake.ws_drop_after = n`` closes a connection after n replies.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

# Real AudD response bodies (captured from the live service; see tests/fixtures/audd/README.md).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audd"

PLACEHOLDER = "https://audd.tech/empty/"
STREAM_METHODS = {
    "setCallbackUrl",
    "getCallbackUrl",
    "addStream",
    "setStreamUrl",
    "deleteStream",
    "getStreams",
}


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of one fixture body."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def category_for(token: str, radio_id: int) -> str:
    """Spec §7.1, written out independently of radiowatch.audd."""
    first = hashlib.md5(token.encode()).hexdigest()
    return hashlib.md5((first + str(radio_id)).encode()).hexdigest()[:9]


def _mask(token: str) -> str:
    return f"{token[0]}***{token[-1]}" if len(token) > 2 else "***"


class _Drop(Exception):
    """Raised after the response started: uvicorn then cuts the connection."""


class _CutResponse(Response):
    """Headers and half a body, then the connection dies: a network drop mid-reply."""

    def __init__(self) -> None:
        super().__init__(b"")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"status": "succ', "more_body": True})
        raise _Drop("connection cut")


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    file_size: int | None
    headers: dict[str, str]
    file_name: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Account:
    callback_url: str | None = None
    streams: dict[int, dict[str, Any]] = field(default_factory=dict)


class FakeAudD:
    def __init__(
        self,
        *,
        tokens: Iterable[str] = ("test-token",),
        enterprise_tokens: set[str] | None = None,
        catalog_tokens: set[str] | None = None,
        stream_limit: int = 10,
        longpoll_envelope: str = "hybrid",
    ) -> None:
        self._settings = (
            list(tokens),
            set(enterprise_tokens or ()),
            set(catalog_tokens or ()),
            stream_limit,
            longpoll_envelope,
        )
        self._lock = threading.RLock()
        self._clock = 0
        self.reset()
        self._port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.app = self._build_app()

    def reset(self) -> None:
        """Forget all state and controls (back to the constructor's settings); keeps serving.

        Lets one server instance be shared by many tests. The ms clock is kept so
        timestamps stay strictly increasing across resets.
        """
        tokens, enterprise, catalog, stream_limit, envelope = self._settings
        with self._lock:
            self.default_token = tokens[0]
            """The account that controls act on when no ``token=`` is given."""
            self.tokens = set(tokens)
            self.enterprise_tokens = set(enterprise)
            self.catalog_tokens = set(catalog)
            self.stream_limit = stream_limit
            self.longpoll_envelope = envelope
            self.ws_drop_after: int | None = None
            self.requests: list[RecordedRequest] = []
            self.accounts: dict[str, Account] = {}
            self.catalog: dict[bytes, int] = {}
            self._events: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            self._failures: dict[str, list[tuple[int, Any]]] = {}
            self._drops: dict[str, int] = {}
            self._replies: dict[str, list[Any]] = {}
            self._delays: dict[str, list[float]] = {}

    # --- lifecycle -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def enterprise_url(self) -> str:
        return f"{self.base_url}/enterprise"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/ws/"

    def start(self) -> FakeAudD:
        """Start serving (again) — on the same port after a ``stop()``."""
        if self._thread is not None:
            return self
        # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on such sockets, and
        # without it every keep-alive reply waits ~40 ms for a delayed ACK (Nagle).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        sock.listen(128)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="critical",
            lifespan="off",
            ws="websockets-sansio",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="fake-audd"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake AudD server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Kill the server: held long polls and WebSockets are cut, nothing is answered."""
        if self._thread is None or self._server is None:
            return
        self._stopping.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._thread = None
        self._server = None

    def restart(self, downtime: float = 0.0) -> None:
        self.stop()
        if downtime:
            time.sleep(downtime)
        self.start()

    def __enter__(self) -> FakeAudD:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- controls --------------------------------------------------------------------

    def account(self, token: str | None = None) -> Account:
        token = token or self.default_token
        with self._lock:
            return self.accounts.setdefault(token, Account())

    def set_callback_url(self, url: str | None = PLACEHOLDER, token: str | None = None) -> None:
        self.account(token).callback_url = url

    def category(self, radio_id: int, token: str | None = None) -> str:
        return category_for(token or self.default_token, radio_id)

    def push_event(
        self, category: str, data: dict[str, Any], *, token: str | None = None
    ) -> int | None:
        """Publish a callback body to a category; None when no callback URL is set (AudD
        delivers nothing then). Returns the event's ms timestamp."""
        if self.account(token).callback_url is None:
            return None
        with self._lock:
            ts = self._tick(event=True)
            self._events.setdefault(category, []).append((ts, copy.deepcopy(data)))
            return ts

    def push_match(
        self,
        radio_id: int,
        *,
        artist: str = "Tears For Fears",
        title: str = "Everybody Wants To Rule The World",
        score: int = 100,
        play_length: int | None = 111,
        timestamp: str | None = None,
        token: str | None = None,
        **song: Any,
    ) -> int | None:
        result: dict[str, Any] = {
            "radio_id": radio_id,
            "timestamp": timestamp
            or time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 3 * 3600)),
            "results": [
                {
                    "artist": artist,
                    "title": title,
                    "score": score,
                    "song_link": "https://lis.tn/NbkVb",
                    **song,
                }
            ],
        }
        if play_length is not None:
            result["play_length"] = play_length
        data = {"status": "success", "result": result}
        return self.push_event(self.category(radio_id, token), data, token=token)

    def push_notification(
        self, radio_id: int, *, code: int = 650, running: bool = False, token: str | None = None
    ) -> int | None:
        messages = {650: "Recognition failed: can't connect to the audiostream"}
        data = {
            "status": "-",
            "notification": {
                "radio_id": radio_id,
                "stream_running": running,
                "notification_code": code,
                "notification_message": messages.get(code, f"notification {code}"),
            },
            "time": int(time.time()),
        }
        return self.push_event(self.category(radio_id, token), data, token=token)

    def fail_next(
        self, path: str, *, status: int = 503, body: Any = "Service Unavailable", times: int = 1
    ) -> None:
        """The next ``times`` requests to ``path`` get HTTP ``status`` with ``body``."""
        with self._lock:
            self._failures.setdefault(_norm(path), []).extend([(status, body)] * times)

    def drop_next(self, path: str, *, times: int = 1) -> None:
        """The next ``times`` requests to ``path`` are cut after the headers."""
        with self._lock:
            self._drops[_norm(path)] = self._drops.get(_norm(path), 0) + times

    def next_reply(self, path: str, body: Any) -> None:
        """Answer the next request to ``path`` with ``body`` (dict → JSON, str/bytes raw)."""
        with self._lock:
            self._replies.setdefault(_norm(path), []).append(body)

    def delay_next(self, path: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests to ``path`` for ``seconds`` before answering."""
        with self._lock:
            self._delays.setdefault(_norm(path), []).extend([seconds] * times)

    def count(self, path: str) -> int:
        want = _norm(path)
        with self._lock:
            return sum(1 for r in self.requests if r.path == want)

    def received(self, path: str) -> list[RecordedRequest]:
        want = _norm(path)
        with self._lock:
            return [r for r in self.requests if r.path == want]

    # --- internals -------------------------------------------------------------------

    def _tick(self, *, event: bool) -> int:
        now = int(time.time() * 1000)
        self._clock = max(now, self._clock + 1) if event else max(now, self._clock)
        return self._clock

    def _build_app(self) -> Starlette:
        return Starlette(
            routes=[
                WebSocketRoute("/ws/", self._websocket),
                WebSocketRoute("/ws", self._websocket),
                Route("/{path:path}", self._http, methods=["GET", "POST"]),
            ]
        )

    async def _http(self, request: Request) -> Response:
        params = dict(request.query_params)
        file_bytes: bytes | None = None
        file_name: str | None = None
        if request.method == "POST":
            form = await request.form()
            for key, value in form.multi_items():
                if hasattr(value, "read"):
                    if key == "file":
                        file_bytes = await value.read()
                        file_name = value.filename
                else:
                    params[key] = str(value)
        path = _norm(request.url.path)
        if request.headers.get("host", "").startswith("enterprise.audd.io"):
            path = "/enterprise/" + path.strip("/")
            path = _norm(path)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    request.method,
                    path,
                    params,
                    None if file_bytes is None else len(file_bytes),
                    dict(request.headers),
                    file_name,
                )
            )
            failure = self._failures.get(path, []) and self._failures[path].pop(0)
            drop = self._drops.get(path, 0)
            if drop:
                self._drops[path] = drop - 1
            reply = self._replies.get(path, []) and self._replies[path].pop(0)
            delay = self._delays.get(path, []) and self._delays[path].pop(0)
        if delay:
            await asyncio.sleep(delay)
        if drop:
            return _CutResponse()
        if failure:
            status, body = failure
            return _raw(body, status)
        if reply:
            return _raw(reply, 200)
        if path == "/longpoll/":
            return await self._longpoll(params)
        return JSONResponse(
            self._dispatch(path, params, file_bytes, request.method),
            headers={"X-Request-ID": uuid.uuid4().hex},
        )

    def _dispatch(
        self, path: str, params: dict[str, str], file_bytes: bytes | None, http_method: str
    ) -> dict[str, Any]:
        method = path.strip("/") or "recognize"
        enterprise = method.startswith("enterprise")
        token = params.get("api_token")
        echo = {k: (_mask(v) if k == "api_token" else v) for k, v in params.items()}
        if not token:
            return _error(901, fixture("error_901_no_token_limit.json"), echo, method, http_method)
        if token not in self.tokens:
            return _error(900, fixture("error_900_invalid_token.json"), echo, method, http_method)
        if enterprise:
            return self._enterprise(params, file_bytes, token, echo)
        if method == "recognize":
            return self._recognize(params, file_bytes, echo, http_method)
        if method in STREAM_METHODS:
            return self._stream_method(method, params, token, echo, http_method)
        if method == "upload":
            if token not in self.catalog_tokens:
                return _error(
                    904, fixture("error_904_upload_no_access.json"), echo, method, http_method
                )
            data = file_bytes if file_bytes is not None else params.get("url", "").encode()
            with self._lock:
                self.catalog[data] = int(params.get("audio_id", "0"))
            return fixture("mutation_success.json")
        if method == "findLyrics":
            return {
                "status": "success",
                "result": [
                    {
                        "artist": "Tears For Fears",
                        "title": "Everybody Wants To Rule The World",
                        "lyrics": f"... {params.get('q', '')} ...",
                        "song_id": 1234,
                        "media": "[]",
                        "full_title": "Everybody Wants To Rule The World by Tears For Fears",
                        "artist_id": 77,
                        "song_link": "https://lis.tn/NbkVb",
                    }
                ],
            }
        return _error(50, None, echo, method, http_method, text="Invalid request: unknown method.")

    def _recognize(
        self,
        params: dict[str, str],
        file_bytes: bytes | None,
        echo: dict[str, str],
        http_method: str,
    ) -> dict[str, Any]:
        if file_bytes is None and not params.get("url"):
            return _error(700, fixture("error_700_no_file.json"), echo, "recognize", http_method)
        return self.recognition_body(file_bytes, params.get("return", ""))

    def recognition_body(self, file_bytes: bytes | None, providers: str = "") -> dict[str, Any]:
        if file_bytes is not None:
            if file_bytes.startswith(b"NOMATCH"):
                return fixture("recognize_no_match.json")
            audio_id = self.catalog.get(file_bytes)
            if audio_id is not None:
                body = fixture("recognize_custom_match.json")
                body["result"]["audio_id"] = audio_id
                return body
        wanted = set(providers.split(",")) if providers else set()
        if "musicbrainz" in wanted:
            return fixture("recognize_with_metadata_all.json")
        if wanted & {"apple_music", "spotify"}:
            return fixture("recognize_with_apple_music_spotify.json")
        return fixture("recognize_success.json")

    def _enterprise(
        self, params: dict[str, str], file_bytes: bytes | None, token: str, echo: dict[str, str]
    ) -> dict[str, Any]:
        if params.get("url") and token not in self.enterprise_tokens:
            body = fixture("error_904_enterprise_unauthorized.json")
            body["requested_params"] = {
                **{k: v for k, v in echo.items() if k != "api_token"},
                "method": "recognize",
            }
            return body
        if file_bytes is None and not params.get("url"):
            body = fixture("error_700_no_file.json")
            return body
        if file_bytes is not None and file_bytes.startswith(b"EMPTY"):
            return fixture("enterprise_empty.json")
        if params.get("accurate_offsets") == "true":
            return fixture("enterprise_accurate_offsets.json")
        return fixture("enterprise_success.json")

    def _stream_method(
        self,
        method: str,
        params: dict[str, str],
        token: str,
        echo: dict[str, str],
        http_method: str,
    ) -> dict[str, Any]:
        account = self.account(token)
        ok = fixture("mutation_success.json")
        with self._lock:
            if method == "setCallbackUrl":
                account.callback_url = params.get("url")
                return ok
            if method == "getCallbackUrl":
                if account.callback_url is None:
                    return _error(
                        19,
                        fixture("error_19_getCallbackUrl_not_set.json"),
                        echo,
                        method,
                        http_method,
                    )
                return {"status": "success", "result": account.callback_url}
            if method == "getStreams":
                return {
                    "status": "success",
                    "result": [
                        {
                            "radio_id": rid,
                            "url": s["url"],
                            "stream_running": True,
                            "longpoll_category": category_for(token, rid),
                        }
                        for rid, s in sorted(account.streams.items())
                    ],
                }
            try:
                radio_id = int(params.get("radio_id", ""))
            except ValueError:
                return _error(
                    50,
                    None,
                    echo,
                    method,
                    http_method,
                    text="Invalid request: radio_id must be an integer.",
                )
            if method == "addStream":
                if len(account.streams) >= self.stream_limit:
                    return _error(
                        902, fixture("error_902_addStream_limit.json"), echo, method, http_method
                    )
                account.streams[radio_id] = {
                    "url": params.get("url", ""),
                    "callbacks": params.get("callbacks"),
                }
            elif method == "setStreamUrl" and radio_id in account.streams:
                account.streams[radio_id]["url"] = params.get("url", "")
            elif method == "deleteStream":
                account.streams.pop(radio_id, None)
            return ok

    async def _longpoll(self, params: dict[str, str]) -> Response:
        category = params.get("category", "")
        try:
            timeout = int(params.get("timeout", "50"))
        except ValueError:
            timeout = -1
        if not 1 <= timeout <= 120:
            return JSONResponse(fixture("longpoll_error_bad_timeout.json"))
        with self._lock:
            since = params.get("since_time")
            since_ms = (
                int(since) if since and since.lstrip("-").isdigit() else self._tick(event=False)
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._stopping.is_set():
                return _CutResponse()
            with self._lock:
                pending = [e for e in self._events.get(category, []) if e[0] > since_ms]
                if pending:
                    return JSONResponse(self._envelope(category, pending))
                if time.monotonic() >= deadline:
                    return JSONResponse(
                        {
                            "timeout": "no events before timeout",
                            "timestamp": self._tick(event=False),
                        }
                    )
            await asyncio.sleep(0.02)

    def _envelope(self, category: str, pending: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
        if self.longpoll_envelope == "golongpoll":
            return {
                "events": [
                    {"timestamp": ts, "category": category, "data": data} for ts, data in pending
                ]
            }
        ts, data = pending[0]
        if self.longpoll_envelope == "flat":
            return {**data, "timestamp": ts}
        return {
            "events": [{"timestamp": ts, "category": category, "data": data}],
            **data,
            "timestamp": ts,
        }

    async def _websocket(self, ws: WebSocket) -> None:
        token = ws.query_params.get("api_token")
        providers = ws.query_params.get("return", "")
        await ws.accept()
        with self._lock:
            self.requests.append(RecordedRequest("WS", "/ws/", dict(ws.query_params), None, {}))
        replies = 0
        try:
            while not self._stopping.is_set():
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                data = message.get("bytes")
                if data is None:
                    continue
                with self._lock:
                    self.requests.append(RecordedRequest("WS", "/ws/message", {}, len(data), {}))
                if self.ws_drop_after is not None and replies >= self.ws_drop_after:
                    self.ws_drop_after = None
                    await ws.close(code=1011)
                    return
                if token not in self.tokens:
                    body = fixture("error_900_invalid_token.json")
                    body["request_params"] = {"api_token": _mask(token or "??")}
                else:
                    body = self.recognition_body(data, providers)
                    if isinstance(body.get("result"), dict):
                        body["result"]["received_bytes"] = len(data)
                await ws.send_text(json.dumps(body))
                replies += 1
        except WebSocketDisconnect:
            return


def _norm(path: str) -> str:
    path = "/" + path.strip("/")
    return path if path == "/" else path + "/"


def _raw(body: Any, status: int) -> Response:
    if isinstance(body, dict | list) or body is None:
        return JSONResponse(body, status_code=status)
    content = body if isinstance(body, bytes) else str(body).encode()
    return Response(content, status_code=status, media_type="text/plain")


def _error(
    code: int,
    template: dict[str, Any] | None,
    echo: dict[str, str],
    method: str,
    http_method: str,
    *,
    text: str | None = None,
) -> dict[str, Any]:
    """An error reply from a fixture template (or from scratch), echoing this request."""
    body = template or {
        "status": "error",
        "error": {"error_code": code, "error_message": text or "error"},
    }
    body["request_params"] = echo
    body["request_api_method"] = method
    body["request_http_method"] = http_method
    body.setdefault("see api documentation", "https://docs.audd.io")
    body.setdefault("contact us", "api@audd.io")
    return body


__all__ = ["FakeAudD", "RecordedRequest", "category_for", "fixture"]

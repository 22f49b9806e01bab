"""WebSocket recognition session (docs/protocols/audd.md §9): ``wss://api.audd.io/ws/?api_token=…``.

The client sends each recording as one binary message without waiting; the server
answers each with one JSON text message (the standard recognition envelope), in order.
That suits progressive recognition: send 3 s of microphone audio, then 6 s, then 10 s,
and stop at the first match.

If the connection drops or a reply does not come within ``reply_timeout``, the session
reconnects with backoff and re-sends the recordings still waiting for a reply, in order,
so every ``send`` gets exactly one reply. (A recording whose reply was lost in the drop is
recognised twice: recognition has no side effect beyond the request count.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import websockets
from websockets.asyncio.client import ClientConnection, connect

from radiowatch.audd.errors import (
    AudDConnectionError,
    AudDError,
    scrub,
)
from radiowatch.audd.models import RecognitionResult
from radiowatch.audd.observability import AudDEvent, OnEvent, emit, public_url
from radiowatch.audd.replies import decode_envelope, recognition_result
from radiowatch.audd.retry import backoff_delay


def websocket_url(base_url: str, token: str, return_metadata: str | None) -> str:
    """``https://host`` → ``wss://host/ws/?api_token=…[&return=…]``."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    query = {"api_token": token}
    if return_metadata:
        query["return"] = return_metadata
    return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws/", urlencode(query), ""))


def decode_recognition_reply(text: str | bytes, token: str = "") -> RecognitionResult | None:
    """One reply → a result, None (no match), or a typed AudD error raised."""
    body = decode_envelope(200, text, "recognition", api_method="recognize", token=token)
    return recognition_result(body)


class _ScrubbingLogger(logging.LoggerAdapter):
    """websockets logs the request line (``GET /ws/?api_token=…``) at DEBUG: mask it."""

    def __init__(self, secret: str) -> None:
        super().__init__(logging.getLogger("websockets.client"), {})
        self._secrets = (secret,)

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        if not self.isEnabledFor(level):
            return
        clean = tuple(
            scrub(str(a), self._secrets) if self._secrets[0] in str(a) else a for a in args
        )
        self.logger.log(level, scrub(str(msg), self._secrets), *clean, **kwargs)


@dataclass
class _Recording:
    data: bytes
    reply: asyncio.Future[RecognitionResult | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class WebSocketSession:
    """``async with client.websocket() as ws: await ws.send(b); r = await ws.receive()``."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        return_metadata: str | None = None,
        reply_timeout: float = 15.0,
        max_reconnects: int = 5,
        on_event: OnEvent | None = None,
        backoff_factor: float = 0.5,
    ) -> None:
        self._url = websocket_url(base_url, token, return_metadata)
        self._token = token
        self.reply_timeout = reply_timeout
        self.max_reconnects = max_reconnects
        self.connects = 0
        self._on_event = on_event
        self._factor = backoff_factor
        self._waiting: deque[_Recording] = deque()  # sent (or to be sent), no reply yet
        self._unreceived: deque[_Recording] = deque()  # not yet handed out by receive()
        self._ws: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._failure: AudDError | None = None

    async def __aenter__(self) -> WebSocketSession:
        self._runner = asyncio.create_task(self._run(), name="audd-websocket")
        connected = asyncio.ensure_future(self._connected.wait())
        done, _ = await asyncio.wait({self._runner, connected}, return_when=asyncio.FIRST_COMPLETED)
        connected.cancel()
        if self._runner in done:
            self._runner.result()
            raise self._failure or AudDConnectionError("WebSocket session ended")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        self._fail_all(AudDConnectionError("WebSocket session closed"))

    # --- public ----------------------------------------------------------------------

    async def send(self, recording: bytes) -> asyncio.Future[RecognitionResult | None]:
        """Queue and send one recording; returns the future of its own reply."""
        if self._failure is not None:
            raise self._failure
        item = _Recording(bytes(recording))
        async with self._lock:
            self._waiting.append(item)
            self._unreceived.append(item)
            if self._ws is not None:
                with contextlib.suppress(websockets.ConnectionClosed):
                    await self._ws.send(item.data)
        return item.reply

    async def receive(self) -> RecognitionResult | None:
        """The next reply, in the order recordings were sent."""
        if not self._unreceived:
            raise RuntimeError("receive() called with no recording waiting for a reply")
        item = self._unreceived[0]
        try:
            return await item.reply
        finally:
            if self._unreceived and self._unreceived[0] is item:
                self._unreceived.popleft()

    async def recognize(self, recording: bytes) -> RecognitionResult | None:
        """Send one recording and wait for its reply (other replies stay receivable)."""
        reply = await self.send(recording)
        result = await reply
        with contextlib.suppress(ValueError):
            self._unreceived.remove(next(i for i in self._unreceived if i.reply is reply))
        return result

    # --- connection supervisor -------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
            except AudDConnectionError as exc:
                failures += 1
                if failures > self.max_reconnects:
                    self._failure = exc
                    self._fail_all(exc)
                    return
                await asyncio.sleep(backoff_delay(failures - 1, self._factor))
                continue
            progressed = await self._read_until_broken()
            failures = 0 if progressed else failures + 1
            async with self._lock:
                self._ws = None
            if failures > self.max_reconnects:
                self._failure = AudDConnectionError("WebSocket keeps dropping without replies")
                self._fail_all(self._failure)
                return
            if failures:
                await asyncio.sleep(backoff_delay(failures - 1, self._factor))

    async def _connect(self) -> None:
        url = public_url(self._url)
        emit(self._on_event, AudDEvent("request", "websocket", url))
        started = time.perf_counter()
        try:
            ws = await connect(
                self._url, open_timeout=10, max_size=None, logger=_ScrubbingLogger(self._token)
            )
        except (TimeoutError, OSError, websockets.WebSocketException) as exc:
            emit(
                self._on_event,
                AudDEvent(
                    "exception",
                    "websocket",
                    url,
                    elapsed_ms=(time.perf_counter() - started) * 1000,
                    extras={"error": type(exc).__name__},
                ),
            )
            text = scrub(str(exc), (self._token,)).replace(self._url, url)
            raise AudDConnectionError(f"WebSocket {url}: {text}") from None
        self.connects += 1
        emit(
            self._on_event,
            AudDEvent(
                "response",
                "websocket",
                url,
                http_status=101,
                elapsed_ms=(time.perf_counter() - started) * 1000,
            ),
        )
        async with self._lock:
            self._ws = ws
            try:
                for item in self._waiting:
                    await ws.send(item.data)
            except websockets.ConnectionClosed:
                pass
        self._connected.set()

    async def _read_until_broken(self) -> bool:
        """Resolve replies in order until the connection breaks; True if any reply came."""
        ws = self._ws
        assert ws is not None
        progressed = False
        while True:
            try:
                message = await asyncio.wait_for(ws.recv(), self.reply_timeout)
            except TimeoutError:
                if self._waiting:
                    await ws.close()
                    return progressed
                continue
            except websockets.ConnectionClosed:
                return progressed
            if not self._waiting:
                continue  # a reply nobody asked for
            item = self._waiting.popleft()
            progressed = True
            try:
                item.reply.set_result(decode_recognition_reply(message, self._token))
            except AudDError as exc:
                item.reply.set_exception(exc)
            except asyncio.InvalidStateError:
                pass

    def _fail_all(self, exc: AudDError) -> None:
        while self._waiting:
            item = self._waiting.popleft()
            if not item.reply.done():
                item.reply.set_exception(exc)
                item.reply.exception()  # mark retrieved: receive() may never be called

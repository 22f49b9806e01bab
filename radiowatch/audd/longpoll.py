"""Long poll (docs/protocols/audd.md §7) as an async iterator that delivers every event exactly once, in order.

Why it is more than a GET in a loop:

- the server may go away at any moment (network drop, engine restart); the iterator keeps
  ``since_time`` (the server's ms clock of the last reply) and resumes from it, so events
  published meanwhile are replayed rather than lost;
- replays can repeat events, so each event is de-duplicated on its identity
  (radio, time, artist/title — docs/protocols/audd.md §14);
- a reply that is not a timeout yet yields nothing new (an ``{"error": ...}`` body, a
  golongpoll envelope the SDK cannot read, a keep-alive) would make a naive loop re-poll
  at once forever; here it backs off instead;
- the token never travels: only the category (docs/protocols/audd.md §7.1) is sent.

Errors between polls are retried forever with capped exponential backoff and reported to
``on_error``; the iterator raises only for pre-flight failures or, if asked, after
``max_consecutive_errors`` failures in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from radiowatch.audd.callbacks import LongpollEvent, LongpollReply, parse_longpoll_reply
from radiowatch.audd.errors import (
    AudDConnectionError,
    AudDError,
    AudDInvalidRequestError,
    AudDInvalidResponse,
    AudDServerError,
)
from radiowatch.audd.observability import AudDEvent, OnEvent, emit, public_url
from radiowatch.audd.retry import backoff_delay

DEFAULT_LONGPOLL_URL = "https://api.audd.io"
DEDUPE_WINDOW = 4096


def longpoll_category(api_token: str, radio_id: int) -> str:
    """``md5(md5(token) + str(radio_id))[:9]`` (docs/protocols/audd.md §7.1); safe to hand to a browser."""
    inner = hashlib.md5(api_token.encode("utf-8")).hexdigest()
    return hashlib.md5(f"{inner}{int(radio_id)}".encode()).hexdigest()[:9]


class LongpollSubscription:
    """``async for item in subscription`` → :class:`LongpollEvent`, forever until closed.

    ``since_time`` always holds the value to resume from; persist it to continue after an
    app restart (pass it back as ``since_time=``).
    """

    def __init__(
        self,
        category: str,
        *,
        base_url: str = DEFAULT_LONGPOLL_URL,
        http_client: httpx.AsyncClient | None = None,
        since_time: int | None = None,
        timeout: int = 50,
        preflight: Callable[[], Awaitable[None]] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_event: OnEvent | None = None,
        max_consecutive_errors: int | None = None,
        backoff_factor: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        if not 1 <= int(timeout) <= 120:
            raise ValueError("long-poll timeout must be 1-120 seconds")
        self.category = category
        self.url = f"{base_url.rstrip('/')}/longpoll/"
        self.since_time = since_time
        self.timeout = int(timeout)
        self.last_error: Exception | None = None
        self.polls = 0
        self._http = http_client or httpx.AsyncClient()
        self._owns_http = http_client is None
        self._preflight = preflight
        self._on_error = on_error
        self._on_event = on_event
        self._max_errors = max_consecutive_errors
        self._factor = backoff_factor
        self._cap = backoff_max
        self._errors_in_row = 0
        self._idle_in_row = 0
        self._buffer: deque[LongpollEvent] = deque()
        self._seen: OrderedDict[tuple[Any, ...], None] = OrderedDict()
        self._closed = False

    def __aiter__(self) -> LongpollSubscription:
        return self

    async def __anext__(self) -> LongpollEvent:
        if self._preflight is not None:
            preflight, self._preflight = self._preflight, None
            await preflight()
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            await self._poll_once()
        return self._buffer.popleft()

    async def aclose(self) -> None:
        """Stop iterating (a poll in flight is abandoned by cancelling its task)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    def remember(self, key: tuple[Any, ...]) -> None:
        """Mark an event identity as already delivered (e.g. restored from history)."""
        self._seen[key] = None
        while len(self._seen) > DEDUPE_WINDOW:
            self._seen.popitem(last=False)

    # --- one poll --------------------------------------------------------------------

    def _params(self) -> dict[str, str]:
        params = {"category": self.category, "timeout": str(self.timeout)}
        if self.since_time is not None:
            params["since_time"] = str(self.since_time)
        return params

    async def _poll_once(self) -> None:
        self.polls += 1
        try:
            reply = await self._fetch()
        except AudDError as exc:
            await self._failed(exc)
            return
        if reply.kind == "error":
            await self._failed(AudDInvalidRequestError(0, f"long poll refused: {reply.error}"))
            return
        self._errors_in_row = 0
        for rejected in reply.rejected:
            self._report(rejected)
        before = self.since_time
        delivered = self._accept(reply)
        if reply.kind == "timeout" or delivered or self.since_time != before:
            self._idle_in_row = 0
            return
        # A non-timeout reply gave nothing new: re-polling now would spin (docs/protocols/audd.md §14).
        self._idle_in_row += 1
        await asyncio.sleep(backoff_delay(self._idle_in_row - 1, self._factor, self._cap))

    def _accept(self, reply: LongpollReply) -> int:
        delivered = 0
        for item in reply.events:
            key = item.dedupe_key()
            if key in self._seen:
                continue
            self.remember(key)
            self._buffer.append(item)
            delivered += 1
        if reply.since_time is not None and (
            self.since_time is None or reply.since_time > self.since_time
        ):
            self.since_time = reply.since_time
        return delivered

    async def _fetch(self) -> LongpollReply:
        timeout = httpx.Timeout(connect=10.0, read=self.timeout + 15.0, write=10.0, pool=10.0)
        url = public_url(self.url)
        emit(self._on_event, AudDEvent("request", "longpoll", url))
        started = time.perf_counter()
        try:
            response = await self._http.get(self.url, params=self._params(), timeout=timeout)
        except httpx.HTTPError as exc:
            elapsed = (time.perf_counter() - started) * 1000
            emit(
                self._on_event,
                AudDEvent(
                    "exception",
                    "longpoll",
                    url,
                    elapsed_ms=elapsed,
                    extras={"error": type(exc).__name__},
                ),
            )
            raise AudDConnectionError(
                f"long poll to {url} failed: {type(exc).__name__}: {exc}"
            ) from None
        elapsed = (time.perf_counter() - started) * 1000
        request_id = response.headers.get("x-request-id")
        emit(
            self._on_event,
            AudDEvent("response", "longpoll", url, request_id, response.status_code, elapsed),
        )
        try:
            reply = parse_longpoll_reply(response.content)
        except AudDInvalidResponse:
            if response.status_code >= 400:
                raise AudDServerError(
                    0,
                    f"long poll answered HTTP {response.status_code}",
                    http_status=response.status_code,
                    request_id=request_id,
                ) from None
            raise
        if response.status_code >= 400 and reply.kind != "error":
            raise AudDServerError(
                0,
                f"long poll answered HTTP {response.status_code}",
                http_status=response.status_code,
                request_id=request_id,
            )
        return reply

    async def _failed(self, exc: AudDError) -> None:
        self._errors_in_row += 1
        self._report(exc)
        if self._max_errors is not None and self._errors_in_row >= self._max_errors:
            raise exc
        await asyncio.sleep(backoff_delay(self._errors_in_row - 1, self._factor, self._cap))

    def _report(self, exc: Exception) -> None:
        self.last_error = exc
        if self._on_error is None:
            return
        with contextlib.suppress(Exception):  # a broken callback must not stop monitoring
            self._on_error(exc)


class LongpollConsumer:
    """Tokenless long-poll consumer: holds only a category (docs/protocols/audd.md §7.1), no api token.

    For processes that must not carry the token (a headless monitor, a widget): the token
    holder derives the category with :func:`longpoll_category` and hands it over.
    The token holder must make sure a callback URL is set; no pre-flight happens here.
    """

    def __init__(
        self,
        category: str,
        *,
        base_url: str = DEFAULT_LONGPOLL_URL,
        http_client: httpx.AsyncClient | None = None,
        on_event: OnEvent | None = None,
        backoff_factor: float = 0.5,
    ) -> None:
        self.category = category
        self.base_url = base_url
        self._http = http_client or httpx.AsyncClient()
        self._owns_http = http_client is None
        self._on_event = on_event
        self._factor = backoff_factor

    def iterate(
        self,
        since_time: int | None = None,
        timeout: int = 50,
        *,
        on_error: Callable[[Exception], None] | None = None,
        max_consecutive_errors: int | None = None,
    ) -> LongpollSubscription:
        return LongpollSubscription(
            self.category,
            base_url=self.base_url,
            http_client=self._http,
            since_time=since_time,
            timeout=timeout,
            on_error=on_error,
            on_event=self._on_event,
            max_consecutive_errors=max_consecutive_errors,
            backoff_factor=self._factor,
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> LongpollConsumer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

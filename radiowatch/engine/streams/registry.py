"""The engine's streams (docs/protocols/audd.md §5): addStream / setStreamUrl / deleteStream / getStreams, each
backed by the persisted list and a running StreamMonitor.

Choices where AudD's behaviour is unknown (docs/protocols/audd.md §15.6), made to be safe for retrying clients:
- addStream with a `radio_id` that exists with the *same* URL succeeds (the SDK retries
  mutating calls after connection errors, so a repeat must not fail) and takes the `callbacks`
  mode it names (the play in progress carries over); with a different URL it is error 50,
  telling the user to use setStreamUrl.
- setStreamUrl / deleteStream on an unknown `radio_id` is error 50.
- More than `max_streams` streams is AudD's 902 ("the limit was reached").
- The long-poll category is derived from the token the stream was added with (docs/protocols/audd.md §7.1) and
  stored, so a later token change does not move a stream's events to another category.

What a stream may be is checked here, for every caller (the HTTP API and the demo alike): only
an http(s) URL with a host, because the engine hands the URL to its ingest and FFmpeg, which
would otherwise read whatever `file:`, `concat:` or other address it is given from the engine's
own disk. twitch:/youtube: forms are AudD-cloud shortcuts the engine cannot resolve, and say so.
`radio_id` must be 1..2^31-1, the range AudD's 32-bit ids allow (and the station editor
enforces), so a negative or overflowing id is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from radiowatch.audd.longpoll import longpoll_category
from radiowatch.engine.api.replies import INVALID_REQUEST, LIMIT_REACHED, ApiError
from radiowatch.engine.store import EngineStore, StoredStream
from radiowatch.engine.streams.monitor import StreamMonitor

MonitorFactory = Callable[[StoredStream], StreamMonitor]

MAX_RADIO_ID = 2**31 - 1
MAX_URL_LENGTH = 2048


class StreamRegistry:
    def __init__(
        self, store: EngineStore, monitor_factory: MonitorFactory, *, max_streams: int
    ) -> None:
        self._store = store
        self._factory = monitor_factory
        self._max = max_streams
        self.monitors: dict[int, StreamMonitor] = {}

    def start(self) -> None:
        for stream in self._store.streams():
            self._run(stream)

    async def stop(self) -> None:
        for monitor in list(self.monitors.values()):
            await monitor.stop(close_play=False)
        self.monitors.clear()

    def _run(self, stream: StoredStream) -> None:
        monitor = self._factory(stream)
        self.monitors[stream.radio_id] = monitor
        monitor.start()

    async def add(self, radio_id: int, url: str, *, callbacks: str, token: str) -> None:
        check_radio_id(radio_id)
        check_stream_url(url)
        existing = self._store.stream(radio_id)
        if existing is not None:
            if existing.url != url:
                raise ApiError(
                    INVALID_REQUEST,
                    f"a stream with radio_id {radio_id} already exists with another URL; "
                    "change it with setStreamUrl, or deleteStream it first.",
                )
            if existing.callbacks != callbacks:
                monitor = self.monitors.pop(radio_id, None)
                if monitor is not None:
                    await monitor.stop(close_play=False)
                self._store.set_stream_callbacks(radio_id, callbacks)
                self._run(replace(existing, callbacks=callbacks))
            return
        if len(self._store.streams()) >= self._max:
            raise ApiError(
                LIMIT_REACHED,
                f"authorization failed: the limit was reached. This engine monitors at "
                f"most {self._max} streams; delete one first (the limit is "
                "`max_streams` in engine-settings.json).",
            )
        stream = StoredStream(radio_id, url, callbacks, longpoll_category(token, radio_id))
        self._store.add_stream(stream)
        self._run(stream)

    async def set_url(self, radio_id: int, url: str) -> None:
        check_radio_id(radio_id)
        check_stream_url(url)
        existing = self._require(radio_id)
        if existing.url == url:
            return
        monitor = self.monitors.pop(radio_id, None)
        if monitor is not None:
            await monitor.stop(close_play=True)
        self._store.set_stream_url(radio_id, url)
        self._run(replace(existing, url=url))

    async def delete(self, radio_id: int) -> None:
        self._require(radio_id)
        monitor = self.monitors.pop(radio_id, None)
        if monitor is not None:
            await monitor.stop(close_play=True)
        self._store.delete_stream(radio_id)

    def describe(self) -> list[dict[str, Any]]:
        out = []
        for stream in self._store.streams():
            monitor = self.monitors.get(stream.radio_id)
            out.append(
                {
                    "radio_id": stream.radio_id,
                    "url": stream.url,
                    "stream_running": bool(monitor and monitor.running),
                    "longpoll_category": stream.longpoll_category,
                    "callbacks": stream.callbacks,  # extension: when plays are published
                }
            )
        return out

    def counters(self) -> dict[str, int | float]:
        """Totals over all monitors: identifications run, windows skipped for lack of CPU, and
        the latest any window was looked at after its audio aired (seconds)."""
        monitors = list(self.monitors.values())
        return {
            "streams": len(monitors),
            "running": sum(m.running for m in monitors),
            "windows": sum(m.windows for m in monitors),
            "skipped_windows": sum(m.skipped_windows for m in monitors),
            "max_window_lag_s": round(max((m.max_lag_s for m in monitors), default=0.0), 2),
        }

    def _require(self, radio_id: int) -> StoredStream:
        stream = self._store.stream(radio_id)
        if stream is None:
            raise ApiError(
                INVALID_REQUEST,
                f"there is no stream with radio_id {radio_id}; add it with addStream.",
            )
        return stream


def check_radio_id(radio_id: int) -> None:
    if not 1 <= radio_id <= MAX_RADIO_ID:
        raise ApiError(
            INVALID_REQUEST,
            f"the `radio_id` parameter must be a whole number from 1 to {MAX_RADIO_ID} "
            f"(got {str(radio_id)[:24]}).",
        )


def check_stream_url(url: str) -> None:
    """Refuse anything but an http(s) stream URL (see the module docstring for why)."""
    if re.match(r"(?i)(twitch|youtube|youtube-ch):", url):
        raise ApiError(
            INVALID_REQUEST,
            "twitch:/youtube: shortcuts are resolved only by AudD's cloud; give the "
            "local engine the stream's direct http(s) URL (Icecast/SHOUTcast, HLS .m3u8, "
            ".pls/.m3u).",
        )
    if len(url) > MAX_URL_LENGTH:
        raise ApiError(
            INVALID_REQUEST, f"the stream URL is too long (over {MAX_URL_LENGTH} characters)"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ApiError(
            INVALID_REQUEST,
            "the `url` parameter must be the stream's http:// or https:// URL (Icecast/"
            f"SHOUTcast, HLS .m3u8, .pls/.m3u); got {url[:80]!r}. The engine does not read "
            "local files or other kinds of address.",
        )

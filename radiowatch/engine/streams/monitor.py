"""One supervised monitor per stream: ingest -> play tracker -> events.

Each stream gets an asyncio task that (re)connects with backoff and a reader thread
(streams/ingest.py) that decodes the stream. The audio goes to the stream's PlayTracker
(streams/tracker.py), the play detection that `radiowatch-engine playlog` runs on files, in the
engine's worker pool (CPU work off the event loop, so the API stays responsive). If the tracker
falls behind real time by more than `live_lag_s`, it skips to the newest identification window
and counts the others as skipped: the newest audio matters most.

When a play is published depends on how the stream was added (store.CALLBACK_MODES): at its
end with its length (AudD's default), at its start without one (`callbacks=before`), or both
(`callbacks=both`: the start as soon as the play is sure, for a now-playing display, then the
end, with the same start, for the history).

Lifecycle notifications, as AudD sends them (docs/protocols/audd.md §6.2): 650 when the stream cannot be read
(once per outage, with the reason appended to AudD's text), 651 when it has been silent for
`silence_notify_s`, and 0 when audio flows again after either.

The stream clock: stream time = the wall time the first audio of a connection arrived, plus the
audio received since. It follows wall time for a live stream, and is pulled forward when the
stream stalls and resumes, so plays keep wall-clock timestamps across reconnects and restarts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from radiowatch.audd.codes import NOTIFICATION_CODES
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.engine.api.recognition import Recognizer
from radiowatch.engine.fingerprint.catalog import confidence
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.store import EngineStore, StoredStream
from radiowatch.engine.streams.callbacks import StreamEvents
from radiowatch.engine.streams.ingest import IngestError, IngestOptions, IngestSink, ingest
from radiowatch.engine.streams.play_detection import DetectionSettings, Play, PlayChange
from radiowatch.engine.streams.tracker import PlayTracker

log = logging.getLogger(__name__)

CANT_CONNECT = 650
NO_MUSIC = 651
RESTORED = 0
_MAX_CLOCK_LAG_S = 5.0


@dataclass(frozen=True)
class MonitorSettings:
    silence_dbfs: float = -55.0
    silence_notify_s: float = 30.0
    reconnect_initial_s: float = 2.0
    reconnect_max_s: float = 60.0
    detection: DetectionSettings = field(default_factory=DetectionSettings)
    ingest: IngestOptions = field(default_factory=IngestOptions)


def callback_timestamp(epoch_s: float) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC+3, the zone AudD's callbacks most likely use (docs/protocols/audd.md §6.1),
    so a client that reads AudD's timestamps reads ours the same way."""
    return datetime.fromtimestamp(epoch_s, AUDD_CALLBACK_TZ).strftime("%Y-%m-%d %H:%M:%S")


def play_event(radio_id: int, play: Play, *, with_length: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"radio_id": radio_id, "timestamp": callback_timestamp(play.start)}
    if with_length:
        result["play_length"] = play.length_s()
    song = {k: v for k, v in play.song.items() if k != "timecode"}
    result["results"] = [{**song, "score": confidence(play.score)}]
    if play.stream_title:
        result["stream_title"] = play.stream_title
    return {"status": "success", "result": result}


def notification_event(
    radio_id: int, code: int, *, running: bool, detail: str = ""
) -> dict[str, Any]:
    message = NOTIFICATION_CODES.get(code, "")
    if detail:
        message = f"{message} ({detail})"
    return {
        "status": "-",
        "notification": {
            "radio_id": radio_id,
            "stream_running": running,
            "notification_code": code,
            "notification_message": message,
        },
        "time": int(time.time()),
    }


class _Sink(IngestSink):
    """Hands the reader thread's output to the monitor's queue on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        self._loop = loop
        self._queue = queue

    def audio(self, samples: np.ndarray) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, ("audio", samples, time.time()))

    def title(self, title: str) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, ("title", title, None))


class StreamMonitor:
    def __init__(
        self,
        stream: StoredStream,
        *,
        recognizer: Recognizer,
        events: StreamEvents,
        store: EngineStore,
        settings: MonitorSettings,
    ) -> None:
        self.stream = stream
        self._recognizer = recognizer
        self._events = events
        self._store = store
        self.settings = settings
        restored = store.open_play(stream.radio_id)
        self.tracker = PlayTracker(
            recognizer.catalog,
            settings.detection,
            describe=recognizer.song,
            listening_since=time.time(),
            restored=Play.from_state(restored) if restored else None,
        )
        self._task: asyncio.Task | None = None
        self._busy: concurrent.futures.Future | None = None  # the tracker's work in hand
        self._health = "unknown"  # unknown | up | down | silent
        self._connected = False
        self._silent_since: float | None = None
        self._saved_until = 0.0

    @property
    def detector(self):
        return self.tracker.detector

    @property
    def windows(self) -> int:
        """Identification windows looked at (for diagnostics and benchmarks)."""
        return self.tracker.windows

    @property
    def skipped_windows(self) -> int:
        return self.tracker.skipped_windows

    @property
    def max_lag_s(self) -> float:
        return self.tracker.max_lag_s

    @property
    def running(self) -> bool:
        return self._connected and self._health in ("up", "silent")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name=f"stream-{self.stream.radio_id}"
        )

    async def stop(self, *, close_play: bool) -> None:
        """Stop monitoring. `close_play` ends and publishes the play in progress (the stream was
        deleted or re-pointed); otherwise it stays persisted to resume after a restart."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._busy is not None:  # the tracker is only touched by one thread at a time
            await asyncio.to_thread(concurrent.futures.wait, [self._busy])
        if close_play:
            self._publish(self.detector.close(None))
        elif self.detector.play is not None:
            self._store.save_open_play(self.stream.radio_id, self.detector.play.to_state())

    # -- supervision ------------------------------------------------------------------------
    async def _supervise(self) -> None:
        self._publish(self.detector.expire(time.time()))
        delay = self.settings.reconnect_initial_s
        while True:
            started = time.monotonic()
            try:
                reason = await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug must not end monitoring for good
                log.exception("stream %s monitor failed", self.stream.radio_id)
                reason = f"internal error: {type(exc).__name__}"
            self._connected = False
            if time.monotonic() - started > 30:
                delay = self.settings.reconnect_initial_s
            self._went_down(reason)
            await self._wait_retry(delay)
            delay = min(delay * 2, self.settings.reconnect_max_s)

    async def _wait_retry(self, delay: float) -> None:
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 5.0))
            self._publish(self.detector.expire(time.time()))

    def _went_down(self, reason: str) -> None:
        log.info("stream %s: %s", self.stream.radio_id, reason)
        if self._health != "down":
            self._health = "down"
            self._notify(CANT_CONNECT, running=False, detail=reason)

    def _notify(self, code: int, *, running: bool, detail: str = "") -> None:
        self._events.emit(
            self.stream,
            notification_event(self.stream.radio_id, code, running=running, detail=detail),
        )

    # -- one connection -----------------------------------------------------------------------
    async def _session(self) -> str:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()
        outcome: dict[str, str] = {}

        def read() -> None:
            try:
                ingest(self.stream.url, _Sink(loop, queue), stop, self.settings.ingest)
                outcome["reason"] = "the stream ended"
            except IngestError as exc:
                outcome["reason"] = str(exc)
            except Exception as exc:  # noqa: BLE001 - reported as a stream failure
                outcome["reason"] = f"unexpected reader failure: {type(exc).__name__}: {exc}"
            finally:
                if not loop.is_closed():
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(queue.put_nowait, ("end", None, None))

        thread = threading.Thread(target=read, name=f"ingest-{self.stream.radio_id}", daemon=True)
        thread.start()
        try:
            await self._consume(queue)
        finally:
            stop.set()
        return outcome.get("reason", "the stream ended")

    async def _consume(self, queue: asyncio.Queue) -> None:
        window = int(self.settings.detection.window_s * SAMPLE_RATE)
        self._recent = np.zeros(0, np.float32)  # the last window of audio, for silence checks
        self._received = 0  # samples this connection
        self._clock0: float | None = None  # stream time of sample 0 of this connection
        self._titles: list[tuple[float, str | None]] = []  # titles for the tracker's next turn
        first = True
        while True:
            batch = [await queue.get()]
            while not queue.empty():  # everything that arrived while we were analysing
                batch.append(queue.get_nowait())
            blocks: list[np.ndarray] = []
            at: float | None = None
            for kind, payload, arrived in batch:
                if kind == "end":
                    if blocks:
                        await self._track(np.concatenate(blocks), at)
                    await self._run(self.tracker.end_segment)
                    return
                if kind == "title":
                    since = self._stream_time()
                    title = payload or None
                    self._titles.append((since, title))
                    continue
                jumped = self._take_audio(payload, arrived, window)
                if jumped or first:  # a new connection, or the stream skipped ahead
                    if blocks:
                        await self._track(np.concatenate(blocks), at)
                        blocks = []
                    assert self._clock0 is not None
                    at = self._clock0 + (self._received - payload.size) / SAMPLE_RATE
                    first = False
                blocks.append(payload)
            if blocks:
                self._check_silence()
                await self._track(np.concatenate(blocks), at)

    async def _track(self, samples: np.ndarray, at: float | None) -> None:
        titles, self._titles = self._titles, []

        def work() -> list[PlayChange]:
            for since, title in titles:
                self.detector.title(since, title)
            return self.tracker.feed(samples, at, live_clock=time.time)

        await self._run(work)

    def _stream_time(self) -> float:
        """Stream time of the newest audio received on this connection."""
        if self._clock0 is None:
            return time.time()
        return self._clock0 + self._received / SAMPLE_RATE

    async def _run(self, work) -> None:
        """Run tracker work in the engine's pool and publish what it changed."""
        busy = self._busy = self._recognizer.submit(work)
        # cancelled while it runs, `_busy` stays set: stop() waits for the worker to finish
        changes = await asyncio.wrap_future(busy)
        self._busy = None
        for change in changes:
            self._publish(change)
        self._save_play()

    def _take_audio(self, samples: np.ndarray, arrived: float, window: int) -> bool:
        """Count the audio and keep the stream clock; True when the clock jumped ahead."""
        self._received += samples.size
        # Audio can only have aired before it arrived: the earliest such bound over all blocks
        # is the best clock (decoder start-up delays make early blocks look late). A jump
        # beyond that means the stream stalled and skipped ahead: follow it.
        estimate = arrived - self._received / SAMPLE_RATE
        jumped = False
        if self._clock0 is None or estimate < self._clock0:
            self._clock0 = estimate
            self.detector.heard_from(estimate)
        elif estimate - self._clock0 > _MAX_CLOCK_LAG_S:
            self._clock0 = estimate
            jumped = True
        self._recent = np.concatenate([self._recent, samples])[-window:]
        if self._received >= SAMPLE_RATE and not self._connected:
            self._connected = True
            log.info("stream %s: receiving audio", self.stream.radio_id)
            if self._health == "down":
                self._notify(RESTORED, running=True)
            self._health = "up" if self._health != "silent" else "silent"
        return jumped

    def _check_silence(self) -> None:
        samples = self._recent
        if samples.size < int(self.settings.detection.window_s * SAMPLE_RATE):
            return
        now = time.time()
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        dbfs = 20 * np.log10(max(rms, 1e-9))
        if dbfs >= self.settings.silence_dbfs:
            self._silent_since = None
            if self._health == "silent":
                self._health = "up"
                self._notify(RESTORED, running=True)
            return
        if self._silent_since is None:
            self._silent_since = now - self.settings.detection.window_s
        if self._health == "up" and now - self._silent_since >= self.settings.silence_notify_s:
            self._health = "silent"
            self._notify(
                NO_MUSIC,
                running=True,
                detail=f"the stream has been silent for {int(now - self._silent_since)} s",
            )

    # -- events -----------------------------------------------------------------------------------
    def _publish(self, change: PlayChange) -> None:
        radio_id = self.stream.radio_id
        remaining = self.detector.play.to_state() if self.detector.play else None
        for over in (change.ended, change.dropped):
            if over is None:
                continue
            if over is change.ended and self.stream.reports_end and over.length_s() > 0:
                self._events.emit(
                    self.stream, play_event(radio_id, over, with_length=True), open_play=remaining
                )
            else:
                self._store.save_open_play(radio_id, remaining)
        if change.started is not None:
            play = change.started
            if self.stream.announces_start:
                play.announced = True
                self._events.emit(
                    self.stream,
                    play_event(radio_id, play, with_length=False),
                    open_play=play.to_state(),
                )
            else:
                self._store.save_open_play(radio_id, play.to_state())
            self._saved_until = play.last_match

    def _save_play(self) -> None:
        """Persist the play in progress after every window that extended it, so a crash loses
        at most one hop of its length (one small SQLite write per stream per hop)."""
        play = self.detector.play
        if play is not None and play.last_match > self._saved_until:
            self._store.save_open_play(self.stream.radio_id, play.to_state())
            self._saved_until = play.last_match

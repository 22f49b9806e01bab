"""One supervised monitor per stream: ingest -> sliding windows -> plays -> events.

Each stream gets an asyncio task that (re)connects with backoff and a reader thread
(stream_ingest) that decodes the stream. Every `hop_s` of new audio, the last `window_s` are
identified in the engine's worker pool — CPU work off the event loop, so the API stays
responsive — and the PlayDetector turns window matches into plays. If identification falls
behind real time, windows are skipped rather than queued (the newest audio matters most).

Lifecycle notifications, as AudD sends them (docs/protocols/audd.md §6.2): 650 when the stream cannot be read
(once per outage, with the reason appended to AudD's text), 651 when it has been silent for
`silence_notify_s`, and 0 when audio flows again after either.

The stream clock: stream time = the wall time the first audio of a connection arrived, plus the
audio received since. It follows wall time for a live stream, and is pulled forward when the
stream stalls and resumes, so plays keep wall-clock timestamps across reconnects and restarts.
"""

from __future__ import annotations

import asyncio
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
from radiowatch.engine.streams.play_detection import (
    DetectionSettings,
    Play,
    PlayChange,
    PlayDetector,
    WindowMatch,
)

log = logging.getLogger(__name__)

CANT_CONNECT = 650
NO_MUSIC = 651
RESTORED = 0
_MAX_CLOCK_LAG_S = 5.0


@dataclass(frozen=True)
class MonitorSettings:
    window_s: float = 8.0
    hop_s: float = 4.0
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
        self.detector = PlayDetector(
            settings.detection,
            listening_since=time.time(),
            restored=Play.from_state(restored) if restored else None,
        )
        self._task: asyncio.Task | None = None
        self._health = "unknown"  # unknown | up | down | silent
        self._connected = False
        self._silent_since: float | None = None
        self._saved_until = 0.0
        self.windows = 0  # identifications run (for diagnostics and benchmarks)
        self.skipped_windows = 0

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
        if close_play:
            self._publish(PlayChange(ended=self.detector.close()))
        elif self.detector.play is not None:
            self._store.save_open_play(self.stream.radio_id, self.detector.play.to_state())

    # -- supervision ------------------------------------------------------------------------
    async def _supervise(self) -> None:
        self._publish(PlayChange(ended=self.detector.expire(time.time())))
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
            self._publish(PlayChange(ended=self.detector.expire(time.time())))

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
        window = int(self.settings.window_s * SAMPLE_RATE)
        hop = int(self.settings.hop_s * SAMPLE_RATE)
        self._buffer = np.zeros(0, np.float32)
        self._received = 0  # samples this connection
        self._clock0: float | None = None  # stream time of sample 0 of this connection
        next_window = window
        while True:
            batch = [await queue.get()]
            while not queue.empty():  # everything that arrived while we were analysing
                batch.append(queue.get_nowait())
            for kind, payload, arrived in batch:
                if kind == "end":
                    return
                if kind == "title":
                    self.detector.stream_title = payload or None
                else:
                    self._take_audio(payload, arrived, window)
            if self._received < next_window:
                continue
            # Only the newest window is analysed; windows that fell due meanwhile are skipped
            # (counted), so a CPU-starved engine lags by at most one window, never more.
            behind = (self._received - next_window) // hop
            self.skipped_windows += behind
            next_window += (behind + 1) * hop
            assert self._clock0 is not None
            end_t = self._clock0 + self._received / SAMPLE_RATE
            await self._analyse(self._buffer.copy(), end_t - self._buffer.size / SAMPLE_RATE, end_t)

    def _take_audio(self, samples: np.ndarray, arrived: float, window: int) -> None:
        self._received += samples.size
        # Audio can only have aired before it arrived: the earliest such bound over all blocks
        # is the best clock (decoder start-up delays make early blocks look late). A jump
        # beyond that means the stream stalled and skipped ahead: follow it.
        estimate = arrived - self._received / SAMPLE_RATE
        if (
            self._clock0 is None
            or estimate < self._clock0
            or estimate - self._clock0 > _MAX_CLOCK_LAG_S
        ):
            self._clock0 = estimate
            self.detector.heard_from(estimate)
        self._buffer = np.concatenate([self._buffer, samples])[-window:]
        if self._received >= SAMPLE_RATE and not self._connected:
            self._connected = True
            log.info("stream %s: receiving audio", self.stream.radio_id)
            if self._health == "down":
                self._notify(RESTORED, running=True)
            self._health = "up" if self._health != "silent" else "silent"

    async def _analyse(self, samples: np.ndarray, start_t: float, end_t: float) -> None:
        if self._is_silent(samples, end_t):
            self._publish(self.detector.observe(start_t, end_t, None))
            return
        self.windows += 1
        match = await self._recognizer.run(self._recognizer.identify, samples)
        found = None
        if match is not None:
            found = WindowMatch(
                track_id=str(match.track.track_id),
                offset_s=float(match.offset_s),
                score=float(match.score),
                duration_s=getattr(match.track, "duration_s", None),
                song=self._recognizer.song(match),
            )
        self._publish(self.detector.observe(start_t, end_t, found))
        self._save_play()

    def _is_silent(self, samples: np.ndarray, now: float) -> bool:
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0
        dbfs = 20 * np.log10(max(rms, 1e-9))
        if dbfs >= self.settings.silence_dbfs:
            self._silent_since = None
            if self._health == "silent":
                self._health = "up"
                self._notify(RESTORED, running=True)
            return False
        if self._silent_since is None:
            self._silent_since = now - self.settings.window_s
        if self._health == "up" and now - self._silent_since >= self.settings.silence_notify_s:
            self._health = "silent"
            self._notify(
                NO_MUSIC,
                running=True,
                detail=f"the stream has been silent for {int(now - self._silent_since)} s",
            )
        return True

    # -- events -----------------------------------------------------------------------------------
    def _publish(self, change: PlayChange) -> None:
        radio_id = self.stream.radio_id
        before = self.stream.callbacks_before
        if change.ended is not None:
            remaining = self.detector.play.to_state() if self.detector.play else None
            ended = change.ended
            if not before and not ended.announced and ended.length_s() > 0:
                self._events.emit(
                    self.stream, play_event(radio_id, ended, with_length=True), open_play=remaining
                )
            else:  # callbacks=before announced it at its start already
                self._store.save_open_play(radio_id, remaining)
        if change.started is not None:
            play = change.started
            if before:
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

"""Writing coverage as the monitoring sees it: one open span per station being heard. No Qt.

The monitoring service tells the recorder each station's state as it changes (`observe`); a
station is heard while its stream runs and the backend answers (`StreamStatus.covered`). The
recorder opens a span when a station starts being heard, closes it when it stops, and moves
the open spans' ends forward on a heartbeat, so a crash leaves them ending at the last beat
(history/coverage.py has the rules).

Cheap on purpose: a state change is one statement; the heartbeat is one UPDATE for every open
span at once, every `heartbeat_s`, whatever the number of stations; a recorded play extends its
station's span inside the transaction that stores the play, at no extra commit.

Honest on purpose:
- A span starts when the station is seen heard, never earlier (a replayed old "recovered"
  event does not reach back in time); it may end at the moment a notification says the stream
  went down, if that lies inside the span.
- If the heartbeat did not run for much longer than its period (the machine slept, the process
  was frozen), nobody watched that stretch: the span ends at the last beat and a new one starts.
- A write that fails (history locked) never raises into the monitoring: an unwritten start is
  retried on the next beat, an unwritten end leaves the span ending at its last beat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from radiowatch.history.coverage import HEARTBEAT_S, CoverageStore
from radiowatch.history.errors import HistoryError, transaction

log = logging.getLogger(__name__)

# Without a beat for this many periods (and at least this long: a busy loop's hiccup is not a
# sleeping machine), the stretch since the last one was not watched.
UNWATCHED_AFTER_BEATS = 3
UNWATCHED_AFTER_MIN_S = 10.0


@dataclass
class _OpenSpan:
    span_id: int
    start_ms: int
    confirmed_ms: int  # the span's end as written


class CoverageRecorder:
    def __init__(
        self,
        store: CoverageStore,
        backend: str,
        *,
        heartbeat_s: float = HEARTBEAT_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._backend = backend
        self.heartbeat_s = heartbeat_s
        self._unwatched_ms = int(
            1000 * max(heartbeat_s * UNWATCHED_AFTER_BEATS, UNWATCHED_AFTER_MIN_S)
        )
        self._clock = clock
        self._open: dict[int, _OpenSpan] = {}
        self._unwritten: dict[int, int] = {}  # radio_id -> when it started being heard

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def heard(self) -> set[int]:
        """The stations with a span open (or waiting to be written) now."""
        return set(self._open) | set(self._unwritten)

    def begin_run(self) -> None:
        """At start: spans a previous run left open (it crashed) end at their last beat."""
        try:
            closed = self._store.close_abandoned(
                self._backend, keep=[s.span_id for s in self._open.values()]
            )
        except HistoryError as exc:
            log.warning("could not close the coverage of the last run: %s", exc)
            return
        if closed:
            log.info("%d coverage span(s) left open by the last run end at their last beat", closed)

    def observe(self, radio_id: int, heard: bool, at_ms: int | None = None) -> None:
        """The station's state changed; `at_ms` is when the backend says it happened."""
        if heard:
            self._begin(radio_id)
        else:
            self._end(radio_id, at_ms)

    def _begin(self, radio_id: int) -> None:
        if radio_id in self._open or radio_id in self._unwritten:
            return
        now = self._now_ms()
        try:
            span_id = self._store.open_span(radio_id, now, self._backend)
        except HistoryError as exc:
            log.warning("could not record that station %s is heard (will retry): %s", radio_id, exc)
            self._unwritten[radio_id] = now
            return
        self._open[radio_id] = _OpenSpan(span_id, now, now)

    def _end(self, radio_id: int, at_ms: int | None) -> None:
        self._unwritten.pop(radio_id, None)
        span = self._open.pop(radio_id, None)
        if span is None:
            return
        now = self._now_ms()
        if now - span.confirmed_ms > self._unwatched_ms:
            end: int | None = None  # the beats stopped a while ago: it ends at the last one
        else:
            end = max(span.start_ms, min(now, at_ms if at_ms is not None else now))
        try:
            self._store.close(span.span_id, end)
        except HistoryError as exc:
            log.warning("could not record that station %s is no longer heard: %s", radio_id, exc)

    def touch(self, radio_id: int) -> None:
        """Extend the station's span to now, inside the caller's transaction (a play being
        stored). Raises HistoryError like the caller's other statements."""
        span = self._open.get(radio_id)
        now = self._now_ms()
        if span is None or now - span.confirmed_ms > self._unwatched_ms:
            return  # a stale span is split by the next beat, not stretched here
        self._store.extend([span.span_id], now)
        span.confirmed_ms = now

    def heartbeat(self) -> None:
        """Confirm every station heard up to now: one transaction, one UPDATE for all spans
        (plus a close and an insert per station whose beats stopped, or whose start was not
        written yet)."""
        if not self._open and not self._unwritten:
            return
        now = self._now_ms()
        stale = {r: s for r, s in self._open.items() if now - s.confirmed_ms > self._unwatched_ms}
        fresh = [s for r, s in self._open.items() if r not in stale]
        opened: dict[int, _OpenSpan] = {}
        try:
            with transaction(self._store.connection, "record that the stations are heard"):
                self._store.extend([s.span_id for s in fresh], now)
                for radio_id, span in stale.items():
                    self._store.close(span.span_id)  # ends at its last beat
                    opened[radio_id] = self._new_span(radio_id, now)
                for radio_id, started in self._unwritten.items():
                    start = started if now - started <= self._unwatched_ms else now
                    opened[radio_id] = self._new_span(radio_id, start, now)
        except HistoryError as exc:
            log.warning("could not extend the coverage (will retry): %s", exc)
            return
        for span in fresh:
            span.confirmed_ms = now
        self._open.update(opened)
        self._unwritten.clear()

    def _new_span(self, radio_id: int, start_ms: int, end_ms: int | None = None) -> _OpenSpan:
        span_id = self._store.open_span(radio_id, start_ms, self._backend)
        if end_ms is not None and end_ms > start_ms:
            self._store.extend([span_id], end_ms)
        return _OpenSpan(span_id, start_ms, end_ms if end_ms is not None else start_ms)

    def close_all(self) -> None:
        """A clean stop: every span ends now."""
        for radio_id in list(self._open) + list(self._unwritten):
            self._end(radio_id, None)

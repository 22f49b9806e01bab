"""Audio in, plays out: the one play-detection path for live streams and recordings.

A `PlayTracker` takes timestamped audio from any source (a stream's reader thread, a file
being decoded), finds its peaks once (peak_stream.py), cuts identification windows every
`hop_s`, and hands them to the PlayDetector (play_detection.py), answering the detector's
questions (`Evidence`) from those peaks and the catalog. live monitoring (monitor.py) and
`radiowatch-engine playlog` (playlog.py) differ only in where the audio comes from and where
the plays go.

Audio arrives in *segments*: stretches without a gap (one connection of a stream, a file up to
damage). A new segment starts when the source says so or when audio arrives at a time that
does not follow on; the open play carries over (its alignment is in source time), so a stream
that reconnects mid-song continues the play.

All methods run on one thread at a time (the caller's, or one worker the caller awaits).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.fingerprint.landmarks import BAND_LOG_STEP, FRAME_S, Peaks
from radiowatch.engine.streams.alignment import (
    Alignment,
    first_audible,
    fit,
    hits,
    last_audible,
    settle,
)
from radiowatch.engine.streams.peak_stream import PeakStream
from radiowatch.engine.streams.play_detection import (
    DetectionSettings,
    Found,
    Play,
    PlayChange,
    PlayDetector,
)
from radiowatch.engine.streams.spectral_holes import OnAir, level_gaps, loud_until
from radiowatch.engine.streams.spectral_presence import REACH, peak_z, presence_z

# Frames either side tried when following a play: absorbs a speed between the matcher's 1 %
# steps (0.5 % drifts 1.25 frames per 8 s window) and the matcher's one-frame jitter.
FOLLOW_SHIFTS = 3
# A new segment starts when audio arrives more than this far from where the last one ended.
GAP_TOLERANCE_S = 0.5


class Catalog(Protocol):
    """The catalog as the tracker uses it (fingerprint.catalog.Catalog fits)."""

    def identify(self, samples: None, *, threshold: float, peaks: Peaks) -> Any: ...

    def track_peaks(self, track_id: str) -> tuple[np.ndarray, np.ndarray] | None: ...


def plain_song(match: Any) -> dict[str, Any]:
    """Title and artist of a match's track (the playlog's view of a song)."""
    track = match.track
    return {k: v for k, v in (("artist", track.artist), ("title", track.title)) if v}


class PlayTracker:
    def __init__(
        self,
        catalog: Catalog,
        settings: DetectionSettings | None = None,
        *,
        describe: Callable[[Any], dict[str, Any]] = plain_song,
        listening_since: float = 0.0,
        restored: Play | None = None,
    ) -> None:
        self.settings = settings or DetectionSettings()
        self._catalog = catalog
        self._describe = describe
        self.detector = PlayDetector(
            self, self.settings, listening_since=listening_since, restored=restored
        )
        self._peaks: PeakStream | None = None
        self._origin = 0.0  # source time of the segment's first sample
        self._ended_at = 0.0  # source time where the last segment ended
        self._next_end = 0  # frame at which the next window ends
        self._window = max(1, int(round(self.settings.window_s / FRAME_S)))
        self._hop = max(1, int(round(self.settings.hop_s / FRAME_S)))
        self._spans: dict[str, tuple[float, float] | None] = {}
        self._ref: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        self._ref_levels: dict[str, np.ndarray | None] = {}
        self._loud_ends: dict[str, float | None] = {}
        self.windows = 0  # windows looked at
        self.skipped_windows = 0  # windows left out to keep up with a live source
        self.max_lag_s = 0.0  # the latest a live window was looked at after its audio aired

    @property
    def play(self) -> Play | None:
        return self.detector.play

    # -- audio in, changes out ----------------------------------------------------------------
    def feed(
        self,
        samples: np.ndarray,
        at: float | None = None,
        *,
        live_clock: Callable[[], float] | None = None,
    ) -> list[PlayChange]:
        """Add audio whose first sample aired at source time `at` (None: right after the
        previous audio). `live_clock` (live sources: the source time now): a window whose
        audio aired more than `live_lag_s` ago is skipped, and counted, when a newer one is
        due, so the tracker catches up after falling behind; a burst of audio that arrives
        at once is looked at whole."""
        changes: list[PlayChange] = []
        if self._peaks is not None and at is not None and abs(at - self.now()) > GAP_TOLERANCE_S:
            changes += self.end_segment()
        if self._peaks is None:
            self._start_segment(self.now() if at is None else at)
        assert self._peaks is not None
        self._peaks.feed(samples)
        changes += self._run_windows(live_clock)
        return changes

    def end_segment(self) -> list[PlayChange]:
        """The audio stopped (end of a connection or of readable data): look at what is left."""
        if self._peaks is None:
            return []
        self._peaks.flush()
        changes = self._run_windows(None)
        change = self.detector.audio_stopped(self.now())
        if change:
            changes.append(change)
        self._ended_at = self.now()
        self._peaks = None
        return changes

    def finish(self) -> list[PlayChange]:
        """The source ended for good (end of a file): the open play ends with the audio, whose
        last seconds are still looked at."""
        if self._peaks is None:
            change = self.detector.close(None)
            return [change] if change else []
        ps = self._peaks
        ps.flush()
        changes = self._run_windows(None)
        change = self.detector.close(self.now())
        self._ended_at = self.now()
        self._peaks = None
        return [*changes, change] if change else changes

    def now(self) -> float:
        """Source time just after the newest audio received."""
        if self._peaks is None:
            return self._ended_at
        return self._origin + self._peaks.received / SAMPLE_RATE

    def _start_segment(self, at: float) -> None:
        self._peaks = PeakStream(keep_s=max(180.0, 4 * self.settings.lookback_s))
        self._origin = float(at)
        self._next_end = self._window
        self.detector.heard_from(self._origin)

    def _run_windows(self, live_clock: Callable[[], float] | None) -> list[PlayChange]:
        ps = self._peaks
        assert ps is not None
        changes: list[PlayChange] = []
        while ps.final_frame >= self._next_end:
            if live_clock is not None:
                now = live_clock()
                self._catch_up(ps.final_frame, now)
                self.max_lag_s = max(self.max_lag_s, now - self._time(self._next_end))
            end = self._next_end
            self._next_end += self._hop
            self.windows += 1
            change = self.detector.window(self._time(end - self._window), self._time(end))
            if change:
                changes.append(change)
        return changes

    def _catch_up(self, final_frame: int, now: float) -> None:
        """Skip the due windows that aired too long ago, all but the newest."""
        newest = self._next_end + (final_frame - self._next_end) // self._hop * self._hop
        oldest_wanted = int(np.ceil((now - self.settings.live_lag_s - self._origin) / FRAME_S))
        if oldest_wanted <= self._next_end or newest <= self._next_end:
            return
        behind = min(
            -(-(oldest_wanted - self._next_end) // self._hop),
            (newest - self._next_end) // self._hop,
        )
        self.skipped_windows += behind
        self._next_end += behind * self._hop

    # -- Evidence (what the detector asks) ------------------------------------------------------
    def follow(self, alignment: Alignment, start: float, end: float) -> tuple[float, Alignment]:
        first, last = self._frames(start, end)
        ref = self._track_peaks(alignment.track_id)
        if ref is None or last <= first:
            return 0.0, alignment
        h, shift = hits(
            ref,
            self._dense(first, last),
            alignment,
            self._origin,
            first,
            last,
            shifts=FOLLOW_SHIFTS,
        )
        return h.score(), alignment.shifted(shift) if shift else alignment

    def identify(self, start: float, end: float) -> Found | None:
        first, last = self._frames(start, end)
        assert self._peaks is not None
        peaks = self._peaks.peaks(first, last, dense=self.settings.search_dense)
        match = self._catalog.identify(None, threshold=self.settings.candidate_score, peaks=peaks)
        return None if match is None else self._found(match, start)

    def _found(self, match: Any, start: float) -> Found | None:
        duration = float(getattr(match.track, "duration_s", 0) or 0)
        if duration and float(match.offset_s) > duration + 1.0:
            return None  # would have ended before the window began: not a real match
        scale = float(getattr(match, "tempo", 1.0) or 1.0)
        speed = float(getattr(match, "speed", 1.0) or 1.0)
        alignment = Alignment(
            str(match.track.track_id),
            start - float(match.offset_s) / scale,
            scale,
            float(np.log(speed) / BAND_LOG_STEP),
            speed,
        )
        return Found(alignment, float(match.score), duration or None, self._describe(match))

    def settle(self, alignment: Alignment, start: float, end: float) -> Alignment:
        first, last = self._frames(start, end)
        ref = self._track_peaks(alignment.track_id)
        if ref is None or last <= first:
            return alignment
        return settle(
            ref, self._dense(first, last), alignment, self._origin, first, last, self._known()
        )

    def refit(self, alignment: Alignment, start: float, end: float) -> Alignment:
        first, last = self._frames(start, end)
        ref = self._track_peaks(alignment.track_id)
        if ref is None or last <= first:
            return alignment
        return fit(ref, self._dense(first, last), alignment, self._origin, first, last)

    def start_edge(self, alignment: Alignment, lo: float, hi: float) -> float | None:
        h = self._hits(alignment, lo, hi)
        return None if h is None else first_audible(h)

    def end_edge(self, alignment: Alignment, lo: float, hi: float) -> float | None:
        h = self._hits(alignment, lo, hi)
        if h is None:
            return None
        last = last_audible(h)
        return None if last is None else last + FRAME_S

    def presence(self, alignment: Alignment, lo: float, hi: float) -> float:
        h = self._hits(alignment, lo, hi)
        peaks = 0.0 if h is None else h.score()
        return max(peaks, self._spectral_presence(alignment, lo, hi))

    def _spectral_presence(self, alignment: Alignment, lo: float, hi: float) -> float:
        if self._peaks is None:
            return 0.0
        first, last = self._frames(lo, hi)
        ref = self._track_peaks(alignment.track_id)
        if ref is None or last <= first:
            return 0.0
        levels, levels_first = self._peaks.levels(first - REACH, last + REACH)
        return presence_z(levels, levels_first, ref, alignment, self._origin, first, last)

    def reach_back(
        self, alignment: Alignment, start: float, limit: float, on_air: tuple[float, float]
    ) -> float:
        size = self.settings.hole_step_s
        track = self._on_air(alignment, on_air) if start - limit >= size else None
        reached = start
        while track is not None and reached - size >= limit:
            share = track.hole_share(*self._level_gaps(alignment, reached - size, reached))
            if share is None or share > self.settings.hole_share:
                break
            reached -= size
        return reached

    def most_holes(
        self, alignment: Alignment, lo: float, hi: float, on_air: tuple[float, float]
    ) -> float | None:
        size = self.settings.hole_step_s
        track = self._on_air(alignment, on_air)
        if track is None:
            return None
        shares = [
            track.hole_share(*self._level_gaps(alignment, t, min(t + size, hi)))
            for t in np.arange(lo, hi - size / 2, size)
        ]
        known = [x for x in shares if x is not None]
        return max(known) if known else None

    def loud_end(self, track_id: str) -> float | None:
        if track_id not in self._loud_ends:
            ref, levels = self._track_peaks(track_id), self._catalog_levels(track_id)
            self._loud_ends[track_id] = (
                None if ref is None or levels is None else loud_until(ref[0], levels)
            )
        return self._loud_ends[track_id]

    def _on_air(self, alignment: Alignment, on_air: tuple[float, float]) -> OnAir | None:
        if self._peaks is None or self._catalog_levels(alignment.track_id) is None:
            return None  # without levels (a catalog indexed before they were kept) no test
        return OnAir.measure(*self._level_gaps(alignment, *on_air))

    def _level_gaps(self, alignment: Alignment, lo: float, hi: float):
        ref = self._track_peaks(alignment.track_id)
        levels = self._catalog_levels(alignment.track_id)
        if self._peaks is None or ref is None or levels is None:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        first, last = self._frames(lo, hi)
        rows, rows_first = self._peaks.spectrum(first - 2, last + 2)
        return level_gaps(rows, rows_first, ref, levels, alignment, self._origin, first, last)

    def sound_span(self, track_id: str) -> tuple[float, float] | None:
        if track_id not in self._spans:
            ref = self._track_peaks(track_id)
            self._spans[track_id] = (
                (float(ref[0][0]) * FRAME_S, float(ref[0][-1] + 1) * FRAME_S)
                if ref is not None and ref[0].size
                else None
            )
        return self._spans[track_id]

    # -- helpers ----------------------------------------------------------------------------------
    def _time(self, frame: int) -> float:
        return self._origin + frame * FRAME_S

    def _frames(self, start: float, end: float) -> tuple[int, int]:
        """Segment frames of [start, end), clipped to the peaks known."""
        assert self._peaks is not None
        first = max(0, int(round((start - self._origin) / FRAME_S)))
        last = min(self._peaks.final_frame, int(round((end - self._origin) / FRAME_S)))
        return first, last

    def _dense(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        assert self._peaks is not None
        margin = 40
        return self._peaks.frames(first - margin, last + margin)

    def _hits(self, alignment: Alignment, lo: float, hi: float):
        if self._peaks is None:
            return None
        first, last = self._frames(lo, hi)
        ref = self._track_peaks(alignment.track_id)
        if ref is None or last <= first:
            return None
        h, _ = hits(
            ref, self._dense(first, last), alignment, self._origin, first, last, known=self._known()
        )
        if h.size:
            levels, levels_first = self._peaks.levels(first - REACH, last + REACH)
            z = peak_z(levels, levels_first, ref, alignment, self._origin, first, last)
            if z.size == h.size:  # the same peaks (always, unless the track's peaks changed)
                h = dataclasses.replace(h, level_z=z)
        return h

    def _known(self) -> tuple[int, int]:
        assert self._peaks is not None
        return 0, self._peaks.final_frame

    def _track_peaks(self, track_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        if track_id not in self._ref:
            if len(self._ref) > 64:
                self._ref.clear()
                self._ref_levels.clear()
            self._ref[track_id] = self._catalog.track_peaks(track_id)
        return self._ref[track_id]

    def _catalog_levels(self, track_id: str) -> np.ndarray | None:
        levels = self._ref_levels.get(track_id)
        if levels is None:  # not read yet, or none stored yet (the engine may be adding them)
            read = getattr(self._catalog, "track_levels", None)
            levels = None if read is None else read(track_id)
            if levels is not None:
                self._ref_levels[track_id] = levels
        return levels

"""Whether a track can still be on air where speech hides it: holes where its peaks should be.

Under a DJ's voice the music is ducked 6-10 dB and speech takes the recording's peaks, so
neither the peak test (alignment.py) nor the contrast test (spectral_presence.py) sees much of
the track. But sound only adds up: wherever the track has a peak, a recording that still
carries the track is at least about as loud there as the track, ducked. Speech without the
music leaves *holes*: places where the track has a peak and the recording is far quieter
than the track would be. So this test reads absolute levels: the recording's level at each
reference peak (the best of the 3 x 3 frames and bands around it) minus the peak's own level
in the catalog (reference_peaks.py keeps it), against the same difference where the track is
known to be on air (`gain`: the station's level, processing and the play's own loudness).

Measured on the broadcast benchmark's voiced intros (bench/broadcast/RESULTS.md, "Holes"):
over 3 s under talk, a median of 0 % of reference peaks were holes (`HOLE_DB` below the gain,
p90 1 %) where the track was on air, against 11 % (p10 1 %) for the same peaks slid a few
seconds along the same audio (AUC 0.93; the contrast test: 0.89). The test can only say no: a
recording full of other music has no holes anywhere, so play detection asks it only where a
play's edges are uncertain, next to audio that carries the track (play_detection.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiowatch.engine.fingerprint.landmarks import FRAME_S, N_BANDS
from radiowatch.engine.streams.alignment import Alignment, reference_span

# How far below the track's level (plus the gain) a reference peak's place must be to count as
# a hole: ducking under a voice (6-10 dB) plus a station compressor pulling the mix down while
# the voice is loud stay above it; 14 dB let ducked music through less often (p90 8 % holes).
HOLE_DB = 18.0
# Only the track's loud peaks can leave a hole: a faint one (a fade, a quiet tail) is below
# anything else on air, whether the track is there or not.
QUIET_DB = 6.0
MIN_PEAKS = 4  # fewer reference peaks in a stretch tell nothing
# A track is audible until the last second with LOUD_END_PEAKS peaks at most AUDIBLE_DB below
# its loud peaks (their 90th percentile level): on the broadcast benchmark's 57 songs aired to
# their end that put the end within 0.7 s of the truth's (-50 dBFS) at p90, 2.3 s at most (the
# median peak as the reference: 1.4 s at p90); the last stored peak, in a quiet tail, was up
# to 7 s after it.
AUDIBLE_DB = 35.0
LOUD_END_PEAKS = 3


def level_gaps(
    spectrum: np.ndarray,
    spectrum_first: int,
    ref: tuple[np.ndarray, np.ndarray],
    ref_levels: np.ndarray,
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per reference peak of `alignment` in recording frames [first, last), in time order: the
    recording's level there (dB, the loudest of the 3 x 3 frames and bands around the place)
    minus the peak's catalog level (NaN where the recording is not known), and that level.

    `spectrum`: band spectrogram rows (dB) of recording frames from `spectrum_first`; `ref`:
    the track's peaks (frames, half-bands) and `ref_levels` their levels; `origin_s`: source
    time of recording frame 0."""
    ref_t, ref_f = ref
    (a, b), _ = reference_span(ref_t, alignment, origin_s, first, last)
    n = spectrum.shape[0]
    if b <= a or n == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    g_anchor = (alignment.anchor_s - origin_s) / FRAME_S
    rows = np.rint(g_anchor + ref_t[a:b] / alignment.time_scale).astype(np.int64)
    rows -= spectrum_first
    bands = np.rint(ref_f[a:b] / 2 + alignment.band_shift).astype(np.int64)
    best = np.full(rows.size, -np.inf, np.float32)
    for dr in (-1, 0, 1):
        r = np.clip(rows + dr, 0, n - 1)
        for db in (-1, 0, 1):
            c = np.clip(bands + db, 0, N_BANDS - 1)
            best = np.fmax(best, np.nan_to_num(spectrum[r, c].astype(np.float32), nan=-np.inf))
    known = (rows >= 1) & (rows < n - 1) & np.isfinite(best)
    levels = np.asarray(ref_levels[a:b], np.float32)
    return np.where(known, best - levels, np.nan).astype(np.float32), levels


@dataclass(frozen=True)
class OnAir:
    """How the track sounds where it is known to be on air: the typical level difference
    between recording and catalog at its peaks (the station's level and processing, the
    play's loudness), and the typical level of its peaks there."""

    gain: float
    loud: float

    @classmethod
    def measure(cls, gaps: np.ndarray, levels: np.ndarray) -> OnAir | None:
        known = np.isfinite(gaps)
        if known.sum() < MIN_PEAKS:
            return None
        return cls(float(np.median(gaps[known])), float(np.median(levels[known])))

    def hole_share(self, gaps: np.ndarray, levels: np.ndarray) -> float | None:
        """The share of the track's loud peaks (at most QUIET_DB below its typical level) that
        are holes: more than HOLE_DB quieter in the recording than the track on air would be.
        None when too few are known to tell (a quiet passage, the track's silent tail)."""
        counted = np.isfinite(gaps) & (levels >= self.loud - QUIET_DB)
        if counted.sum() < MIN_PEAKS:
            return None
        return float(np.mean(gaps[counted] < self.gain - HOLE_DB))


def loud_until(ref_t: np.ndarray, ref_levels: np.ndarray) -> float | None:
    """Seconds into a track (catalog peak frames and levels) where its own sound stops being
    audible: the end of the last second with LOUD_END_PEAKS peaks at most AUDIBLE_DB below
    the track's loud peaks. None for a track without peaks."""
    if ref_t.size == 0:
        return None
    seconds = (np.asarray(ref_t) * FRAME_S).astype(np.int64)
    loud = ref_levels >= float(np.percentile(ref_levels, 90)) - AUDIBLE_DB
    counts = np.bincount(seconds[loud], minlength=int(seconds.max()) + 1)
    busy = np.flatnonzero(counts >= LOUD_END_PEAKS)
    return float(busy[-1] + 1) if busy.size else None

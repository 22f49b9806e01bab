"""Whether a known alignment of a track is on air, read from the spectrogram's levels.

Following a play peak by peak (alignment.py) asks whether the recording has a *peak* where the
track has one. Under a DJ's voice-over that test goes nearly blind: the music is ducked 6-10 dB
and speech takes the recording's peaks, so the music's partials, still there, are rarely peaks
of their own. On the broadcast benchmark's voiced intros the hit test put the right alignment
at a median of 0.65 standard deviations above chance over the talked-over seconds.

This test reads the level where each reference peak should be instead: how far the recording
stands out there from its neighbouring bands (`contrast`), a matched filter for the track's
peak pattern. A ducked partial beside speech still lifts its band, and over every reference
peak of a stretch that lift shows: on the same voiced intros a median of 2.5 standard
deviations, against 0.1 (p95 1.8) over stretches where the track was not on air. Chance is
measured by sliding the same reference peaks off their places along the same recording
(`NULL_SHIFTS`): the same audio, the same peaks, only misplaced, so speech, music or silence
around them cost nothing. On clear music the hit test is the stronger one (14.9 against 6.9
over 5 s): play detection uses both (tracker.py).

The clip matcher weighs the same kind of evidence for a whole clip (fingerprint/
spectral_evidence.py), where the clip's own band and frame means are known and wrong
alignments wrap around the clip. A stream has no ends: its levels are measured against
neighbouring bands of the same frame, and wrong alignments slide along the audio kept.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import uniform_filter1d

from radiowatch.engine.fingerprint.landmarks import FRAME_S, N_BANDS
from radiowatch.engine.streams.alignment import Alignment, reference_span

CONTRAST_BANDS = 9  # a band's level is compared with the mean of this many around it
# Reference peaks slid by these many frames give the levels of chance: far enough (>= 0.4 s)
# that a peak's own smear (3 smoothed frames, +-1 looked at) never reaches its place, near
# enough (<= 3.8 s) that the audio slid over is of the same kind.
NULL_SHIFTS = np.array([k for k in range(-120, 121, 3) if abs(k) >= 12])
REACH = int(NULL_SHIFTS.max()) + 2  # frames of levels needed either side of a stretch
_MIN_NULL = 10  # slid places with known levels needed to measure a peak's chance
_MIN_PEAKS = 5


def contrast(white: np.ndarray) -> np.ndarray:
    """Each band's whitened level (landmarks.whiten) over the mean of its CONTRAST_BANDS
    neighbours; frames x bands, float16 (kept for minutes of every monitored stream)."""
    if white.shape[0] == 0:
        return np.zeros((0, N_BANDS), np.float16)
    local = uniform_filter1d(white, CONTRAST_BANDS, axis=1, mode="nearest")
    return (white - local).astype(np.float16)


def presence_z(
    levels: np.ndarray,
    levels_first: int,
    ref: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
) -> float:
    """How clearly `alignment` shows in recording frames [first, last): the mean contrast at
    its reference peaks, in standard deviations over the means of the same peaks slid off
    their places. 0.0 when too few reference peaks fall in the stretch to tell.

    `levels`: `contrast` rows of recording frames from `levels_first` (frames without rows
    are unknown, not silent); `ref`: the track's peaks (frames, half-bands); `origin_s`: source
    time of recording frame 0."""
    at = _levels_at(levels, levels_first, ref, alignment, origin_s, first, last)
    if at.shape[1] < _MIN_PEAKS:
        return 0.0
    with warnings.catch_warnings():  # an all-NaN row (no level known) is expected
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(at, axis=1)
        counts = np.isfinite(at).sum(axis=1)
    null = means[1:][counts[1:] >= _MIN_PEAKS]
    if counts[0] < _MIN_PEAKS or null.size < _MIN_NULL:
        return 0.0
    return float((means[0] - null.mean()) / (null.std() + 1e-6))


def peak_z(
    levels: np.ndarray,
    levels_first: int,
    ref: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
) -> np.ndarray:
    """Per reference peak of `alignment` in recording frames [first, last) (the peaks
    `alignment.hits` takes, in its order): its contrast in standard deviations over the same
    peak slid off its place; 0 where the recording is not known around it."""
    at = _levels_at(levels, levels_first, ref, alignment, origin_s, first, last)
    if at.shape[1] == 0:
        return np.zeros(0)
    null = at[1:]
    known = np.isfinite(null).sum(axis=0) >= _MIN_NULL
    with warnings.catch_warnings():  # an all-NaN column (no level known) is expected
        warnings.simplefilter("ignore", RuntimeWarning)
        z = (at[0] - np.nanmean(null, axis=0)) / (np.nanstd(null, axis=0) + 1e-3)
    return np.where(known & np.isfinite(z), z, 0.0)


def _levels_at(levels, levels_first, ref, alignment, origin_s, first, last) -> np.ndarray:
    """Contrast at each reference peak in [first, last) (columns, in time order), at its place
    (row 0) and slid by each of NULL_SHIFTS (rows 1...); NaN where no level is known. The best
    of three frames: a reference peak's time is known to a frame."""
    ref_t, ref_f = ref
    g_anchor = (alignment.anchor_s - origin_s) / FRAME_S
    scale = alignment.time_scale
    (a, b), _ = reference_span(ref_t, alignment, origin_s, first, last)  # as alignment.hits
    n = levels.shape[0]
    if b <= a or n < 3:
        return np.full((1 + NULL_SHIFTS.size, max(0, b - a)), np.nan, np.float32)
    rows = np.rint(g_anchor + ref_t[a:b] / scale).astype(np.int64) - levels_first
    cols = np.clip(np.rint(ref_f[a:b] / 2 + alignment.band_shift), 0, N_BANDS - 1).astype(np.int64)
    r = rows[None, :] + np.concatenate([[0], NULL_SHIFTS])[:, None]
    inside = (r >= 1) & (r < n - 1)
    r = np.clip(r, 1, n - 2)
    c = np.broadcast_to(cols, r.shape)
    best = np.maximum(np.maximum(levels[r - 1, c], levels[r, c]), levels[r + 1, c])
    return np.where(inside, best.astype(np.float32), np.nan)

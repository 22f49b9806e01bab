"""Following one catalog track along a recording, peak by peak.

Identifying a window says "this is track T, played at speed s, and T's frame 0 aired at A".
From then on it is known which of T's stored peaks should appear at which moment, so instead of
searching the whole catalog again we check that alignment directly: for each reference peak
in a stretch of the recording, is there a recording peak next to it (within VERIFY_DT frames
and one half-band)? That is cheap (no hashing, no catalog search) and says three things:

- whether a window still carries the play (a `follow` score, in standard deviations above
  chance, like the matcher's verification), which also keeps a track with repeated sections
  on one play: its audio keeps matching the original alignment whatever offset a fresh search
  would report;
- where exactly a song becomes and stops being audible (`edge_start`, `edge_end`): before its
  first second and after its last, the reference peaks are hit only by chance, so the edge is
  the change point of the hit sequence, found to a fraction of a second rather than to the
  window grid;
- small drifts of the alignment (a speed between the matcher's 1 % steps), by trying a few
  frames either side.

Chance is measured locally: a reference peak is "hit by chance" as often as the recording's
widened peaks fill its band around that moment (speech and dense music fill more).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiowatch.engine.fingerprint.landmarks import BAND_LOG_STEP, FRAME_S, N_BANDS

VERIFY_DT = 2  # frames of tolerance, as the matcher's verification
_HEIGHT = 2 * N_BANDS + 2  # half-bands plus a guard row on each side
_LOCAL_FRAMES = 31  # chance is measured over +-1 s of the same band


@dataclass(frozen=True)
class Alignment:
    """Track `track_id`'s frame r aired at source time anchor_s + r * FRAME_S / time_scale.

    `time_scale` is the matched playback rate (1.03 = 3 % fast, pitch and tempo together for a
    tape-style `speed`, tempo only for a time-stretch); `band_shift` moves frequencies (log-band
    units), non-zero only for a tape-style speed change.
    """

    track_id: str
    anchor_s: float
    time_scale: float = 1.0
    band_shift: float = 0.0
    speed: float = 1.0

    def source_time(self, ref_frame):
        """Source time (seconds) of reference frame(s) `ref_frame` (a number or an array)."""
        return self.anchor_s + ref_frame * FRAME_S / self.time_scale

    def ref_frame(self, source_time: float) -> float:
        return (source_time - self.anchor_s) / FRAME_S * self.time_scale

    def shifted(self, ref_frames: float) -> Alignment:
        """The alignment under which every reference frame airs when frame + `ref_frames` aired
        under this one (positive: the track runs `ref_frames` behind this alignment)."""
        return Alignment(
            self.track_id,
            self.anchor_s + ref_frames * FRAME_S / self.time_scale,
            self.time_scale,
            self.band_shift,
            self.speed,
        )


@dataclass(frozen=True)
class Hits:
    """The reference peaks that fall in a stretch of the recording, in time order: when each
    should have aired (source seconds), whether the recording has a peak there, and the chance
    of that happening anyway."""

    times: np.ndarray
    hit: np.ndarray
    chance: np.ndarray
    # per peak, the recording's level there over chance (spectral_presence.peak_z), when known
    level_z: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.times.size)

    def score(self) -> float:
        """Hits above chance in standard deviations (the matcher's verification unit)."""
        if self.size == 0:
            return 0.0
        expected = float(self.chance.sum())
        var = float((self.chance * (1 - self.chance)).sum())
        return (float(self.hit.sum()) - expected) / np.sqrt(var + 1.0)

    def rate(self) -> float:
        return float(self.hit.mean()) if self.size else 0.0


def reference_span(
    ref_t: np.ndarray, alignment: Alignment, origin_s: float, first: int, last: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Which reference peaks (index range into `ref_t`) fall in recording frames
    [first, last) under `alignment`, and the reference frames that stretch spans."""
    g_anchor = (alignment.anchor_s - origin_s) / FRAME_S
    r_lo = int(np.floor((first - g_anchor) * alignment.time_scale))
    r_hi = int(np.ceil((last - g_anchor) * alignment.time_scale))
    a, b = np.searchsorted(ref_t, [r_lo, r_hi])
    return (int(a), int(b)), (r_lo, r_hi)


def hits(
    ref: tuple[np.ndarray, np.ndarray],
    rec: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
    *,
    shifts: int = 0,
    known: tuple[int, int] | None = None,
) -> tuple[Hits, int]:
    """The reference peaks of `alignment` over recording frames [first, last).

    `ref`: the track's peaks (frames from its start, half-bands); `rec`: the recording's peaks
    (segment frames, fractional bands) covering at least [first, last) and, where there is
    audio, a second beyond; `known`: the recording frames analysed at all (chance is measured
    only there); `origin_s`: source time of segment frame 0. With `shifts` > 0 the alignment is
    also tried up to that many reference frames either side; returns the best one's hits and
    its shift.
    """
    ref_t, ref_f = ref
    rec_t, rec_f = rec
    g_anchor = (alignment.anchor_s - origin_s) / FRAME_S
    scale = alignment.time_scale
    (a, b), (r_lo, r_hi) = reference_span(ref_t, alignment, origin_s, first, last)
    rt, rf = ref_t[a:b], ref_f[a:b]
    empty = Hits(np.zeros(0), np.zeros(0, bool), np.zeros(0))
    if rt.size == 0:
        return empty, 0
    pad = VERIFY_DT + shifts + _LOCAL_FRAMES + 1
    width = r_hi - r_lo + 2 * pad
    grid = np.zeros((width, _HEIGHT), bool)
    # recording peaks a little beyond the stretch too: they count for the local chance
    margin = (_LOCAL_FRAMES + VERIFY_DT + shifts) / scale + 1
    sel = (rec_t >= first - margin) & (rec_t < last + margin)
    if sel.any():
        rows = np.rint((rec_t[sel] - g_anchor) * scale).astype(np.int64) - r_lo + pad
        cols = np.clip(np.rint((rec_f[sel] - alignment.band_shift) * 2).astype(np.int64), 0, 191)
        cols += 1
        ok = (rows >= VERIFY_DT) & (rows < width - VERIFY_DT) & (rows >= 0)
        rows, cols = rows[ok], cols[ok]
        for dt in range(-VERIFY_DT, VERIFY_DT + 1):
            for df in (-1, 0, 1):
                grid[rows + dt, cols + df] = True
    col = np.clip(rf, 0, 191).astype(np.int64) + 1
    base = rt.astype(np.int64) - r_lo + pad
    best, best_shift, best_hit = -1, 0, None
    for shift in sorted(range(-shifts, shifts + 1), key=abs):
        hit = grid[base + shift, col]
        n = int(hit.sum())
        if n > best:
            best, best_shift, best_hit = n, shift, hit
    assert best_hit is not None
    # chance: how full the peak's band is over +-1 s around it (where there was audio)
    filled = np.cumsum(grid, axis=0, dtype=np.int32)
    rows_at = g_anchor + (np.arange(width) + r_lo - pad) / scale  # recording frame of each row
    k0, k1 = known if known is not None else (-np.inf, np.inf)
    heard = np.cumsum((rows_at >= k0) & (rows_at < k1), dtype=np.int32)
    lo = np.clip(base - _LOCAL_FRAMES, 0, width - 1)
    hi = np.clip(base + _LOCAL_FRAMES, 0, width - 1)
    chance = (filled[hi, col] - filled[lo, col]) / np.maximum(heard[hi] - heard[lo], 1)
    times = alignment.source_time(rt + best_shift)
    return Hits(times, best_hit, np.clip(chance, 0.0, 1.0)), best_shift


# How much more often than chance a reference peak is hit while its track is audible, at the
# least (ducked under voice-over, masked in a crossfade): the "present" hypothesis of the
# change-point test below. Measured on the broadcast benchmark: 0.1-0.2 under voice-over,
# 0.6-0.8 in the clear.
PRESENCE = 0.15
# The same for the level at each reference peak (spectral_presence.peak_z, a z-score): its
# mean where the track is audible, at the least. 0.25, 0.4 and 0.6 gave start/end |p95| of
# 4.5/2.6, 4.6/2.7 and 4.5/3.2 s on the broadcast benchmark.
LEVEL_SHIFT = 0.25


def _evidence(h: Hits) -> np.ndarray:
    """Log-likelihood ratio, per reference peak, of "the track is audible here" (hit PRESENCE
    more often than chance, its level LEVEL_SHIFT above chance) over "it is not" (both only
    chance). The level counts even where speech took the peaks (spectral_presence.py): it
    brought the held-out programs' starts from 4.0 to 2.4 s |p95| and ends from 4.2 to 3.3 s.

    (Asking more of "audible" where the track is clearly heard elsewhere was tried: it took
    lucky hits in the talk after a song for less, but cut songs short under an outro
    voice-over; the benchmark's end errors grew.)"""
    p0 = np.clip(h.chance, 0.02, 0.9)
    p1 = np.minimum(p0 + PRESENCE, 0.97)
    llr = np.where(h.hit, np.log(p1 / p0), np.log((1 - p1) / (1 - p0)))
    if h.level_z is not None:
        # z ~ N(LEVEL_SHIFT, 1) where the track is audible, N(0, 1) where it is not
        z = np.clip(h.level_z, -4.0, 4.0)
        llr = llr + LEVEL_SHIFT * z - LEVEL_SHIFT**2 / 2
    return llr


def first_audible(h: Hits) -> float | None:
    """The change point from "absent" to "audible": the start of the stretch with the most
    evidence of the track running to the end of `h` (None if there is none).

    A DJ talking over a song's intro can mask the ducked music almost completely; what shows
    then are moments of clear music (before the voice starts, in its pauses). Such a moment
    of strong evidence up to BRIDGE_S before the start found is where the song was already on
    air: the start moves back to it (repeatedly)."""
    if h.size == 0:
        return None
    suffix = np.cumsum(_evidence(h)[::-1])[::-1]
    k = int(np.argmax(suffix))
    if suffix[k] <= 0:
        return None
    start = float(h.times[k])
    bursts = h.times[_bursts(h)]
    while True:
        earlier = bursts[(bursts < start) & (bursts >= start - BRIDGE_S)]
        if earlier.size == 0:
            return start
        start = float(earlier[0])


BURST_S = 1.0  # the length of a moment of clear evidence
BURST_Z = 4.5  # how clear: chance gives this about once in 300,000 moments
BRIDGE_S = 12.0  # the longest voice-over bridged


def _bursts(h: Hits) -> np.ndarray:
    """Indices of hit peaks that begin a BURST_S moment hit far more often than chance."""
    hit = np.concatenate([[0], np.cumsum(h.hit)])
    expected = np.concatenate([[0.0], np.cumsum(h.chance)])
    var = np.concatenate([[0.0], np.cumsum(h.chance * (1 - h.chance))])
    ends = np.searchsorted(h.times, h.times + BURST_S)
    idx = np.arange(h.size)
    z = (hit[ends] - hit[idx] - (expected[ends] - expected[idx])) / np.sqrt(
        var[ends] - var[idx] + 1.0
    )
    return np.flatnonzero((z >= BURST_Z) & h.hit)


def last_audible(h: Hits) -> float | None:
    """The change point from "audible" to "absent" (None if the track is never audible)."""
    if h.size == 0:
        return None
    prefix = np.cumsum(_evidence(h))
    k = int(np.argmax(prefix))
    return float(h.times[k]) if prefix[k] > 0 else None


# Playback rates tried around the matcher's answer when a play is confirmed: the matcher
# searches 1 % steps and may name a time-stretch where the station sped the tape up (or the
# reverse); within this range the hits decide, then `fit` finds the exact line.
_RATE_STEPS = (-0.01, -0.005, 0.0, 0.005, 0.01)
_PAIR_FRAMES = 3  # a recording peak this close to where a reference peak should be is its pair


def settle(
    ref: tuple[np.ndarray, np.ndarray],
    rec: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
    known: tuple[int, int] | None = None,
) -> Alignment:
    """The alignment that best explains recording frames [first, last): first the rate and the
    kind of speed change (tape-style, where pitch moves too, or time-stretched) among a few
    around `alignment`, turned about the middle of the stretch where the matcher's answer is
    best; then the exact line through the matched peaks (`fit`)."""
    middle = origin_s + (first + last) / 2 * FRAME_S
    pivot = alignment.ref_frame(middle)
    best, best_hits = alignment, -1
    for step in _RATE_STEPS:
        scale = float(alignment.time_scale * (1 + step))
        for tape in (True, False):
            trial = Alignment(
                alignment.track_id,
                middle - pivot * FRAME_S / scale,
                scale,
                float(np.log(scale) / BAND_LOG_STEP) if tape else 0.0,
                scale if tape else 1.0,
            )
            h, moved = hits(ref, rec, trial, origin_s, first, last, shifts=2, known=known)
            n = int(h.hit.sum())
            if n > best_hits:
                best, best_hits = trial.shifted(moved) if moved else trial, n
    return fit(ref, rec, best, origin_s, first, last)


# Pairs spanning fewer frames than this (6 s) give the offset only: over 3 s of a song at the
# edge of a window the fitted rate was 2 % off.
_MIN_RATE_FRAMES = 188
_FIT_ROUNDS = 3  # a rate 1 % off pairs only the stretch's middle: each round widens the pairs


def fit(
    ref: tuple[np.ndarray, np.ndarray],
    rec: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
) -> Alignment:
    """`_fit_line` again from its own answer while the rate still moves (by over 0.1 %)."""
    for _ in range(_FIT_ROUNDS):
        fitted = _fit_line(ref, rec, alignment, origin_s, first, last)
        moved = abs(fitted.time_scale / alignment.time_scale - 1)
        alignment = fitted
        if moved < 0.001:
            break
    return alignment


def _fit_line(
    ref: tuple[np.ndarray, np.ndarray],
    rec: tuple[np.ndarray, np.ndarray],
    alignment: Alignment,
    origin_s: float,
    first: int,
    last: int,
) -> Alignment:
    """The straight line through the recording peaks paired with the reference peaks of
    `alignment` in frames [first, last): least squares on hundreds of pairs gives the rate to
    a few hundredths of a per cent and the offset to a fraction of a frame, where counting
    hits (which tolerate two frames) cannot tell 1 % apart over a few seconds. Returns
    `alignment` unchanged when too few peaks pair up."""
    ref_t, ref_f = ref
    rec_t, rec_f = rec
    g_anchor = (alignment.anchor_s - origin_s) / FRAME_S
    scale = alignment.time_scale
    a, b = np.searchsorted(ref_t, [(first - g_anchor) * scale, (last - g_anchor) * scale])
    if b - a < 20 or rec_t.size == 0:
        return alignment
    g_pred = g_anchor + ref_t[a:b] / scale
    band_pred = ref_f[a:b] / 2 + alignment.band_shift
    # the closest recording peak in time within _PAIR_FRAMES and one half-band of each
    lo = np.searchsorted(rec_t, g_pred - _PAIR_FRAMES)
    hi = np.searchsorted(rec_t, g_pred + _PAIR_FRAMES, side="right")
    dt = np.full(g_pred.size, np.inf)
    df = np.zeros(g_pred.size)
    for k in range(int((hi - lo).max(initial=0))):
        j = lo + k
        ok = j < hi
        jj = np.where(ok, j, 0)
        d = rec_t[jj] - g_pred
        close = ok & (np.abs(rec_f[jj] - band_pred) <= 0.5) & (np.abs(d) < np.abs(dt))
        dt = np.where(close, d, dt)
        df = np.where(close, rec_f[jj] - band_pred, df)
    paired = np.isfinite(dt)
    if paired.sum() < 20:
        return alignment
    x = g_pred[paired] - g_pred.mean()
    y = dt[paired]
    keep = np.ones(x.size, bool)
    for _ in range(2):  # least squares, then again without the pairs it fits worst
        slope, offset = np.polyfit(x[keep], y[keep], 1)
        if np.ptp(x[keep]) < _MIN_RATE_FRAMES:  # too short a stretch to tell the rate
            slope, offset = 0.0, float(np.median(y[keep]))
        keep = np.abs(y - (offset + slope * x)) <= 1.5
        if keep.sum() < 20:
            return alignment
    middle = float(g_pred.mean())
    new_scale = scale / (1 + slope)
    new_anchor = g_anchor + offset + slope * (g_anchor - middle)
    band = alignment.band_shift + float(np.median(df[paired][keep]))
    tape_shift = float(np.log(new_scale) / BAND_LOG_STEP)
    # which kind of speed change: tape-style moves every peak by `tape_shift` bands; below a
    # tenth of a band (0.3 %) the two cannot be told apart, and tape-style is the radio habit
    tape = abs(tape_shift) < 0.1 or abs(band - tape_shift) < abs(band)
    return Alignment(
        alignment.track_id,
        origin_s + new_anchor * FRAME_S,
        float(new_scale),
        float(np.log(new_scale) / BAND_LOG_STEP) if tape else 0.0,
        float(new_scale) if tape else 1.0,
    )

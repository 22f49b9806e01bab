"""Checking a candidate alignment peak by peak against the catalog's stored peaks.

Hash votes find candidates; a vote needs every peak of its key to survive the query's noise, a
verified peak only itself, so checking the best bins peak by peak separates true alignments
from lucky ones far better (reference_peaks.py). The score is in standard deviations above
what chance gives for this query's peak coverage, so one threshold holds for short and long
queries and for small and large catalogs.

A clip query also brings its spectral evidence (spectral_evidence.py): how loud the clip is
under every reference peak, not only where it kept a peak, which is what survives heavy noise.
Its score is then EVIDENCE_WEIGHT x (peak score + evidence z), on the same threshold.

A score alone is not the whole rule: audio with no musical structure (a tone, hiss, a hum)
can pile coincidences into one place. A match must also be *spread*: its verified peaks must
lie in at least MIN_MATCHED_BANDS distinct bands and MIN_MATCHED_SECONDS distinct seconds
(`Verified.spread_ok`), otherwise it scores 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radiowatch.engine.fingerprint.landmarks import FRAME_S, N_BANDS
from radiowatch.engine.fingerprint.spectral_evidence import evidence_z


@dataclass(frozen=True)
class Candidate:
    time_scale: float
    band_shift: float
    speed: float
    tempo: float


@dataclass(frozen=True)
class RawMatch:
    position: int  # global reference frame where the query starts (may lie before the song)
    votes: int
    score: float
    candidate: Candidate
    query_start_frame: int
    # median global reference frame of the winning bin's hits: inside the matched track even
    # when the query starts before it (song starts late in the query, or after silence)
    ref_position: int = 0
    # scored by verification_score (peak by peak) rather than by hash votes
    verified: bool = False


def calibrated_score(votes: float, n_query_hashes: int, expected_hits_per_bin: float) -> float:
    """Votes above the chance background, in a unit where a threshold transfers across sizes.

    Chance hits are roughly Poisson over bins; the best of many bins of a random query sits a
    few standard deviations above the mean. Score = votes minus the mean, over sqrt(mean+1):
    big for real matches, small (< ~6) for the luckiest random bin.
    """
    lam = expected_hits_per_bin
    return float((votes - lam) / np.sqrt(lam + 1.0))


# Bins (by hash votes) checked peak by peak: under heavy noise the true alignment is often
# among the best few bins without being the best one. 20 found one more 10 s pink-noise query
# at 0 dB than 10 on the benchmark, with the same best negative score; it costs ~0.1 ms a bin.
VERIFY_TOP = 20
# Query peaks count within +-2 frames and +-1 half-band of a reference peak: the speed grid's
# 1 % steps leave up to ~1.5 frames of drift at the ends of a 10 s query.
VERIFY_DT = 2
# The spread rule: verified peaks in at least this many distinct bands and distinct seconds
# (fewer seconds only if the query is shorter). A 10 s clip of music that matches verifies
# peaks in dozens of bands and every second; a tone, a hum or a beep occupies a few bands.
MIN_MATCHED_BANDS = 6
MIN_MATCHED_SECONDS = 3
# A clip query that carries its spectral evidence (spectral_evidence.py) is scored
# EVIDENCE_WEIGHT x (peak score + evidence z). The two err on different queries; their sum
# separated noisy true matches from beat-driven decoys at 1,000 and 10,000 tracks better than
# either alone, and 0.7 puts the sum's threshold on the peak score's (catalog.MATCH_THRESHOLD:
# 0.3 above the best negative's sum, bench/fingerprint/RESULTS.md, session 17). Peaks without
# evidence (stream windows, archived peaks) keep the peak score alone.
EVIDENCE_WEIGHT = 0.7


def verification_score(peaks, cand: Candidate, position: int, reference_peaks) -> float:
    """How many of the reference's peaks under the aligned query have a query peak next to them,
    above what chance would give, in standard deviations.

    Hash votes need every peak of a key to survive noise; a single peak survives far more
    often, so checking the alignment peak by peak separates true matches from lucky bins by a
    much wider margin.

    Chance is judged per reference peak, from how much of the query's (widened) peak grid is
    busy in that peak's frame and in its band (independence of the two margins), not from the
    grid's overall coverage: beat-driven music has frames where the query is busy across all
    bands (drum hits) and sustained notes busy a band for seconds, and two songs with a
    similar beat line those up at a common tempo. With one overall rate, held-out electronic
    music scored up to 11 against 1,000 decoys and 14 against 10,000 (threshold then 8); with
    the per-frame, per-band rate, 5.5 and 5.9 (bench/fingerprint/RESULTS.md, session 15).
    """
    if len(peaks) == 0:
        return 0.0
    tq = np.rint(peaks.t * cand.time_scale).astype(np.int64) + position
    fq = np.rint((peaks.f - cand.band_shift) * 2).astype(np.int64)
    lo, hi = int(tq.min()), int(tq.max()) + 1
    rt, rf = reference_peaks(lo, hi)
    n = rt.size
    if n == 0:
        return 0.0
    # query peaks, widened by the tolerance, on a (frame, half-band) grid over the window
    width, height = hi - lo + 2 * VERIFY_DT, 2 * N_BANDS + 2
    grid = np.zeros((width, height), bool)
    rows, cols = tq - lo + VERIFY_DT, np.clip(fq + 1, 1, height - 2)
    for dt in range(-VERIFY_DT, VERIFY_DT + 1):
        for df in (-1, 0, 1):
            grid[rows + dt, cols + df] = True
    matched = grid[rt - lo + VERIFY_DT, np.clip(rf + 1, 0, height - 1)]
    if not _spread_ok(rt[matched] - lo, rf[matched], hi - lo):
        return 0.0
    m = int(matched.sum())
    # chance per reference peak from how busy the query is in that peak's frame and band
    p_all = max(float(grid.mean()), 1e-9)
    rows_p = grid.mean(axis=1)[rt - lo + VERIFY_DT]
    cols_p = grid.mean(axis=0)[np.clip(rf + 1, 0, height - 1)]
    p_i = np.clip(rows_p * cols_p / p_all, 0.0, 1.0)
    mean = float(p_i.sum())
    score = float((m - mean) / np.sqrt(float((p_i * (1 - p_i)).sum()) + 1.0))
    if peaks.evidence is None:
        return score
    z = evidence_z(peaks.evidence, rt, rf, position, cand.time_scale, cand.band_shift)
    return score if z is None else EVIDENCE_WEIGHT * (score + z)


def _spread_ok(frames: np.ndarray, half_bands: np.ndarray, span_frames: int) -> bool:
    """Whether verified peaks cover enough distinct bands and seconds (module docstring)."""
    seconds = np.unique((frames * FRAME_S).astype(np.int64)).size
    need_seconds = min(MIN_MATCHED_SECONDS, max(int(span_frames * FRAME_S), 1))
    return np.unique(half_bands // 2).size >= MIN_MATCHED_BANDS and seconds >= need_seconds

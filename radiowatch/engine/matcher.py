"""Matching a query against the index: multi-speed hash lookup and offset voting.

A query's peak pairs are hashed once per candidate playback change (tape-style speed, where
pitch and tempo move together, and pure time-stretch); every hash hit votes for (candidate,
reference start frame). A true match piles votes on one bin; chance hits scatter over millions
of bins. The best bins are then verified peak by peak against the catalog's stored peaks
(`verification_score`): the score says how far above chance the aligned peaks coincide, so one
threshold holds for short and long queries and for small and large catalogs. Without stored
peaks (an older index) the best bin's votes are compared with the chance level instead
(`calibrated_score`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from radiowatch.engine.fingerprint import (
    BAND_LOG_STEP,
    MAX_DT,
    N_BANDS,
    QUERY_DENSITY,
    find_peaks,
    make_pairs,
    quantise,
)

# (time_scale, band_shift, speed factor reported): tape-style speeds, then time-stretches.
_SPEEDS = (1.0, 1.01, 0.99, 1.02, 0.98, 1.03, 0.97, 1.04, 0.96, 1.05, 0.95)
_TEMPOS = (1.01, 0.99, 1.02, 0.98, 1.03, 0.97, 1.04, 0.96)


@dataclass(frozen=True)
class Candidate:
    time_scale: float
    band_shift: float
    speed: float
    tempo: float


CANDIDATES: tuple[Candidate, ...] = tuple(
    [Candidate(s, float(np.log(s) / BAND_LOG_STEP), s, s) for s in _SPEEDS]
    + [Candidate(s, 0.0, 1.0, s) for s in _TEMPOS]
)


class HashLookup(Protocol):
    """The index as the matcher sees it. It may also have `reference_peaks(lo, hi)` returning
    the catalog's peaks (global frames, half-bands) in a window; then candidates are verified
    peak by peak (see reference_peaks.py)."""

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `hashes`, reference position) of every hit."""

    @property
    def total_frames(self) -> int: ...


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


def _vote_tolerant(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys with votes counted over key-1, key, key+1 (jitter of one frame).

    (Weighting votes by how rare a hash is in the catalog was tried: it lost 10 % recall at
    the same false-positive rate on the benchmark, so every hit counts one.)
    """
    uniq, counts = np.unique(keys, return_counts=True)
    total = counts.copy()
    # uniq is sorted, so key+1 can only be the next unique key
    adjacent = uniq[1:] == uniq[:-1] + 1
    total[:-1][adjacent] += counts[1:][adjacent]
    total[1:][adjacent] += counts[:-1][adjacent]
    return uniq, total


def calibrated_score(votes: int, n_query_hashes: int, expected_hits_per_bin: float) -> float:
    """Votes above the chance background, in a unit where a threshold transfers across sizes.

    Chance hits are roughly Poisson over bins; the best of many bins of a random query sits a
    few standard deviations above the mean. Score = votes minus the mean, over sqrt(mean+1):
    big for real matches, small (< ~6) for the luckiest random bin.
    """
    lam = expected_hits_per_bin
    return float((votes - lam) / np.sqrt(lam + 1.0))


def match(samples: np.ndarray, table: HashLookup, *, peaks=None) -> RawMatch | None:
    """Best (reference position, playback change) for a query, or None without any hits."""
    if peaks is None:
        peaks = find_peaks(samples, QUERY_DENSITY.peaks_per_s)
    pairs = make_pairs(peaks, QUERY_DENSITY.fanout, max_dt=MAX_DT * 1.06)
    all_h, all_t, all_c = [], [], []
    for ci, cand in enumerate(CANDIDATES):
        h, t = quantise(pairs, cand.time_scale, cand.band_shift)
        all_h.append(h)
        all_t.append(t)
        all_c.append(np.full(h.size, ci, np.int64))
    if not all_h or sum(h.size for h in all_h) == 0:
        return None
    h = np.concatenate(all_h)
    t = np.concatenate(all_t)
    c = np.concatenate(all_c)
    q_idx, pos = table.lookup(h)
    if q_idx.size == 0:
        return None
    offset = pos.astype(np.int64) - np.rint(t[q_idx]).astype(np.int64)
    keys = c[q_idx] * (1 << 40) + (offset + (1 << 36))
    uniq_k, votes = _vote_tolerant(keys)
    n_q = int(h.size)
    # chance hits per bin: hits spread over (catalog frames x 3 tolerant bins) per candidate
    frames = max(table.total_frames, 1)
    lam = q_idx.size / len(CANDIDATES) / frames * 3.0
    verify = getattr(table, "reference_peaks", None)
    top = _top_bins(votes, VERIFY_TOP if verify is not None else 1)
    best, best_score = int(top[0]), None
    for b in top:
        key = int(uniq_k[b])
        score = calibrated_score(float(votes[b]), n_q, lam)
        if verify is not None:
            score = verification_score(peaks, CANDIDATES[key >> 40], _position(key), verify)
        if best_score is None or score > best_score:
            best, best_score = int(b), score
    key = _centre_key(keys, int(uniq_k[best]))
    in_bin = np.abs(keys - key) <= 1
    position = _position(key)
    ref_position = int(np.median(pos[in_bin])) if in_bin.any() else position
    return RawMatch(position, int(round(votes[best])), float(best_score), CANDIDATES[key >> 40],
                    0, ref_position, verified=verify is not None)


def _position(key: int) -> int:
    return (key & ((1 << 40) - 1)) - (1 << 36)

# Bins (by hash votes) checked peak by peak: under heavy noise the true alignment is often
# among the best few bins without being the best one. 20 found one more 10 s pink-noise query
# at 0 dB than 10 on the benchmark, with the same best negative score; it costs ~0.1 ms a bin.
VERIFY_TOP = 20
# Query peaks count within +-2 frames and +-1 half-band of a reference peak: the speed grid's
# 1 % steps leave up to ~1.5 frames of drift at the ends of a 10 s query.
VERIFY_DT = 2


def _top_bins(votes: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k most-voted bins, best first (ties: lowest index first)."""
    # most bins hold one or two chance votes: partition only those that could be in the top k
    for floor in (4, 2, 0):
        idx = np.flatnonzero(votes >= floor)
        if idx.size >= k or floor == 0:
            break
    if idx.size > k:
        idx = idx[np.argpartition(votes[idx], -k)[-k:]]
    return idx[np.lexsort((idx, -votes[idx]))]


def verification_score(peaks, cand: Candidate, position: int, reference_peaks) -> float:
    """How many of the reference's peaks under the aligned query have a query peak next to them,
    above what chance would give, in standard deviations.

    Hash votes need both peaks of a pair to survive noise; a single peak survives far more
    often, so checking the alignment peak by peak separates true matches from lucky bins by a
    much wider margin.
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
    m = int(grid[rt - lo + VERIFY_DT, np.clip(rf + 1, 0, height - 1)].sum())
    p = float(grid.mean())
    mean = n * p
    return float((m - mean) / np.sqrt(mean * (1 - p) + 1.0))


def _centre_key(keys: np.ndarray, best: int) -> int:
    """The key with the most direct hits among best-1, best, best+1.

    Tolerant votes tie between neighbours (a bin and the one beside it share most hits), and
    argmax takes the lowest: without this the reported start is one frame early, which puts
    a query at a track's very start one frame before its base, i.e. in the previous track.
    """
    near = keys[np.abs(keys - best) <= 1]
    vals, counts = np.unique(near, return_counts=True)
    top = vals[counts == counts.max()]
    return int(top[np.argmin(np.abs(top - best))]) if best not in top else best

"""Matching a query against the index: multi-speed hash lookup and offset voting.

A query's peak pairs are hashed once per candidate playback change (tape-style speed, where
pitch and tempo move together, and pure time-stretch); every hash hit votes for (candidate,
reference start frame). A true match piles votes on one bin; chance hits scatter over millions
of bins. The score compares the winning bin with what chance would give this query against
this index (see `calibrated_score`), so one threshold holds for short and long queries and for
small and large catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from radiowatch.engine.fingerprint import (
    BAND_LOG_STEP,
    MAX_DT,
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


def _vote_tolerant(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys with votes counted over key-1, key, key+1 (jitter of one frame).

    (Weighting votes by how rare a hash is in the catalog was tried: it lost 10 % recall at
    the same false-positive rate on the benchmark, so every hit counts one.)
    """
    uniq, counts = np.unique(keys, return_counts=True)
    total = counts.copy()
    for d in (-1, 1):
        idx = np.searchsorted(uniq, uniq + d)
        idx_c = np.minimum(idx, uniq.size - 1)
        hit = (idx < uniq.size) & (uniq[idx_c] == uniq + d)
        total[hit] += counts[idx_c[hit]]
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
    best = int(np.argmax(votes))
    key = _centre_key(keys, int(uniq_k[best]))
    cand = CANDIDATES[key >> 40]
    position = (key & ((1 << 40) - 1)) - (1 << 36)
    in_bin = np.abs(keys - key) <= 1
    ref_position = int(np.median(pos[in_bin])) if in_bin.any() else position
    n_q = int(h.size)
    # chance hits per bin: hits spread over (catalog frames x 3 tolerant bins) per candidate
    frames = max(table.total_frames, 1)
    lam = q_idx.size / len(CANDIDATES) / frames * 3.0
    score = calibrated_score(float(votes[best]), n_q, lam)
    return RawMatch(int(position), int(round(votes[best])), score, cand, 0, ref_position)


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

"""Matching a query against the index: multi-speed hash lookup and offset voting.

A query's peak pairs are hashed once per candidate playback change (tape-style speed, where
pitch and tempo move together, and pure time-stretch); every hash hit votes for (candidate,
reference start frame). A true match piles votes on one bin; chance hits scatter over millions
of bins. The best bins are then verified peak by peak against the catalog's stored peaks
(`verification_score`): the score says how far above chance the aligned peaks coincide, so one
threshold holds for short and long queries and for small and large catalogs. Without stored
peaks (an older index) the best bin's votes are compared with the chance level instead
(`calibrated_score`). Candidates are searched in rings outward from the original speed, and a
clear match ends the search early (`EARLY_EXIT_SCORE`): hits, and sorting them for the vote,
grow with the catalog, so most of a large catalog's query time is spent per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from radiowatch.engine.fingerprint.landmarks import (
    BAND_LOG_STEP,
    MAX_DT,
    N_BANDS,
    QUERY_DENSITY,
    find_peaks,
    make_pairs,
    quantise,
)

# Tape-style speeds (pitch and tempo together) and time-stretches (tempo only), searched in
# rings of growing distance from the original speed: 1.00, then +-1 % of each kind, +-2 %, ...
_STEPS = (0.01, 0.02, 0.03, 0.04, 0.05)
_MAX_TEMPO_STEP = 0.04


@dataclass(frozen=True)
class Candidate:
    time_scale: float
    band_shift: float
    speed: float
    tempo: float


def _speed(s: float) -> Candidate:
    return Candidate(s, float(np.log(s) / BAND_LOG_STEP), s, s)


def _tempo(s: float) -> Candidate:
    return Candidate(s, 0.0, 1.0, s)


CANDIDATES: tuple[Candidate, ...] = tuple(
    [_speed(1.0)]
    + [
        c
        for d in _STEPS
        for c in (_speed(round(1 + d, 2)), _speed(round(1 - d, 2)))
        + ((_tempo(round(1 + d, 2)), _tempo(round(1 - d, 2))) if d <= _MAX_TEMPO_STEP else ())
    ]
)
# where each ring of CANDIDATES ends
_RINGS = tuple(
    1 + sum(4 if d <= _MAX_TEMPO_STEP else 2 for d in _STEPS[:i]) for i in range(len(_STEPS) + 1)
)


def _neighbours(ci: int) -> tuple[int, ...]:
    """Tape-speed candidates one grid step away (none for time-stretches).

    Votes fall off sharply one speed step from the true speed (every peak moves a third of a
    band), which is what the early exit checks; between neighbouring time-stretches they are
    nearly flat (a 1 % stretch moves a 10 s query's ends by 3 frames), so there they would
    only chain the search outward, and a stretch found one step off still has the right start.
    """
    a = CANDIDATES[ci]
    if a.speed != a.tempo:
        return ()
    return tuple(
        cj
        for cj, b in enumerate(CANDIDATES)
        if b.speed == b.tempo and abs(abs(a.speed - b.speed) - 0.01) < 1e-6
    )


_NEIGHBOURS = tuple(_neighbours(ci) for ci in range(len(CANDIDATES)))


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


def calibrated_score(votes: float, n_query_hashes: int, expected_hits_per_bin: float) -> float:
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
    hashed = [quantise(pairs, cand.time_scale, cand.band_shift) for cand in CANDIDATES]
    n_q = sum(h.size for h, _t in hashed)
    if n_q == 0:
        return None
    verify = getattr(table, "reference_peaks", None)
    search = _Search(peaks, table, verify, n_q)
    exits = set(_RINGS) if verify is not None and EARLY_EXIT_SCORE is not None else set()
    for ci in range(len(CANDIDATES)):
        search.add(ci, *hashed[ci])
        # most queries play at (or near) their original speed: the search stops once an
        # alignment verifies far above anything a non-match scores *and* the candidates next
        # to the most-voted such one (one step faster and slower) were searched and did not
        # get more votes, so a song played 2 % fast is not reported at 1 %, where it also
        # verifies
        if ci + 1 in exits and search.settled(ci + 1):
            break
    return search.result()


class _Search:
    """Votes per candidate, kept apart: bins of different candidates never share hits, so the
    best bins overall are the best of each candidate's best, and a candidate's hits are
    sorted on their own (smaller sorts, and the search can stop between candidates)."""

    def __init__(self, peaks, table: HashLookup, verify, n_q: int) -> None:
        self.peaks, self.table, self.verify, self.n_q = peaks, table, verify, n_q
        self.k = VERIFY_TOP if verify is not None else 1
        self.hits: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # ci -> (offsets, positions)
        self.bins: list[tuple[int, int, int]] = []  # (-votes, ci, offset)
        self.n_hits = 0
        self.scores: dict[tuple[int, int], float] = {}

    def add(self, ci: int, h: np.ndarray, t: np.ndarray) -> None:
        if h.size == 0:
            return
        q_idx, pos = self.table.lookup(h)
        if q_idx.size == 0:
            return
        offset = pos.astype(np.int64) - np.rint(t[q_idx]).astype(np.int64)
        self.hits[ci] = (offset, pos)
        self.n_hits += int(offset.size)
        offs, votes = _top_offsets(offset, self.k)
        self.bins.extend(zip((-votes).tolist(), [ci] * offs.size, offs.tolist(), strict=True))

    def top(self) -> list[tuple[int, int, int]]:
        """The k most-voted bins so far, best first (ties: lowest candidate, then offset)."""
        self.bins = sorted(self.bins)[: self.k]
        return self.bins

    def _score(self, bin_: tuple[int, int, int], lam: float) -> float:
        neg_votes, ci, off = bin_
        if self.verify is None:
            return calibrated_score(float(-neg_votes), self.n_q, lam)
        if (ci, off) not in self.scores:
            self.scores[ci, off] = verification_score(self.peaks, CANDIDATES[ci], off, self.verify)
        return self.scores[ci, off]

    def settled(self, searched: int) -> bool:
        """Whether some bin verifies at EARLY_EXIT_SCORE or more and, of those that do, the
        most-voted one's candidate has all its neighbours among the first `searched`.

        Votes, not verification scores, locate the speed: verification tolerates a frame or
        two and a half-band, so +-1 % candidates verify within a point of each other, while
        votes fall off sharply one speed step from the true speed. Only verified bins count:
        in a large catalog a chance bin can out-vote a noisy true one.
        """
        threshold = EARLY_EXIT_SCORE
        if threshold is None:  # no early exit: every candidate is searched
            return False
        clear = [b for b in self.top() if self._score(b, 0.0) >= threshold]
        if not clear:
            return False
        _v, ci, _o = clear[0]  # top() is sorted by votes
        return all(cj < searched for cj in _NEIGHBOURS[ci])

    def result(self) -> RawMatch | None:
        top = self.top()
        if not top:
            return None
        # chance hits per bin: hits spread over (catalog frames x 3 tolerant bins) per candidate
        lam = self.n_hits / len(CANDIDATES) / max(self.table.total_frames, 1) * 3.0
        best, best_score = top[0], None
        for b in top:
            score = self._score(b, lam)
            if best_score is None or score > best_score:
                best, best_score = b, score
        assert best_score is not None, "top is not empty, so the loop scored at least one bin"
        neg_votes, ci, off = best
        offset, pos = self.hits[ci]
        position = _centre_offset(offset, off)
        in_bin = np.abs(offset - position) <= 1
        ref_position = int(np.median(pos[in_bin])) if in_bin.any() else position
        return RawMatch(
            position,
            -neg_votes,
            float(best_score),
            CANDIDATES[ci],
            0,
            ref_position,
            verified=self.verify is not None,
        )


def _top_offsets(offset: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k start frames with the most tolerant votes and their votes, best first (ties:
    lowest frame first)."""
    low = int(offset.min())
    # the sort is most of a query's time at large catalogs: uint32 keys sort ~1.7x faster
    # than int64, and np.unique(return_counts=True) took twice as long as the sort itself
    dtype = np.uint32 if int(offset.max()) - low < 2**32 - 2 else np.int64
    s = np.sort((offset - low).astype(dtype))
    # a bin gets a second vote only from a hit within 1 of its key, so every hit of a bin with
    # two or more votes lies within 2 of a sorted neighbour: counting just those hits gives
    # those bins' exact votes, and most chance hits are alone and skip the counting
    close = (s[1:] - s[:-1]) <= 2
    keep = np.zeros(s.size, bool)
    keep[1:] |= close
    keep[:-1] |= close
    uniq, votes = _vote_tolerant(s[keep])
    if np.count_nonzero(votes >= 2) < k:  # single-vote bins make the cut: rank them all
        uniq, votes = _vote_tolerant(s)
    top = _top_bins(votes, k)
    return uniq[top].astype(np.int64) + low, votes[top]


def _vote_tolerant(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys of the sorted keys `s` with votes counted over key-1, key, key+1 (jitter of
    one frame).

    (Weighting votes by how rare a hash is in the catalog was tried: it lost 10 % recall at
    the same false-positive rate on the benchmark, so every hit counts one.)
    """
    if s.size == 0:
        return s, np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    uniq = s[starts]
    counts = np.diff(starts, append=s.size)
    total = counts.copy()
    # uniq is sorted, so key+1 can only be the next unique key
    adjacent = uniq[1:] == uniq[:-1] + 1
    total[:-1][adjacent] += counts[1:][adjacent]
    total[1:][adjacent] += counts[:-1][adjacent]
    return uniq, total


def _centre_offset(offset: np.ndarray, best: int) -> int:
    """The start frame with the most direct hits among best-1, best, best+1.

    Tolerant votes tie between neighbours (a bin and the one beside it share most hits), and
    argmax takes the lowest: without this the reported start is one frame early, which puts
    a query at a track's very start one frame before its base, i.e. in the previous track.
    """
    near = offset[np.abs(offset - best) <= 1]
    vals, counts = np.unique(near, return_counts=True)
    top = vals[counts == counts.max()]
    return int(top[np.argmin(np.abs(top - best))]) if best not in top else best


# Bins (by hash votes) checked peak by peak: under heavy noise the true alignment is often
# among the best few bins without being the best one. 20 found one more 10 s pink-noise query
# at 0 dB than 10 on the benchmark, with the same best negative score; it costs ~0.1 ms a bin.
VERIFY_TOP = 20
# After each ring of candidates, a best verification score at or above this ends the search
# if that candidate's neighbours were searched (None: always search every candidate).
# Non-matches score < 8 (MATCH_THRESHOLD), but 12 was not enough: a song played 2 % fast
# verified at 12-21 at speed 1.00-1.01 on a *repeat* of the heard passage (right track,
# wrong offset, 21 of 848 speed queries), while clean and MP3 queries score >= 25 at their
# speed. Near-threshold queries and non-matches still search every candidate.
EARLY_EXIT_SCORE: float | None = 25.0
# Query peaks count within +-2 frames and +-1 half-band of a reference peak: the speed grid's
# 1 % steps leave up to ~1.5 frames of drift at the ends of a 10 s query.
VERIFY_DT = 2


def _top_bins(votes: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k most-voted bins, best first (ties: lowest index first, also at the
    k-th place, so the choice does not depend on how a search was split up)."""
    if votes.size > k:
        kth = np.partition(votes, votes.size - k)[votes.size - k]
        idx = np.flatnonzero(votes >= kth)
    else:
        idx = np.arange(votes.size)
    return idx[np.lexsort((idx, -votes[idx]))][:k]


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

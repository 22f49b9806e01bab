"""Matching against a format-1 index (pair hashes), kept so an index serves while it upgrades.

Format 1 hashed peak *pairs* (21 bits), which a speed change alters, so a query is re-hashed
for 19 speed/tempo candidates; its cost grows with the catalog (see matcher.py for format 2).

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

from typing import Protocol

import numpy as np

from radiowatch.engine.fingerprint.landmarks import (
    BAND_LOG_STEP,
    MAX_DT,
    QUERY_DENSITY,
    find_peaks,
    make_pairs,
    quantise,
)
from radiowatch.engine.fingerprint.verification import (
    VERIFY_TOP,
    Candidate,
    RawMatch,
    calibrated_score,
    verification_score,
)
from radiowatch.engine.fingerprint.votes import centre_offset, top_offsets

# Tape-style speeds (pitch and tempo together) and time-stretches (tempo only), searched in
# rings of growing distance from the original speed: 1.00, then +-1 % of each kind, +-2 %, ...
_STEPS = (0.01, 0.02, 0.03, 0.04, 0.05)
_MAX_TEMPO_STEP = 0.04


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


# After each ring of candidates, a best verification score at or above this ends the search
# if that candidate's neighbours were searched (None: always search every candidate).
# (Tuned when this was the only matcher, on its scores then: non-matches < 8.) 12 was too low: a song played 2 % fast
# verified at 12-21 at speed 1.00-1.01 on a *repeat* of the heard passage (right track,
# wrong offset, 21 of 848 speed queries), while clean and MP3 queries score >= 25 at their
# speed. Near-threshold queries and non-matches still search every candidate.
EARLY_EXIT_SCORE: float | None = 25.0


class HashLookup(Protocol):
    """The index as the matcher sees it. It may also have `reference_peaks(lo, hi)` returning
    the catalog's peaks (global frames, half-bands) in a window; then candidates are verified
    peak by peak (see reference_peaks.py)."""

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `hashes`, reference position) of every hit."""

    @property
    def total_frames(self) -> int: ...


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
        offs, votes = top_offsets(offset, self.k)
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
        position = centre_offset(offset, off)
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

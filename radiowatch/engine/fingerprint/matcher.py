"""Matching a query against the index: one lookup per triplet key, a vote, then verification.

1. **Lookup.** The query's triplet keys (triplets.py) are looked up once each, at the 7 anchor
   shifts a tape-speed change of up to +-5 % can cause. A key says nothing about the time
   scale, so speed and tempo changes cost no extra lookups.
2. **Coarse vote.** Each hit implies a start frame (reference anchor frame minus query anchor
   frame, at speed 1.00). At up to +-5 % speed a 10 s query's true hits drift by at most 16
   frames, so they fall into one or two neighbouring 16-frame regions; the busiest regions
   (COARSE_TOP) are kept. Chance hits are few with specific keys (a region-first count lost
   noisy matches with pair hashes, whose chance hits buried them; RESULTS.md).
3. **Fine vote.** The kept hits vote per time scale (0.95-1.05 in 1 % steps) for a start frame,
   with a frame of tolerance; the best VERIFY_TOP alignments (one per start frame) go on, each
   at the scale its hits' slope says (`_fit_scale`).
4. **Verification** (verification.py) scores each against the catalog's stored peaks (and,
   when the matcher found the clip's peaks itself, by the clip's spectral evidence under
   them: spectral_evidence.py); tape
   speed or time-stretch is told apart by how far the hits' anchor bands moved.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from radiowatch.engine.fingerprint.landmarks import BAND_LOG_STEP, QUERY_DENSITY, find_peaks
from radiowatch.engine.fingerprint.triplets import query_keys
from radiowatch.engine.fingerprint.verification import (
    VERIFY_TOP,
    Candidate,
    RawMatch,
    calibrated_score,
    verification_score,
)
from radiowatch.engine.fingerprint.votes import centre_offset, top_bins, top_offsets

SCALES = tuple(round(0.95 + 0.01 * i, 2) for i in range(11))
COARSE_FRAMES = 16  # >= the drift of a 10 s query's hits between speed 1.00 and +-5 %
COARSE_TOP = 32
# Index entries a query reads at most (rarest keys first, index.SegmentSet.lookup). A 10 s
# query reads ~240,000 at 10,000 tracks, so below that size nothing is skipped; at 100,000
# tracks it would read ~2.5 million, most of them chance hits on the commonest keys.
POSTINGS_BUDGET = 600_000
# below this many hits every hit takes part in the fine vote (the coarse step is a saving for
# large catalogs, not a filter small ones need)
FINE_ALL_HITS = 20_000
# alignments within this many frames of a better-voted one are the same alignment at a
# neighbouring time scale
_SAME_ALIGNMENT = 3
# a scale is fitted to an alignment's hits when there are this many spanning this many frames
MIN_FIT_HITS = 6
MIN_FIT_SPAN = 90


class HashLookup(Protocol):
    """The index as the matcher sees it. It may also have `reference_peaks(lo, hi)` returning
    the catalog's peaks (global frames, half-bands) in a window; then candidates are verified
    peak by peak (verification.py)."""

    def lookup(self, keys: np.ndarray, budget: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(index into `keys`, reference position) of every hit; with a budget, about that
        many index entries at most, rarest keys first (index.SegmentSet.lookup)."""

    @property
    def total_frames(self) -> int: ...


def match(samples: np.ndarray, table: HashLookup, *, peaks=None) -> RawMatch | None:
    """Best (reference position, playback change) for a query, or None without any hits."""
    if peaks is None:
        peaks = find_peaks(samples, QUERY_DENSITY.peaks_per_s, with_evidence=True)
    qk = query_keys(peaks)
    if qk.keys.size == 0:
        return None
    q, pos = table.lookup(qk.keys, POSTINGS_BUDGET)
    if q.size == 0:
        return None
    t = qk.anchor_t[q]
    shift = qk.shift[q]
    ref = pos.astype(np.int64)
    n_hits = int(ref.size)
    if n_hits > FINE_ALL_HITS:
        keep = _busy_regions(ref - t)
        t, shift, ref = t[keep], shift[keep], ref[keep]
    alignments = _alignments(t, ref)
    verify = getattr(table, "reference_peaks", None)
    lam = n_hits / max(table.total_frames, 1) * 3.0  # chance hits per tolerant bin
    best: tuple[float, int, int, Candidate, np.ndarray] | None = None
    for votes, si0, off0 in alignments:
        si, off = _fit_scale(t, ref, si0, off0)
        offset = ref - np.rint(t * SCALES[si]).astype(np.int64)
        in_bin = np.abs(offset - off) <= 1
        cand = _candidate(SCALES[si], shift[in_bin])
        if verify is not None:
            score = verification_score(peaks, cand, off, verify)
        else:
            score = calibrated_score(float(votes), int(qk.keys.size), lam)
        if best is None or score > best[0]:
            best = (score, votes, off, cand, offset)
    assert best is not None, "a hit always makes at least one alignment"
    score, votes, off, cand, offset = best
    position = centre_offset(offset, off)
    in_bin = np.abs(offset - position) <= 1
    ref_position = int(np.median(ref[in_bin])) if in_bin.any() else position
    return RawMatch(
        position, votes, float(score), cand, 0, ref_position, verified=verify is not None
    )


def _busy_regions(start: np.ndarray) -> np.ndarray:
    """Mask of the hits in the COARSE_TOP busiest pairs of neighbouring 16-frame regions."""
    region = start // COARSE_FRAMES
    s = np.sort(region)
    first = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    uniq = s[first]
    count = np.diff(first, append=s.size)
    pair = count.copy()  # a region plus the next one: a true alignment spans at most two
    adjacent = uniq[1:] == uniq[:-1] + 1
    pair[:-1][adjacent] += count[1:][adjacent]
    top = uniq[top_bins(pair, COARSE_TOP)]
    kept = np.unique(np.concatenate([top, top + 1]))
    at = np.minimum(np.searchsorted(kept, region), kept.size - 1)
    return kept[at] == region


def _alignments(t: np.ndarray, ref: np.ndarray) -> list[tuple[int, int, int]]:
    """Up to VERIFY_TOP (votes, scale index, start frame), best first, one per start frame:
    the same alignment at neighbouring scales counts once, at its best-voted scale (ties: the
    scale nearest 1.00)."""
    bins: list[tuple[int, int, int, int]] = []
    for si, s in enumerate(SCALES):
        offs, votes = top_offsets(ref - np.rint(t * s).astype(np.int64), VERIFY_TOP)
        bins.extend(
            (-int(v), abs(si - len(SCALES) // 2), si, int(o))
            for v, o in zip(votes.tolist(), offs.tolist(), strict=True)
        )
    bins.sort()
    out: list[tuple[int, int, int]] = []
    for neg_votes, _d, si, off in bins:
        if all(abs(off - o) > _SAME_ALIGNMENT for _v, _s, o in out):
            out.append((-neg_votes, si, off))
            if len(out) == VERIFY_TOP:
                break
    return out


def _fit_scale(t: np.ndarray, ref: np.ndarray, si: int, off: int) -> tuple[int, int]:
    """The time scale the alignment's hits actually follow (a straight-line fit of reference
    frame on query frame), snapped to SCALES, and the start frame at that scale.

    Votes barely tell neighbouring scales apart (1 % over 10 s is 3 frames at the ends, and
    a vote tolerates one), so the best-voted scale can be a step or two off; the slope of the
    hits is not, once they span a few seconds.
    """
    near = np.abs(ref - np.rint(t * SCALES[si]).astype(np.int64) - off) <= 2
    th, rh = t[near].astype(np.float64), ref[near].astype(np.float64)
    if th.size < MIN_FIT_HITS or th.max() - th.min() < MIN_FIT_SPAN:
        return si, off
    slope = float(np.polyfit(th, rh, 1)[0])
    fit = int(np.argmin(np.abs(np.array(SCALES) - slope)))
    if fit == si:
        return si, off
    return fit, int(np.median(rh - np.rint(th * SCALES[fit])))


def _candidate(scale: float, shifts: np.ndarray) -> Candidate:
    """Tape speed (pitch moved with tempo) or time-stretch (pitch kept) at `scale`: whichever
    band shift is nearer to how far the hits' anchors moved (half-bands, QueryKeys.shift)."""
    tape = float(np.log(scale) / BAND_LOG_STEP)
    moved = float(np.mean(shifts)) / 2 if shifts.size else 0.0
    if scale == 1.0 or abs(moved - tape) < abs(moved):
        return Candidate(scale, tape, scale, scale)
    return Candidate(scale, 0.0, 1.0, scale)

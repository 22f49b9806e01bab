"""Counting hash hits into (candidate, start frame) bins, tolerant of a frame of jitter.

Shared by the matcher and the format-1 (pair-hash) matcher.
"""

from __future__ import annotations

import numpy as np


def top_offsets(offset: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
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
    uniq, votes = vote_tolerant(s[keep])
    if np.count_nonzero(votes >= 2) < k:  # single-vote bins make the cut: rank them all
        uniq, votes = vote_tolerant(s)
    top = top_bins(votes, k)
    return uniq[top].astype(np.int64) + low, votes[top]


def vote_tolerant(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def centre_offset(offset: np.ndarray, best: int) -> int:
    """The start frame with the most direct hits among best-1, best, best+1.

    Tolerant votes tie between neighbours (a bin and the one beside it share most hits), and
    argmax takes the lowest: without this the reported start is one frame early, which puts
    a query at a track's very start one frame before its base, i.e. in the previous track.
    """
    near = offset[np.abs(offset - best) <= 1]
    vals, counts = np.unique(near, return_counts=True)
    top = vals[counts == counts.max()]
    return int(top[np.argmin(np.abs(top - best))]) if best not in top else best


def top_bins(votes: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k most-voted bins, best first (ties: lowest index first, also at the
    k-th place, so the choice does not depend on how a search was split up)."""
    if votes.size > k:
        kth = np.partition(votes, votes.size - k)[votes.size - k]
        idx = np.flatnonzero(votes >= kth)
    else:
        idx = np.arange(votes.size)
    return idx[np.lexsort((idx, -votes[idx]))][:k]

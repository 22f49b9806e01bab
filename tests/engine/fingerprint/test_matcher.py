"""The matcher's vote and staged candidate search: same answers as voting everything, less work."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from radiowatch.engine.fingerprint import matcher
from radiowatch.engine.fingerprint.catalog import Catalog
from tests.engine.conftest import RATE, add_noise


def _brute_top(offset: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Every start frame's tolerant vote by definition, best k first (ties: lowest frame)."""
    uniq = np.unique(offset)
    votes = np.array([np.count_nonzero(np.abs(offset - u) <= 1) for u in uniq])
    order = np.lexsort((uniq, -votes))[:k]
    return uniq[order], votes[order]


@pytest.mark.parametrize("seed", range(6))
def test_top_offsets_equal_the_vote_over_every_hit(seed):
    rng = np.random.default_rng(seed)
    chance = rng.integers(-300, 40_000, 3_000)
    # a few aligned clusters with one frame of jitter, as true and lucky alignments give
    clusters = [c + rng.integers(-1, 2, n) for c, n in ((5_000, 30), (17_000, 9), (-200, 4))]
    offset = rng.permutation(np.concatenate([chance, *clusters])).astype(np.int64)
    for k in (1, 20):
        got = matcher._top_offsets(offset, k)
        want = _brute_top(offset, k)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_top_offsets_rank_single_votes_when_few_bins_have_more():
    offset = np.array([900, 10, 11, 500, 300, 7_000], np.int64)  # one pair, the rest alone
    offs, votes = matcher._top_offsets(offset, 4)
    assert offs.tolist() == [10, 11, 300, 500] and votes.tolist() == [2, 2, 1, 1]


class _CountingTable:
    """A catalog snapshot that counts hash lookups (one per candidate searched)."""

    def __init__(self, snap):
        self.snap, self.lookups = snap, 0
        self.total_frames = snap.total_frames
        self.reference_peaks = snap.reference_peaks

    def lookup(self, hashes):
        self.lookups += 1
        return self.snap.lookup(hashes)


@pytest.fixture
def snapshot(built_catalog):
    with Catalog.open(built_catalog) as cat:
        yield cat._snapshot


def _both(snapshot, q, monkeypatch):
    staged = _CountingTable(snapshot)
    got = matcher.match(q, staged)
    monkeypatch.setattr(matcher, "EARLY_EXIT_SCORE", None)
    full = _CountingTable(snapshot)
    want = matcher.match(q, full)
    return got, staged.lookups, want, full.lookups


def test_a_clear_match_at_its_own_speed_stops_after_the_first_ring(snapshot, songs, monkeypatch):
    got, n_staged, want, n_full = _both(snapshot, songs[12][17 * RATE : 27 * RATE], monkeypatch)
    # the first ring: speed 1.00, +-1 % speed, +-1 % tempo
    assert n_staged == 5 and n_full == len(matcher.CANDIDATES)
    assert got.score >= 25.0
    assert (got.position, got.ref_position, got.candidate) == (
        want.position,
        want.ref_position,
        want.candidate,
    )


def test_a_speed_changed_clip_is_not_reported_at_a_neighbouring_speed(snapshot, songs, monkeypatch):
    # this clip also verifies at 27 at speed 1.00 (47 at 1.02): stopping there would report
    # the wrong speed and a start 4 frames off
    q = resample_poly(songs[11][10 * RATE : 21 * RATE], 100, 102).astype(np.float32)[: 10 * RATE]
    got, n_staged, want, _n_full = _both(snapshot, q, monkeypatch)
    assert n_staged == 13  # up to the +-3 % ring: 1.02's neighbours are 1.01 and 1.03
    assert got.candidate.speed == want.candidate.speed == 1.02
    assert (got.position, got.score) == (want.position, want.score)


def test_audio_not_in_the_catalog_searches_every_candidate(snapshot, songs, monkeypatch):
    got, n_staged, want, _n_full = _both(snapshot, songs[14][8 * RATE : 18 * RATE], monkeypatch)
    assert n_staged == len(matcher.CANDIDATES)
    assert got.score == want.score < 8.0


def test_a_weak_match_gets_the_full_search(snapshot, songs, monkeypatch):
    q = add_noise(songs[13][5 * RATE : 15 * RATE], -9)
    got, n_staged, want, _n_full = _both(snapshot, q, monkeypatch)
    assert 8.0 <= want.score < 25.0
    assert n_staged == len(matcher.CANDIDATES)
    assert (got.position, got.score) == (want.position, want.score)

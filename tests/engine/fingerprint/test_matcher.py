"""The matcher: the right track, offset and speed among many decoys; nothing for audio that is
not in the catalog, and never anything for silence, hiss, noise or tones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import resample_poly

from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.landmarks import FRAME_S
from radiowatch.engine.fingerprint.votes import top_offsets
from tests.engine.conftest import RATE, add_noise, synth_song

DECOYS = range(100, 130)


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
        got = top_offsets(offset, k)
        want = _brute_top(offset, k)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_top_offsets_rank_single_votes_when_few_bins_have_more():
    offset = np.array([900, 10, 11, 500, 300, 7_000], np.int64)  # one pair, the rest alone
    offs, votes = top_offsets(offset, 4)
    assert offs.tolist() == [10, 11, 300, 500] and votes.tolist() == [2, 2, 1, 1]


@pytest.fixture(scope="module")
def crowded(tmp_path_factory, songs):
    """Songs 11-13 among 30 decoy songs (each its own melody, mode, tempo and drums)."""
    root = tmp_path_factory.mktemp("crowded")
    with Catalog.open(root) as cat:
        for seed in DECOYS:
            cat.add_samples(synth_song(seed, 25.0), track_id=f"decoy{seed}")
        for seed in (11, 12, 13):
            cat.add_samples(songs[seed], track_id=f"song{seed}")
    return root


def _identify(root, samples):
    with Catalog.open(root) as cat:
        return cat.identify(samples)


@pytest.mark.parametrize(
    ("seed", "start", "speed"),
    [(11, 7.0, 1.0), (12, 21.5, 1.0), (13, 3.0, 1.03), (12, 14.0, 0.97), (11, 25.0, 1.05)],
)
def test_a_clip_matches_at_its_offset_and_speed_among_decoys(crowded, songs, seed, start, speed):
    piece = songs[seed][int(start * RATE) : int((start + 11) * RATE)]
    # tape-style: resampling plays `speed` times as fast, pitch and tempo together
    q = resample_poly(piece, 100, int(round(100 * speed))).astype(np.float32)[: 10 * RATE]
    m = _identify(crowded, q)
    assert m is not None and m.track.track_id == f"song{seed}"
    assert abs(m.offset_s - start) <= 2 * FRAME_S
    assert abs(m.speed - speed) <= 0.011 and abs(m.tempo - speed) <= 0.011


def test_a_time_stretched_clip_matches_with_its_tempo_and_the_pitch_kept(crowded):
    song = synth_song(DECOYS[4], 25.0, tempo=1.03)  # the same notes, 3 % faster, same pitch
    m = _identify(crowded, song[int(6 * RATE) : int(16 * RATE)])
    assert m is not None and m.track.track_id == f"decoy{DECOYS[4]}"
    assert m.speed == 1.0 and abs(m.tempo - 1.03) <= 0.011
    assert abs(m.offset_s - 6 * 1.03) <= 0.15


def test_a_noisy_clip_still_matches(crowded, songs):
    m = _identify(crowded, add_noise(songs[13][12 * RATE : 22 * RATE], 0, seed=5))
    assert m is not None and m.track.track_id == "song13"
    assert abs(m.offset_s - 12.0) <= 2 * FRAME_S


def test_music_that_is_not_in_the_catalog_does_not_match(crowded, songs):
    assert _identify(crowded, songs[14][8 * RATE : 18 * RATE]) is None
    assert _identify(crowded, synth_song(999, 12.0)[: 10 * RATE]) is None


def _tone(freqs, seconds=10.0, level=0.5):
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)).astype(np.float32)


def _unstructured() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 10 * RATE
    white = rng.standard_normal(n)
    pink = np.cumsum(white) * 0.02
    pink -= np.convolve(pink, np.ones(400) / 400, mode="same")  # no drift, ~1/f below ~20 Hz
    t = np.arange(n) / RATE
    return {
        "silence": np.zeros(n, np.float32),
        "digital silence with dither": (rng.integers(-1, 2, n) / 32768).astype(np.float32),
        "hiss at -60 dB": (1e-3 * white).astype(np.float32),
        "white noise": (0.3 * white).astype(np.float32),
        "pink-ish noise": (0.3 * pink / np.abs(pink).max()).astype(np.float32),
        "1 kHz tone": _tone([1000.0]),
        "DTMF": _tone([770.0, 1336.0]),
        "hum with harmonics": _tone([50.0 * k for k in range(1, 12)]),
        "sweep": (0.5 * np.sin(2 * np.pi * (200 * t + 150 * t**2))).astype(np.float32),
        "beeps": _tone([880.0]) * (np.sin(2 * np.pi * 2 * t) > 0),
    }


@pytest.mark.parametrize("name", list(_unstructured()))
def test_silence_hiss_noise_and_tones_never_match(crowded, name):
    assert _identify(crowded, _unstructured()[name]) is None

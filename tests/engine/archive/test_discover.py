"""Discover finds the unknown audio that keeps coming back, one row per piece however often it
aired, and not the talk around it nor a song's own repeated chorus."""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.discover import Stretch, discover
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song
from tests.engine.archive.feed import babble
from tests.engine.archive.test_found_later_search import ORIGIN, SR, _archived_peaks


@pytest.fixture(scope="module")
def programme():
    """Two stations: X (30 s) airs 4 times, Y (12 s, a jingle) 3 times, Z twice; talk between,
    every stretch of talk different."""
    x, y, z = (render_song(r, s, SR) for r, s in zip(DEMO_SONGS[4:7], (30, 12, 30), strict=True))
    talk = iter(range(100))

    def station(items):
        parts, aired = [], []
        for item in items:
            if item is None:
                parts.append(babble(25, next(talk), SR))
                continue
            name, samples = item
            at = sum(p.size for p in parts) / SR
            aired.append((name, ORIGIN + at, ORIGIN + at + samples.size / SR))
            parts.append(samples)
        audio = np.concatenate(parts)
        peaks = _archived_peaks(audio)
        return Stretch(0, ORIGIN, peaks.frames, peaks.half_bands), aired

    one, aired_one = station(
        [None, ("x", x), None, ("y", y), None, ("z", z), None, ("x", x), None, ("y", y), None]
    )
    two, aired_two = station([None, ("x", x), None, ("y", y), None, ("x", x), None, ("z", z)])
    two = Stretch(1, two.start_s + 100_000, two.frames, two.half_bands)
    aired_two = [(n, a + 100_000, b + 100_000) for n, a, b in aired_two]
    return [one, two], aired_one + aired_two


def test_repeated_unknown_audio_is_one_row_per_piece(programme):
    stretches, aired = programme
    rows = discover(stretches, min_count=3, same_airing_s=60)
    assert len(rows) == 2
    x, y = rows
    assert len(x.airings) == 4 and x.kind_hint == "ad"
    assert x.length_s == pytest.approx(30, abs=4)
    assert {a.radio_id for a in x.airings} == {0, 1}
    truth_x = sorted(a for name, a, _b in aired if name == "x")
    assert sorted(a.start_s for a in x.airings) == pytest.approx(truth_x, abs=4)
    assert len(y.airings) == 3 and y.kind_hint == "jingle"
    assert y.length_s == pytest.approx(12, abs=4)


def test_twice_is_not_enough_and_nothing_is_found_in_talk(programme):
    stretches, _aired = programme
    rows = discover(stretches, min_count=5, same_airing_s=60)
    assert rows == []
    talk = np.concatenate([babble(25, seed, SR) for seed in range(200, 210)])
    peaks = _archived_peaks(talk)
    assert discover([Stretch(3, ORIGIN, peaks.frames, peaks.half_bands)], min_count=2) == []
    assert fp.SAMPLE_RATE == SR

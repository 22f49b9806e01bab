from __future__ import annotations

import pytest

from radiowatch.audjust.analysis import analyze_signal
from tests.audjust.music import make_song, write_wav
from tests.fakes.fake_audjust import FakeAudjust


@pytest.fixture(scope="session")
def song():
    """ABAB at 128 BPM, 8 bars per section: 60 s, sections of 15 s."""
    return make_song(tempo=128.0, bars_per_section=8, form="ABAB")


@pytest.fixture(scope="session")
def song_analysis(song):
    return analyze_signal(song.samples, raw_features=True, name="song")


@pytest.fixture
def song_wav(song, tmp_path):
    return write_wav(tmp_path / "abab.wav", song.samples, channels=2)


@pytest.fixture
def fake_audjust():
    server = FakeAudjust().start()
    yield server
    server.stop()

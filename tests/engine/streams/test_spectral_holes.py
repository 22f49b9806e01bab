"""The holes test (spectral_holes.py): music ducked under loud talk leaves no holes where its
loud peaks should be, talk without it leaves many; a quiet stretch tells nothing; the peak
stream keeps the spectrogram as if the audio had been analysed at once. (That it places
starts the other tests miss is checked end to end in test_playlog.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song, render_talk
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.landmarks import FRAME_S, band_spectrogram
from radiowatch.engine.streams.alignment import Alignment
from radiowatch.engine.streams.peak_stream import PeakStream
from radiowatch.engine.streams.play_detection import DetectionSettings
from radiowatch.engine.streams.spectral_holes import OnAir, level_gaps, loud_until
from tests.engine.streams.delivered import stream_of

RATE = 8000
DUCK = 10 ** (-14 / 20)


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return render_song(DEMO_SONGS[3], 40.0, RATE)


@pytest.fixture(scope="module")
def track(song, tmp_path_factory):
    """The song's stored peaks and their levels, as the catalog keeps them."""
    with Catalog.open(tmp_path_factory.mktemp("holes-catalog")) as catalog:
        catalog.add_samples(song, track_id="s1", title="Song")
        peaks, levels = catalog.track_peaks("s1"), catalog.track_levels("s1")
    assert peaks is not None and levels is not None
    return peaks, levels


def talked_over(song: np.ndarray, *, music: bool = True) -> np.ndarray:
    """10 s of talk, then 30 s of the song (or silence) under 14 s of loud talk, the music
    ducked 14 dB while the voice is on."""
    bed = song[: 30 * RATE].copy() if music else np.zeros(30 * RATE, np.float32)
    bed[: 15 * RATE] *= DUCK
    out = np.concatenate([render_talk(10, RATE, seed=1), bed])
    out[int(10.5 * RATE) : int(24.5 * RATE)] += 2 * render_talk(14, RATE, seed=2)
    return out.astype(np.float32)


def gaps_of(stream: PeakStream, track, lo: float, hi: float):
    """level_gaps of the song aired from 10 s, over [lo, hi) seconds of `stream`."""
    first, last = int(round(lo / FRAME_S)), int(round(hi / FRAME_S))
    rows, rows_first = stream.spectrum(first - 2, last + 2)
    return level_gaps(rows, rows_first, *track, Alignment("s1", 10.0), 0.0, first, last)


def test_ducked_music_under_loud_talk_leaves_no_holes_where_talk_alone_leaves_many(song, track):
    with_music = stream_of(talked_over(song))
    without = stream_of(talked_over(song, music=False))
    on_air = OnAir.measure(*gaps_of(with_music, track, 26.0, 34.0))  # the song after the talk
    assert on_air is not None
    allowed = DetectionSettings().hole_share
    under_talk = [on_air.hole_share(*gaps_of(with_music, track, t, t + 1)) for t in range(11, 24)]
    assert all(s is not None and s <= allowed for s in under_talk)
    # the same talk where the song is not on air: its loud peaks' places are holes, often
    # enough that a start walking back over talk alone stops within 3 s
    talk_only = [on_air.hole_share(*gaps_of(without, track, t, t + 1)) for t in range(11, 24)]
    assert None not in talk_only
    assert all(max(talk_only[i : i + 3]) > allowed for i in range(len(talk_only) - 2))
    assert np.mean([s > allowed for s in talk_only]) >= 0.6


def test_only_the_tracks_loud_peaks_count_and_too_few_tell_nothing(song, track):
    silence_then_song = np.concatenate([np.zeros(10 * RATE, np.float32), song])
    gaps, levels = gaps_of(stream_of(silence_then_song), track, 5.0, 6.0)  # before the song
    assert gaps.size == 0  # no peak of the track falls there
    gaps, levels = gaps_of(stream_of(np.zeros(40 * RATE, np.float32)), track, 12.0, 13.0)
    faint = levels < float(np.median(levels)) - 6.0
    assert faint.any() and not faint.all()
    # silence where the song should be: every loud peak is a hole, faint ones are not counted
    measured = OnAir(gain=0.0, loud=float(np.median(levels)))
    assert measured.hole_share(gaps, levels) == 1.0
    assert OnAir(gain=0.0, loud=float(levels.max()) + 20).hole_share(gaps, levels) is None


def test_the_peak_stream_keeps_the_spectrogram_as_if_analysed_at_once(song):
    audio = talked_over(song)
    stream = stream_of(audio)
    rows, first = stream.spectrum(0, stream.final_frame)
    whole = band_spectrogram(audio)
    n = min(rows.shape[0], whole.shape[0])
    assert first == 0 and n > 1000
    assert np.allclose(rows[:n].astype(np.float32), whole[:n], atol=0.1)


def test_a_track_is_audible_until_its_loud_peaks_stop_not_until_its_quiet_tail_does(song, tmp_path):
    tail = song.copy()
    tail[30 * RATE :] *= 10 ** (-50 / 20)  # its last 10 s a dying tail
    with Catalog.open(tmp_path) as catalog:
        catalog.add_samples(tail, track_id="tail", title="Tail")
        peaks, levels = catalog.track_peaks("tail"), catalog.track_levels("tail")
    assert peaks is not None and levels is not None
    assert peaks[0][-1] * FRAME_S > 39  # peaks were stored in the tail ...
    assert loud_until(peaks[0], levels) == pytest.approx(30, abs=1)  # ... but it is not heard

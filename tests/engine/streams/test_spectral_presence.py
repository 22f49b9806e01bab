"""The level test of a known alignment (spectral_presence.py): music ducked under loud talk
still shows at its own alignment and not at another, peak by peak too; the peak stream keeps
the levels as if the audio had been analysed at once. (That it finds starts the peak test
misses is checked end to end in test_playlog.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song, render_talk
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.landmarks import FRAME_S, band_spectrogram, whiten
from radiowatch.engine.streams.alignment import Alignment, hits
from radiowatch.engine.streams.spectral_presence import contrast, peak_z, presence_z
from tests.engine.streams.delivered import stream_of

RATE = 8000


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return render_song(DEMO_SONGS[3], 40.0, RATE)


@pytest.fixture(scope="module")
def ref(song, tmp_path_factory) -> tuple[np.ndarray, np.ndarray]:
    with Catalog.open(tmp_path_factory.mktemp("presence-catalog")) as catalog:
        catalog.add_samples(song, track_id="s1", title="Song")
        peaks = catalog.track_peaks("s1")
    assert peaks is not None
    return peaks


def voiced(song: np.ndarray) -> np.ndarray:
    """10 s of talk, then the song under 14 s of loud talk, its music ducked 14 dB."""
    music = song[: 30 * RATE] * 10 ** (-14 / 20)
    out = np.concatenate([render_talk(10, RATE, seed=1), music])
    out[int(10.5 * RATE) : int(24.5 * RATE)] += 2 * render_talk(14, RATE, seed=2)
    return out.astype(np.float32)


def frames(t: float) -> int:
    return int(round(t / FRAME_S))


def test_ducked_music_under_loud_talk_shows_at_its_alignment_and_not_elsewhere(song, ref):
    stream = stream_of(voiced(song))
    levels, levels_first = stream.levels(0, stream.final_frame)
    right = Alignment("s1", 10.0)
    talked, clear = (frames(11), frames(24)), (frames(26), frames(32))
    assert presence_z(levels, levels_first, ref, right, 0.0, *talked) >= 2.0
    assert presence_z(levels, levels_first, ref, right, 0.0, *clear) >= 4.0
    # the same track 5 s off, or placed over the talk before the song: chance
    for wrong, stretch in ((Alignment("s1", 15.0), talked), (right, (frames(0), frames(10)))):
        assert abs(presence_z(levels, levels_first, ref, wrong, 0.0, *stretch)) < 1.5


def test_each_peak_gets_a_level_score_in_the_order_hits_takes_them(song, ref):
    stream = stream_of(voiced(song))
    levels, levels_first = stream.levels(0, stream.final_frame)
    right = Alignment("s1", 10.0)
    first, last = frames(12), frames(34)
    h, _ = hits(ref, stream.frames(0, stream.final_frame), right, 0.0, first, last)
    z = peak_z(levels, levels_first, ref, right, 0.0, first, last)
    assert z.shape == h.hit.shape
    talked, clear = h.times < 24.5, h.times >= 24.5
    assert 0.0 < z[talked].mean() < z[clear].mean()  # ducked, yet above chance
    # before the song nothing of it is there
    early = peak_z(levels, levels_first, ref, Alignment("s1", 10.0 - 8.0), 0.0, 0, frames(9))
    assert abs(early.mean()) < 0.3


def test_the_peak_stream_keeps_the_levels_of_the_whole_audio(song):
    audio = voiced(song)
    stream = stream_of(audio)
    levels, levels_first = stream.levels(0, stream.final_frame)
    assert levels_first == 0 and levels.shape[0] == stream.final_frame
    spec = band_spectrogram(audio)
    whole = contrast(whiten(spec))
    inner = slice(60, stream.final_frame - 60)  # away from the edges of the recording
    np.testing.assert_allclose(
        levels[inner].astype(np.float32), whole[inner].astype(np.float32), atol=0.05
    )
    # asked for frames before the first kept or after the last known: only what is known
    part, part_first = stream.levels(-50, 100)
    assert part_first == 0 and part.shape[0] == 100


def test_nothing_known_is_no_evidence(ref):
    empty = np.zeros((0, 96), np.float16)
    assert presence_z(empty, 0, ref, Alignment("s1", 0.0), 0.0, 0, 300) == 0.0
    assert (
        presence_z(np.zeros((400, 96), np.float16), 0, ref, Alignment("s1", 0.0), 0.0, 0, 300)
        == 0.0
    )

"""The "found later" search finds every airing of a track in a station's archived peaks, with
its true start and end, at the station's speed, and nothing for a track that did not air."""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.found_later import (
    StationPeaks,
    StreamIndex,
    TrackQuery,
    find_plays,
)
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song, render_talk
from radiowatch.engine.fingerprint.catalog import Catalog

SR = fp.SAMPLE_RATE
ORIGIN = 1_700_000_000.0
SONG_S = 60.0


def _speed(samples: np.ndarray, factor: float) -> np.ndarray:
    """Played `factor` times fast, tape-style (pitch and tempo together)."""
    n = int(samples.size / factor)
    return np.interp(np.arange(n) * factor, np.arange(samples.size), samples).astype(np.float32)


def _archived_peaks(audio: np.ndarray, block_s: float = 30.0) -> StationPeaks:
    """Peaks in blocks, stored and read back the way the recorder and a search do it."""
    block = int(block_s * SR)
    stored = []
    for k in range(0, audio.size, block):
        back = min(k, fp.EDGE_SAMPLES)
        frames, half_bands = fp.stream_peaks(audio[k - back : k + block + fp.EDGE_SAMPLES])
        shift = back // fp.HOP_SAMPLES
        n = min(block, audio.size - k) // fp.HOP_SAMPLES
        keep = (frames >= shift) & (frames < shift + n)
        stored.append((ORIGIN + k / SR, fp.encode_block(frames[keep] - shift, half_bands[keep])))
    return StationPeaks.from_blocks(
        ((start, *fp.decode_block(blob)) for start, blob in stored), ORIGIN
    )


@pytest.fixture(scope="module")
def radio(tmp_path_factory):
    """A programme: talk, A, talk, B 2 % fast, talk, A again from its 30th second, talk, C.
    Returns the station's archived peaks, the catalog (A, B, C and D, which never aired) and
    where each airing really was."""
    songs = {r.title: render_song(r, SONG_S, SR) for r in DEMO_SONGS[:4]}
    a, b, c, d = songs
    parts: list[np.ndarray] = []
    aired: dict[str, list[tuple[float, float]]] = {name: [] for name in songs}

    def add(samples: np.ndarray, name: str | None = None) -> None:
        at = sum(p.size for p in parts) / SR
        if name:
            aired[name].append((ORIGIN + at, ORIGIN + at + samples.size / SR))
        parts.append(samples)

    add(0.5 * render_talk(20, SR, 1))
    add(songs[a], a)
    add(0.5 * render_talk(15, SR, 2))
    add(_speed(songs[b], 1.02), b)
    add(0.5 * render_talk(15, SR, 3))
    add(songs[a][30 * SR :], a)
    add(0.5 * render_talk(15, SR, 4))
    add(songs[c], c)
    add(0.5 * render_talk(20, SR, 5))
    peaks = _archived_peaks(np.concatenate(parts))
    catalog = Catalog.open(tmp_path_factory.mktemp("catalog"))
    for name, samples in songs.items():
        catalog.add_samples(samples, track_id=name, title=name)
    yield peaks, catalog, aired
    catalog.close()


def _search(radio, name: str):
    peaks, catalog, _aired = radio
    stored = fp.track_peaks(catalog, name)
    assert stored is not None
    return find_plays(TrackQuery(name, *stored), StreamIndex(peaks), peaks)


def test_every_airing_is_found_with_its_times(radio):
    _peaks, _catalog, aired = radio
    title = DEMO_SONGS[0].title
    plays = _search(radio, title)
    assert len(plays) == 2
    (first_start, first_end), (second_start, second_end) = aired[title]
    assert plays[0].start_s == pytest.approx(first_start, abs=2.0)
    assert plays[0].end_s == pytest.approx(first_end, abs=2.0)
    # the second airing started 30 s into the song: the play starts where it was heard
    assert plays[1].start_s == pytest.approx(second_start, abs=2.0)
    assert plays[1].end_s == pytest.approx(second_end, abs=2.0)
    assert all(p.score >= fp.MATCH_THRESHOLD for p in plays)


def test_a_track_played_fast_is_found_at_its_speed(radio):
    _peaks, _catalog, aired = radio
    title = DEMO_SONGS[1].title
    plays = _search(radio, title)
    assert len(plays) == 1
    assert plays[0].speed == pytest.approx(1.02)
    assert plays[0].start_s == pytest.approx(aired[title][0][0], abs=2.0)
    assert plays[0].end_s == pytest.approx(aired[title][0][1], abs=2.0)


def test_a_track_that_did_not_air_is_not_found(radio):
    assert _search(radio, DEMO_SONGS[3].title) == []


def test_a_stretch_with_only_chance_hits_finds_nothing(radio):
    """Hashes of the track hit the stretch but no start gathers MIN_VOTES (a stretch of a
    few seconds, as the last one of a search often is): nothing is found, and the search goes
    on (it used to fail, and the job with it, on every such stretch)."""
    _peaks, catalog, _aired = radio
    title = DEMO_SONGS[0].title
    frames, half_bands = fp.stream_peaks(render_song(DEMO_SONGS[0], 5.0, SR))
    few = StationPeaks.from_blocks([(ORIGIN, frames[:8], half_bands[:8])], ORIGIN)
    index = StreamIndex(few)
    stored = fp.track_peaks(catalog, title)
    assert stored is not None
    hits = sum(index.lookup(keys)[0].size for _c, keys, _a in fp.query_keys(*stored))
    assert hits > 0, "the stretch must hold some of the track's hashes"
    assert find_plays(TrackQuery(title, *stored), index, few) == []


def test_peak_blocks_round_trip():
    rng = np.random.default_rng(3)
    frames = np.sort(rng.integers(0, 60_000, 5000))
    half_bands = rng.integers(0, 255, 5000)
    got_frames, got_bands = fp.decode_block(fp.encode_block(frames, half_bands))
    assert np.array_equal(got_frames, frames)
    assert np.array_equal(got_bands, half_bands)
    with pytest.raises(ValueError):
        fp.encode_block(np.array([0, 70_000]), np.array([1, 2]))

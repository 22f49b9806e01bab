"""The archive store: segments rotate and follow each other, caps and retention remove the
oldest first, and an engine killed mid-segment leaves an archive that reads back whole."""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.clips import NotArchived, audio_kept, cut_clip
from radiowatch.engine.archive.coverage import station_coverage
from radiowatch.engine.archive.store import DAY_S, Archive, ArchiveSettings
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song
from radiowatch.engine.fingerprint.catalog import Catalog
from tests.engine.archive.feed import FakeClock, decode, feed, song_pieces

SETTINGS = ArchiveSettings(segment_s=3.0, peak_block_s=4.0)


@pytest.fixture(scope="module")
def pieces():
    return song_pieces(DEMO_SONGS[0], 20.0)


def _archive(tmp_path, settings=SETTINGS, clock=None) -> tuple[Archive, FakeClock]:
    clock = clock or FakeClock()
    return Archive(tmp_path / "archive", settings, clock=clock), clock


def test_segments_rotate_and_follow_each_other(tmp_path, pieces):
    archive, clock = _archive(tmp_path)
    began = clock.now
    feed(archive.recorder(1), pieces, clock)
    rows = archive.db.segments(1)
    assert len(rows) >= 5
    assert all(not r.is_open for r in rows)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
        assert after.connection == before.connection
    # the stream's audio, whole: 20 s at 128 kbit/s, timed from the first audio received
    assert rows[0].start_s == pytest.approx(began, abs=0.3)
    assert rows[-1].end_s - rows[0].start_s == pytest.approx(20.0, abs=0.2)
    assert sum(r.bytes for r in rows) == pytest.approx(20 * 16000, rel=0.02)
    assert all(archive.path_of(r).exists() for r in rows)
    # and its peaks, block after block
    blocks = archive.db.peak_blocks(1, 0, 2e9)
    assert blocks[0].start_s == pytest.approx(rows[0].start_s)
    assert sum(b.end_s - b.start_s for b in blocks) == pytest.approx(20.0, abs=0.5)
    assert all(b.n_peaks > 0 for b in blocks)
    archive.close()


def test_a_clip_holds_the_audio_of_its_time(tmp_path, pieces):
    archive, clock = _archive(tmp_path)
    began = clock.now
    feed(archive.recorder(1), pieces, clock)
    clip = cut_clip(archive, 1, began + 8.0, began + 14.0, pad_s=1.0)
    assert clip.format == "mp3" and clip.mime == "audio/mpeg"
    assert clip.start_s == pytest.approx(began + 7.0, abs=0.1)
    assert clip.end_s == pytest.approx(began + 15.0, abs=0.1)
    assert clip.gaps == []
    audio = decode(clip.data, strict=True)  # frames split between segment files are whole
    assert audio.size / fp.SAMPLE_RATE == pytest.approx(8.0, abs=0.2)
    catalog = Catalog.open(tmp_path / "catalog")
    catalog.add_samples(render_song(DEMO_SONGS[0], 20.0, fp.SAMPLE_RATE), title="song")
    match = catalog.identify(audio)
    catalog.close()
    assert match is not None
    assert match.offset_s == pytest.approx(7.0, abs=0.3)  # the song's 7th second starts the clip
    kept = audio_kept(archive, 1, began + 8.0, began + 14.0)
    assert kept["complete"] and kept["formats"] == ["mp3"]
    with pytest.raises(NotArchived):
        cut_clip(archive, 1, began + 100, began + 110)
    archive.close()


def test_the_station_cap_removes_the_oldest_audio_first(tmp_path, pieces):
    settings = ArchiveSettings(segment_s=3.0, peak_block_s=4.0, station_cap_mb=0.1)
    archive, clock = _archive(tmp_path, settings)
    feed(archive.recorder(1), pieces, clock)
    ended = clock.now
    feed(archive.recorder(2), pieces[:20], clock)  # 5 s: under the cap
    archive.enforce_limits()
    kept = archive.db.segments(1)
    peaks = archive.db.peak_blocks(1, 0, 2e9)
    assert sum(r.bytes for r in kept) + sum(len(b.peaks) for b in peaks) <= 0.1e6
    assert kept and kept[-1].end_s == pytest.approx(ended, abs=0.5)  # the newest stays
    assert len(archive.db.segments(2)) >= 1  # the other station is untouched
    on_disk = {p.relative_to(archive.root).as_posix() for p in archive.audio_dir.rglob("*.mp3")}
    assert on_disk == {r.path for r in archive.db.segments()}
    archive.close()


def test_the_total_cap_and_retention(tmp_path, pieces):
    settings = ArchiveSettings(segment_s=3.0, peak_block_s=4.0, total_cap_mb=0.2)
    archive, clock = _archive(tmp_path, settings)
    feed(archive.recorder(1), pieces, clock)
    feed(archive.recorder(2), pieces, clock)
    archive.enforce_limits()
    assert sum(archive._bytes_by_station().values()) <= 0.2e6
    assert archive.db.segments(2)  # station 2 aired last: its audio is the newest
    # a week on, the audio has gone but the peaks stay (they are kept 30 days) ...
    archive.enforce_limits(now=clock.now + 8 * DAY_S)
    assert archive.db.segments() == []
    assert archive.db.peak_blocks(2, 0, 2e9)
    assert list(archive.audio_dir.rglob("*.mp3")) == []
    # ... and then they go too
    archive.enforce_limits(now=clock.now + 31 * DAY_S)
    assert archive.db.peak_blocks(2, 0, 2e9) == []
    archive.close()


def test_a_killed_writer_leaves_a_readable_archive(tmp_path, pieces):
    archive, clock = _archive(tmp_path)
    began = clock.now
    feed(archive.recorder(1), pieces, clock, end=False)  # killed: no end, segment left open
    open_rows = archive.db.open_segments()
    assert len(open_rows) == 1
    stray = archive.audio_dir / "1" / "stray.mp3"  # created, then killed before its row
    stray.write_bytes(b"\xff\xfb" * 100)
    del archive  # the process is gone: no close, no flush of anything in memory

    again, _ = _archive(tmp_path, clock=clock)
    recovered = again.recover()
    assert [r.id for r in recovered] == [open_rows[0].id]
    assert not stray.exists()
    rows = again.db.segments(1)
    assert all(not r.is_open for r in rows)
    assert rows[-1].end_s - rows[0].start_s == pytest.approx(20.0, abs=0.3)
    # the peaks of the block being written at the kill are found again from the audio
    before = sum(b.end_s - b.start_s for b in again.db.peak_blocks(1, 0, 2e9))
    again.recover_peaks(recovered)
    blocks = again.db.peak_blocks(1, 0, 2e9)
    assert sum(b.end_s - b.start_s for b in blocks) > before
    assert blocks[-1].end_s == pytest.approx(rows[-1].end_s, abs=0.5)
    # and the audio written last reads back
    clip = cut_clip(again, 1, began + 17.0, began + 19.5, pad_s=0)
    assert decode(clip.data).size / fp.SAMPLE_RATE == pytest.approx(2.5, abs=0.2)
    again.close()


def test_coverage_tells_archived_from_down_and_not_monitored(tmp_path, pieces):
    archive, clock = _archive(tmp_path)
    began = clock.now
    feed(archive.recorder(1), pieces[:40], clock)  # 10 s heard
    recorder = archive.recorder(1)
    for _ in range(3):  # then down: three connection attempts without audio, a minute apart
        clock.now += 60
        recorder.begin()
        recorder.end()
    clock.now += 3600  # the engine was off for an hour
    feed(recorder, pieces[:20], clock)
    report = station_coverage(archive.db, 1, began - 60, clock.now + 60, clock.now)
    states = [i["state"] for i in report["intervals"]]
    assert states == [
        "not_monitored",
        "archived",
        "down",
        "not_monitored",
        "archived",
        "not_monitored",
    ]
    assert report["seconds"]["archived"] == pytest.approx(15.0, abs=0.5)
    assert report["seconds"]["down"] == pytest.approx(180.0, abs=1.0)
    archive.close()


def test_usage_reports_mb_per_station_day(tmp_path, pieces):
    archive, clock = _archive(tmp_path)
    feed(archive.recorder(1), pieces, clock)
    usage = archive.usage()
    (station,) = usage["stations"]
    assert station["audio_mb_per_day"] == pytest.approx(16000 * 86400 / 1e6, rel=0.03)
    assert 0 < station["peaks_mb_per_day"] < 5.0
    assert usage["total"]["bytes"] == station["audio_bytes"] + station["peaks_bytes"]
    archive.close()


def test_a_stream_that_is_not_mp3_or_aac_keeps_only_peaks(tmp_path):
    archive, clock = _archive(tmp_path)
    rng = np.random.default_rng(1)
    pieces = [
        (rng.integers(0, 256, 4000, dtype=np.uint8).tobytes(), audio)
        for _data, audio in song_pieces(DEMO_SONGS[1], 12.0)
    ]
    feed(archive.recorder(3), pieces, clock)
    assert archive.db.segments(3) == []
    assert list(archive.audio_dir.rglob("*.*")) == []
    assert archive.db.peak_blocks(3, 0, 2e9)
    archive.close()


def test_audio_arriving_early_keeps_the_clock_plays_have(tmp_path, pieces):
    """Audio that arrives a little early does not move the connection's clock: the monitor's
    plays keep the clock of the connection's first audio (streams/monitor.py), and so do the
    segments, one right after the other. A clip across them holds every frame once, whole."""
    archive, clock = _archive(tmp_path)
    began = clock.now
    recorder = archive.recorder(1)
    recorder.begin()
    for n, (data, audio) in enumerate(pieces):
        if n == 30:
            clock.now -= 0.2  # the next audio arrives earlier than the clock expected
        for at in range(0, len(data), 1000):  # reads end inside frames, as on the network
            recorder.raw(data[at : at + 1000])
        clock.now += audio.size / fp.SAMPLE_RATE
        recorder.audio(audio)
    recorder.end()
    rows = archive.db.segments(1)
    assert rows[0].start_s == pytest.approx(began, abs=0.01)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
    clip = cut_clip(archive, 1, began + 1.0, began + 18.0, pad_s=0)
    audio = decode(clip.data, strict=True)
    assert audio.size / fp.SAMPLE_RATE == pytest.approx(clip.end_s - clip.start_s, abs=0.05)
    archive.close()

"""Native FLAC streams are archived as received: each segment file is a FLAC file of its own
(the stream's marker and STREAMINFO, then whole frames), a new stream header (the source
reconnected) starts a new segment, times come from the frames, a clip comes out as FLAC or as
MP3, a stream joined mid-way is kept with a STREAMINFO built from its frames, damaged bytes
cost only the frames they hit, and a segment cut off by a crash inside a frame reads back."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from radiowatch.engine.archive import flac, media
from radiowatch.engine.archive.clips import cut_clip
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, STATION_RATE, render_song
from tests.engine.archive.as_received import (
    FLAC,
    SONG_S,
    assert_is_the_song,
    check_clip_as_received_or_mp3,
    check_segments,
    clip_seconds,
    record,
    reopened_after_crash,
    sniffed,
    span_s,
    stream_bytes,
)
from tests.engine.archive.feed import decode, flac_pieces, mp3_pieces

RESTART_AT_S = 11.0  # the station's source reconnects: a new stream header


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return render_song(DEMO_SONGS[0], SONG_S, STATION_RATE)


@pytest.fixture(scope="module")
def pieces(song):
    return flac_pieces(song, restarts_at_s=(RESTART_AT_S,))


def _frames(data: bytes) -> tuple[bytes, list[flac.Frame]]:
    splitter = flac.FlacFrames()
    found = list(splitter.feed(data)) + list(splitter.finish())
    return splitter.headers, found


def test_every_segment_is_a_flac_file_of_its_own(tmp_path, pieces):
    recorded = record(tmp_path, pieces)
    rows = check_segments(recorded, FLAC)
    sent = stream_bytes(pieces)
    numbers = []
    for row in rows:
        data = recorded.archive.path_of(row).read_bytes()
        headers, frames = _frames(data)
        # the marker and STREAMINFO, then whole frames of the stream as received
        assert data.startswith(b"fLaC\x00\x00\x00\x22") or data.startswith(b"fLaC\x80")
        assert len(headers) + sum(len(f.data) for f in frames) == len(data)
        assert all(f.data in sent for f in frames)
        numbers.append(frames[0].header.number)
    # the reconnected source starts again at frame 0, in a segment of its own
    restart = [r for r, n in zip(rows, numbers, strict=True) if n == 0]
    assert len(restart) == 2
    assert restart[1].start_s - recorded.began == pytest.approx(RESTART_AT_S, abs=0.3)
    recorded.archive.close()


def test_a_clip_is_flac_as_received_or_mp3(tmp_path, song):
    unbroken = flac_pieces(song)
    recorded = record(tmp_path, unbroken)
    clip = check_clip_as_received_or_mp3(tmp_path, recorded, FLAC)
    headers, frames = _frames(clip.data)  # one FLAC file: one header, whole frames
    assert len(headers) + sum(len(f.data) for f in frames) == len(clip.data)
    sent = stream_bytes(unbroken)
    assert all(f.data in sent for f in frames)
    numbers = [f.header.number for f in frames]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    recorded.archive.close()


def test_a_clip_across_a_reconnected_source_comes_as_mp3(tmp_path, pieces):
    archive, _clock, began = record(tmp_path, pieces)
    # the same settings: the new stream's header is the old one's, so the clip is one file
    clip = cut_clip(archive, 1, began + 9.0, began + 13.0, pad_s=0.0)
    assert clip.format == "flac" and clip.data.count(b"fLaC") == 1
    assert clip_seconds(clip) == pytest.approx(clip.end_s - clip.start_s, abs=FLAC.clip_s)
    archive.close()


def test_a_segment_cut_off_by_a_crash_inside_a_frame_reads_back(tmp_path, song):
    pieces = flac_pieces(song)
    recorded = record(tmp_path, pieces[:30], end=False)  # killed: nothing closed
    (open_row,) = [r for r in recorded.archive.db.segments(1) if r.is_open]
    path = recorded.archive.path_of(open_row)
    whole = path.stat().st_size
    with open(path, "ab") as fh:  # a write the crash cut short: half a frame
        _headers, frames = _frames(pieces[30][0] + pieces[31][0])
        fh.write(frames[0].data[: len(frames[0].data) // 2])
    reopened, rows = reopened_after_crash(tmp_path, recorded)
    assert path.stat().st_size == whole  # back to its last whole frame
    assert span_s(rows) == pytest.approx(30 * 0.25, abs=0.3)
    clip = cut_clip(reopened, 1, rows[0].start_s, rows[-1].end_s, pad_s=0.0)
    assert clip_seconds(clip) == pytest.approx(span_s(rows), abs=FLAC.clip_s)
    reopened.close()


def test_a_stream_joined_mid_frame_gets_a_streaminfo_from_its_frames(tmp_path, song):
    pieces = flac_pieces(song)
    # an Icecast listener joining a FLAC stream gets no header, and starts inside a frame
    joined = [(data[3000:] if n == 0 else data, audio) for n, (data, audio) in enumerate(pieces)]
    recorded = record(tmp_path, joined)
    for row in check_segments(recorded, FLAC):
        data = recorded.archive.path_of(row).read_bytes()
        with av.open(io.BytesIO(data), format="flac") as container:
            stream = container.streams.audio[0]
            assert (stream.sample_rate, stream.channels) == (STATION_RATE, 2)
    recorded.archive.close()


def test_damaged_bytes_mid_stream_cost_only_the_frames_they_hit(tmp_path, song):
    pieces = flac_pieces(song)
    rng = np.random.default_rng(3)
    hits = {16, 17, 28, 29}  # half a second of random bytes at 4 s and at 7 s
    damaged = [
        (rng.integers(0, 256, len(data), np.uint8).tobytes() if n in hits else data, a)
        for n, (data, a) in enumerate(pieces)
    ]
    archive, _clock, began = record(tmp_path, damaged)
    rows = archive.db.segments(1)
    # frame numbers keep the time: the segments still span the whole song
    assert span_s(rows) == pytest.approx(SONG_S, abs=0.3)
    for row in rows:
        data = archive.path_of(row).read_bytes()
        kept = decode(data)
        assert kept.size > 0
        assert _frames(data)[0]  # each still begins with the stream's headers
    # the frames lost show as gaps where they were
    across = cut_clip(archive, 1, began + 3.0, began + 9.0, pad_s=0.0)
    gaps = [(a - began, b - began) for a, b in across.gaps]
    assert len(gaps) == 2, gaps
    for (a, b), hit_s in zip(gaps, (4.0, 7.0), strict=True):
        assert hit_s - 0.3 < a < b < hit_s + 0.8 and b - a > 0.5, gaps
    # the audio after the damage is kept and is the song's
    clip = cut_clip(archive, 1, began + 10.0, began + 18.0, pad_s=0.0)
    assert_is_the_song(tmp_path, 10.0, decode(clip.data))
    archive.close()


def test_sniff_tells_flac_from_mp3(song, pieces):
    head = stream_bytes(pieces)[: media.SNIFF_BYTES]
    assert media.sniff(head) == "flac"
    assert media.sniff(head[5000:]) == "flac"  # joined mid-stream
    assert sniffed(mp3_pieces(song[: 4 * STATION_RATE])) == "mp3"


def test_a_picture_in_the_stream_header_is_not_repeated_in_every_segment(tmp_path, song):
    pieces = flac_pieces(song)
    first, audio = pieces[0]
    # the header's STREAMINFO no longer last, then a 100 kB picture block (type 6), last
    picture = bytes([0x86]) + (100_000).to_bytes(3, "big") + bytes(100_000)
    pieces[0] = (first[:4] + bytes([first[4] & 0x7F]) + first[5:42] + picture + first[42:], audio)
    assert sniffed(pieces) == "flac"  # its metadata runs past what is sniffed
    recorded = record(tmp_path, pieces)
    for row in check_segments(recorded, FLAC):
        data = recorded.archive.path_of(row).read_bytes()
        headers, _frames_of = _frames(data)
        assert headers == data[:42] and data[4] == 0x80  # the STREAMINFO alone, no picture
    recorded.archive.close()

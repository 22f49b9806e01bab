"""Ogg streams (Vorbis, Opus, FLAC) are archived as received: each segment file is an Ogg file of its
own (its link's header pages, then whole audio pages), a new link of a chained stream starts a
new segment, times come from the packets, and a clip comes out as Ogg or as MP3."""

from __future__ import annotations

import io
import struct

import av
import pytest

from radiowatch.engine.archive import media
from radiowatch.engine.archive.clips import cut_clip
from radiowatch.engine.archive.ogg import OggPages, split_pages
from radiowatch.engine.archive.store import Archive, ArchiveSettings
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, STATION_RATE, render_song
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from tests.engine.archive.feed import FakeClock, decode, feed, mp3_pieces, ogg_pieces

SETTINGS = ArchiveSettings(segment_s=3.0, peak_block_s=4.0)
SONG_S = 20.0
LINK_AT_S = 11.0  # the station's metadata changes: a new link of the chained stream


@pytest.fixture(scope="module", params=["vorbis", "opus", "flac"])
def stream(request):
    samples = render_song(DEMO_SONGS[0], SONG_S, STATION_RATE)
    return request.param, ogg_pieces(samples, request.param, new_links_at_s=(LINK_AT_S,))


def _decode_file(data: bytes) -> float:
    seconds = 0.0
    with av.open(io.BytesIO(data), format="ogg") as container:
        for frame in container.decode(audio=0):
            seconds += frame.samples / frame.sample_rate
    return seconds


def test_every_segment_is_an_ogg_file_of_its_own(tmp_path, stream):
    codec, pieces = stream
    clock = FakeClock()
    began = clock.now
    archive = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), pieces, clock)
    rows = archive.db.segments(1)
    assert len(rows) >= 6 and {r.format for r in rows} == {"ogg"}
    assert all(r.path.endswith(".ogg") and not r.is_open for r in rows)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
    # the stream's audio, whole, timed from the first audio received
    assert rows[0].start_s == pytest.approx(began, abs=0.3)
    assert rows[-1].end_s - rows[0].start_s == pytest.approx(SONG_S, abs=0.3)
    link_starts = []
    for row in rows:
        data = archive.path_of(row).read_bytes()
        pages = split_pages(data)
        assert sum(length for _at, length in pages) == len(data)  # whole pages only
        assert pages[0][0] == 0 and data[5] & 0x02  # a BOS page first: its link's headers
        pager = OggPages()
        kinds = [page.header for page in pager.feed(data)]
        assert kinds[0] and not kinds[-1] and kinds == sorted(kinds, reverse=True)
        # it decodes alone, to the length measured for it
        assert _decode_file(data) == pytest.approx(row.end_s - row.start_s, abs=0.06)
        link_starts.append(pager.headers)
    # the new link started its own segment, with its own headers
    assert len(set(link_starts)) == 2
    boundary = next(r for r, h in zip(rows, link_starts, strict=True) if h == link_starts[-1])
    assert boundary.start_s - began == pytest.approx(LINK_AT_S, abs=0.5)
    archive.close()


def test_a_clip_is_ogg_as_received_or_mp3(tmp_path, stream):
    codec, pieces = stream
    clock = FakeClock()
    began = clock.now
    archive = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), pieces, clock)
    # across segments and across the new link
    clip = cut_clip(archive, 1, began + 7.0, began + 15.0, pad_s=1.0)
    assert clip.format == "ogg" and clip.mime == "audio/ogg" and clip.extension == ".ogg"
    # cut on pages: a page holds at most a quarter second here
    assert clip.start_s == pytest.approx(began + 6.0, abs=0.3)
    assert clip.end_s == pytest.approx(began + 16.0, abs=0.3)
    assert clip.gaps == []
    audio = decode(clip.data, strict=True)
    assert audio.size / SAMPLE_RATE == pytest.approx(clip.end_s - clip.start_s, abs=0.1)
    # every piece of it is the original stream's bytes
    stream_bytes = b"".join(data for data, _audio in pieces)
    for at, length in split_pages(clip.data):
        assert clip.data[at : at + length] in stream_bytes
    as_mp3 = cut_clip(archive, 1, began + 7.0, began + 15.0, pad_s=1.0, as_mp3=True)
    assert as_mp3.format == "mp3" and as_mp3.mime == "audio/mpeg"
    assert (as_mp3.start_s, as_mp3.end_s) == (clip.start_s, clip.end_s)
    mp3_audio = decode(as_mp3.data, strict=True)
    assert mp3_audio.size / SAMPLE_RATE == pytest.approx(clip.end_s - clip.start_s, abs=0.15)
    catalog = Catalog.open(tmp_path / "check")
    try:
        catalog.add_samples(render_song(DEMO_SONGS[0], SONG_S, SAMPLE_RATE), title="song")
        for decoded in (audio, mp3_audio):
            match = catalog.identify(decoded[: 8 * SAMPLE_RATE])
            assert match is not None and match.track.title == "song"
            assert match.offset_s == pytest.approx(clip.start_s - began, abs=1.0)
    finally:
        catalog.close()
    archive.close()


def test_a_segment_cut_off_by_a_crash_is_recovered(tmp_path, stream):
    codec, pieces = stream
    clock = FakeClock()
    archive = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), pieces[:30], clock, end=False)  # killed: nothing closed
    archive.db.close()
    reopened = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    recovered = reopened.recover()
    assert len(recovered) == 1
    rows = reopened.db.segments(1)
    assert all(not r.is_open for r in rows)
    assert rows[-1].end_s - rows[0].start_s == pytest.approx(30 * 0.25, abs=0.8)
    clip = cut_clip(reopened, 1, rows[0].start_s, rows[-1].end_s, pad_s=0.0)
    assert decode(clip.data, strict=True).size / SAMPLE_RATE == pytest.approx(
        rows[-1].end_s - rows[0].start_s, abs=0.2
    )
    reopened.close()


def test_a_stream_joined_mid_link_is_kept_from_the_next_link(tmp_path, stream):
    codec, pieces = stream
    link = int(LINK_AT_S / 0.25)
    # joined inside a page, with no headers: nothing decodes before the next link's BOS page
    # (FFmpeg's decoder neither), so its audio and the archive both begin there
    joined = [
        (data[1000:] if n == 0 else data, audio if n >= link else audio[:0])
        for n, (data, audio) in enumerate(pieces)
    ]
    clock = FakeClock()
    began = clock.now
    archive = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), joined, clock)
    rows = archive.db.segments(1)
    assert rows and rows[0].start_s == pytest.approx(began, abs=0.3)
    assert media.measure(archive.path_of(rows[0]), "ogg") > 0
    total = rows[-1].end_s - rows[0].start_s
    assert total == pytest.approx(SONG_S - LINK_AT_S, abs=0.5)
    archive.close()


def test_a_link_of_another_codec_ends_the_audio_kept(tmp_path, stream):
    codec, pieces = stream
    link = int(LINK_AT_S / 0.25)
    body = b"Speex   1.2"  # a BOS page of Ogg Speex, whose headers we do not know
    speex_bos = struct.pack("<4sBBqIIIB", b"OggS", 0, 2, 0, 77, 0, 0, 1) + bytes([len(body)]) + body
    changed = [(speex_bos if n == link else data, audio) for n, (data, audio) in enumerate(pieces)]
    clock = FakeClock()
    began = clock.now
    archive = Archive(tmp_path / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), changed, clock)
    rows = archive.db.segments(1)
    assert rows[-1].end_s - began == pytest.approx(LINK_AT_S, abs=0.5)
    assert all(_decode_file(archive.path_of(r).read_bytes()) > 0 for r in rows)
    # its peaks go on to the end
    blocks = archive.db.peak_blocks(1, 0, 2e9)
    assert blocks[-1].end_s - began == pytest.approx(SONG_S, abs=0.5)
    archive.close()


def test_sniff_tells_ogg_from_mp3(stream):
    codec, pieces = stream
    head = b"".join(data for data, _audio in pieces)[: media.SNIFF_BYTES]
    assert media.sniff(head) == "ogg"
    samples = render_song(DEMO_SONGS[0], 4.0, STATION_RATE)
    mp3_head = b"".join(data for data, _audio in mp3_pieces(samples))[: media.SNIFF_BYTES]
    assert media.sniff(mp3_head) == "mp3"

"""Ogg streams (Vorbis, Opus, FLAC) are archived as received: each segment file is an Ogg file of its
own (its link's header pages, then whole audio pages), a new link of a chained stream starts a
new segment, times come from the packets, and a clip comes out as Ogg or as MP3."""

from __future__ import annotations

import struct

import pytest

from radiowatch.engine.archive import media
from radiowatch.engine.archive.clips import cut_clip
from radiowatch.engine.archive.ogg import OggPages, split_pages
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, STATION_RATE, render_song
from tests.engine.archive.as_received import (
    OGG,
    SONG_S,
    check_clip_as_received_or_mp3,
    check_segments,
    clip_seconds,
    file_seconds,
    record,
    reopened_after_crash,
    sniffed,
    span_s,
    stream_bytes,
)
from tests.engine.archive.feed import mp3_pieces, ogg_pieces

LINK_AT_S = 11.0  # the station's metadata changes: a new link of the chained stream


@pytest.fixture(scope="module", params=["vorbis", "opus", "flac"])
def stream(request):
    samples = render_song(DEMO_SONGS[0], SONG_S, STATION_RATE)
    return request.param, ogg_pieces(samples, request.param, new_links_at_s=(LINK_AT_S,))


def test_every_segment_is_an_ogg_file_of_its_own(tmp_path, stream):
    codec, pieces = stream
    recorded = record(tmp_path, pieces)
    rows = check_segments(recorded, OGG)
    link_starts = []
    for row in rows:
        data = recorded.archive.path_of(row).read_bytes()
        pages = split_pages(data)
        assert sum(length for _at, length in pages) == len(data)  # whole pages only
        assert pages[0][0] == 0 and data[5] & 0x02  # a BOS page first: its link's headers
        pager = OggPages()
        kinds = [page.header for page in pager.feed(data)]
        assert kinds[0] and not kinds[-1] and kinds == sorted(kinds, reverse=True)
        link_starts.append(pager.headers)
    # the new link started its own segment, with its own headers
    assert len(set(link_starts)) == 2
    boundary = next(r for r, h in zip(rows, link_starts, strict=True) if h == link_starts[-1])
    assert boundary.start_s - recorded.began == pytest.approx(LINK_AT_S, abs=0.5)
    recorded.archive.close()


def test_a_clip_is_ogg_as_received_or_mp3(tmp_path, stream):
    codec, pieces = stream
    recorded = record(tmp_path, pieces)
    # across segments and across the new link
    clip = check_clip_as_received_or_mp3(tmp_path, recorded, OGG)
    # every piece of it is the original stream's bytes
    sent = stream_bytes(pieces)
    for at, length in split_pages(clip.data):
        assert clip.data[at : at + length] in sent
    recorded.archive.close()


def test_a_segment_cut_off_by_a_crash_is_recovered(tmp_path, stream):
    codec, pieces = stream
    recorded = record(tmp_path, pieces[:30], end=False)  # killed: nothing closed
    reopened, rows = reopened_after_crash(tmp_path, recorded)
    assert span_s(rows) == pytest.approx(30 * 0.25, abs=0.8)
    clip = cut_clip(reopened, 1, rows[0].start_s, rows[-1].end_s, pad_s=0.0)
    assert clip_seconds(clip) == pytest.approx(span_s(rows), abs=0.2)
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
    archive, _clock, began = record(tmp_path, joined)
    rows = archive.db.segments(1)
    assert rows and rows[0].start_s == pytest.approx(began, abs=0.3)
    assert media.measure(archive.path_of(rows[0]), "ogg") > 0
    assert span_s(rows) == pytest.approx(SONG_S - LINK_AT_S, abs=0.5)
    archive.close()


def test_a_link_of_another_codec_ends_the_audio_kept(tmp_path, stream):
    codec, pieces = stream
    link = int(LINK_AT_S / 0.25)
    body = b"Speex   1.2"  # a BOS page of Ogg Speex, whose headers we do not know
    speex_bos = struct.pack("<4sBBqIIIB", b"OggS", 0, 2, 0, 77, 0, 0, 1) + bytes([len(body)]) + body
    changed = [(speex_bos if n == link else data, audio) for n, (data, audio) in enumerate(pieces)]
    archive, _clock, began = record(tmp_path, changed)
    rows = archive.db.segments(1)
    assert rows[-1].end_s - began == pytest.approx(LINK_AT_S, abs=0.5)
    assert all(file_seconds(archive.path_of(r).read_bytes(), OGG) > 0 for r in rows)
    # its peaks go on to the end
    blocks = archive.db.peak_blocks(1, 0, 2e9)
    assert blocks[-1].end_s - began == pytest.approx(SONG_S, abs=0.5)
    archive.close()


def test_sniff_tells_ogg_from_mp3(stream):
    codec, pieces = stream
    assert sniffed(pieces) == "ogg"
    assert sniffed(mp3_pieces(render_song(DEMO_SONGS[0], 4.0, STATION_RATE))) == "mp3"

"""The checks every stream archived as received (native FLAC, Ogg) passes whatever its container:
its segments follow one another without a gap and span the stream, each decodes alone to the
length measured for it, a clip comes out in the stream's own container or as MP3 and is the
song, and a recorder killed mid-segment is recovered on the next start. What tells one
container's files apart (FLAC frames and STREAMINFO, Ogg pages and links) is checked in that
container's own test module; these helpers take the container as a parameter."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import av
import numpy as np
import pytest

from radiowatch.engine.archive import media
from radiowatch.engine.archive.clips import Clip, cut_clip
from radiowatch.engine.archive.database import SegmentRow
from radiowatch.engine.archive.store import Archive, ArchiveSettings
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from tests.engine.archive.feed import FakeClock, decode, feed

SETTINGS = ArchiveSettings(segment_s=3.0, peak_block_s=4.0)
SONG_S = 20.0  # the stream: DEMO_SONGS[0], this long


@dataclass(frozen=True)
class Container:
    name: str  # the segments' format in the index, PyAV's demuxer and the files' extension
    mime: str
    cut_s: float  # how far a clip's ends may fall from those asked for: a frame's or page's time
    clip_s: float  # how far a clip's decoded length may be from its span
    segment_s: float  # how far a segment file's decoded length may be from its span


# a FLAC frame holds about a tenth of a second; an Ogg page here at most a quarter second
FLAC = Container("flac", "audio/flac", cut_s=0.15, clip_s=0.05, segment_s=0.02)
OGG = Container("ogg", "audio/ogg", cut_s=0.3, clip_s=0.1, segment_s=0.06)


class Recorded(NamedTuple):
    archive: Archive
    clock: FakeClock
    began: float  # the clock when the connection began


def record(root: Path, pieces: list[tuple[bytes, np.ndarray]], *, end: bool = True) -> Recorded:
    """An archive in `root` after one connection of station 1 that sent `pieces`; with
    `end=False` the recorder was killed before the connection ended (nothing closed)."""
    clock = FakeClock()
    began = clock.now
    archive = Archive(root / "archive", SETTINGS, clock=clock)
    feed(archive.recorder(1), pieces, clock, end=end)
    return Recorded(archive, clock, began)


def stream_bytes(pieces: list[tuple[bytes, np.ndarray]]) -> bytes:
    return b"".join(data for data, _audio in pieces)


def sniffed(pieces: list[tuple[bytes, np.ndarray]]) -> str | None:
    """What the recorder takes the stream for from its first bytes."""
    return media.sniff(stream_bytes(pieces)[: media.SNIFF_BYTES])


def file_seconds(data: bytes, container: Container) -> float:
    """The seconds of audio in one archived file, decoded alone."""
    seconds = 0.0
    with av.open(io.BytesIO(data), format=container.name) as opened:
        for frame in opened.decode(audio=0):
            seconds += frame.samples / frame.sample_rate
    return seconds


def clip_seconds(clip: Clip) -> float:
    """The seconds of audio in a clip, failing on any damaged frame."""
    return decode(clip.data, strict=True).size / SAMPLE_RATE


def span_s(rows: list[SegmentRow]) -> float:
    return rows[-1].end_s - rows[0].start_s


def check_segments(recorded: Recorded, container: Container) -> list[SegmentRow]:
    """The connection's segments, checked: closed files of the container, each going on where
    the one before ended, from the first audio received to the stream's end, each decoding
    alone to the length measured for it."""
    archive, _clock, began = recorded
    rows = archive.db.segments(1)
    assert len(rows) >= 6 and {r.format for r in rows} == {container.name}
    assert all(r.path.endswith(f".{container.name}") and not r.is_open for r in rows)
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
    assert rows[0].start_s == pytest.approx(began, abs=0.3)
    assert span_s(rows) == pytest.approx(SONG_S, abs=0.3)
    for row in rows:
        seconds = file_seconds(archive.path_of(row).read_bytes(), container)
        assert seconds == pytest.approx(row.end_s - row.start_s, abs=container.segment_s)
    return rows


def assert_is_the_song(folder: Path, at_s: float, *audio: np.ndarray) -> None:
    """Each of `audio` (at the engine's rate) is the stream's song from `at_s` seconds in, as
    the fingerprint catalog finds it."""
    catalog = Catalog.open(folder / "check")
    try:
        catalog.add_samples(render_song(DEMO_SONGS[0], SONG_S, SAMPLE_RATE), title="song")
        for decoded in audio:
            match = catalog.identify(decoded)
            assert match is not None and match.track.title == "song"
            assert match.offset_s == pytest.approx(at_s, abs=1.0)
    finally:
        catalog.close()


def check_clip_as_received_or_mp3(folder: Path, recorded: Recorded, container: Container) -> Clip:
    """Seconds 7 to 15 of the stream with a second's pad, across segments: in the stream's own
    container, cut on its frames or pages, with no gap, decoding to its span; as MP3 the same
    span; both are the song from that second. Returns the clip as received, whose bytes the
    container's own test checks."""
    archive, _clock, began = recorded
    clip = cut_clip(archive, 1, began + 7.0, began + 15.0, pad_s=1.0)
    assert (clip.format, clip.mime, clip.extension) == (
        container.name,
        container.mime,
        f".{container.name}",
    )
    assert clip.start_s == pytest.approx(began + 6.0, abs=container.cut_s)
    assert clip.end_s == pytest.approx(began + 16.0, abs=container.cut_s)
    assert clip.gaps == []
    audio = decode(clip.data, strict=True)
    assert audio.size / SAMPLE_RATE == pytest.approx(
        clip.end_s - clip.start_s, abs=container.clip_s
    )
    as_mp3 = cut_clip(archive, 1, began + 7.0, began + 15.0, pad_s=1.0, as_mp3=True)
    assert as_mp3.format == "mp3" and as_mp3.mime == "audio/mpeg"
    assert (as_mp3.start_s, as_mp3.end_s) == (clip.start_s, clip.end_s)
    mp3_audio = decode(as_mp3.data, strict=True)
    assert mp3_audio.size / SAMPLE_RATE == pytest.approx(clip.end_s - clip.start_s, abs=0.15)
    eight_s = 8 * SAMPLE_RATE
    assert_is_the_song(folder, clip.start_s - began, audio[:eight_s], mp3_audio[:eight_s])
    return clip


def reopened_after_crash(root: Path, recorded: Recorded) -> tuple[Archive, list[SegmentRow]]:
    """The archive of a recorder killed mid-connection (`record(..., end=False)`), opened again
    as the next engine start does: the one segment left open is recovered and closed."""
    recorded.archive.db.close()
    reopened = Archive(root / "archive", SETTINGS, clock=recorded.clock)
    assert len(reopened.recover()) == 1
    rows = reopened.db.segments(1)
    assert all(not r.is_open for r in rows)
    return reopened, rows

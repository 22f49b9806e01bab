"""HLS stations are archived as the compressed audio of their media segments, not re-encoded:
the real stream reader follows a live playlist on a loopback server (AAC or MP3 in MPEG-TS, AAC
in fragmented MP4), and its tap hands the demuxed packets to the station's recorder as ADTS or
MP3. The segments rotate, each decodes alone, their times add up to the audio sent, a clip is
the song's audio, and damaged bytes in a media segment stop nothing."""

from __future__ import annotations

import io
import threading
import time

import av
import numpy as np
import pytest

from radiowatch.engine.archive.clips import cut_clip
from radiowatch.engine.archive.store import Archive, ArchiveSettings
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, STATION_RATE, render_song
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.streams.hls import HlsPackets, adts_header_for
from radiowatch.engine.streams.ingest import IngestOptions, IngestSink, ingest
from tests.engine.archive.feed import decode
from tests.support.hls_station import PLAYLIST, HlsMedia, LiveHlsServer, hls_media

SONG_S = 12.0
SETTINGS = ArchiveSettings(segment_s=4.0, peak_block_s=4.0)
VARIANTS = {
    "aac-ts": ("aac", "mpegts", "aac"),
    "aac-fmp4": ("aac", "fmp4", "aac"),
    "mp3-ts": ("libmp3lame", "mpegts", "mp3"),
}


class _Counting(IngestSink):
    """The monitor's side of the reader: counts the audio."""

    def __init__(self) -> None:
        self.samples = 0

    def audio(self, samples: np.ndarray) -> None:
        self.samples += samples.size


def _archive_hls(tmp_path, media: HlsMedia) -> tuple[Archive, float]:
    """Run the real stream reader on the live playlist until the broadcast ends, its tap the
    station's recorder; returns the archive and the seconds of audio the reader decoded."""
    archive = Archive(tmp_path / "archive", SETTINGS)
    sink = _Counting()
    with LiveHlsServer(media, ends=True) as web:
        options = IngestOptions(connect_timeout_s=5, read_timeout_s=10, tap=archive.recorder(1))
        ingest(web.url + PLAYLIST, sink, threading.Event(), options)
    return archive, sink.samples / SAMPLE_RATE


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return render_song(DEMO_SONGS[0], SONG_S, STATION_RATE)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_hls_audio_is_kept_as_its_own_frames(tmp_path, song, variant):
    codec, segment_type, kept = VARIANTS[variant]
    media = hls_media(song, tmp_path / "hls", segment_s=1, codec=codec, segment_type=segment_type)
    archive, heard_s = _archive_hls(tmp_path, media)
    assert heard_s == pytest.approx(media.seconds, abs=0.1)
    rows = archive.db.segments(1)
    assert len(rows) >= 3 and {r.format for r in rows} == {kept}
    assert all(not r.is_open for r in rows)
    # one after the other, every frame the station sent, timed by the frames: no drift across
    # HLS segments
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.start_s == pytest.approx(before.end_s, abs=1e-6)
    assert rows[-1].end_s - rows[0].start_s == pytest.approx(media.seconds, abs=0.1)
    assert sum(r.bytes for r in rows) == pytest.approx(media.audio_bytes, abs=2000)
    for row in rows:
        audio = decode(archive.path_of(row).read_bytes())
        assert audio.size / SAMPLE_RATE == pytest.approx(row.end_s - row.start_s, abs=0.1)
    # a clip of the middle is the song's middle, where the archive says it is
    clip = cut_clip(archive, 1, rows[0].start_s + 4.0, rows[0].start_s + 10.0, pad_s=0.0)
    assert clip.format == kept and clip.gaps == []
    audio = decode(clip.data)
    assert audio.size / SAMPLE_RATE == pytest.approx(6.0, abs=0.2)
    catalog = Catalog.open(tmp_path / "check")
    try:
        catalog.add_samples(render_song(DEMO_SONGS[0], SONG_S, SAMPLE_RATE), title="song")
        match = catalog.identify(audio)
        assert match is not None and match.track.title == "song"
        assert match.offset_s == pytest.approx(clip.start_s - rows[0].start_s, abs=1.0)
    finally:
        catalog.close()
    archive.close()


def test_damaged_media_segment_bytes_stop_nothing(tmp_path, song):
    media = hls_media(song, tmp_path / "hls", segment_s=1)
    rng = np.random.default_rng(7)
    damaged = []
    for index, (duration, name, body) in enumerate(media.segments):
        if index in (4, 8):  # random bytes over the middle of two media segments
            middle = len(body) // 3
            noise = rng.integers(0, 256, len(body) // 3, np.uint8).tobytes()
            body = body[:middle] + noise + body[middle + len(noise) :]
        damaged.append((duration, name, body))
    media = HlsMedia(damaged, media.segment_s, None, media.audio_bytes, media.seconds)
    began = time.time()
    archive, heard_s = _archive_hls(tmp_path, media)
    rows = archive.db.segments(1)
    assert rows and {r.format for r in rows} == {"aac"}
    # the reader went on past the damage (it skips what does not decode, as a player does),
    # and what was not damaged is kept, each file still decoding
    assert media.seconds - 1.5 < heard_s <= media.seconds + 0.1
    kept_s = sum(r.end_s - r.start_s for r in rows)
    assert media.seconds - 1.5 < kept_s <= media.seconds + 0.1
    assert rows[0].start_s == pytest.approx(began, abs=5.0)
    for row in rows:
        assert decode(archive.path_of(row).read_bytes()).size > 0
    archive.close()


def test_adts_headers_describe_raw_aac_frames_exactly(song):
    # raw AAC frames and their AudioSpecificConfig, as fragmented MP4 carries them
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate, encoder.layout, encoder.format = STATION_RATE, "stereo", "fltp"
    encoder.open()
    assert encoder.extradata is not None
    packets = HlsPackets("aac", bytes(encoder.extradata))
    raw: list[bytes] = []
    for start in range(0, 50 * 1024, 1024):
        block = song[start : start + 1024]
        frame = av.AudioFrame.from_ndarray(
            np.vstack([block, block]), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts = STATION_RATE, start
        raw.extend(bytes(p) for p in encoder.encode(frame))
    adts = b"".join(packets.bytes_of(frame) for frame in raw)
    assert len(adts) == sum(len(frame) + 7 for frame in raw)
    with av.open(io.BytesIO(adts), format="aac") as container:
        params = container.streams.audio[0].codec_context
        assert (params.sample_rate, params.channels) == (STATION_RATE, 2)
        sizes = [p.size for p in container.demux(audio=0) if p.size]
    assert sizes == [len(frame) + 7 for frame in raw]
    seconds = len(raw) * 1024 / STATION_RATE
    assert decode(adts).size / SAMPLE_RATE == pytest.approx(seconds, abs=0.005)
    # HE-AAC signalled explicitly (SBR, 22.05 kHz core in a 44.1 kHz stream): its AAC core
    he_aac = adts_header_for(bytes([0x2B, 0x92, 0x08, 0x00]))
    assert he_aac is not None and he_aac(10)[2] >> 6 == 1  # profile LC
    assert adts_header_for(bytes([0x17, 0x80, 0x00, 0x00, 0x00])) is None  # explicit rate
    # ADTS frames (MPEG-TS) go on as they are; other codecs are not kept as audio
    one = adts[: sizes[0]]
    assert HlsPackets("aac", None).bytes_of(one) == one
    assert packets.bytes_of(one) == one
    assert HlsPackets("ac3", None).bytes_of(b"\x0b\x77" + bytes(100)) == b""

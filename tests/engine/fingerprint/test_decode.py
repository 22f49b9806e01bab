"""Decoding files and bytes to mono float32 at the fingerprint rate, with readable errors."""

from __future__ import annotations

import numpy as np
import pytest

from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, DecodeError, decode_bytes, decode_file
from tests.engine.conftest import synth_song, write_wav


def test_stereo_44k_wav_decodes_to_mono_at_engine_rate(tmp_path):
    path = write_wav(tmp_path / "song.wav", synth_song(1, 3.0, rate=44100), rate=44100, channels=2)
    samples = decode_file(path)
    assert samples.dtype == np.float32
    assert abs(samples.size / SAMPLE_RATE - 3.0) < 0.05
    assert 0.3 < float(np.max(np.abs(samples))) < 1.5  # resampling may overshoot a little


def test_bytes_decode_like_the_file(tmp_path):
    path = write_wav(tmp_path / "song.wav", synth_song(2, 2.0))
    from_file = decode_file(path)
    from_bytes = decode_bytes(path.read_bytes())
    assert np.allclose(from_file, from_bytes)


def test_flac_written_by_pyav_decodes(tmp_path):
    import av

    path = tmp_path / "song.flac"
    pcm = (synth_song(3, 2.0, rate=22050) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=22050, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = 22050
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    assert abs(decode_file(path).size / SAMPLE_RATE - 2.0) < 0.05


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.mp3", b"", "empty"),
        ("notes.mp3", b"this is a shopping list, not a song\n" * 50, "not a readable"),
        ("noise.flac", bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8)), ""),
    ],
)
def test_bad_files_raise_a_decode_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DecodeError) as err:
        decode_file(path)
    assert name in str(err.value)
    assert reason in str(err.value)


def test_missing_file_says_not_found(tmp_path):
    with pytest.raises(DecodeError, match="not found"):
        decode_file(tmp_path / "nope.wav")


def test_truncated_wav_keeps_the_audio_that_is_there(tmp_path):
    path = write_wav(tmp_path / "cut.wav", synth_song(4, 4.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    samples = decode_file(path)
    assert 1.5 < samples.size / SAMPLE_RATE < 2.5


def test_tags_are_read_for_catalog_metadata(tmp_path):
    import av

    from radiowatch.engine.fingerprint.decode import read_tags

    path = tmp_path / "tagged.flac"
    pcm = (synth_song(6, 2.0) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        out.metadata.update(
            {"TITLE": "Night Drive", "ARTIST": "The Synths", "ISRC": "GBAYE0601498"}
        )
        stream = out.add_stream("flac", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    assert read_tags(path) == {
        "title": "Night Drive",
        "artist": "The Synths",
        "isrc": "GBAYE0601498",
    }
    assert read_tags(tmp_path / "missing.flac") == {}

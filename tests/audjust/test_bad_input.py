import numpy as np
import pytest

from radiowatch.audjust.errors import AudioInputError
from radiowatch.audjust.local import LocalAudjust
from tests.audjust.music import make_song, write_wav


def test_a_two_second_file_is_refused_as_too_short(tmp_path):
    path = write_wav(tmp_path / "short.wav", make_song().samples[: 2 * 22050])
    with pytest.raises(AudioInputError, match=r"only 2\.0 s long.*at least 8 s"):
        LocalAudjust().analyze(path)


def test_a_silent_file_is_refused_as_silent(tmp_path):
    path = write_wav(tmp_path / "silence.wav", np.zeros(30 * 22050, np.float32))
    with pytest.raises(AudioInputError, match="silent"):
        LocalAudjust().analyze(path)


def test_a_corrupt_file_is_refused_as_unreadable(tmp_path):
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    with pytest.raises(AudioInputError, match="not a readable audio file|damaged|no decodable"):
        LocalAudjust().analyze(path)


def test_a_missing_file_and_an_empty_file_say_so(tmp_path):
    with pytest.raises(AudioInputError, match="not found"):
        LocalAudjust().analyze(tmp_path / "nope.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(AudioInputError, match="empty"):
        LocalAudjust().analyze(tmp_path / "empty.wav")


def test_noise_without_a_beat_does_not_crash(tmp_path):
    rng = np.random.default_rng(1)
    path = write_wav(
        tmp_path / "noise.wav", (0.1 * rng.standard_normal(20 * 22050)).astype(np.float32)
    )
    try:
        result = LocalAudjust().analyze(path)
    except AudioInputError as exc:
        assert "beat" in str(exc)
    else:
        assert result.analysis.boundaries[-1] == pytest.approx(20.0, abs=0.01)

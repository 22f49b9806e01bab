import wave

import numpy as np
import pytest

from radiowatch.audjust.audio import decode
from radiowatch.audjust.local import LocalAudjust
from radiowatch.audjust.models import ExportFormat
from radiowatch.audjust.rendering import render


def test_render_is_exactly_the_sum_of_the_segments():
    rate = 8000
    x = np.vstack([np.linspace(-1, 1, 10 * rate)] * 2).astype(np.float32)
    out = render(x, rate, [(0, 2.0), (5.0, 6.5), (8.0, 10.0)])
    assert out.shape == (2, int(5.5 * rate))


def test_seams_are_crossfaded_without_a_click():
    rate = 8000
    t = np.arange(10 * rate) / rate
    x = np.vstack([np.sin(2 * np.pi * 100 * t)] * 2).astype(np.float32)
    # Cutting at a phase mismatch would make a jump of ~1.4; the crossfade smooths it out.
    out = render(x, rate, [(0, 1.0), (3.0025, 4.0)])
    steps = np.abs(np.diff(out[0]))
    assert steps.max() < 0.2
    assert np.max(np.abs(out)) <= 1.0


def test_equal_power_crossfade_keeps_uncorrelated_loudness():
    rate = 8000
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal((2, 10 * rate))).astype(np.float32)
    out = render(x, rate, [(0, 2.0), (6.0, 8.0)], crossfade=0.2)
    seam = out[:, 2 * rate - 400 : 2 * rate + 400]
    assert np.sqrt(np.mean(seam**2)) == pytest.approx(0.3, rel=0.15)


@pytest.mark.parametrize("fmt", [ExportFormat.WAV, ExportFormat.MP3_128, ExportFormat.MP3_320])
def test_export_writes_each_group_at_the_right_length(song_wav, tmp_path, fmt):
    groups = [[(0.0, 3.75), (33.75, 60.0)], [(0.0, 10.0)]]
    dests = [tmp_path / f"a{fmt.suffix}", tmp_path / f"b{fmt.suffix}"]
    written = LocalAudjust().export(song_wav, groups, fmt, dests)
    assert written == dests
    first = decode(dests[0])
    assert first.duration == pytest.approx(30.0, abs=0.06)
    assert first.rate == 22050 and first.stereo.shape[0] == 2
    if fmt is ExportFormat.WAV:
        with wave.open(str(dests[1])) as w:
            assert w.getnframes() == 10 * 22050

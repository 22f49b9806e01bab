"""Generated audio for engine tests: synthetic songs rich enough to fingerprint, and files.

`synth_song` renders a random melody and bass line with harmonics, plus kick and hi-hat
percussion, from a seed, so each seed is a different "song". Rendering with `tempo` changes
note timing but not pitch (a clean time-stretch); resample the samples for a tape-style
speed change.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

RATE = 8000


def synth_song(seed: int, seconds: float, *, rate: int = RATE, tempo: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros(n, np.float64)
    scale = np.cumsum(np.concatenate(([0], rng.choice([1, 2, 3, 4], 7))))  # each song its own mode
    root = 48 + int(rng.integers(0, 12))
    for voice, (octave, dur_range, level) in enumerate(
        [(12, (0.12, 0.4), 0.5), (0, (0.3, 0.8), 0.35), (24, (0.1, 0.25), 0.2)]
    ):
        t = 0.0
        while t < seconds * tempo:
            dur = float(rng.uniform(*dur_range))
            midi = root + octave + scale[rng.integers(0, scale.size)]
            _add_note(
                out,
                rate,
                t / tempo,
                dur / tempo,
                440.0 * 2 ** ((midi - 69) / 12),
                level,
                rng,
                bright=voice != 1,
            )
            t += dur
    beat = 0.25 + 0.1 * rng.random()
    kick_hz = 70.0 + 90.0 * rng.random()  # each song has its own kick drum
    t = 0.0
    while t < seconds * tempo:
        _add_drum(out, rate, t / tempo, rng, kick_hz if int(t / beat) % 2 == 0 else 0.0)
        t += beat
    out /= np.max(np.abs(out)) + 1e-9
    return (0.8 * out).astype(np.float32)


def _add_note(out, rate, start, dur, freq, level, rng, bright):
    i0 = int(start * rate)
    m = min(int(dur * rate), out.size - i0)
    if m <= 0:
        return
    tt = np.arange(m) / rate
    env = np.minimum(1.0, tt / 0.01) * np.exp(-tt * (2.0 + 3 * rng.random()))
    sig = np.zeros(m)
    for k in range(1, 6 if bright else 4):
        if freq * k < rate / 2 - 200:
            sig += np.sin(2 * np.pi * freq * k * tt + rng.uniform(0, 6.28)) / k**1.2
    out[i0 : i0 + m] += level * env * sig


def _add_drum(out, rate, start, rng, kick_hz):
    i0 = int(start * rate)
    m = min(int(0.15 * rate), out.size - i0)
    if m <= 0:
        return
    tt = np.arange(m) / rate
    if kick_hz:
        sig = np.sin(2 * np.pi * (kick_hz - 200 * tt) * tt) * np.exp(-tt * 25)
    else:
        sig = rng.standard_normal(m) * np.exp(-tt * 60) * 0.3
    out[i0 : i0 + m] += 0.4 * sig


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    if channels == 2:
        pcm = np.repeat(pcm, 2)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def add_noise(samples: np.ndarray, snr_db: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(samples.size)
    p_sig = float(np.mean(samples.astype(np.float64) ** 2))
    noise *= np.sqrt(p_sig / 10 ** (snr_db / 10) / np.mean(noise**2))
    return (samples + noise).astype(np.float32)


@pytest.fixture(scope="session")
def songs() -> dict[int, np.ndarray]:
    """Four 40-second synthetic songs at the engine's sample rate, keyed by seed."""
    return {seed: synth_song(seed, 40.0) for seed in (11, 12, 13, 14)}


@pytest.fixture(scope="session")
def built_catalog(tmp_path_factory, songs):
    """A catalog dir holding songs 11, 12, 13 (not 14), shared read-only by tests."""
    from radiowatch.engine.fingerprint.catalog import Catalog

    root = tmp_path_factory.mktemp("catalog")
    with Catalog.open(root) as cat:
        for seed in (11, 12, 13):
            cat.add_samples(
                songs[seed], track_id=f"song{seed}", title=f"Song {seed}", artist="Synth"
            )
    return root

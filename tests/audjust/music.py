"""Generated music with a known structure, for tests and the bench.

An ABAB... song at a known tempo: A and B differ in harmony (different chords, keys) and in
timbre (bright saw-like pads vs soft sines), every bar changes chord, and a drum kit marks the
beats (kick on every beat, louder on the downbeat, snare on 2 and 4, hats on the off-beats).
So a correct analysis must find the tempo, beats on the kicks, and seams that join A to A and
B to B.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22050

# Four chords per section (one per bar, repeating), as MIDI note lists.
CHORDS_A = [[60, 64, 67], [57, 60, 64], [65, 69, 72], [67, 71, 74]]  # C Am F G
CHORDS_B = [[66, 70, 73], [63, 66, 70], [71, 75, 78], [68, 71, 75]]  # F# D#m B G#m


@dataclass(frozen=True)
class Song:
    samples: np.ndarray  # mono float32 at RATE
    tempo: float
    bars_per_section: int
    form: str

    @property
    def beat(self) -> float:
        return 60.0 / self.tempo

    @property
    def section_seconds(self) -> float:
        return self.bars_per_section * 4 * self.beat

    @property
    def duration(self) -> float:
        return self.samples.size / RATE

    def beat_times(self) -> np.ndarray:
        return np.arange(0.0, self.duration - 1e-6, self.beat)

    def section_at(self, t: float) -> str:
        k = int(t // self.section_seconds)
        return self.form[min(k, len(self.form) - 1)]


def make_song(
    tempo: float = 128.0, bars_per_section: int = 8, form: str = "ABAB", seed: int = 7
) -> Song:
    rng = np.random.default_rng(seed)
    beat = 60.0 / tempo
    bar = 4 * beat
    total = len(form) * bars_per_section * bar
    n = int(round(total * RATE))
    out = np.zeros(n, np.float64)
    t_bar = np.arange(int(round(bar * RATE))) / RATE
    for s, name in enumerate(form):
        chords, bright = (CHORDS_A, True) if name == "A" else (CHORDS_B, False)
        for b in range(bars_per_section):
            start = int(round((s * bars_per_section + b) * bar * RATE))
            tone = _chord(chords[b % len(chords)], t_bar, bright)
            seg = out[start : start + tone.size]
            seg += tone[: seg.size]
    for k in range(int(total / beat)):
        start = int(round(k * beat * RATE))
        _add(out, start, _kick(1.0 if k % 4 == 0 else 0.6))
        if k % 4 in (1, 3):
            _add(out, start, _snare(rng))
        _add(out, int(round((k + 0.5) * beat * RATE)), _hat(rng))
    out += 0.002 * rng.standard_normal(n)
    out /= np.abs(out).max() * 1.1
    return Song(out.astype(np.float32), tempo, bars_per_section, form)


def _chord(notes, t, bright: bool) -> np.ndarray:
    sig = np.zeros_like(t)
    for note in notes:
        f = 440.0 * 2 ** ((note - 69) / 12)
        if bright:
            for h in range(1, 6):
                sig += np.sin(2 * np.pi * f * h * t) / h
        else:
            sig += np.sin(2 * np.pi * f * t) + 0.3 * np.sin(2 * np.pi * 2 * f * t)
    env = np.minimum(1.0, t / 0.02) * np.minimum(1.0, (t[-1] - t) / 0.02)
    return 0.12 * sig * env


def _kick(gain: float) -> np.ndarray:
    t = np.arange(int(0.15 * RATE)) / RATE
    f = 50 + 100 * np.exp(-t / 0.03)
    return gain * 0.9 * np.sin(2 * np.pi * np.cumsum(f) / RATE) * np.exp(-t / 0.05)


def _snare(rng) -> np.ndarray:
    t = np.arange(int(0.12 * RATE)) / RATE
    return 0.35 * rng.standard_normal(t.size) * np.exp(-t / 0.03)


def _hat(rng) -> np.ndarray:
    t = np.arange(int(0.04 * RATE)) / RATE
    noise = np.diff(rng.standard_normal(t.size + 1))
    return 0.12 * noise * np.exp(-t / 0.01)


def _add(out: np.ndarray, start: int, sound: np.ndarray) -> None:
    seg = out[start : start + sound.size]
    seg += sound[: seg.size]


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE, channels: int = 1) -> Path:
    """16-bit PCM WAV; stereo duplicates the mono signal."""
    pcm = np.clip(samples, -1, 1)
    if channels == 2:
        pcm = np.repeat(pcm[:, None], 2, axis=1).reshape(-1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((pcm * 32767).astype("<i2").tobytes())
    return path

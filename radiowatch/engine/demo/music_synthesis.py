"""Generated music and talk for the offline demo and for tests (numpy only, deterministic).

Each `SongRecipe` renders a short piece with its own key, scale, tempo, chord progression,
melody and instrument timbres, so the demo catalog holds clearly distinct songs that a
fingerprinter can tell apart. `render_talk` makes speech-like sound (a buzzing voice through
moving formants, in syllables) and `render_noise` pink-ish noise: the gaps between songs on the
demo station, which must *not* be recognised as music from the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATION_RATE = 44100

_SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "pentatonic": (0, 2, 4, 7, 9, 12, 14),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
}

# Relative harmonic amplitudes: the "instrument" of a part.
_TIMBRES = {
    "organ": (1.0, 0.6, 0.45, 0.3, 0.2, 0.1),
    "flute": (1.0, 0.15, 0.05),
    "brass": (1.0, 0.8, 0.7, 0.55, 0.4, 0.3, 0.2, 0.12),
    "clarinet": (1.0, 0.0, 0.5, 0.0, 0.3, 0.0, 0.15),
    "bell": (1.0, 0.0, 0.4, 0.0, 0.0, 0.25, 0.0, 0.12),
    "strings": (1.0, 0.5, 0.33, 0.25, 0.2, 0.16, 0.14, 0.12, 0.1),
}


@dataclass(frozen=True)
class SongRecipe:
    title: str
    artist: str
    album: str
    root_midi: int  # key: MIDI note of the tonic (e.g. 57 = A3)
    scale: str
    tempo_bpm: float
    lead: str  # timbre names
    pad: str
    progression: tuple[int, ...]  # scale degrees of the chords, one per bar
    seed: int
    drums: bool = True


DEMO_SONGS: tuple[SongRecipe, ...] = (
    SongRecipe(
        "Harbour Lights",
        "The Paper Lanterns",
        "Night Ferry",
        57,
        "minor",
        92,
        "flute",
        "strings",
        (0, 5, 3, 4),
        11,
    ),
    SongRecipe(
        "Copper Sunrise",
        "Mila Varga",
        "Morning Metals",
        60,
        "major",
        118,
        "brass",
        "organ",
        (0, 3, 4, 0),
        23,
    ),
    SongRecipe(
        "Static Orchard",
        "Deltawave",
        "Signal Trees",
        62,
        "dorian",
        104,
        "clarinet",
        "strings",
        (0, 3, 0, 6),
        37,
    ),
    SongRecipe(
        "Glass Elevator",
        "Nora Quint",
        "Up and Away",
        64,
        "mixolydian",
        128,
        "bell",
        "organ",
        (0, 6, 3, 0),
        41,
    ),
    SongRecipe(
        "Lowland Parade",
        "Brass Hollow",
        "Marching Season",
        55,
        "major",
        140,
        "brass",
        "strings",
        (0, 4, 5, 3),
        53,
    ),
    SongRecipe(
        "Velvet Crossing",
        "Ines & the Tides",
        "Undertow",
        59,
        "harmonic_minor",
        76,
        "strings",
        "organ",
        (0, 3, 4, 4),
        67,
    ),
    SongRecipe(
        "Paper Satellites",
        "Kite Radio",
        "Lift",
        67,
        "pentatonic",
        110,
        "flute",
        "bell",
        (0, 2, 3, 1),
        71,
    ),
    SongRecipe(
        "Midnight Tram",
        "Orla Fenn",
        "City Lines",
        52,
        "minor",
        84,
        "organ",
        "strings",
        (0, 6, 5, 4),
        83,
    ),
    SongRecipe(
        "Saltwater Waltz",
        "The Gull Quartet",
        "Three Four",
        62,
        "major",
        150,
        "clarinet",
        "organ",
        (0, 4, 0, 3),
        97,
        drums=False,
    ),
    SongRecipe(
        "Neon Cartography",
        "Atlas Mori",
        "Maps of Light",
        65,
        "dorian",
        124,
        "bell",
        "strings",
        (0, 2, 3, 6),
        101,
    ),
    SongRecipe(
        "Quiet Engine",
        "Theo Lund",
        "Workshop Hours",
        50,
        "mixolydian",
        98,
        "brass",
        "organ",
        (0, 6, 0, 3),
        113,
    ),
    SongRecipe(
        "Tin Roof Rain",
        "Sable & Pine",
        "Weather Report",
        69,
        "pentatonic",
        134,
        "flute",
        "strings",
        (0, 3, 1, 4),
        127,
    ),
)


def _midi_hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _tone(
    freq: float, n: int, sr: int, timbre: tuple[float, ...], attack: float, release: float
) -> np.ndarray:
    t = np.arange(n) / sr
    wave = np.zeros(n)
    for k, amp in enumerate(timbre, start=1):
        if amp and freq * k < sr / 2 - 200:
            wave += amp * np.sin(2 * np.pi * freq * k * t)
    env = np.ones(n)
    a = max(1, int(attack * sr))
    r = max(1, int(release * sr))
    env[:a] = np.linspace(0, 1, min(a, n))[: min(a, n)]
    env[-r:] *= np.linspace(1, 0, min(r, n))[-min(r, n) :]
    return wave * env / max(1e-9, sum(timbre))


def _add(out: np.ndarray, start: int, part: np.ndarray) -> None:
    end = min(out.size, start + part.size)
    if end > start:
        out[start:end] += part[: end - start]


def render_song(recipe: SongRecipe, seconds: float, sr: int = STATION_RATE) -> np.ndarray:
    """Render `seconds` of the song as mono float32 in [-1, 1].

    The same notes come out at any `sr`, so the catalog copy can be rendered directly at the
    fingerprinter's rate instead of resampling the broadcast copy."""
    rng = np.random.default_rng(recipe.seed)
    drum_rng = np.random.default_rng(recipe.seed + 7)  # separate: noise length depends on sr
    n = int(seconds * sr)
    out = np.zeros(n)
    scale = _SCALES[recipe.scale]
    beat = 60.0 / recipe.tempo_bpm
    bar = 4 * beat
    lead = _TIMBRES[recipe.lead]
    pad = _TIMBRES[recipe.pad]

    def degree_note(degree: int, octave: int = 0) -> int:
        steps = len(scale)
        return recipe.root_midi + 12 * (octave + degree // steps) + scale[degree % steps]

    # A melody motif per song, varied each bar, so every few seconds sound different.
    motif = rng.integers(0, 8, size=8)
    rhythm = rng.choice([0.5, 0.5, 1.0, 0.25, 0.75], size=8)
    t = 0.0
    bar_index = 0
    while t < seconds:
        chord = recipe.progression[bar_index % len(recipe.progression)]
        start = int(t * sr)
        # pad: the chord's triad, one bar long
        for third in (0, 2, 4):
            f = _midi_hz(degree_note(chord + third, -1))
            _add(out, start, 0.18 * _tone(f, int(bar * sr), sr, pad, 0.05, 0.2))
        # bass: chord root on every beat
        for b in range(4):
            f = _midi_hz(degree_note(chord, -2))
            _add(
                out,
                start + int(b * beat * sr),
                0.35 * _tone(f, int(beat * 0.9 * sr), sr, (1.0, 0.3), 0.01, 0.05),
            )
        # lead: the motif shifted by the chord and a per-bar variation
        variation = rng.integers(-2, 3)
        pos = 0.0
        for step, dur in zip(motif, rhythm, strict=True):
            if pos >= 4:
                break
            if rng.random() > 0.15:
                note = degree_note(int(step) + chord + int(variation), 1)
                length = min(dur, 4 - pos) * beat
                _add(
                    out,
                    start + int(pos * beat * sr),
                    0.3 * _tone(_midi_hz(note), int(length * 0.95 * sr), sr, lead, 0.02, 0.06),
                )
            pos += dur
        if recipe.drums:
            _drums(out, start, beat, sr, drum_rng)
        t += bar
        bar_index += 1
    peak = np.max(np.abs(out)) or 1.0
    return (0.8 * out / peak).astype(np.float32)


def _drums(out: np.ndarray, start: int, beat: float, sr: int, rng: np.random.Generator) -> None:
    kick_n = int(0.15 * sr)
    tk = np.arange(kick_n) / sr
    kick = np.sin(2 * np.pi * (50 + 80 * np.exp(-tk * 30)) * tk) * np.exp(-tk * 18)
    snare_n = int(0.12 * sr)
    snare = rng.standard_normal(snare_n) * np.exp(-np.arange(snare_n) / sr * 30) * 0.4
    for b in (0, 2):
        _add(out, start + int(b * beat * sr), 0.6 * kick)
    for b in (1, 3):
        _add(out, start + int(b * beat * sr), 0.5 * snare)


def render_talk(seconds: float, sr: int = STATION_RATE, seed: int = 0) -> np.ndarray:
    """Speech-like sound: a gliding glottal buzz shaped by moving formants, in syllables."""
    rng = np.random.default_rng(seed + 1000)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    pitch = 120 + 25 * np.sin(2 * np.pi * 0.7 * t + rng.random() * 6) + 10 * rng.standard_normal()
    phase = np.cumsum(pitch / sr)
    buzz = (phase % 1.0) - 0.5  # sawtooth: rich in harmonics
    spec = np.fft.rfft(buzz)
    freqs = np.fft.rfftfreq(n, 1 / sr)
    shape = np.zeros_like(freqs)
    for formant, width in (
        (500 + 200 * rng.random(), 120),
        (1500 + 400 * rng.random(), 180),
        (2500, 250),
    ):
        shape += np.exp(-0.5 * ((freqs - formant) / width) ** 2)
    voice = np.fft.irfft(spec * shape, n)
    syllables = (np.sin(2 * np.pi * 4.0 * t + rng.random()) > -0.2).astype(float)
    words = (np.sin(2 * np.pi * 0.6 * t + rng.random() * 6) > -0.6).astype(float)
    out = voice * np.convolve(syllables * words, np.ones(200) / 200, mode="same")
    out += 0.01 * rng.standard_normal(n)
    peak = np.max(np.abs(out)) or 1.0
    return (0.5 * out / peak).astype(np.float32)


def render_noise(seconds: float, sr: int = STATION_RATE, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + 2000)
    white = rng.standard_normal(int(seconds * sr))
    pink = np.convolve(white, np.exp(-np.arange(64) / 8), mode="same")
    return (0.15 * pink / (np.max(np.abs(pink)) or 1.0)).astype(np.float32)


def to_rate(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Resample (polyphase) e.g. a 44.1 kHz render to the fingerprinter's rate."""
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src, dst)
    return resample_poly(samples, dst // g, src // g).astype(np.float32)

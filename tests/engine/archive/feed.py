"""Feeding a station's ingest tap the way the stream reader does, without a network: real MP3
bytes (PyAV's libmp3lame, as the loopback station broadcasts) and the same audio decoded, in
quarter-second pieces. A `FakeClock` given to the Archive moves a quarter second with each
piece, so the recorder sees a live stream's timing at any speed."""

from __future__ import annotations

import io

import av
import numpy as np

from radiowatch.engine.demo.flac_encoder import FlacEncoder
from radiowatch.engine.demo.music_synthesis import STATION_RATE, SongRecipe, render_song, to_rate
from radiowatch.engine.demo.ogg_encoder import OggEncoder
from radiowatch.engine.demo.station import Mp3Encoder
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE

PIECE_S = 0.25


def mp3_pieces(samples: np.ndarray) -> list[tuple[bytes, np.ndarray]]:
    """(MP3 bytes, the audio they hold at the engine's rate) per quarter second."""
    encoder = Mp3Encoder(STATION_RATE, 128_000, 2)
    step = int(PIECE_S * STATION_RATE)
    pieces = []
    for i in range(0, samples.size, step):
        chunk = samples[i : i + step]
        pieces.append((encoder.encode(chunk), to_rate(chunk, STATION_RATE, SAMPLE_RATE)))
    return pieces


def ogg_pieces(
    samples: np.ndarray, codec: str, *, new_links_at_s: tuple[float, ...] = ()
) -> list[tuple[bytes, np.ndarray]]:
    """The same for a chained Ogg stream (Vorbis or Opus) that starts a new link (new header
    pages) at each of `new_links_at_s`; the last piece carries the last link's end."""
    encoder = OggEncoder(codec, STATION_RATE, 128_000, 2)
    step = int(PIECE_S * STATION_RATE)
    links = {int(t / PIECE_S) for t in new_links_at_s}
    pieces = []
    for n, i in enumerate(range(0, samples.size, step)):
        chunk = samples[i : i + step]
        data = encoder.new_link() if n in links else b""
        data += encoder.encode(chunk)
        pieces.append((data, to_rate(chunk, STATION_RATE, SAMPLE_RATE)))
    last, audio = pieces[-1]
    pieces[-1] = (last + encoder.close(), audio)
    return pieces


def flac_pieces(
    samples: np.ndarray, *, restarts_at_s: tuple[float, ...] = ()
) -> list[tuple[bytes, np.ndarray]]:
    """The same for a native FLAC stream (its header, then frames) whose source reconnects at
    each of `restarts_at_s`: the stream's last frame, then a new header and frames from 0."""
    encoder = FlacEncoder(STATION_RATE, 2)
    step = int(PIECE_S * STATION_RATE)
    restarts = {int(t / PIECE_S) for t in restarts_at_s}
    pieces = []
    for n, i in enumerate(range(0, samples.size, step)):
        chunk = samples[i : i + step]
        data = b""
        if n in restarts:
            data, encoder = encoder.close(), FlacEncoder(STATION_RATE, 2)
        data += encoder.encode(chunk)
        pieces.append((data, to_rate(chunk, STATION_RATE, SAMPLE_RATE)))
    last, audio = pieces[-1]
    pieces[-1] = (last + encoder.close(), audio)
    return pieces


def song_pieces(recipe: SongRecipe, seconds: float) -> list[tuple[bytes, np.ndarray]]:
    return mp3_pieces(render_song(recipe, seconds, STATION_RATE))


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def feed(
    tap, pieces: list[tuple[bytes, np.ndarray]], clock: FakeClock, *, end: bool = True
) -> None:
    """Feed one connection: each piece's bytes, then its audio arriving a quarter second on."""
    tap.begin()
    for data, audio in pieces:
        if data:
            tap.raw(data)
        clock.now += audio.size / SAMPLE_RATE
        tap.audio(audio)
    if end:
        tap.end()


def decode(data: bytes, *, strict: bool = False) -> np.ndarray:
    """An archived clip decoded to the engine's rate, mono float32; `strict` fails on a damaged
    frame instead of skipping it as a player would."""
    out = []
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                if strict:
                    raise
                continue  # a player skips a damaged frame too; the test counts what remains
            for frame in frames:
                out.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def babble(seconds: float, seed: int, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Talk that, like a person's, never says the same thing twice: syllables of random length,
    pitch and vowel, and pauses. (The demo station's talk is a periodic buzz: it repeats.)"""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * rate), np.float32)
    at = 0
    while at < out.size:
        n = int(rng.uniform(0.08, 0.3) * rate)
        t = np.arange(min(n, out.size - at)) / rate
        pitch = rng.uniform(90, 220) * (1 + rng.uniform(-0.2, 0.2) * t / max(t[-1], 1e-3))
        phase = np.cumsum(pitch / rate)
        voice = sum(
            np.sin(2 * np.pi * k * phase) / k * np.exp(-(((k * pitch) - f) ** 2) / 2e5)
            for k in range(1, 20)
            for f in (rng.uniform(300, 900), rng.uniform(900, 2500))
        )
        out[at : at + t.size] = 0.3 * voice * np.hanning(t.size)
        at += t.size + int(rng.uniform(0.0, 0.25) * rate) * (rng.random() < 0.3)
    return out

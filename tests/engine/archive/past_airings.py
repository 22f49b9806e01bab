"""An engine data folder whose archive already holds hours of a station's past, with songs that
aired at chosen moments, for tests that start a real engine on it.

Each airing goes through the real ingest tap (`StationRecorder`, as feed.py feeds it: MP3 bytes
and the decoded audio, on a clock set to the airing's time), so it is archived exactly as a
monitored stream would have left it: segments and peak blocks. Between the airings the station
played other music and talk for hours; recording that through the tap would take minutes of
CPU per archived hour, so the hours are the peaks of five minutes of such a programme, stored
again and again (`Archive.add_peaks`, what the recorder calls for each block) — enough for a
"found later" search to spend seconds on them, as it does on a real station's days.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.store import Archive, ArchiveSettings
from radiowatch.engine.demo.music_synthesis import (
    DEMO_SONGS,
    STATION_RATE,
    SongRecipe,
    render_song,
    to_rate,
)
from radiowatch.engine.demo.station import Mp3Encoder
from tests.engine.archive.feed import FakeClock, babble, feed

TALK_S = 4.0  # talk before and after each airing
FILLER_BLOCK_S = 300.0  # a stored block of the filler programme (the largest blocks the engine
# writes are 600 s, `archive_peak_block_s`)


@dataclass(frozen=True)
class Airing:
    recipe: SongRecipe
    start: float
    end: float


@functools.cache
def filler_peaks(leave_out: tuple[SongRecipe, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of FILLER_BLOCK_S of a programme of songs other than `leave_out`, and talk (the
    arrays are shared between callers: read them only)."""
    others = [r for r in DEMO_SONGS if r not in leave_out][:4]
    piece_s = FILLER_BLOCK_S / (len(others) + 1)
    audio = np.concatenate(
        [render_song(r, piece_s, fp.SAMPLE_RATE) for r in others] + [babble(piece_s, seed=77)]
    )
    return fp.stream_peaks(audio)


def past_archive(
    data_dir: Path,
    radio_id: int,
    airings: list[tuple[SongRecipe, float]],
    *,
    filler: tuple[float, float],
    song_s: float,
) -> list[Airing]:
    """Archive, in `<data_dir>/archive`, each (song, start time) airing of `song_s` seconds
    (with talk around it) and the filler programme's peaks from `filler[0]` to `filler[1]`
    (which must not overlap the airings). Returns where each song aired."""
    clock = FakeClock()
    archive = Archive(Path(data_dir) / "archive", ArchiveSettings(), clock=clock)
    aired = []
    try:
        tap = archive.recorder(radio_id)
        for n, (recipe, start) in enumerate(airings):
            talk = babble(TALK_S, seed=100 + n, rate=STATION_RATE)
            audio = np.concatenate([talk, render_song(recipe, song_s, STATION_RATE), talk[::-1]])
            clock.now = start - TALK_S
            feed(tap, _mp3_seconds(audio), clock)
            aired.append(Airing(recipe, start, start + song_s))
        frames, half_bands = filler_peaks(tuple(r for r, _ in airings))
        for block_start in np.arange(filler[0], filler[1] - FILLER_BLOCK_S, FILLER_BLOCK_S):
            clock.now = float(block_start) + FILLER_BLOCK_S
            archive.add_peaks(radio_id, float(block_start), clock.now, frames, half_bands)
    finally:
        archive.close()
    return aired


def _mp3_seconds(samples: np.ndarray) -> list[tuple[bytes, np.ndarray]]:
    """feed.mp3_pieces in one-second pieces, resampled at once (four times quicker; the tap
    takes whatever pieces the stream reader gets)."""
    encoder = Mp3Encoder(STATION_RATE, 128_000, 2)
    decoded = to_rate(samples, STATION_RATE, fp.SAMPLE_RATE)
    return [
        (
            encoder.encode(samples[s * STATION_RATE : (s + 1) * STATION_RATE]),
            decoded[s * fp.SAMPLE_RATE : (s + 1) * fp.SAMPLE_RATE],
        )
        for s in range(-(-samples.size // STATION_RATE))
    ]

"""Fixtures for the Recognize and Catalog tab tests: a real engine process with generated songs.

Imported by tests/ui/recognize/test_recognize_tab.py and test_catalog_tab.py (not a conftest, so the other
tests in tests/ui do not pay for an engine they do not use).
"""

from __future__ import annotations

import gc
import io
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_noise, render_song
from tests.support.engine_process import DEFAULT_TOKEN, EngineProcess
from tests.support.stations import wav_bytes

RATE = 16000
SONG_S = 40.0
# Three demo songs whose first 12 s the engine recognises on their own (it misses the opening
# of some others, e.g. "Copper Sunrise": reported to the engine's owner).
SONGS = (DEMO_SONGS[0], DEMO_SONGS[2], DEMO_SONGS[5])


class CatalogEngine(EngineProcess):
    """The real engine CLI, started through tests/ui/catalog/catalog_engine.py so the catalog routes
    are mounted even before engine/api/server.py mounts them itself."""

    def start(self, timeout: float = 60.0) -> EngineProcess:
        original = subprocess.Popen

        def popen(cmd, *args, **kwargs):
            if cmd[1:3] == ["-m", "radiowatch.engine.cli"]:
                cmd = [cmd[0], "-m", "tests.ui.catalog.catalog_engine", *cmd[3:]]
            kwargs.setdefault("cwd", str(Path(__file__).resolve().parents[3]))
            return original(cmd, *args, **kwargs)

        subprocess.Popen = popen
        try:
            return super().start(timeout)
        finally:
            subprocess.Popen = original


def song_audio(index: int, seconds: float = SONG_S) -> np.ndarray:
    return render_song(SONGS[index], seconds, RATE)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    path.write_bytes(wav_bytes(samples, rate))
    return path


def silent_wav(path: Path, seconds: float, rate: int = 1000) -> Path:
    """Hours of silence, cheaply: 8-bit PCM at 1 kHz is 3.6 MB per hour."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        block = bytes([128]) * rate * 60
        for _ in range(int(seconds // 60)):
            w.writeframes(block)
    return path


def mix_of_three(
    gap_s: float = 24.0, song_s: float = 36.0
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Noise, song 0, noise, song 1, noise, song 2, noise; returns the audio and where each
    song plays (start, end) in seconds.

    Songs start on 12 s chunk boundaries: with these synthetic songs, a chunk holding only the
    first 4 s of one song after noise can match the end of another (shared drum intro/outro),
    which would test the engine's matcher rather than the timeline."""
    parts: list[np.ndarray] = []
    places: list[tuple[float, float]] = []
    at = 0.0
    for i in range(3):
        parts.append(render_noise(gap_s, RATE, seed=i) * 0.3)
        at += gap_s
        parts.append(song_audio(i)[: int(song_s * RATE)])
        places.append((at, at + song_s))
        at += song_s
    parts.append(render_noise(gap_s, RATE, seed=9) * 0.3)
    return np.concatenate(parts).astype(np.float32), places


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread():
    """Collect earlier tests' qasync loops (QObjects with timers) now, on the GUI thread.

    Otherwise the garbage collector may run them down later inside a worker thread (asyncio's
    getaddrinfo or to_thread), and Qt warns "Timers cannot be stopped from another thread"."""
    gc.collect()
    yield


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """One engine per test module with the three songs in its catalog (audio_id 1..3)."""
    data = tmp_path_factory.mktemp("recognize") / "engine"
    proc = CatalogEngine(data, settings={"recognize_mb": 1})
    proc.start()
    try:
        for i, recipe in enumerate(SONGS):
            reply = proc.upload(
                i + 1,
                wav_bytes(song_audio(i), RATE),
                title=recipe.title,
                artist=recipe.artist,
                album=recipe.album,
            )
            assert reply["status"] == "success", reply
        yield proc
    finally:
        proc.stop()


def engine_client(engine: EngineProcess) -> AudDClient:
    return AudDClient(
        engine.token,
        base_url=engine.base_url,
        enterprise_url=engine.base_url + "/enterprise",
        backoff_factor=0.01,
        max_retries=1,
    )


__all__ = [
    "DEFAULT_TOKEN",
    "collect_garbage_on_the_gui_thread",
    "RATE",
    "SONGS",
    "SONG_S",
    "CatalogEngine",
    "engine",
    "engine_client",
    "io",
    "mix_of_three",
    "os",
    "silent_wav",
    "song_audio",
    "sys",
    "write_wav",
]

"""How the archive benchmarks hand a station's stream to its recorder: as the stream reader does
(radiowatch/engine/streams/ingest.py), raw bytes in 16 kB reads and the decoded audio in 0.5 s
blocks at the engine's rate, with a clock that moves with the audio. The thread CPU time spent
inside the recorder's calls is the archive's share of a core; decoding is the monitor's and is
not counted. One copy, so that every archive figure is measured the same way."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable

import av
import numpy as np

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.fingerprint.decode import StreamResampler

READ = 16384
BLOCK = int(0.5 * fp.SAMPLE_RATE)
ORIGIN = 1_700_000_000.0  # where every benchmark clock starts


class Clock:
    def __init__(self) -> None:
        self.now = ORIGIN

    def __call__(self) -> float:
        return self.now


class TimedTap:
    """Counts the thread CPU time spent inside the recorder's calls (and anything else timed)."""

    def __init__(self, tap) -> None:
        self.tap = tap
        self.cpu = 0.0

    def call(self, name: str, *args) -> None:
        t = time.thread_time()
        getattr(self.tap, name)(*args)
        self.cpu += time.thread_time() - t


class Reader:
    """A read()-only file over the stream's bytes that hands every read to the tap, as
    ingest's IcyReader does."""

    def __init__(self, data: bytes, tap: TimedTap) -> None:
        self._data = io.BytesIO(data)
        self._tap = tap

    def read(self, size: int = -1) -> bytes:
        out = self._data.read(min(size if size > 0 else READ, READ))
        if out:
            self._tap.call("raw", out)
        return out


class AudioBlocks:
    """Decoded frames, resampled to the engine's rate, handed to the tap in 0.5 s blocks; the
    clock moves on by each block before the tap sees it. A last part-block is not handed over."""

    def __init__(self, tap: TimedTap, clock: Clock) -> None:
        self._tap = tap
        self._clock = clock
        self._resampler = StreamResampler()
        self._pending: list[np.ndarray] = []
        self._have = 0
        self.samples = 0  # handed to the tap so far

    def feed(self, frames: Iterable[av.AudioFrame]) -> None:
        for frame in frames:
            samples = self._resampler.feed(frame)
            self._pending.append(samples)
            self._have += samples.size
            if self._have >= BLOCK:
                block = np.concatenate(self._pending)
                self._pending, self._have = [], 0
                self._clock.now += block.size / fp.SAMPLE_RATE
                self.samples += block.size
                self._tap.call("audio", block)


def record_stream(data: bytes, container_format: str, tap: TimedTap, clock: Clock) -> float:
    """One connection of an Icecast-style stream (MP3, FLAC, ...) through the recorder: begin,
    every read PyAV's demuxer makes, the audio it decodes, end. Returns the seconds of audio
    handed over."""
    tap.call("begin")
    blocks = AudioBlocks(tap, clock)
    with av.open(Reader(data, tap), mode="r", format=container_format) as container:
        blocks.feed(container.decode(container.streams.audio[0]))
    tap.call("end")
    return blocks.samples / fp.SAMPLE_RATE

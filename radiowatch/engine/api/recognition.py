"""Standard and enterprise recognition against the local catalog, in AudD's result shapes.

Standard (`/`, docs/protocols/audd.md §3): the first 12 seconds of a clip, one result object or `null`.
Enterprise (docs/protocols/audd.md §4): a long file cut into 12-second chunks from `skip_first_seconds`, scanned
in groups of `every` chunks with `skip` chunks left out after each group, at most `limit` chunks
scanned (we read AudD's docs: `limit` bounds chunks, not matches). Each chunk with a match becomes
`{"offset": "MM:SS", "songs": [...]}`; chunks without one are left out. `start_offset` /
`end_offset` (ms inside the chunk) are computed from the match geometry when
`accurate_offsets=true`: where the reference lines up with the chunk, clipped to the song's
length, so a song that ends or starts mid-chunk gets a partial span.

Decoding and matching are CPU work and run in the engine's worker threads. An enterprise scan
of a long recording can take minutes, so it checks a stop flag between chunks: when the client
that asked for it has gone (the Recognize tab's Cancel closes the connection), or the request is
cancelled, the scan stops after the chunk in hand instead of recognising the rest for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np

from radiowatch.engine.api.replies import FINGERPRINT_FAILED, INVALID_AUDIO, ApiError
from radiowatch.engine.api.request import AudioUpload
from radiowatch.engine.fingerprint.catalog import confidence
from radiowatch.engine.fingerprint.decode import (
    SAMPLE_RATE,
    DecodeError,
    StreamResampler,
    decode_bytes,
)
from radiowatch.engine.store import EngineStore

CLIP_SECONDS = 12.0
CHUNK_SECONDS = 12.0
MIN_SECONDS = 1.5
# A trailing partial chunk shorter than this is not worth a lookup.
MIN_LAST_CHUNK_SECONDS = 3.0
ENTERPRISE_MAX_SECONDS = 6 * 3600
# How often a running enterprise scan asks whether its client is still connected.
CLIENT_CHECK_S = 0.2

log = logging.getLogger(__name__)


class ScanAbandoned(Exception):
    """The client of an enterprise scan went away; the scan stopped and nobody gets a reply."""


def timecode(seconds: float) -> str:
    """`MM:SS`, or `HH:MM:SS` past 99:59 (docs/protocols/audd.md §4.2 recommends that for long files)."""
    total = max(0, int(seconds))
    minutes, secs = divmod(total, 60)
    if minutes > 99:
        hours, minutes = divmod(minutes, 60)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class ChunkPlan:
    skip_first_seconds: float = 0.0
    every: int = 1
    skip: int = 0
    limit: int | None = None

    def scans(self, index: int) -> bool:
        return index % (self.every + self.skip) < self.every


def parse_int(value: str, name: str, *, minimum: int = 0) -> int | None:
    if value == "":
        return None
    try:
        number = int(float(value))
    except ValueError:
        raise ApiError(
            50, f"the `{name}` parameter must be a number (got {value[:40]!r})"
        ) from None
    if number < minimum:
        raise ApiError(50, f"the `{name}` parameter must be at least {minimum}")
    return number


def url_timecode(url: str) -> float:
    """`t`, `time_continue` or `start` from a URL's query (`90`, `90s`, `1m30s`, `1h2m3s`)."""
    query = parse_qs(urlsplit(url).query)
    for key in ("t", "time_continue", "start"):
        if key in query:
            text = query[key][0].strip().lower()
            if text.replace(".", "", 1).isdigit():
                return float(text)
            parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text)
            if parts and any(parts.groups()):
                h, m, s = (int(g or 0) for g in parts.groups())
                return float(h * 3600 + m * 60 + s)
    return 0.0


@dataclass
class ScanCounters:
    """What enterprise scanning has done since the engine started (shown by `/health/`)."""

    scans: int = 0  # enterprise requests that started scanning
    chunks: int = 0  # 12-second chunks recognised, over all scans
    abandoned: int = 0  # scans stopped early because their client went away

    def as_dict(self) -> dict[str, int]:
        return {
            "enterprise_scans": self.scans,
            "enterprise_chunks": self.chunks,
            "enterprise_abandoned": self.abandoned,
        }


class Recognizer:
    def __init__(self, catalog: Any, store: EngineStore, executor: Executor) -> None:
        self.catalog = catalog
        self._store = store
        self._executor = executor
        self.counters = ScanCounters()
        self._counters_lock = threading.Lock()

    async def run(self, func, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, func, *args)

    def submit(self, func, *args) -> Future:
        """Start `func(*args)` in the recognition pool (for callers that must be able to wait
        for it even after they were cancelled)."""
        return self._executor.submit(func, *args)

    # -- result shapes ----------------------------------------------------------------------
    def song(self, match: Any, *, start_in_query_s: float = 0.0) -> dict[str, Any]:
        """The AudD song object for a match (fields we have; empty ones are left out)."""
        track = match.track
        at = max(0.0, float(match.offset_s) + start_in_query_s)
        audio_id = self._store.audio_id_for(track.track_id)
        if audio_id is not None and not (track.title or track.artist):
            return {"timecode": timecode(at), "audio_id": audio_id}  # AudD's custom-match shape
        song: dict[str, Any] = {
            "artist": track.artist,
            "title": track.title,
            "album": track.album,
            "timecode": timecode(at),
            "isrc": track.isrc,
        }
        song = {k: v for k, v in song.items() if v not in (None, "")}
        if audio_id is not None:
            song["audio_id"] = audio_id
        # Extensions outside AudD's names: where the track came from ("udio:<id>" marks an
        # AI-generated import, which the history flags) and what it is (song|jingle|ad).
        if getattr(track, "provenance", None):
            song["provenance"] = track.provenance
        if getattr(track, "kind", None):
            song["kind"] = track.kind
        return song

    @staticmethod
    def score(match: Any) -> int:
        return confidence(float(match.score))

    # -- standard -----------------------------------------------------------------------------
    async def recognize(self, upload: AudioUpload) -> dict[str, Any] | None:
        return await self.run(self._recognize_sync, upload.read_all(), upload.filename)

    def _recognize_sync(self, data: bytes, name: str) -> dict[str, Any] | None:
        try:
            samples = decode_bytes(data, name=name, max_seconds=CLIP_SECONDS)
        except DecodeError as exc:
            raise ApiError(INVALID_AUDIO, f"the file could not be decoded as audio: {exc}") from exc
        if samples.size < MIN_SECONDS * SAMPLE_RATE:
            raise ApiError(
                FINGERPRINT_FAILED,
                f"the clip is too short to fingerprint ({samples.size / SAMPLE_RATE:.1f} s)."
                " Send 5 to 12 seconds of audio.",
            )
        match = self.identify(samples)
        if match is None:
            return None
        return self.song(match)

    def identify(self, samples: np.ndarray) -> Any:
        """The catalog's match for `samples`, minus geometrically impossible ones (a song that
        would have ended before the clip began), which only a matcher bug could produce."""
        match = self.catalog.identify(samples)
        if match is None:
            return None
        duration = float(getattr(match.track, "duration_s", 0) or 0)
        if duration and float(match.offset_s) > duration + 1.0:
            return None
        return match

    # -- enterprise ---------------------------------------------------------------------------
    async def enterprise(
        self,
        upload: AudioUpload,
        plan: ChunkPlan,
        *,
        accurate: bool,
        client_gone: Callable[[], Awaitable[bool]] | None = None,
    ) -> list[dict[str, Any]]:
        """Scan `upload` chunk by chunk in a worker thread.

        `client_gone` (Starlette's `request.is_disconnected`) is asked every CLIENT_CHECK_S
        while the scan runs; once it says yes the scan stops between two chunks and
        ScanAbandoned is raised. Cancelling this coroutine stops the scan the same way (a worker
        thread cannot be interrupted, but it can be told to stop at the next chunk).
        """
        stop = threading.Event()
        with self._counters_lock:
            self.counters.scans += 1
        work = asyncio.ensure_future(
            self.run(self._enterprise_sync, upload.file, upload.filename, plan, accurate, stop)
        )
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=CLIENT_CHECK_S)
                if not work.done() and client_gone is not None and await client_gone():
                    stop.set()
                    break
            scanned, results = await work
        finally:
            stop.set()  # cancelled or failed: the thread stops at its next chunk
            if not work.done():  # cancelled: nobody will await the thread's outcome
                work.add_done_callback(lambda f: f.cancelled() or f.exception())
        if scanned is None:
            return results
        with self._counters_lock:
            self.counters.abandoned += 1
        log.info(
            "enterprise scan of %s stopped after %d chunks: the client disconnected",
            upload.filename,
            scanned,
        )
        raise ScanAbandoned(f"the client disconnected after {scanned} chunks")

    def _enterprise_sync(
        self,
        file: IO[bytes],
        name: str,
        plan: ChunkPlan,
        accurate: bool,
        stop: threading.Event | None = None,
    ) -> tuple[int | None, list[dict[str, Any]]]:
        """(None, results) for a finished scan; (chunks scanned, partial results) if `stop`
        was set before the file's end."""
        results = []
        scanned = 0
        for start_s, samples in self._scanned_chunks(file, name, plan):
            if stop is not None and stop.is_set():
                return scanned, results
            match = self.identify(samples)
            scanned += 1
            with self._counters_lock:
                self.counters.chunks += 1
            if match is None:
                continue
            chunk_s = samples.size / SAMPLE_RATE
            span = self._span(match, chunk_s)
            song = self.song(match, start_in_query_s=span[0])
            song = {"score": self.score(match), **song}
            if accurate:
                song["start_offset"] = int(round(span[0] * 1000))
                song["end_offset"] = int(round(span[1] * 1000))
            results.append({"songs": [song], "offset": timecode(start_s)})
        return None, results

    @staticmethod
    def _span(match: Any, chunk_s: float) -> tuple[float, float]:
        """Where the matched song sits inside the chunk, in seconds."""
        offset = float(match.offset_s)
        start = max(float(getattr(match, "query_start_s", 0.0)), -offset, 0.0)
        end = chunk_s
        duration = getattr(match.track, "duration_s", None)
        if duration:
            end = min(end, float(duration) - offset)
        end = max(min(end, chunk_s), start)
        return start, end

    def _scanned_chunks(
        self, file: IO[bytes], name: str, plan: ChunkPlan
    ) -> Iterator[tuple[float, np.ndarray]]:
        chunk_len = int(CHUNK_SECONDS * SAMPLE_RATE)
        skip_samples = int(plan.skip_first_seconds * SAMPLE_RATE)
        buffered: list[np.ndarray] = []
        have = 0
        index = 0
        scanned = 0
        position = 0  # samples decoded so far
        for block in _decode_blocks(file, name):
            if position + block.size <= skip_samples:
                position += block.size
                continue
            if position < skip_samples:
                block = block[skip_samples - position :]
                position = skip_samples
            position += block.size
            buffered.append(block)
            have += block.size
            while have >= chunk_len:
                joined = np.concatenate(buffered)
                chunk, rest = joined[:chunk_len], joined[chunk_len:]
                buffered, have = [rest], rest.size
                if plan.scans(index):
                    yield plan.skip_first_seconds + index * CHUNK_SECONDS, chunk
                    scanned += 1
                    if plan.limit is not None and scanned >= plan.limit:
                        return
                index += 1
        tail = np.concatenate(buffered) if buffered else np.zeros(0, np.float32)
        if tail.size >= MIN_LAST_CHUNK_SECONDS * SAMPLE_RATE and plan.scans(index):
            yield plan.skip_first_seconds + index * CHUNK_SECONDS, tail
        elif index == 0 and position <= skip_samples:
            raise ApiError(
                FINGERPRINT_FAILED,
                "there is no audio after `skip_first_seconds`; lower it or send a longer file.",
            )


def _decode_blocks(file: IO[bytes], name: str) -> Iterator[np.ndarray]:
    """Decode a file-like object progressively to SAMPLE_RATE mono blocks."""
    file.seek(0)
    try:
        container = av.open(file, mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise ApiError(
            INVALID_AUDIO, f"the file could not be decoded as audio: {name}: {exc}"
        ) from exc
    with container:
        if not container.streams.audio:
            raise ApiError(INVALID_AUDIO, f"the file contains no audio stream: {name}")
        resampler = StreamResampler()
        limit = ENTERPRISE_MAX_SECONDS * SAMPLE_RATE
        total = 0
        try:
            for frame in container.decode(container.streams.audio[0]):
                block = resampler.feed(frame)
                total += block.size
                if block.size:
                    yield block
                if total >= limit:
                    return
        except (av.FFmpegError, OSError, ValueError) as exc:
            if total < SAMPLE_RATE:
                raise ApiError(
                    INVALID_AUDIO, f"the file could not be decoded as audio: {name}: {exc}"
                ) from exc
            return  # a truncated file: keep what decoded
        tail = resampler.feed(None)
        if tail.size:
            yield tail

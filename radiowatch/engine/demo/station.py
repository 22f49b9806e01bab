"""A small Icecast-style internet radio station on loopback: the demo station, and the test
stations that the stream tests monitor.

It behaves like the real thing where monitoring cares: one live MP3 broadcast (encoded in real
time with PyAV's libmp3lame, 128 kbit/s by default), shared by all listeners; a new listener
gets a short burst of recent audio and then the live stream; `Icy-MetaData: 1` listeners get
`icy-metaint` and `StreamTitle='Artist - Title';` blocks that change with the programme. The
`schedule` records when each segment went on air (wall clock), so tests can check plays.

With `codec="vorbis"` or `"opus"` it broadcasts chained Ogg instead, as Icecast does
(ogg_encoder.py): each programme segment is a new link, a new listener gets the current link's
header pages first and then whole pages, and no ICY metadata is interleaved. With
`codec="flac"` it broadcasts native FLAC (flac_encoder.py): one stream header, then frames; a
new listener gets the header first, then whole frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import av
import numpy as np

from radiowatch.engine.demo.flac_encoder import FlacEncoder
from radiowatch.engine.demo.music_synthesis import STATION_RATE
from radiowatch.engine.demo.ogg_encoder import OggEncoder

log = logging.getLogger(__name__)

FRAME = 1152  # MP3 samples per frame
CHUNK_SECONDS = 0.25  # how much audio is encoded and released at a time
_KEEP_SECONDS = 10.0  # broadcast history kept for bursts
_TYPES = {"mp3": "audio/mpeg", "flac": "audio/flac"}  # everything else is Ogg


@dataclass(frozen=True)
class Segment:
    """A piece of the programme: `title` is the ICY StreamTitle while it plays."""

    title: str
    samples: np.ndarray  # mono float32 at the station's sample rate


@dataclass
class Aired:
    title: str
    start: float  # wall clock (epoch s) when it went on air
    end: float | None = None


class Mp3Encoder:
    def __init__(
        self, sample_rate: int = STATION_RATE, bitrate: int = 128_000, channels: int = 2
    ) -> None:
        self._ctx = av.CodecContext.create("libmp3lame", "w")
        self._ctx.sample_rate = sample_rate
        self._ctx.layout = "stereo" if channels == 2 else "mono"
        self._ctx.format = "fltp"
        self._ctx.bit_rate = bitrate
        self._ctx.open()
        self._channels = channels
        self._rate = sample_rate
        self._pending = np.zeros(0, np.float32)
        self._pts = 0

    def encode(self, samples: np.ndarray) -> bytes:
        self._pending = np.concatenate([self._pending, samples.astype(np.float32)])
        out = bytearray()
        while self._pending.size >= FRAME:
            block, self._pending = self._pending[:FRAME], self._pending[FRAME:]
            planes = np.vstack([block] * self._channels)
            frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=self._ctx.layout.name)
            frame.sample_rate = self._rate
            frame.pts = self._pts
            self._pts += FRAME
            for packet in self._ctx.encode(frame):
                out += bytes(packet)
        return bytes(out)


class IcecastStation:
    """`await start()` returns the stream URL; `await stop()` ends the broadcast."""

    def __init__(
        self,
        programme: Callable[[], Iterator[Segment]],
        *,
        name: str = "radiowatch",
        sample_rate: int = STATION_RATE,
        bitrate: int = 128_000,
        channels: int = 2,
        metaint: int = 16000,
        burst_s: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        loop_programme: bool = True,
        codec: str = "mp3",
    ) -> None:
        self._programme = programme
        self.codec = codec
        self.name = name
        self._rate = sample_rate
        self._bitrate = bitrate
        self._channels = channels
        self._metaint = metaint
        self._burst_bytes = int(burst_s * bitrate / 8)
        self._host = host
        self._port = port
        self._loop_programme = loop_programme
        self._history: deque[tuple[int, bytes]] = deque()  # (byte offset, data)
        self._total = 0
        self._titles: list[tuple[int, str]] = [(0, name)]  # (byte offset, title)
        self._links: list[tuple[int, bytes]] = []  # Ogg: (byte offset, the link's headers)
        self._new_data = asyncio.Event()
        self._server: asyncio.base_events.Server | None = None
        self._producer: asyncio.Task | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._listeners: set[asyncio.Task] = set()
        self.schedule: list[Aired] = []
        self.aired_s = 0.0  # seconds of programme broadcast so far
        self.url = ""

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve_listener, self._host, self._port)
        port = self._server.sockets[0].getsockname()[1]
        suffix = self.codec if self.codec in _TYPES else "ogg"
        self.url = f"http://{self._host}:{port}/stream.{suffix}"
        self._producer = asyncio.get_running_loop().create_task(self._produce(), name="station")
        return self.url

    async def stop(self) -> None:
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._producer
        self._new_data.set()  # listeners see the producer is done and return
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._listeners:
            await asyncio.wait(self._listeners, timeout=2)

    @property
    def bytes_aired(self) -> int:
        """Bytes of the broadcast so far (what a listener from the start received)."""
        return self._total

    @property
    def now_playing(self) -> str:
        return self._titles[-1][1]

    # -- the broadcast --------------------------------------------------------------------------
    async def _produce(self) -> None:
        loop = asyncio.get_running_loop()
        encoder: Mp3Encoder | OggEncoder | FlacEncoder
        if self.codec == "mp3":
            encoder = Mp3Encoder(self._rate, self._bitrate, self._channels)
        elif self.codec == "flac":
            encoder = FlacEncoder(self._rate, self._channels)
        else:
            encoder = OggEncoder(self.codec, self._rate, self._bitrate, self._channels)
        started = time.time()
        aired = 0.0  # seconds of audio released so far
        chunk = int(CHUNK_SECONDS * self._rate)
        while True:
            segments = self._programme()
            played_any = False
            while True:
                segment = await loop.run_in_executor(None, next, segments, None)
                if segment is None:
                    break
                if isinstance(encoder, OggEncoder) and played_any:
                    self._release(encoder.new_link())
                played_any = True
                self._titles.append((self._total, segment.title))
                self._close_aired(started + aired)
                self.schedule.append(Aired(segment.title, started + aired))
                for i in range(0, segment.samples.size, chunk):
                    data = encoder.encode(segment.samples[i : i + chunk])
                    if not isinstance(encoder, Mp3Encoder) and encoder.headers:
                        self._note_link(encoder.headers)
                    aired += min(chunk, segment.samples.size - i) / self._rate
                    self.aired_s = aired
                    self._release(data)
                    delay = started + aired - CHUNK_SECONDS - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
            if not played_any or not self._loop_programme:
                if not isinstance(encoder, Mp3Encoder):
                    self._release(encoder.close())
                self._close_aired(started + aired)
                return

    def _close_aired(self, at: float) -> None:
        if self.schedule and self.schedule[-1].end is None:
            self.schedule[-1].end = at

    def _release(self, data: bytes) -> None:
        if not data:
            return
        self._history.append((self._total, data))
        self._total += len(data)
        keep = int(_KEEP_SECONDS * self._bitrate / 8)
        while self._history and self._history[0][0] < self._total - keep:
            self._history.popleft()
        self._new_data.set()
        self._new_data = asyncio.Event()

    def _note_link(self, headers: bytes) -> None:
        if not self._links or self._links[-1][1] != headers:
            self._links.append((self._total, headers))
            del self._links[:-8]

    def _title_at(self, offset: int) -> str:
        title = self.name
        for start, text in self._titles:
            if start <= offset:
                title = text
        return title

    # -- listeners ------------------------------------------------------------------------------
    async def _serve_listener(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._listeners.add(task)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            wants_meta = b"icy-metadata: 1" in head.lower() and self.codec == "mp3"
            headers = [
                "HTTP/1.0 200 OK",
                f"Content-Type: {_TYPES.get(self.codec, 'audio/ogg')}",
                f"icy-name: {self.name}",
                f"icy-br: {self._bitrate // 1000}",
                "Cache-Control: no-cache",
                "Connection: close",
            ]
            if wants_meta:
                headers.append(f"icy-metaint: {self._metaint}")
            writer.write(("\r\n".join(headers) + "\r\n\r\n").encode())
            await self._stream_to(writer, wants_meta)
        except (
            TimeoutError,
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._listeners.discard(task)
            writer.close()

    async def _stream_to(self, writer: asyncio.StreamWriter, wants_meta: bool) -> None:
        position = max(0, self._total - self._burst_bytes)
        if self.codec != "mp3":
            position = self._framed_start(writer, position)
        until_meta = self._metaint
        last_title = None
        while True:
            pending = [(off, data) for off, data in self._history if off + len(data) > position]
            if not pending:
                if self._producer is not None and self._producer.done():
                    return
                await self._new_data.wait()
                continue
            for offset, data in pending:
                piece = data[max(0, position - offset) :]
                while piece:
                    if not wants_meta:
                        writer.write(piece)
                        position += len(piece)
                        break
                    take = piece[:until_meta]
                    writer.write(take)
                    position += len(take)
                    until_meta -= len(take)
                    piece = piece[len(take) :]
                    if until_meta == 0:
                        title = self._title_at(position)
                        writer.write(_metadata_block(title if title != last_title else None))
                        last_title = title
                        until_meta = self._metaint
            await writer.drain()

    def _framed_start(self, writer: asyncio.StreamWriter, wanted: int) -> int:
        """Where an Ogg or FLAC listener starts (a release, so a page or frame boundary), after
        sending the headers of the link or stream it joins, unless it joins at its start."""
        starts = [off for off, _data in self._history if off >= wanted] or [self._total]
        position = starts[0]
        link = [(off, headers) for off, headers in self._links if off <= position]
        if link and link[-1][0] != position:
            writer.write(link[-1][1])
        return position


def _metadata_block(title: str | None) -> bytes:
    """One ICY metadata block; an unchanged title is sent as an empty block (length 0)."""
    if title is None:
        return b"\0"
    text = f"StreamTitle='{title.replace(chr(39), '')}';".encode()
    blocks = (len(text) + 15) // 16
    return bytes([blocks]) + text.ljust(blocks * 16, b"\0")

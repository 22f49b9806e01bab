"""Radio stations on loopback for stream tests: a real Icecast-style MP3 station playing
generated songs, and the broken ones (a web page, garbage bytes, silence, nobody listening).

They run on a background asyncio loop in the test process, so the engine (another process)
reaches them over real HTTP.

    with BackgroundLoop() as bg:
        station = bg.start_station(lambda: iter([Segment("A - B", samples), ...]))
        station.url, station.schedule
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import threading
import wave
from collections.abc import Callable, Iterator

import numpy as np

from radiowatch.engine.demo.music_synthesis import (
    DEMO_SONGS,
    STATION_RATE,
    SongRecipe,
    render_noise,
    render_song,
    render_talk,
)
from radiowatch.engine.demo.station import IcecastStation, Segment


class BackgroundLoop:
    """An asyncio loop in a daemon thread; `run(coro)` runs a coroutine on it and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._cleanups: list[Callable[[], object]] = []

    def __enter__(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                self.run(cleanup(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    def run(self, coro, timeout: float = 30.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start_station(self, programme: Callable[[], Iterator[Segment]], **kwargs) -> IcecastStation:
        async def make() -> IcecastStation:
            station = IcecastStation(programme, **kwargs)
            await station.start()
            return station

        station = self.run(make())
        self._cleanups.append(station.stop)
        return station

    def start_raw_server(self, respond: Callable[[asyncio.StreamWriter], object]) -> str:
        """A server that answers every connection with `respond(writer)` (a coroutine)."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                await reader.readuntil(b"\r\n\r\n")
                await respond(writer)
            writer.close()

        async def make():
            return await asyncio.start_server(handle, "127.0.0.1", 0)

        server = self.run(make())

        async def close() -> None:
            server.close()

        self._cleanups.append(close)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/stream"

    def file_url(self, data: bytes, content_type: str = "audio/wav", name: str = "clip.wav") -> str:
        """Serve `data` as a plain HTTP download (for recognize/upload by URL)."""

        async def respond(writer: asyncio.StreamWriter) -> None:
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
            )
            writer.write(data)
            await writer.drain()

        return self.start_raw_server(respond).rsplit("/", 1)[0] + "/" + name

    def html_page_url(self) -> str:
        async def respond(writer: asyncio.StreamWriter) -> None:
            body = b"<!DOCTYPE html><html><body><h1>Listen live!</h1></body></html>"
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            await writer.drain()

        return self.start_raw_server(respond)

    def garbage_stream_url(self, seconds: float = 30.0) -> str:
        """Claims to be MP3 and sends random bytes, paced like a 128 kbit/s stream."""

        async def respond(writer: asyncio.StreamWriter) -> None:
            rng = np.random.default_rng(5)
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n\r\n")
            for _ in range(int(seconds * 4)):
                writer.write(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
                await writer.drain()
                await asyncio.sleep(0.25)

        return self.start_raw_server(respond)


class CallbackReceiver:
    """An HTTP endpoint that records every POST it receives (headers, JSON body)."""

    def __init__(self, bg: BackgroundLoop) -> None:
        self.received: list[tuple[dict[str, str], object]] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in head.split("\r\n")[1:])
                    if k
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append((headers, json.loads(body)))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
            writer.close()

        async def make():
            return await asyncio.start_server(handle, "127.0.0.1", 0)

        server = bg.run(make())

        async def close() -> None:
            server.close()

        bg._cleanups.append(close)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/audd-callback"


def unreachable_url() -> str:
    """A loopback URL where nothing listens (the port was just free)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/live.mp3"


def songs(count: int) -> tuple[SongRecipe, ...]:
    return DEMO_SONGS[:count]


def song_programme(
    recipes: tuple[SongRecipe, ...],
    song_s: float,
    gap_s: float,
    *,
    lead_in_s: float = 0.0,
    tail_s: float = 0.0,
) -> Callable[[], Iterator[Segment]]:
    """Each song followed by talk; optional noise before the first and more talk at the end."""

    def programme() -> Iterator[Segment]:
        if lead_in_s:
            yield Segment("station - lead in", render_noise(lead_in_s, STATION_RATE, seed=99))
        for i, recipe in enumerate(recipes):
            yield Segment(
                f"{recipe.artist} - {recipe.title}", render_song(recipe, song_s, STATION_RATE)
            )
            yield Segment("station - talk", render_talk(gap_s, STATION_RATE, seed=i))
        if tail_s:
            yield Segment("station - talk", render_talk(tail_s, STATION_RATE, seed=98))

    return programme


def silence_programme(seconds: float) -> Callable[[], Iterator[Segment]]:
    def programme() -> Iterator[Segment]:
        yield Segment("silence", np.zeros(int(seconds * STATION_RATE), np.float32))

    return programme


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of mono float samples (what a user's file upload looks like)."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def song_wav(recipe: SongRecipe, seconds: float, rate: int = 16000) -> bytes:
    return wav_bytes(render_song(recipe, seconds, rate), rate)

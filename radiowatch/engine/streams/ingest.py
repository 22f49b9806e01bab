"""Reading one radio stream and decoding it to mono samples (blocking; one thread per stream).

Supported sources:
- Icecast/SHOUTcast over HTTP(S) (MP3, AAC, Ogg...): read with httpx asking for ICY metadata
  (`Icy-MetaData: 1`); the `StreamTitle` blocks are cut out of the byte stream and reported, the
  audio bytes go to PyAV through a small file-like object.
- `.m3u`/`.pls` playlists: the first http(s) entry is followed. HLS (`.m3u8`) is handed to
  FFmpeg's own HLS demuxer, which refreshes the live playlist itself; each audio packet it
  demuxes goes to the sink's `raw` (for the archive) as ADTS or MP3 before it is decoded
  (hls.py: a copy, nothing re-encoded).

Only the network is read, never the engine's disk: a stream URL must be http(s) (the registry
refuses anything else before it gets here; this module checks again for streams stored by an
older engine), playlist entries must be http(s), and every FFmpeg open is limited to the
protocols a network stream needs (`PROTOCOL_WHITELIST`). Without that limit a remote server
could name a local file to FFmpeg: an HLS playlist or an `.m3u` entry pointing at `file:` or
`concat:`, or a body that FFmpeg probes as an `ffconcat` list naming a file beside the engine.

Failures raise IngestError with a reason fit for a notification ("the URL returns a web page,
not audio"). The caller (stream_monitor) owns retries, windows and plays; this module only turns
a URL into samples.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import av
import httpx
import numpy as np

from radiowatch import __version__
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, StreamResampler
from radiowatch.engine.streams.hls import HlsPackets

# Samples are handed to the consumer in blocks of about this length (fewer thread hand-offs).
BLOCK_SECONDS = 0.5
# Packets in a row that fail to decode before the stream is given up as not audio (~2 s).
MAX_DAMAGED_PACKETS = 80
_PLAYLIST_TYPES = (
    "audio/x-mpegurl",
    "audio/mpegurl",
    "audio/x-scpls",
    "application/pls+xml",
    "application/vnd.apple.mpegurl",
    "application/x-mpegurl",
)
_HTML_TYPES = ("text/html", "application/xhtml")
_MAX_PLAYLIST_DEPTH = 3


class IngestError(Exception):
    """The stream cannot be read; `str(e)` says why, in words a user can act on."""


# What FFmpeg may open on behalf of a stream: plain and TLS HTTP, and what HLS is made of
# (its demuxer, AES-128 segments). No file, concat, subfile, pipe, data, udp or rtp.
PROTOCOL_WHITELIST = "http,https,tcp,tls,hls,crypto"


class IngestTap(Protocol):
    """Sees what each connection of one stream receives, beside the monitor (the archive:
    engine/archive/recorder.py). Called on the reader thread; must not raise."""

    def begin(self) -> None: ...

    def raw(self, data: bytes) -> None: ...

    def audio(self, samples: np.ndarray) -> None: ...

    def end(self) -> None: ...


@dataclass(frozen=True)
class IngestOptions:
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 15.0
    tap: IngestTap | None = None  # one per stream (runtime.py gives each monitor its own)


class IngestSink:
    """Receives what the reader produces; called from the reader thread."""

    def audio(self, samples: np.ndarray) -> None: ...

    def title(self, title: str) -> None: ...

    def raw(self, data: bytes) -> None:
        """The stream's audio bytes as received (ICY metadata cut out; HLS: its audio packets
        as ADTS or MP3, hls.py)."""


def ingest(
    url: str, sink: IngestSink, stop: threading.Event, options: IngestOptions = IngestOptions()
) -> None:
    """Read `url` until it ends or `stop` is set; raises IngestError on failure."""
    tap = options.tap
    if tap is None:
        _ingest_url(url, sink, stop, options)
        return
    tap.begin()
    try:
        _ingest_url(url, _TappedSink(sink, tap), stop, options)
    finally:
        tap.end()


class _TappedSink(IngestSink):
    def __init__(self, sink: IngestSink, tap: IngestTap) -> None:
        self._sink, self._tap = sink, tap

    def audio(self, samples: np.ndarray) -> None:
        self._tap.audio(samples)
        self._sink.audio(samples)

    def title(self, title: str) -> None:
        self._sink.title(title)

    def raw(self, data: bytes) -> None:
        self._tap.raw(data)


def _ingest_url(url: str, sink: IngestSink, stop: threading.Event, options: IngestOptions) -> None:
    if re.match(r"(?i)(twitch|youtube|youtube-ch):", url):
        raise IngestError(
            "twitch:/youtube: shortcuts are resolved only by AudD's cloud; give the "
            "local engine the direct stream URL (Icecast, SHOUTcast or HLS over http(s))"
        )
    _check_network_url(url, "stream URL")
    _ingest_http(url, sink, stop, options, depth=0)


def _check_network_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise IngestError(
            f"the {what} {url[:80]!r} is not an http(s) address; the engine reads only "
            "network streams (Icecast, SHOUTcast, HLS), never local files"
        )


# -- HTTP -------------------------------------------------------------------------------------


def _ingest_http(
    url: str, sink: IngestSink, stop: threading.Event, options: IngestOptions, depth: int
) -> None:
    if url.lower().split("?")[0].endswith(".m3u8"):
        _ingest_ffmpeg_url(url, sink, stop, options)
        return
    timeout = httpx.Timeout(options.read_timeout_s, connect=options.connect_timeout_s)
    headers = {"Icy-MetaData": "1", "User-Agent": f"radiowatch-engine/{__version__}"}
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise IngestError(f"the server answered HTTP {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            chunks = response.iter_raw(16384)
            first = _first_chunk(chunks)
            if kind.startswith(_HTML_TYPES) or _looks_like_html(first):
                raise IngestError("the URL returns a web page (HTML), not an audio stream")
            if kind in _PLAYLIST_TYPES or _looks_like_playlist(first):
                body = first + b"".join(_limited(chunks, 256 * 1024))
                _follow_playlist(str(response.url), body, sink, stop, options, depth)
                return
            metaint = response.headers.get("icy-metaint", "")
            reader = IcyReader(
                _prepend(first, chunks), int(metaint) if metaint.isdigit() else 0, sink.title, stop
            )
            reader.no_audio_s = options.read_timeout_s
            reader.on_bytes = sink.raw
            try:
                _feed_container(_open(reader, format=_FORMATS.get(kind)), sink, stop, reader)
            except IngestError:
                if reader.starved:
                    raise _not_audio(options.read_timeout_s) from None
                raise
            if reader.starved:
                raise _not_audio(options.read_timeout_s)
    except httpx.TimeoutException as exc:
        raise IngestError(f"the stream stopped sending data ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise IngestError(f"can't connect ({type(exc).__name__}: {exc})") from exc


def _not_audio(seconds: float) -> IngestError:
    return IngestError(
        f"the stream sends data, but no audio could be decoded from it in "
        f"{seconds:g} s (not an audio stream, or a codec FFmpeg cannot read)"
    )


def _first_chunk(chunks: Iterator[bytes]) -> bytes:
    for chunk in chunks:
        if chunk:
            return chunk
    raise IngestError("the server closed the connection without sending any data")


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _limited(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            return
        yield chunk


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml"))


def _looks_like_playlist(data: bytes) -> bool:
    head = data[:64].lstrip()
    return head.startswith((b"#EXTM3U", b"[playlist]", b"[Playlist]"))


def _follow_playlist(
    base: str,
    body: bytes,
    sink: IngestSink,
    stop: threading.Event,
    options: IngestOptions,
    depth: int,
) -> None:
    text = body.decode("utf-8", "replace")
    if "#EXT-X-" in text:
        _ingest_ffmpeg_url(base, sink, stop, options)  # HLS: FFmpeg follows it live
        return
    if depth >= _MAX_PLAYLIST_DEPTH:
        raise IngestError("the playlist points to more playlists, too deep to follow")
    entries = [
        line.split("=", 1)[1].strip() if re.match(r"(?i)file\d+=", line) else line.strip()
        for line in text.splitlines()
    ]
    urls = [
        urljoin(base, e)
        for e in entries
        if e and not e.startswith(("#", "[")) and "=" not in e.split("://")[0]
    ]
    if not urls:
        raise IngestError("the playlist contains no stream URL")
    _check_network_url(urls[0], "playlist entry")
    _ingest_http(urls[0], sink, stop, options, depth + 1)


def _ingest_ffmpeg_url(
    url: str, sink: IngestSink, stop: threading.Event, options: IngestOptions
) -> None:
    _feed_container(
        _open(url, timeout=(options.connect_timeout_s, options.read_timeout_s)),
        sink,
        stop,
        hls=True,
    )


class IcyReader:
    """A read()-only file object over the HTTP body that strips ICY metadata blocks.

    SHOUTcast/Icecast interleave, after every `metaint` audio bytes, one length byte N and N*16
    bytes of `StreamTitle='...';` text padded with NULs.
    """

    def __init__(
        self,
        chunks: Iterator[bytes],
        metaint: int,
        on_title: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        self._chunks = chunks
        self._metaint = metaint
        self._on_title = on_title
        self._stop = stop
        self._pending = bytearray()
        self._until_meta = metaint
        self._ended = False
        # Watchdog: bytes that never decode (garbage, an unknown codec) would keep FFmpeg
        # hunting for a frame sync forever; the decoder moves `audio_seen` on every block.
        self.no_audio_s = 15.0
        self.audio_seen = time.monotonic()
        self.starved = False
        self.on_bytes: Callable[[bytes], None] | None = None  # every audio byte handed on

    def _pull(self) -> bool:
        if self._ended or self._stop.is_set():
            return False
        if time.monotonic() - self.audio_seen > self.no_audio_s:
            self.starved = True
            return False
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._ended = True
            return False
        self._pending += chunk
        return True

    def _take(self, n: int) -> bytes | None:
        while len(self._pending) < n:
            if not self._pull():
                return None
        out = bytes(self._pending[:n])
        del self._pending[:n]
        return out

    def read(self, size: int = -1) -> bytes:
        data = self._read_audio(size)
        if data and self.on_bytes is not None:
            self.on_bytes(data)
        return data

    def _read_audio(self, size: int) -> bytes:
        size = size if size and size > 0 else 65536
        if not self._pending and not self._pull():
            return b""
        if not self._metaint:
            out = bytes(self._pending[:size])
            del self._pending[:size]
            return out
        if self._until_meta == 0:
            self._read_metadata()
            if not self._pending and not self._pull():
                return b""
        n = min(size, self._until_meta, len(self._pending))
        out = bytes(self._pending[:n])
        del self._pending[:n]
        self._until_meta -= n
        return out

    def _read_metadata(self) -> None:
        length = self._take(1)
        if length is None:
            return
        block = self._take(length[0] * 16) if length[0] else b""
        self._until_meta = self._metaint
        if block:
            title = parse_stream_title(block)
            if title is not None:
                self._on_title(title)


def parse_stream_title(block: bytes) -> str | None:
    text = block.rstrip(b"\0").decode("utf-8", "replace")
    found = re.search(r"StreamTitle='(.*?)';", text, re.S)
    return found.group(1).strip() if found else None


# -- decoding -------------------------------------------------------------------------------

# Naming the format skips FFmpeg's probe, which on a live stream waits for ~1 MB (8 s at
# 128 kbit/s) before the first frame; unknown types get a small probe instead.
_FORMATS = {
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/aac": "aac",
    "audio/aacp": "aac",
    "audio/x-aac": "aac",
    "audio/ogg": "ogg",
    "application/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/flac": "flac",
    "audio/x-flac": "flac",
}
_SMALL_PROBE = {"formatprobesize": "65536", "probesize": "65536", "analyzeduration": "1000000"}


def _open(source, timeout=None, format: str | None = None):
    """Open a URL or a file object with PyAV, FFmpeg limited to `PROTOCOL_WHITELIST`.

    The limit also applies to a file object: its bytes choose the demuxer when no format is
    named, and demuxers such as HLS and concat open further addresses themselves."""
    options = {} if format or isinstance(source, str) else dict(_SMALL_PROBE)
    options["protocol_whitelist"] = PROTOCOL_WHITELIST
    try:
        return av.open(source, mode="r", timeout=timeout, format=format, options=options)
    except av.FFmpegError as exc:
        raise IngestError(
            f"the data is not an audio stream FFmpeg can decode ({_short(exc)})"
        ) from exc
    except OSError as exc:
        raise IngestError(f"can't open the stream ({_short(exc)})") from exc


def _feed_container(
    container,
    sink: IngestSink,
    stop: threading.Event,
    reader: IcyReader | None = None,
    *,
    hls: bool = False,
) -> None:
    for samples in _decode(container, stop, sink.raw if hls else None):
        if reader is not None:
            reader.audio_seen = time.monotonic()
        sink.audio(samples)


def _decode(
    container, stop: threading.Event, on_packet: Callable[[bytes], None] | None = None
) -> Iterator[np.ndarray]:
    """Decoded samples in ~BLOCK_SECONDS blocks until the stream ends or `stop` is set;
    `on_packet` (HLS) gets each audio packet as the archive keeps it, before it is decoded."""
    with container:
        if not container.streams.audio:
            raise IngestError("the stream contains no audio track")
        stream = container.streams.audio[0]
        kept = (
            HlsPackets(stream.codec_context.name, stream.codec_context.extradata)
            if on_packet is not None
            else None
        )
        resampler = StreamResampler()
        pending: list[np.ndarray] = []
        have = 0
        block = int(BLOCK_SECONDS * SAMPLE_RATE)
        damaged = 0
        try:
            for packet in container.demux(stream):
                if stop.is_set():
                    return
                if kept is not None and on_packet is not None and packet.size:
                    data = kept.bytes_of(bytes(packet))
                    if data:
                        on_packet(data)
                try:
                    frames = packet.decode()
                except av.InvalidDataError:
                    # a damaged frame (bytes hit on the way, a broken media segment): skipped,
                    # as a player does; a run of them is no audio stream
                    damaged += 1
                    if damaged > MAX_DAMAGED_PACKETS:
                        raise
                    continue
                damaged = 0
                for frame in frames:
                    samples = resampler.feed(frame)
                    if samples.size:
                        pending.append(samples)
                        have += samples.size
                if have >= block:
                    yield np.concatenate(pending)
                    pending, have = [], 0
        except av.FFmpegError as exc:
            raise IngestError(f"the stream's audio could not be decoded ({_short(exc)})") from exc
        if pending:
            yield np.concatenate(pending)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text.split(": '")[0] if ": '" in text else text

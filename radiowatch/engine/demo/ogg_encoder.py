"""Live Ogg encoding for the demo station: Vorbis (FFmpeg's own encoder), Opus or FLAC, as a
chained Ogg stream the way Icecast serves one.

Each programme segment is a new link (`new_link`): the old one ends with an EOS page and the
next begins with a BOS page and its header pages, as when an Icecast source sends new metadata.
`encode` returns whole pages only, and `headers` the current link's header pages, which a
listener joining mid-link needs before any of its audio pages.
"""

from __future__ import annotations

from typing import cast

import av
import numpy as np
from av.audio.stream import AudioStream

from radiowatch.engine.archive.ogg import OggPages

CODECS = {"vorbis": "vorbis", "opus": "libopus", "flac": "flac"}
_SAMPLE_FORMATS = {"vorbis": "fltp", "opus": "flt", "flac": "s16"}
_FRAME = {"flac": 4096}  # samples per packet the encoder takes (FLAC: its block size)


class _Sink:
    """The file object the Ogg muxer writes to."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += bytes(data)
        return len(data)

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


class OggEncoder:
    def __init__(self, codec: str, sample_rate: int, bitrate: int, channels: int) -> None:
        if codec not in CODECS:
            raise ValueError(f"unknown Ogg codec {codec!r} (one of {', '.join(CODECS)})")
        self._codec = codec
        self._in_rate = sample_rate
        self._rate = 48000 if codec == "opus" else sample_rate
        self._bitrate = bitrate
        self._layout = "stereo" if channels == 2 else "mono"
        self._sink = _Sink()
        self._pages = OggPages()
        self._container: av.container.OutputContainer | None = None
        self._open_link()

    @property
    def headers(self) -> bytes:
        return self._pages.headers

    def encode(self, samples: np.ndarray) -> bytes:
        planes = np.vstack([samples.astype(np.float32)] * (2 if self._layout == "stereo" else 1))
        frame = av.AudioFrame.from_ndarray(planes, format="fltp", layout=self._layout)
        frame.sample_rate = self._in_rate
        frame.pts = None
        for ready in self._resampler.resample(frame):
            ready.pts = self._pts
            self._pts += ready.samples
            for packet in self._stream.encode(ready):
                self._container_mux(packet)
        return self._whole_pages()

    def new_link(self) -> bytes:
        """End the current link (its last pages) and start the next one."""
        self._close_link()
        self._open_link()
        return self._whole_pages()

    def close(self) -> bytes:
        self._close_link()
        return self._whole_pages()

    def _open_link(self) -> None:
        self._container = av.open(
            self._sink,
            "w",
            format="ogg",
            options={
                "page_duration": "250000",  # µs: pages of a quarter second, as they come
                "flush_packets": "1",
            },
        )
        stream = cast(AudioStream, self._container.add_stream(CODECS[self._codec], rate=self._rate))
        stream.layout = self._layout
        stream.bit_rate = self._bitrate
        if self._codec == "vorbis":
            stream.codec_context.options = {"strict": "-2"}  # FFmpeg's Vorbis is "experimental"
        frame_size = _FRAME.get(self._codec, 1024)
        if self._codec == "flac":
            stream.codec_context.options = {"frame_size": str(frame_size)}
        self._resampler = av.AudioResampler(
            format=_SAMPLE_FORMATS[self._codec],
            layout=self._layout,
            rate=self._rate,
            frame_size=frame_size,
        )
        self._stream = stream
        self._pts = 0

    def _container_mux(self, packet: av.Packet) -> None:
        assert self._container is not None
        self._container.mux(packet)

    def _close_link(self) -> None:
        if self._container is None:
            return
        for ready in self._resampler.resample(None):
            ready.pts = self._pts
            self._pts += ready.samples
            for packet in self._stream.encode(ready):
                self._container_mux(packet)
        for packet in self._stream.encode(None):
            self._container_mux(packet)
        self._container.close()
        self._container = None

    def _whole_pages(self) -> bytes:
        return b"".join(page.data for page in self._pages.feed(self._sink.take()))

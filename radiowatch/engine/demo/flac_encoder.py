"""Live native FLAC encoding for the demo station (FFmpeg's FLAC encoder through PyAV), as an
Icecast source sends a FLAC stream: the "fLaC" marker and STREAMINFO once, then frames.

`encode` returns whole frames only (the first call also the headers), and `headers` the
stream's marker and STREAMINFO, which a listener joining mid-stream needs first. The STREAMINFO
is the encoder's at its start: a live stream's length, frame sizes and MD5 are unknown (0).
"""

from __future__ import annotations

import av
import numpy as np


class FlacEncoder:
    def __init__(self, sample_rate: int, channels: int) -> None:
        self._ctx = av.CodecContext.create("flac", "w")
        self._ctx.sample_rate = sample_rate
        self._ctx.layout = "stereo" if channels == 2 else "mono"
        self._ctx.format = "s16"
        self._ctx.open()
        self._frame = self._ctx.frame_size  # the encoder's fixed block size
        streaminfo = bytes(self._ctx.extradata or b"")
        self.headers = b"fLaC" + b"\x80" + len(streaminfo).to_bytes(3, "big") + streaminfo
        self._rate = sample_rate
        self._channels = channels
        self._pending = np.zeros(0, np.float32)
        self._pts = 0
        self._started = False

    def encode(self, samples: np.ndarray) -> bytes:
        self._pending = np.concatenate([self._pending, samples.astype(np.float32)])
        out = bytearray()
        if not self._started:
            out += self.headers
            self._started = True
        while self._pending.size >= self._frame:
            block, self._pending = self._pending[: self._frame], self._pending[self._frame :]
            out += self._encode_block(block)
        return bytes(out)

    def close(self) -> bytes:
        """The last, shorter frame and whatever the encoder still holds."""
        out = bytearray(self._encode_block(self._pending) if self._pending.size else b"")
        self._pending = np.zeros(0, np.float32)
        for packet in self._ctx.encode(None):
            out += bytes(packet)
        return bytes(out)

    def _encode_block(self, block: np.ndarray) -> bytes:
        pcm = (np.clip(block, -1.0, 1.0) * 32767).astype("<i2")
        interleaved = np.repeat(pcm, self._channels).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(interleaved, format="s16", layout=self._ctx.layout.name)
        frame.sample_rate = self._rate
        frame.pts = self._pts
        self._pts += block.size
        return b"".join(bytes(packet) for packet in self._ctx.encode(frame))

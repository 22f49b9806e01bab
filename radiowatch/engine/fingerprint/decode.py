"""Decoding any audio or video file (or raw bytes) to the mono signal the fingerprinter wants.

PyAV bundles FFmpeg, so MP3, AAC/M4A, Ogg/Opus, FLAC, WAV and video containers all decode
without a system FFmpeg. Everything is resampled once, here, to `SAMPLE_RATE` mono float32:
8 kHz keeps the whole telephone band (300-3400 Hz), which is where a fingerprint must live to
survive phone-quality radio, and makes the spectrogram four times cheaper than at 44.1 kHz.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from radiowatch.track_names import tags_from_file_name

SAMPLE_RATE = 8000

# Files longer than this are cut: a catalog item is a song, jingle or ad, not a day of radio.
MAX_SECONDS = 60 * 60


class DecodeError(Exception):
    """The input could not be turned into audio; the message is fit to show to a user."""


def decode_file(path: str | Path, *, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """Decode a file to float32 mono at SAMPLE_RATE; raises DecodeError with a readable reason."""
    p = Path(path)
    if not p.exists():
        raise DecodeError(f"{p}: file not found")
    if p.is_dir():
        raise DecodeError(f"{p}: is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise DecodeError(f"{p.name}: file is empty (0 bytes)")
    return _decode(str(p), p.name, max_seconds)


def decode_bytes(
    data: bytes, *, name: str = "upload", max_seconds: float = MAX_SECONDS
) -> np.ndarray:
    """Decode an in-memory file (an HTTP upload, a downloaded clip) like `decode_file`."""
    if not data:
        raise DecodeError(f"{name}: no data (0 bytes)")
    return _decode(io.BytesIO(data), name, max_seconds)


def _decode(source, name: str, max_seconds: float) -> np.ndarray:
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise DecodeError(f"{name}: not a readable audio or video file ({_reason(exc)})") from exc
    with container:
        if not container.streams.audio:
            raise DecodeError(f"{name}: contains no audio stream")
        stream = container.streams.audio[0]
        chunks: list[np.ndarray] = []
        try:
            chunks.extend(_resampled(container, stream, max_seconds))
        except (av.FFmpegError, OSError, ValueError) as exc:
            # A truncated or partly corrupt file: keep what decoded cleanly if there is enough.
            if sum(len(c) for c in chunks) < SAMPLE_RATE:
                raise DecodeError(f"{name}: audio data is corrupt ({_reason(exc)})") from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise DecodeError(f"{name}: not a readable audio file (no decodable audio in it)")
    return samples


def _resampled(container, stream, max_seconds: float) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    limit = int(max_seconds * SAMPLE_RATE)
    total = 0
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            chunk = out.to_ndarray().reshape(-1)
            total += chunk.size
            yield chunk
        if total >= limit:
            return
    for out in resampler.resample(None):
        yield out.to_ndarray().reshape(-1)


_TAG_KEYS = {
    "title": ("title",),
    "artist": ("artist", "album_artist"),
    "album": ("album",),
    "isrc": ("isrc", "tsrc"),
}


def read_tags(path: str | Path | BinaryIO) -> dict[str, str]:
    """Title/artist/album/ISRC from the file's tags (ID3, Vorbis comments, MP4); {} if none.
    `path` may also be an open binary file (an upload held in memory)."""
    try:
        source = path if hasattr(path, "read") else str(path)
        with av.open(source, mode="r") as container:
            raw = dict(container.metadata)
            if container.streams.audio:
                raw.update(
                    {k: v for k, v in container.streams.audio[0].metadata.items() if k not in raw}
                )
    except (av.FFmpegError, OSError, ValueError):
        return {}
    lower = {k.lower(): str(v).strip() for k, v in raw.items() if str(v).strip()}
    return {
        field: next(lower[k] for k in keys if k in lower)
        for field, keys in _TAG_KEYS.items()
        if any(k in lower for k in keys)
    }


def track_tags(path: str | Path) -> dict[str, str]:
    """`read_tags`, and when the tags name neither title nor artist, what the file's name says
    (radiowatch/track_names.py): a folder of untagged files must not enter the catalog untitled."""
    tags = read_tags(path)
    if not (tags.get("title") or tags.get("artist")):
        tags.update(tags_from_file_name(path))
    return tags


class StreamResampler:
    """Turns decoded PyAV audio frames of any layout/rate into mono float32 at SAMPLE_RATE.

    For stream ingest: the caller owns the container (HTTP/Icecast demuxing), and feeds every
    decoded frame here to get samples ready for `Catalog.identify`.
    """

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def feed(self, frame: av.AudioFrame | None) -> np.ndarray:
        """Resample one frame (None flushes); returns possibly-empty float32 samples."""
        outs = self._resampler.resample(frame)
        if not outs:
            return np.zeros(0, np.float32)
        return np.concatenate([o.to_ndarray().reshape(-1) for o in outs])


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # FFmpeg messages repeat the path; keep the reason short and path-free.
    return text.split(":")[-1].strip() if ": '" in text else text

"""Reading archived stream bytes with PyAV, without decoding where no decoding is needed.

A segment file of an MP3 or AAC (ADTS) stream is a slice of the stream exactly as it was
received, cut wherever a segment ended, so it may begin and end inside a frame: those formats
resynchronise on the next frame header, which is why they can be kept as raw bytes and read
from any point. An Ogg stream (Vorbis, Opus or FLAC) cannot be decoded without its header pages,
so its segments are cut on page boundaries and each starts with the header pages of its link
(ogg.py); a native FLAC stream's segments are cut on frame boundaries and each starts with the
stream's marker and STREAMINFO (flac.py). Those segments are files of their own
(`SELF_CONTAINED`): the stream's pages or frames as received, behind its headers. An HLS
station reaches the archive as ADTS or MP3 (engine/streams/hls.py). Other formats (Ogg with
another codec) are not kept as audio (`ARCHIVABLE`), only as peaks.

Time inside a segment comes from the demuxer's packet timestamps, so it is exact to a frame:
- `measure` gives the audio duration a segment holds: from its first whole frame to the end of
  its last (the frame cut at the end counts here, the rest of it at the start of the next
  segment is skipped), so consecutive segments of one connection add up without drift;
- `packets` gives each frame's time and byte range, for cutting a clip on frame boundaries
  (in Ogg the range is the page a packet starts on; a clip is cut on page boundaries).
An Ogg or FLAC segment from the middle of a stream has granule positions or frame numbers (and
so timestamps) that do not start at 0; like every segment, its times count from its first
audio packet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from radiowatch.engine.archive import flac, ogg

# format name -> (FFmpeg demuxer, MIME type, file extension)
ARCHIVABLE = {
    "mp3": ("mp3", "audio/mpeg", ".mp3"),
    "aac": ("aac", "audio/aac", ".aac"),
    "ogg": ("ogg", "audio/ogg", ".ogg"),
    "flac": ("flac", "audio/flac", ".flac"),
}
# formats whose segments hold whole pages or frames behind the stream's headers
SELF_CONTAINED = frozenset({"ogg", "flac"})
_CODECS = {"mp3": ("mp3", "mp3float"), "aac": ("aac",)}
# "ogg" and "flac" are told by their pages and frames (a decoder needs their headers, and
# FFmpeg's probe of a stream joined mid-page would guess): see `sniff`
# Bytes looked at before deciding a stream's format (two seconds at 128 kbit/s).
SNIFF_BYTES = 32 * 1024
MP3_BITRATE = 160_000


class MediaError(Exception):
    """Archived bytes could not be read; the message says what to do."""


def sniff(head: bytes) -> str | None:
    """'mp3', 'aac', 'ogg' or 'flac' when `head` (the start of a stream) holds frames or Ogg
    pages of it (Vorbis, Opus or FLAC), else None."""
    if ogg.archivable(head):
        return "ogg"
    if flac.archivable(head):
        return "flac"
    for name in _CODECS:
        try:
            with av.open(io.BytesIO(head), mode="r", format=ARCHIVABLE[name][0]) as container:
                if not container.streams.audio:
                    continue
                stream = container.streams.audio[0]
                if stream.codec_context.name not in _CODECS[name]:
                    continue
                packets = 0
                for packet in container.demux(stream):
                    packets += packet.size > 0
                    if packets >= 3:
                        return name
        except (av.FFmpegError, OSError, ValueError):
            continue
    return None


@dataclass(frozen=True)
class Packet:
    t_s: float  # from the segment's first whole frame
    duration_s: float
    pos: int  # byte offset in the file
    size: int


def packets(path: Path, fmt: str) -> list[Packet]:
    """Every frame of a segment file, in order."""
    try:
        with av.open(str(path), mode="r", format=ARCHIVABLE[fmt][0]) as container:
            if not container.streams.audio:
                return []
            stream = container.streams.audio[0]
            base = float(stream.time_base or 0) or 1.0
            ogg_flac = fmt == "ogg" and stream.codec_context.name == "flac"
            found = [
                (int(packet.pts), int(packet.duration or 0), int(packet.pos), int(packet.size))
                for packet in container.demux(stream)
                if packet.size > 0 and packet.pts is not None and packet.pos is not None
            ]
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"the archived audio file {path.name} cannot be read: {exc}") from exc
    if ogg_flac:
        found = _first_page_timed(found)
    first = found[0][0] if found else 0
    return [
        Packet((pts - first) * base, length * base, pos, size) for pts, length, pos, size in found
    ]


def _first_page_timed(found: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Packets of the first Ogg page timed back from the second page's. A page's granule
    position is the time at the end of its last packet; FFmpeg times the packets of a file's
    first page back from it for Vorbis and Opus, whose packet lengths it can tell beforehand,
    but from 0 for FLAC: a segment cut from mid-stream would begin a whole stream's length
    before its second page."""
    k = next((i for i, p in enumerate(found) if p[2] != found[0][2]), None)
    if not k:
        return found
    start = found[k][0] - sum(p[1] for p in found[:k])
    if start == found[0][0]:
        return found
    out, t = [], start
    for _pts, duration, pos, size in found[:k]:
        out.append((t, duration, pos, size))
        t += duration
    return out + found[k:]


def measure(path: Path, fmt: str) -> float:
    """Seconds of audio in a segment file (0.0 when it holds no whole frame)."""
    found = packets(path, fmt)
    if not found:
        return 0.0
    last = found[-1]
    return last.t_s + last.duration_s


def trim_partial_frame(path: Path, fmt: str) -> None:
    """Cut a FLAC segment left by a killed engine back to its last whole frame (a frame is
    written in one piece, so only a failed write leaves part of one; its CRC tells)."""
    if fmt != "flac":
        return  # other formats resynchronise, or (Ogg) their demuxer drops a partial page
    found = packets(path, fmt)
    if not found:
        return
    last = found[-1]
    whole = flac.frame_intact(slice_bytes(path, last.pos, last.pos + last.size))
    end = last.pos + last.size if whole else last.pos
    if end < path.stat().st_size:
        with open(path, "r+b") as fh:
            fh.truncate(end)


def slice_bytes(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(max(0, end - start))


def to_mp3(data: bytes, fmt: str) -> bytes:
    """Re-encode archived bytes of format `fmt` as MP3 (MP3 itself is returned unchanged)."""
    if fmt == "mp3":
        return data
    out = io.BytesIO()
    try:
        with (
            av.open(io.BytesIO(data), mode="r", format=ARCHIVABLE[fmt][0]) as source,
            av.open(out, "w", format="mp3") as target,
        ):
            audio = source.streams.audio[0]
            rate = audio.codec_context.sample_rate or 44100
            layout = "mono" if (audio.codec_context.channels or 2) == 1 else "stereo"
            encoder = target.add_stream("libmp3lame", rate=rate)
            encoder.layout = layout
            encoder.bit_rate = MP3_BITRATE
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            for frame in source.decode(audio):
                frame.pts = None
                for ready in resampler.resample(frame):
                    for packet in encoder.encode(ready):
                        target.mux(packet)
            for ready in resampler.resample(None):
                for packet in encoder.encode(ready):
                    target.mux(packet)
            for packet in encoder.encode(None):
                target.mux(packet)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"the clip could not be converted to MP3: {exc}") from exc
    return out.getvalue()


def decode_mono(data: bytes, fmt: str, rate: int) -> np.ndarray:
    """Archived bytes decoded to float32 mono at `rate` (for peaks of a recovered segment)."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r", format=ARCHIVABLE[fmt][0]) as source:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in source.decode(source.streams.audio[0]):
                frame.pts = None
                chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    except (av.FFmpegError, OSError, ValueError, IndexError):
        pass  # a damaged tail: keep what decoded
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)

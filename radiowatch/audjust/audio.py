"""Decoding for Resize: one PyAV pass gives both signals the feature needs.

Analysis wants mono at ANALYSIS_RATE; rendering wants the original rate in stereo so an
export sounds like the source. engine/fingerprint/decode.py (8 kHz mono, tuned for fingerprints) serves
neither, so this small decoder lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from radiowatch.audjust.errors import AudioInputError

ANALYSIS_RATE = 22050
# Resize is for songs, jingles and beds; a cap keeps a stray hour-long recording from eating RAM.
MAX_SECONDS = 20 * 60


@dataclass(frozen=True)
class DecodedAudio:
    """Stereo float32 at the source rate (shape (2, n)) plus the mono analysis signal."""

    stereo: np.ndarray
    rate: int
    mono: np.ndarray  # float32 at ANALYSIS_RATE

    @property
    def duration(self) -> float:
        return self.stereo.shape[1] / self.rate


def decode(
    path: str | Path, *, with_stereo: bool = True, max_seconds: float = MAX_SECONDS
) -> DecodedAudio:
    """Decode any audio/video file; raises AudioInputError with a message fit for the user."""
    p = Path(path)
    if not p.exists():
        raise AudioInputError(f"{p.name}: file not found. Check that it was not moved or deleted.")
    if p.is_dir():
        raise AudioInputError(f"{p.name} is a folder. Choose an audio file (MP3, WAV, FLAC, ...).")
    if p.stat().st_size == 0:
        raise AudioInputError(f"{p.name} is empty (0 bytes). Choose another file.")
    try:
        container = av.open(str(p), mode="r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise AudioInputError(
            f"{p.name} is not a readable audio file. Choose an MP3, WAV, FLAC, OGG or M4A file."
        ) from exc
    with container:
        if not container.streams.audio:
            raise AudioInputError(f"{p.name} contains no audio. Choose a file with sound.")
        stream = container.streams.audio[0]
        rate = int(stream.rate or stream.codec_context.sample_rate or 44100)
        mono_rs = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
        stereo_rs = (
            av.AudioResampler(format="fltp", layout="stereo", rate=rate) if with_stereo else None
        )
        mono_chunks: list[np.ndarray] = []
        stereo_chunks: list[np.ndarray] = []
        limit = int(max_seconds * ANALYSIS_RATE)
        decoded = 0
        try:
            for frame in container.decode(stream):
                frame.pts = None  # resamplers re-time frames; broken timestamps must not matter
                decoded += _feed(mono_rs, frame, mono_chunks, stereo_rs, stereo_chunks)
                if decoded > limit:
                    raise AudioInputError(
                        f"{p.name} is longer than {max_seconds / 60:.0f} minutes. "
                        "Resize works on songs; cut the file first."
                    )
            _feed(mono_rs, None, mono_chunks, stereo_rs, stereo_chunks)
        except (av.FFmpegError, OSError, ValueError) as exc:
            # A truncated file decodes up to the damage; keep it if a usable amount survived.
            if decoded < 2 * ANALYSIS_RATE:
                raise AudioInputError(
                    f"{p.name}: the audio data is damaged and cannot be decoded. "
                    "Try another copy of the file."
                ) from exc
    if not mono_chunks or sum(c.size for c in mono_chunks) == 0:
        raise AudioInputError(f"{p.name} contains no decodable audio. Choose another file.")
    mono = np.concatenate(mono_chunks).astype(np.float32, copy=False)
    if with_stereo and stereo_chunks:
        stereo = np.concatenate(stereo_chunks, axis=1).astype(np.float32, copy=False)
    else:
        stereo = np.zeros((2, 0), np.float32)
        rate = ANALYSIS_RATE
    return DecodedAudio(stereo=stereo, rate=rate, mono=mono)


def _feed(mono_rs, frame, mono_chunks, stereo_rs, stereo_chunks) -> int:
    count = 0
    for out in mono_rs.resample(frame):
        chunk = out.to_ndarray().reshape(-1)
        mono_chunks.append(chunk)
        count += chunk.size
    if stereo_rs is not None:
        for out in stereo_rs.resample(frame):
            stereo_chunks.append(out.to_ndarray().reshape(2, -1))
    return count

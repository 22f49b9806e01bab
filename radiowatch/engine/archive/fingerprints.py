"""The archive's one door into the fingerprint algorithm (`radiowatch.engine.fingerprint`).

Everything the archive knows about fingerprints goes through this module: which peaks it keeps
of a stream, how they are stored, how a catalog track's peaks are read, and the hashing, speed
grid and peak-by-peak check the "found later" search uses. When the fingerprint package
changes (its index and hashes are rewritten in turn), this module is what follows it;
`found_later.py`, `recorder.py` and the rest only see plain arrays of frames and half-bands.

The archived peaks are `fingerprint.landmarks.find_peaks` of the decoded stream, at
`STREAM_PEAKS_PER_S`, on the same frame grid (`FRAME_S`) and in the same unit (half-bands) as
the catalog's stored reference peaks. A block is stored column by column (frame deltas as one
byte each, the rare bigger ones apart, then the half-bands), deflated: about 1.2 bytes a peak,
some 3 MB per station-day at 30 peaks/s (bench/archive/RESULTS.md). `PEAKS_VERSION` is stored with every block, so blocks written by
another peak picker are recognised and skipped instead of misread.

The search turns the usual direction round: a day of a station's peaks is the *index* (pairs
of peaks hashed like the catalog's), and each new track is the *query*, looked up under every
playback-speed candidate. A track is small and a station-day is big, so this costs one index
build per station-day and a few hash lookups per track, instead of 20,000 window queries.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from radiowatch.engine.fingerprint.catalog import MATCH_THRESHOLD, confidence
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.engine.fingerprint.landmarks import (
    BAND_LOG_STEP,
    CATALOG_DENSITY,
    FRAME_S,
    MAX_DT,
    QUERY_DENSITY,
    Peaks,
    find_peaks,
    make_pairs,
    quantise,
)
from radiowatch.engine.fingerprint.matcher import verification_score
from radiowatch.engine.fingerprint.reference_peaks import decode_peaks

__all__ = [
    "FRAME_S",
    "HOP_SAMPLES",
    "MATCH_THRESHOLD",
    "PEAKS_VERSION",
    "SAMPLE_RATE",
    "SpeedCandidate",
    "SPEED_CANDIDATES",
    "DamagedPeaks",
    "confidence",
    "decode_block",
    "encode_block",
    "index_keys",
    "query_keys",
    "stream_peaks",
    "track_peaks",
    "verify",
]

# Peaks kept per second of stream: denser than a catalog track (24/s) because stream audio is
# noisier (talk-over, compression), sparser than a live query (36/s) to stay within ~4 MB a day.
STREAM_PEAKS_PER_S = 30.0
PEAKS_VERSION = 1
HOP_SAMPLES = int(round(FRAME_S * SAMPLE_RATE))  # samples per frame
# find_peaks whitens over ~2 s and looks 2 frames around a peak: peaks within this many
# samples of a block's edge depend on audio outside it, so blocks are analysed with this margin.
EDGE_SAMPLES = 64 * HOP_SAMPLES  # ~2 s

_INDEX_FANOUT = CATALOG_DENSITY.fanout
_QUERY_FANOUT = QUERY_DENSITY.fanout


@dataclass(frozen=True)
class SpeedCandidate:
    """How a station may have played a track: `speed` (tape-style: pitch and tempo together)
    and `tempo` (time only). `time_scale` and `band_shift` map the track's peaks onto the
    stream's (stream frame = track frame x time_scale; stream band = track band - band_shift),
    the attributes `verification_score` reads."""

    speed: float
    tempo: float
    time_scale: float
    band_shift: float


def _speed(s: float) -> SpeedCandidate:
    return SpeedCandidate(s, s, 1.0 / s, -float(np.log(s) / BAND_LOG_STEP))


def _tempo(s: float) -> SpeedCandidate:
    return SpeedCandidate(1.0, s, 1.0 / s, 0.0)


# The live matcher's grid: tape speeds up to +-5 %, time-stretches up to +-4 %, in 1 % steps.
SPEED_CANDIDATES: tuple[SpeedCandidate, ...] = tuple(
    [_speed(1.0)]
    + [_speed(round(1 + sign * d, 2)) for d in (0.01, 0.02, 0.03, 0.04, 0.05) for sign in (1, -1)]
    + [_tempo(round(1 + sign * d, 2)) for d in (0.01, 0.02, 0.03, 0.04) for sign in (1, -1)]
)


def stream_peaks(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The peaks archived for decoded stream audio (float32 mono at SAMPLE_RATE): frames from
    the first sample (int64) and half-bands (int64), sorted by frame."""
    peaks = find_peaks(np.asarray(samples, np.float32), STREAM_PEAKS_PER_S)
    return _frames_half_bands(peaks)


def _frames_half_bands(peaks: Peaks) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(peaks.t, np.int64)
    hb = np.clip(np.rint(np.asarray(peaks.f, np.float64) * 2), 0, 254).astype(np.int64)
    return t, hb


_HEADER = struct.Struct("<II")  # peaks, frame deltas too big for one byte
_BIG = 255


def encode_block(frames: np.ndarray, half_bands: np.ndarray) -> bytes:
    """Compact bytes for a block of peaks: frames (0 <= frame < 65536, from the block's start)
    sorted, and half-bands (0-254)."""
    t = np.asarray(frames, np.int64)
    if t.size and (t.min() < 0 or t.max() > 0xFFFF):
        raise ValueError("a block of peaks spans at most 65,535 frames (35 minutes)")
    delta = np.diff(t, prepend=0)
    big = delta[delta >= _BIG].astype("<u2")
    head = _HEADER.pack(int(t.size), int(big.size))
    body = (
        np.minimum(delta, _BIG).astype(np.uint8).tobytes()
        + big.tobytes()
        + np.asarray(half_bands, np.uint8).tobytes()
    )
    return head + zlib.compress(body, 6)


class DamagedPeaks(ValueError):
    """A stored block of peaks that does not decode (damaged on disk)."""


def decode_block(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(frames, half-bands) of an `encode_block` blob; DamagedPeaks if it is not one."""
    try:
        n, n_big = _HEADER.unpack_from(blob)
        body = zlib.decompress(blob[_HEADER.size :])
        small = np.frombuffer(body, np.uint8, n).astype(np.int64)
        big = np.frombuffer(body, "<u2", n_big, offset=n).astype(np.int64)
        small[small == _BIG] = big
        half_bands = np.frombuffer(body, np.uint8, n, offset=n + 2 * n_big).astype(np.int64)
    except (struct.error, zlib.error, ValueError) as exc:
        raise DamagedPeaks(str(exc)) from exc
    return np.cumsum(small), half_bands


def _as_peaks(frames: np.ndarray, half_bands: np.ndarray) -> Peaks:
    # half-bands back to band units: quantise() and verification_score() multiply by 2 again,
    # so both sides of a comparison see exactly the stored integers
    return Peaks(
        np.asarray(frames, np.int64), (np.asarray(half_bands, np.float64) / 2).astype(np.float32)
    )


def track_peaks(catalog: Any, track_id: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A catalog track's stored reference peaks (frames from its start, half-bands), or None
    when the catalog has none for it (unknown track, or an index older than stored peaks)."""
    read = getattr(catalog, "track_peaks", None)
    if read is not None:  # the catalog's public accessor, where it has one
        found = read(track_id)
        if found is None:
            return None
        t, hb = found
        return np.asarray(t, np.int64), np.asarray(hb, np.int64)
    if catalog.get(track_id) is None:
        return None
    blob = catalog._stored_peaks(track_id)  # older catalogs: the row's peaks blob
    t, hb = decode_peaks(blob)
    return (t, hb) if t.size else None


def index_keys(frames: np.ndarray, half_bands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hashes (uint32) and anchor frames (int64) of a stream's peaks, for the search index."""
    h, t = quantise(make_pairs(_as_peaks(frames, half_bands), _INDEX_FANOUT))
    return h, np.rint(t).astype(np.int64)


def query_keys(
    frames: np.ndarray,
    half_bands: np.ndarray,
    candidates: tuple[SpeedCandidate, ...] = SPEED_CANDIDATES,
) -> list[tuple[SpeedCandidate, np.ndarray, np.ndarray]]:
    """Per speed candidate: a track's query hashes and their anchor frames on the stream's time
    axis (track frame x time_scale, float32)."""
    pairs = make_pairs(_as_peaks(frames, half_bands), _QUERY_FANOUT, max_dt=MAX_DT * 1.06)
    out = []
    for cand in candidates:
        h, t = quantise(pairs, cand.time_scale, cand.band_shift)
        out.append((cand, h, t))
    return out


def verify(
    frames: np.ndarray,
    half_bands: np.ndarray,
    cand: SpeedCandidate,
    position: int,
    reference: Any,
) -> float:
    """How far above chance the stream's peaks near `position` coincide with a piece of a
    track (its peaks, frames from the piece's start) placed there at speed `cand`, in the
    matcher's score unit (>= MATCH_THRESHOLD: the same audio). `reference(lo, hi)` returns the
    stream's (frames, half-bands) with lo <= frame < hi."""
    # the matcher reads only time_scale and band_shift of its candidate
    candidate: Any = cand
    return float(verification_score(_as_peaks(frames, half_bands), candidate, position, reference))

"""The catalog's spectral peaks, kept for verifying candidate matches peak by peak.

Hash votes find candidates fast, but a vote needs *both* peaks of a pair to survive the
query's noise; under heavy noise a true match and the luckiest chance alignment then get
similar counts. Checking a candidate alignment against the reference's own peaks (does each
reference peak have a query peak next to it?) needs single peaks only, and separates the two
far better (matcher.verification_score). So each track's peaks are stored too, compactly:

- per track, sorted by frame: a 16-bit frame delta, an 8-bit half-band and an 8-bit level
  (dB, 1 dB steps) per peak, deflated (about 3.4 kB per audio minute, 2.1 kB without levels,
  next to ~33 kB of hashes). The level lets stream monitoring tell whether a track is still
  on air under a DJ's voice (streams/spectral_holes.py). Blobs written before levels were
  kept have no level byte and no leading format byte (a deflate stream starts with 0x78):
  they decode without levels;
- a gap of more than 65,535 frames (35 min without a peak) is bridged with filler entries
  whose band is `_FILLER`, dropped on decoding;
- stored in the track's SQLite row, committed with it, so it can never be half-written.

Reading decodes a track's peaks on first use and keeps the most recent tracks decoded.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from radiowatch.engine.fingerprint.landmarks import Peaks

_FILLER = 255
_MAX_DELTA = 0xFFFF
_RECORD = np.dtype([("dt", "<u2"), ("f", "u1")])  # blobs written before levels were kept
WITH_LEVELS = b"\x02"
_RECORD_WITH_LEVEL = np.dtype([("dt", "<u2"), ("f", "u1"), ("level", "u1")])
_LEVEL_OFFSET = 100.0  # stored byte = dB + this: peaks lie between -75 dB and about +60 dB
CACHED_TRACKS = 512


def half_bands(peaks: Peaks) -> np.ndarray:
    """Peak frequencies on the hash grid (half-band units), the unit verification compares in."""
    return np.clip(np.rint(peaks.f * 2), 0, 254).astype(np.uint8)


def encode_peaks(peaks: Peaks) -> bytes:
    t = np.asarray(peaks.t, np.int64)
    f = half_bands(peaks)
    level = (
        np.zeros(t.size, np.uint8)
        if peaks.level is None
        else np.clip(np.rint(np.asarray(peaks.level) + _LEVEL_OFFSET), 0, 255).astype(np.uint8)
    )
    order = np.lexsort((f, t))
    t, f, level = t[order], f[order], level[order]
    delta = np.diff(t, prepend=0)
    if delta.size and delta.max() > _MAX_DELTA:
        t, f, level, delta = _bridge_gaps(t, f, level)
    rec = np.empty(t.size, _RECORD_WITH_LEVEL)
    rec["dt"], rec["f"], rec["level"] = delta, f, level
    return WITH_LEVELS + zlib.compress(rec.tobytes(), 6)


def _bridge_gaps(t: np.ndarray, f: np.ndarray, level: np.ndarray):
    ts, fs, ls, prev = [], [], [], 0
    for ti, fi, li in zip(t.tolist(), f.tolist(), level.tolist(), strict=True):
        while ti - prev > _MAX_DELTA:
            prev += _MAX_DELTA
            ts.append(prev)
            fs.append(_FILLER)
            ls.append(0)
        ts.append(ti)
        fs.append(fi)
        ls.append(li)
        prev = ti
    t = np.array(ts, np.int64)
    return t, np.array(fs, np.uint8), np.array(ls, np.uint8), np.diff(t, prepend=0)


def _records(blob: bytes) -> np.ndarray:
    if blob[:1] == WITH_LEVELS:
        return np.frombuffer(zlib.decompress(blob[1:]), _RECORD_WITH_LEVEL)
    return np.frombuffer(zlib.decompress(blob), _RECORD)


def decode_peaks(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(frames relative to the track's start, half-bands), sorted by frame."""
    t, f, _levels = decode_all(blob)
    return t, f


def decode_levels(blob: bytes) -> np.ndarray | None:
    """The peaks' levels (dB, float32) in `decode_peaks` order; None for a blob written
    before levels were kept."""
    return decode_all(blob)[2]


def decode_all(blob: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`decode_peaks` and `decode_levels` from one decompression."""
    rec = _records(blob)
    t = np.cumsum(rec["dt"], dtype=np.int64)
    keep = rec["f"] != _FILLER
    levels = (
        rec["level"][keep].astype(np.float32) - _LEVEL_OFFSET
        if "level" in (rec.dtype.names or ())
        else None
    )
    return t[keep], rec["f"][keep].astype(np.int64), levels


class ReferencePeaks:
    """Peaks of the catalog on the global frame axis, for any window of frames.

    `load(track_id)` returns the stored blob; it is only called for tracks a query actually
    lines up with, and the decoded peaks of the last CACHED_TRACKS tracks are kept.
    """

    def __init__(
        self,
        bases: np.ndarray,
        ends: np.ndarray,
        track_ids: tuple[str, ...],
        load: Callable[[str], bytes],
    ) -> None:
        self._bases, self._ends, self._ids, self._load = bases, ends, track_ids, load
        self._cache: OrderedDict[str, _Decoded] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Global frames and half-bands of every reference peak with lo <= frame < hi."""
        first = max(int(np.searchsorted(self._bases, lo, side="right")) - 1, 0)
        last = int(np.searchsorted(self._bases, hi, side="left"))
        ts, fs = [], []
        for k in range(first, last):
            base = int(self._bases[k])
            if self._ends[k] <= lo:
                continue
            t, f = self._decoded(self._ids[k]).peaks
            a, b = np.searchsorted(t, [lo - base, hi - base])
            ts.append(t[a:b] + base)
            fs.append(f[a:b])
        if not ts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(ts), np.concatenate(fs)

    def track(self, track_id: str) -> tuple[np.ndarray, np.ndarray]:
        """One track's peaks: frames from the track's start and half-bands, sorted by frame."""
        return self._decoded(track_id).peaks

    def forget(self, track_id: str) -> None:
        """Drop a track's decoded peaks (its stored blob changed)."""
        with self._lock:
            self._cache.pop(track_id, None)

    def track_levels(self, track_id: str) -> np.ndarray | None:
        """One track's peak levels (dB) in `track` order; None where none were stored."""
        return self._decoded(track_id).levels

    def _decoded(self, track_id: str) -> _Decoded:
        with self._lock:
            hit = self._cache.get(track_id)
            if hit is not None:
                self._cache.move_to_end(track_id)
                return hit
        t, f, levels = decode_all(self._load(track_id))
        decoded = _Decoded((t, f), levels)
        with self._lock:
            self._cache[track_id] = decoded
            while len(self._cache) > CACHED_TRACKS:
                self._cache.popitem(last=False)
        return decoded


class _Decoded(NamedTuple):
    peaks: tuple[np.ndarray, np.ndarray]
    levels: np.ndarray | None

"""The catalog's spectral peaks, kept for verifying candidate matches peak by peak.

Hash votes find candidates fast, but a vote needs *both* peaks of a pair to survive the
query's noise; under heavy noise a true match and the luckiest chance alignment then get
similar counts. Checking a candidate alignment against the reference's own peaks (does each
reference peak have a query peak next to it?) needs single peaks only, and separates the two
far better (matcher.verification_score). So each track's peaks are stored too, compactly:

- per track, sorted by frame: a 16-bit frame delta and an 8-bit half-band per peak, deflated
  (about 2 kB per audio minute, next to ~33 kB of hashes);
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

import numpy as np

from radiowatch.engine.fingerprint.landmarks import Peaks

_FILLER = 255
_MAX_DELTA = 0xFFFF
_RECORD = np.dtype([("dt", "<u2"), ("f", "u1")])
CACHED_TRACKS = 512


def half_bands(peaks: Peaks) -> np.ndarray:
    """Peak frequencies on the hash grid (half-band units), the unit verification compares in."""
    return np.clip(np.rint(peaks.f * 2), 0, 254).astype(np.uint8)


def encode_peaks(peaks: Peaks) -> bytes:
    t = np.asarray(peaks.t, np.int64)
    f = half_bands(peaks)
    order = np.lexsort((f, t))
    t, f = t[order], f[order]
    delta = np.diff(t, prepend=0)
    if delta.size and delta.max() > _MAX_DELTA:
        t, f, delta = _bridge_gaps(t, f)
    rec = np.empty(t.size, _RECORD)
    rec["dt"], rec["f"] = delta, f
    return zlib.compress(rec.tobytes(), 6)


def _bridge_gaps(t: np.ndarray, f: np.ndarray):
    ts, fs, prev = [], [], 0
    for ti, fi in zip(t.tolist(), f.tolist(), strict=True):
        while ti - prev > _MAX_DELTA:
            prev += _MAX_DELTA
            ts.append(prev)
            fs.append(_FILLER)
        ts.append(ti)
        fs.append(fi)
        prev = ti
    t = np.array(ts, np.int64)
    return t, np.array(fs, np.uint8), np.diff(t, prepend=0)


def decode_peaks(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(frames relative to the track's start, half-bands), sorted by frame."""
    rec = np.frombuffer(zlib.decompress(blob), _RECORD)
    t = np.cumsum(rec["dt"], dtype=np.int64)
    keep = rec["f"] != _FILLER
    return t[keep], rec["f"][keep].astype(np.int64)


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
        self._cache: OrderedDict[str, tuple[np.ndarray, np.ndarray]] = OrderedDict()
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
            t, f = self._track(self._ids[k])
            a, b = np.searchsorted(t, [lo - base, hi - base])
            ts.append(t[a:b] + base)
            fs.append(f[a:b])
        if not ts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(ts), np.concatenate(fs)

    def track(self, track_id: str) -> tuple[np.ndarray, np.ndarray]:
        """One track's peaks: frames from the track's start and half-bands, sorted by frame."""
        return self._track(track_id)

    def _track(self, track_id: str) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            hit = self._cache.get(track_id)
            if hit is not None:
                self._cache.move_to_end(track_id)
                return hit
        decoded = decode_peaks(self._load(track_id))
        with self._lock:
            self._cache[track_id] = decoded
            while len(self._cache) > CACHED_TRACKS:
                self._cache.popitem(last=False)
        return decoded

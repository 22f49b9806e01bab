"""Triplet keys: a peak and two of its strongest neighbours, hashed so speed changes keep them.

Why triplets (measured, bench/fingerprint/RESULTS.md, session 15): query time is postings read,
and a pair key (anchor band, band step, time gap: 21 bits) is shared by so much music that a
10 s query read ~10^9 postings per 100,000 tracks. A third peak makes a key specific enough
for that size, and a triplet can describe itself in terms a playback change leaves alone:

- the two frequency steps (log-frequency bands, so a tape-style speed change, which moves every
  peak by the same number of bands, keeps them);
- the *ratio* of the two time gaps, which a speed or tempo change (time scaled) keeps, plus the
  longer gap on a coarse log scale (30 % steps: a 5 % change seldom crosses a step);
- the anchor's band in half-bands. This one does move under a tape-speed change (up to ~3
  half-bands at +-5 %), so a query looks its keys up at the 7 anchor shifts -3..+3
  (`QUERY_SHIFTS`), one lookup per shift instead of the 19 speed/tempo re-hashings pairs needed.

A peak's partners are its `partners` *strongest* peaks in the zone after it (up to ~1.3 s
later, up to 31 bands away), not the nearest ones: noise adds and removes weak peaks, which
reshuffles nearest neighbours, while the strong ones stay strongest. The catalog keeps 3
partners per peak (3 triplets per peak, like the 3 pairs before), a query 6 (15 triplets per
peak), so the catalog's triplets are among the query's even when noise reorders strengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from radiowatch.engine.fingerprint.landmarks import Peaks


@dataclass(frozen=True)
class Zone:
    """Where a peak's partners may lie: frames after it, and bands away from it."""

    dt_min: int
    dt_max: int
    max_df: float
    partners: int


CATALOG_ZONE = Zone(dt_min=2, dt_max=40, max_df=31.0, partners=3)
# wider by a frame and a band, and 6 % longer, so a catalog triplet played up to 5 % faster or
# slower (and jittered by a frame) is still inside the query's zone
QUERY_ZONE = Zone(dt_min=1, dt_max=43, max_df=32.0, partners=6)

KEY_BITS = 31
_RATIO_STEPS = 16
_SPAN_STEP = np.log(1.3)
_MAX_SPAN_CODE = 15
_DF_OFFSET = 63
QUERY_SHIFTS = tuple(range(-3, 4))  # anchor half-band shifts looked up per query key


def partners(peaks: Peaks, zone: Zone) -> np.ndarray:
    """(n, zone.partners) indices of each peak's strongest partners in its zone, in time order;
    missing partners are n (one past the last peak)."""
    t = np.asarray(peaks.t, np.int64)
    f = np.asarray(peaks.f, np.float64)
    n = t.size
    m = zone.partners
    if n == 0:
        return np.zeros((0, m), np.int64)
    strength = peaks.strength if peaks.strength is not None else np.zeros(n, np.float32)
    far = np.searchsorted(t, t + zone.dt_max, side="right")
    ahead = int((far - np.arange(n)).max()) - 1
    if ahead <= 0:
        return np.full((n, m), n, np.int64)
    idx = np.arange(n)[:, None] + np.arange(1, ahead + 1)[None, :]
    valid = idx < far[:, None]
    idx = np.minimum(idx, n - 1)
    dt = t[idx] - t[:, None]
    valid &= (dt >= zone.dt_min) & (np.abs(f[idx] - f[:, None]) <= zone.max_df)
    score = np.where(valid, strength[idx], -np.inf)
    if ahead > m:
        top = np.argpartition(-score, m - 1, axis=1)[:, :m]
    else:
        top = np.broadcast_to(np.arange(ahead), (n, ahead))
    chosen = np.take_along_axis(idx, top, 1)
    chosen = np.where(np.take_along_axis(valid, top, 1), chosen, n)
    chosen.sort(axis=1)  # peaks are sorted by time, so indices are in time order
    if chosen.shape[1] < m:
        chosen = np.concatenate([chosen, np.full((n, m - chosen.shape[1]), n)], axis=1)
    return chosen


@dataclass
class Triplets:
    """Triplet keys without the anchor band (`body`), the anchor's half-band and frame."""

    body: np.ndarray  # int64, KEY_BITS - 8 bits
    anchor_band: np.ndarray  # int64 half-bands
    anchor_t: np.ndarray  # int64 frames

    def __len__(self) -> int:
        return int(self.body.size)


def triplets(peaks: Peaks, zone: Zone) -> Triplets:
    """Every anchor with every two of its partners (C(partners, 2) triplets per anchor)."""
    n = len(peaks)
    chosen = partners(peaks, zone)
    t = np.asarray(peaks.t, np.int64)
    f = np.asarray(peaks.f, np.float64)
    a_all = np.arange(n)
    bodies, bands, times = [], [], []
    for x, y in combinations(range(zone.partners), 2):
        b, c = chosen[:, x], chosen[:, y]
        ok = c < n  # b < c, so c present means both are
        a, b, c = a_all[ok], b[ok], c[ok]
        dtb, dtc = t[b] - t[a], t[c] - t[a]
        dfb = np.rint(2 * (f[b] - f[a])).astype(np.int64) + _DF_OFFSET
        dfc = np.rint(2 * (f[c] - f[a])).astype(np.int64) + _DF_OFFSET
        ratio = np.rint(_RATIO_STEPS * dtb / dtc).astype(np.int64)
        span = np.minimum(np.floor(np.log(dtc) / _SPAN_STEP), _MAX_SPAN_CODE).astype(np.int64)
        keep = (dfb >= 0) & (dfb < 128) & (dfc >= 0) & (dfc < 128)
        bodies.append(((dfb << 16) | (dfc << 9) | (ratio << 4) | span)[keep])
        bands.append(np.rint(2 * f[a]).astype(np.int64)[keep])
        times.append(t[a][keep])
    if not bodies:
        empty = np.zeros(0, np.int64)
        return Triplets(empty, empty, empty)
    return Triplets(np.concatenate(bodies), np.concatenate(bands), np.concatenate(times))


def with_band(body: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Full keys (uint32) from key bodies and anchor half-bands (0..255)."""
    return ((band << 23) | body).astype(np.uint32)


def catalog_keys(peaks: Peaks) -> tuple[np.ndarray, np.ndarray]:
    """Keys (uint32) and anchor frames (uint32) of a catalog track, unique per (key, frame)."""
    tri = triplets(peaks, CATALOG_ZONE)
    ok = (tri.anchor_band >= 0) & (tri.anchor_band < 256)
    keys = with_band(tri.body[ok], tri.anchor_band[ok]).astype(np.uint64)
    packed = np.unique((keys << np.uint64(32)) | tri.anchor_t[ok].astype(np.uint64))
    return (packed >> np.uint64(32)).astype(np.uint32), (packed & np.uint64(0xFFFFFFFF)).astype(
        np.uint32
    )


@dataclass
class QueryKeys:
    """A query's keys at every anchor shift: key, anchor frame and the shift (half-bands the
    query sits above the catalog) of each lookup."""

    keys: np.ndarray  # uint32
    anchor_t: np.ndarray  # int64
    shift: np.ndarray  # int64


def query_keys(peaks: Peaks) -> QueryKeys:
    tri = triplets(peaks, QUERY_ZONE)
    keys, times, shifts = [], [], []
    for s in QUERY_SHIFTS:
        band = tri.anchor_band - s
        ok = (band >= 0) & (band < 256)
        keys.append(with_band(tri.body[ok], band[ok]))
        times.append(tri.anchor_t[ok])
        shifts.append(np.full(int(ok.sum()), s, np.int64))
    if not keys:
        return QueryKeys(np.zeros(0, np.uint32), np.zeros(0, np.int64), np.zeros(0, np.int64))
    return QueryKeys(np.concatenate(keys), np.concatenate(times), np.concatenate(shifts))

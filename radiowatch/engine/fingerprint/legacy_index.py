"""The on-disk hash index: immutable, memory-mapped segments listed in SQLite.

A segment is one `.npy` file of shape (2, n) uint32: row 0 the sorted hashes, row 1 the global
reference frame of each entry (track base + frame). Immutable files make the index cheap to
open (mmap, no parsing), safe to read from many threads, and crash-safe to grow:

1. write `seg-<id>.npy.tmp`, fsync, rename to `seg-<id>.npy`, fsync the directory;
2. only then commit the `segments` row (and the tracks it holds) in SQLite.

A reader only opens segments that have a committed row, so a crash before step 2 leaves an
orphan file that nobody reads and the next writer sweeps. Many small segments slow queries
(one binary search per segment), so the writer merges them when there are too many: the
merged file is written the same way and swapped in with one transaction.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEGMENT_DIR = "segments"
MAX_SEGMENTS = 12  # above this, the smallest segments are merged
MERGE_DOWN_TO = 4


HASH_SPACE = 1 << 21  # hashes are < 2**21 (fingerprint.F1_BITS + DF_BITS + DT_BITS)
DIRECT_ADDRESS_MIN = 50_000  # segments at least this big get a bucket table at open


@dataclass(frozen=True)
class Segment:
    name: str
    hashes: np.ndarray  # sorted uint32 (memory-mapped)
    positions: np.ndarray  # uint32, aligned with hashes
    starts: np.ndarray | None = None  # bucket table: entries of hash h are starts[h]:starts[h+1]

    @property
    def size(self) -> int:
        return int(self.hashes.size)

    def ranges(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.starts is not None:
            return self.starts[hashes], self.starts[hashes + 1]
        return (
            np.searchsorted(self.hashes, hashes, "left"),
            np.searchsorted(self.hashes, hashes, "right"),
        )


def segment_path(root: Path, name: str) -> Path:
    return root / SEGMENT_DIR / f"{name}.npy"


def write_segment(root: Path, hashes: np.ndarray, positions: np.ndarray) -> str:
    """Sort and durably write a new segment file; returns its name (not yet committed)."""
    seg_dir = root / SEGMENT_DIR
    seg_dir.mkdir(parents=True, exist_ok=True)
    order = np.argsort(hashes, kind="stable")
    data = np.stack([hashes[order].astype(np.uint32), positions[order].astype(np.uint32)])
    name = f"seg-{uuid.uuid4().hex[:16]}"
    final = segment_path(root, name)
    tmp = final.with_suffix(".npy.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(seg_dir)
    return name


def open_segment(root: Path, name: str) -> Segment:
    data = np.load(segment_path(root, name), mmap_mode="r")
    if data.ndim != 2 or data.shape[0] != 2 or data.dtype != np.uint32:
        raise ValueError(f"segment {name} has an unexpected layout {data.shape} {data.dtype}")
    starts = None
    if data.shape[1] >= DIRECT_ADDRESS_MIN:
        # one O(n) pass at open turns every lookup into two array reads (no binary search)
        counts = np.bincount(data[0], minlength=HASH_SPACE)
        starts = np.zeros(counts.size + 1, np.int64)
        np.cumsum(counts, out=starts[1:])
    return Segment(name, data[0], data[1], starts)


def merge_segments(root: Path, segments: list[Segment], live_ranges: np.ndarray) -> str:
    """Write one segment holding the entries of `segments` that belong to live tracks.

    `live_ranges` is an (n, 2) array of [base, end) global frame ranges of tracks still in
    the catalog; entries of removed tracks are dropped here, which is how removal compacts.
    """
    h = np.concatenate([np.asarray(s.hashes) for s in segments])
    p = np.concatenate([np.asarray(s.positions) for s in segments])
    keep = position_is_live(p, live_ranges)
    return write_segment(root, h[keep], p[keep])


def position_is_live(positions: np.ndarray, live_ranges: np.ndarray) -> np.ndarray:
    if live_ranges.size == 0:
        return np.zeros(positions.shape, bool)
    k = np.searchsorted(live_ranges[:, 0], positions, side="right") - 1
    kk = np.maximum(k, 0)
    return (k >= 0) & (positions < live_ranges[kk, 1])


def sweep_orphans(root: Path, committed: set[str]) -> None:
    """Delete segment files no committed row refers to (left by a crash or a merge)."""
    seg_dir = root / SEGMENT_DIR
    if not seg_dir.is_dir():
        return
    for f in seg_dir.iterdir():
        stem = f.name.removesuffix(".tmp").removesuffix(".npy")
        if stem not in committed:
            f.unlink(missing_ok=True)


class SegmentSet:
    """An immutable snapshot of the index for lookups: safe to share between threads."""

    def __init__(self, segments: list[Segment], total_frames: int) -> None:
        self.segments = segments
        self.total_frames = max(int(total_frames), 1)

    @property
    def entries(self) -> int:
        return sum(s.size for s in self.segments)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `hashes`, reference position) for every entry equal to a query hash."""
        q_all, p_all = [], []
        for seg in self.segments:
            lo, hi = seg.ranges(hashes)
            n = hi - lo
            total = int(n.sum())
            if total == 0:
                continue
            q = np.repeat(np.arange(hashes.size), n)
            first = np.repeat(lo - (np.cumsum(n) - n), n)
            q_all.append(q)
            p_all.append(np.asarray(seg.positions[first + np.arange(total)]))
        if not q_all:
            return np.zeros(0, np.int64), np.zeros(0, np.uint32)
        return np.concatenate(q_all), np.concatenate(p_all)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The on-disk key index (format 2): immutable, memory-mapped segment files listed in SQLite.

A segment holds (key, reference position) entries sorted by key, in one file:

    header (64 bytes) | bucket table | positions (uint32) | key remainders (uint8/16/32)

The bucket table is the cumulative entry count per value of the key's top `table_bits` bits,
so the entries of key k lie in table[k >> shift] : table[(k >> shift) + 1]; only the key's
low `shift` bits are stored per entry (the remainder), which is what keeps an entry at 5-6
bytes. The table is written with the segment, so opening is an mmap, not a pass over the data
(format 1 built its table at open: ~15 s per 1.5 billion entries). `table_bits` grows with the
segment (about one slot per 2-4 entries), so a 100,000-track segment is direct-addressed and a
one-track segment stays small.

Crash safety is as before: a segment is written to `<name>.tmp`, fsynced, renamed, and only
then committed in SQLite; a file without a committed row is never read and is swept.

Merging (`merge_segments`) streams: it walks the key space in slices, takes each input's
entries of that slice (the tables say where they are), sorts the slice and appends it, so
merging a 10 GB segment needs memory for one slice, not for the index.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint.triplets import KEY_BITS

SEGMENT_DIR = "segments"
SUFFIX = ".seg"
MAGIC = b"RWSEG2\n\x00"
_HEADER = 64
MIN_TABLE_BITS = 8
MAX_TABLE_BITS = 28
MERGE_SLICE_ENTRIES = 8_000_000  # entries per slice of a streaming merge (~100 MB of memory)
# Keys are stored multiplied by this odd constant modulo 2**KEY_BITS (a bijection). A triplet
# key's low bits are its gap ratio and span, so similar triplets sat next to each other and a
# table slot (64 keys at 10,000 tracks) gathered a common triplet's every variant: a query
# scanned 1.7 million entries to find 105,000 hits. Mixed, a slot holds unrelated keys.
_MIX = 0x2545F491
_UNMIX = pow(_MIX, -1, 1 << KEY_BITS)
_MASK = (1 << KEY_BITS) - 1


def mix(keys: np.ndarray) -> np.ndarray:
    return (keys.astype(np.uint64) * np.uint64(_MIX)) & np.uint64(_MASK)


def unmix(stored: np.ndarray) -> np.ndarray:
    return (stored.astype(np.uint64) * np.uint64(_UNMIX)) & np.uint64(_MASK)


def table_bits_for(n: int) -> int:
    """About one table slot per 2-4 entries, within [MIN_TABLE_BITS, MAX_TABLE_BITS]: a slot
    per entry made the table a quarter of the index (4 bytes a slot), one per eight made a
    lookup compare eight remainders for every key it looks up."""
    bits = int(np.ceil(np.log2(max(n, 1)))) - 2
    return int(min(max(bits, MIN_TABLE_BITS), MAX_TABLE_BITS, KEY_BITS))


def _remainder_dtype(shift: int) -> np.dtype:
    if shift <= 8:
        return np.dtype(np.uint8)
    if shift <= 16:
        return np.dtype("<u2")
    return np.dtype("<u4")


@dataclass(frozen=True)
class Segment:
    name: str
    table: np.ndarray  # uint32/uint64 cumulative counts, 2**table_bits + 1
    positions: np.ndarray  # uint32 global reference frames, sorted by key
    remainders: np.ndarray  # low `shift` bits of each entry's key
    shift: int

    @property
    def size(self) -> int:
        return int(self.positions.size)

    @property
    def table_bits(self) -> int:
        return KEY_BITS - self.shift

    def keys(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """The keys of entries lo:hi."""
        return unmix(self.stored_keys(lo, hi))

    def stored_keys(self, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """The stored (mixed) keys of entries lo:hi, rebuilt from the table and remainders."""
        hi = self.size if hi is None else hi
        slots = np.searchsorted(self.table, np.arange(lo, hi), side="right") - 1
        return (slots.astype(np.uint64) << np.uint64(self.shift)) | np.asarray(
            self.remainders[lo:hi], np.uint64
        )

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `keys`, position) of every entry whose key is in `keys`."""
        k = mix(keys).astype(np.int64)
        return self.collect(k, *self.ranges(k))

    def ranges(self, mixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where the slot of each (mixed) key starts and how many entries it holds."""
        slot = mixed >> self.shift
        lo = self.table[slot].astype(np.int64)
        return lo, self.table[slot + 1].astype(np.int64) - lo

    def collect(
        self, mixed: np.ndarray, lo: np.ndarray, n: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The entries of the slots (lo, n) whose key is the looked-up one."""
        busy = np.flatnonzero(n)  # most keys of a query are in no track: skip them early
        if busy.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.uint32)
        lo, n = lo[busy], n[busy]
        q = np.repeat(busy, n)
        at = np.repeat(lo - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        if self.shift:
            hit = self.remainders[at] == (mixed & ((1 << self.shift) - 1))[q]
            q, at = q[hit], at[hit]
        return q, self.positions[at]


def segment_path(root: Path, name: str) -> Path:
    return root / SEGMENT_DIR / f"{name}{SUFFIX}"


class _Writer:
    """Writes a segment file in key order, slice by slice (temp name until `finish`)."""

    def __init__(self, root: Path, n: int, table_bits: int) -> None:
        seg_dir = root / SEGMENT_DIR
        seg_dir.mkdir(parents=True, exist_ok=True)
        self.name = f"seg-{uuid.uuid4().hex[:16]}"
        self.final = segment_path(root, self.name)
        self.tmp = self.final.with_name(self.final.name + ".tmp")
        self.n, self.bits = n, table_bits
        self.shift = KEY_BITS - table_bits
        table_dtype = np.dtype("<u4") if n < 2**32 else np.dtype("<u8")
        rem_dtype = _remainder_dtype(self.shift)
        slots = (1 << table_bits) + 1
        self.t_off = _HEADER
        self.p_off = _align(self.t_off + slots * table_dtype.itemsize)
        self.r_off = _align(self.p_off + 4 * n)
        size = _align(self.r_off + rem_dtype.itemsize * n)
        with open(self.tmp, "wb") as fh:
            fh.truncate(size)
            header = np.zeros(_HEADER, np.uint8)
            header[:8] = np.frombuffer(MAGIC, np.uint8)
            header[8:48].view("<u8")[:] = [
                n,
                table_bits,
                table_dtype.itemsize,
                rem_dtype.itemsize,
                KEY_BITS,
            ]
            fh.write(header.tobytes())
        self.filled = 0  # table[: filled + 1] is final
        self.mm = np.memmap(self.tmp, np.uint8, "r+")
        self.positions = self.mm[self.p_off : self.p_off + 4 * n].view("<u4")
        self.remainders = self.mm[self.r_off : self.r_off + rem_dtype.itemsize * n].view(rem_dtype)
        self.table_view = self.mm[self.t_off : self.t_off + slots * table_dtype.itemsize].view(
            table_dtype
        )
        self.at = 0

    def append(self, keys: np.ndarray, positions: np.ndarray) -> None:
        """Entries sorted by stored (mixed) key, all >= those appended before."""
        n = keys.size
        if n == 0:
            return
        k = keys.astype(np.uint64)
        self.positions[self.at : self.at + n] = positions
        self.remainders[self.at : self.at + n] = k & np.uint64((1 << self.shift) - 1)
        # table[j] = entries in slots < j; slots before this slice's first are complete
        slot = (k >> np.uint64(self.shift)).astype(np.int64)
        s0, s1 = int(slot[0]), int(slot[-1])
        self.table_view[self.filled + 1 : s0 + 1] = self.at
        self.table_view[s0 + 1 : s1 + 2] = self.at + np.cumsum(np.bincount(slot - s0))
        self.filled = s1 + 1
        self.at += n

    def finish(self) -> str:
        if self.at != self.n:
            raise ValueError(f"segment got {self.at} entries, expected {self.n}")
        self.table_view[0] = 0
        self.table_view[self.filled + 1 :] = self.at
        self.mm.flush()
        del self.positions, self.remainders, self.table_view, self.mm
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.final)
        _fsync_dir(self.final.parent)
        return self.name

    def abort(self) -> None:
        self.__dict__.pop("mm", None)
        self.tmp.unlink(missing_ok=True)


def write_segment(root: Path, keys: np.ndarray, positions: np.ndarray) -> str:
    """Sort and durably write a new segment file; returns its name (not yet committed)."""
    stored = mix(keys)
    order = np.lexsort((positions, stored))
    w = _Writer(root, int(keys.size), table_bits_for(int(keys.size)))
    try:
        w.append(stored[order], positions[order])
        return w.finish()
    except BaseException:
        w.abort()
        raise


def open_segment(root: Path, name: str) -> Segment:
    path = segment_path(root, name)
    mm = np.memmap(path, np.uint8, "r")
    if bytes(mm[:8]) != MAGIC:
        raise ValueError(f"segment {name} is not a format-2 segment")
    n, table_bits, t_size, r_size, key_bits = (int(x) for x in mm[8:48].view("<u8"))
    if key_bits != KEY_BITS:
        raise ValueError(f"segment {name} has {key_bits}-bit keys, expected {KEY_BITS}")
    slots = (1 << table_bits) + 1
    t_dtype = np.dtype("<u4") if t_size == 4 else np.dtype("<u8")
    r_dtype = _remainder_dtype({1: 8, 2: 16, 4: 32}[r_size])
    p_off = _align(_HEADER + slots * t_size)
    r_off = _align(p_off + 4 * n)
    # plain ndarray views of the mapping: np.memmap's subclass machinery costs on every gather
    data = mm.view(np.ndarray)
    return Segment(
        name,
        data[_HEADER : _HEADER + slots * t_size].view(t_dtype),
        data[p_off : p_off + 4 * n].view("<u4"),
        data[r_off : r_off + r_size * n].view(r_dtype),
        KEY_BITS - table_bits,
    )


def merge_segments(
    root: Path,
    segments: list[Segment],
    live_ranges: np.ndarray,
    *,
    all_live: bool = False,
    should_stop=None,
) -> str:
    """Write one segment holding the entries of `segments` that belong to live tracks.

    `live_ranges` is an (n, 2) array of [base, end) global frame ranges of tracks still in
    the catalog; entries of removed tracks are dropped here, which is how removal compacts.
    `all_live` says no entry belongs to a removed track (skips the counting pass).
    `should_stop()` is polled between slices; when it returns True the merge is abandoned
    (InterruptedError) and its temp file deleted.
    """
    kept = sum(s.size for s in segments)
    if not all_live:  # a first pass counts the live entries (the file is sized up front)
        kept = 0
        for _keys, pos in _merged_slices(segments):
            kept += int(position_is_live(pos, live_ranges).sum())
            if should_stop is not None and should_stop():
                raise InterruptedError("merge cancelled")
    w = _Writer(root, kept, table_bits_for(kept))
    try:
        for keys, pos in _merged_slices(segments):
            if all_live:
                w.append(keys, pos)
            else:
                live = position_is_live(pos, live_ranges)
                w.append(keys[live], pos[live])
            if should_stop is not None and should_stop():
                raise InterruptedError("merge cancelled")
        return w.finish()
    except BaseException:
        w.abort()
        raise


def _merged_slices(segments: list[Segment]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The entries of all `segments` in stored-key order, in slices of ~MERGE_SLICE_ENTRIES."""
    total = sum(s.size for s in segments)
    n_slices = max(1, -(-total // MERGE_SLICE_ENTRIES))
    space = 1 << KEY_BITS
    unit = 1 << max((s.shift for s in segments), default=0)  # slices never split a slot
    bounds = sorted({min(space * i // n_slices // unit * unit, space) for i in range(n_slices)})
    bounds.append(space)
    for k0, k1 in zip(bounds[:-1], bounds[1:], strict=True):
        keys, pos = [], []
        for s in segments:
            lo = int(s.table[k0 >> s.shift])
            hi = int(s.table[k1 >> s.shift]) if k1 < space else s.size
            if hi > lo:
                keys.append(s.stored_keys(lo, hi))
                pos.append(np.asarray(s.positions[lo:hi]))
        if not keys:
            continue
        k = np.concatenate(keys)
        p = np.concatenate(pos)
        order = np.argsort(k, kind="stable")  # lookups need keys grouped, not positions sorted
        yield k[order], p[order]


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
        stem = f.name.removesuffix(".tmp").removesuffix(SUFFIX).removesuffix(".npy")
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

    def lookup(self, keys: np.ndarray, budget: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(index into `keys`, reference position) for every entry equal to a query key.

        With a `budget`, at most about that many entries are read: keys are taken rarest
        first (by the size of their table slots) until the budget is spent, and the commonest
        are skipped. A large catalog's chance hits come mostly from a few very common keys
        (harmonic intervals every track has), a true match's votes from all of them.
        """
        mixed = mix(keys).astype(np.int64)
        spans = [seg.ranges(mixed) for seg in self.segments]
        if budget is not None and spans:
            load = np.sum([n for _lo, n in spans], axis=0)
            if int(load.sum()) > budget:
                order = np.argsort(load, kind="stable")
                skip = order[np.cumsum(load[order]) > budget]
                spans = [(lo, n.copy()) for lo, n in spans]
                for _lo, n in spans:
                    n[skip] = 0
        q_all, p_all = [], []
        for seg, (lo, n) in zip(self.segments, spans, strict=True):
            q, p = seg.collect(mixed, lo, n)
            if q.size:
                q_all.append(q)
                p_all.append(p)
        if not q_all:
            return np.zeros(0, np.int64), np.zeros(0, np.uint32)
        return np.concatenate(q_all), np.concatenate(p_all)


def _align(x: int) -> int:
    return (x + 7) // 8 * 8


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

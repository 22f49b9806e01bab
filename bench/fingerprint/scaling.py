"""Per-core indexing speed, and how query time and index size grow with the catalog.

    .venv/bin/python bench/fingerprint/scaling.py --db WORK/db --corpus CORPUS \
        --tracks 1000 10000

1. Indexing speed per core: CPU time (not wall, the machine is shared) to decode and to
   fingerprint a few catalog files, as x realtime.
2. Scaling: the real benchmark index plus a synthetic segment of N tracks' worth of entries,
   hashes drawn from the real index's hash distribution (so bucket skew is realistic) at
   positions beyond the real tracks. The synthetic tracks' stored peaks (which verification
   checks candidates against) are real tracks' peaks played backwards: music-like density and
   band statistics, but never the query's song. Real 10 s queries (clean, SNR 5 dB, speed +4 %)
   are then matched against it: matcher time p50/p95, recall and the best score of negative
   queries.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import index
from radiowatch.engine.fingerprint.catalog import MATCH_THRESHOLD, Catalog, fingerprint_samples
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, decode_file
from radiowatch.engine.fingerprint.matcher import match


def index_speed(corpus: Path, n_files: int) -> None:
    files = sorted((corpus / "catalog").glob("*.flac"))[:n_files]
    t_dec = t_fp = audio = 0.0
    for f in files:
        t0 = time.process_time()
        s = decode_file(f)
        t1 = time.process_time()
        fingerprint_samples(s)  # peaks, hashes and the stored peak blob
        t2 = time.process_time()
        t_dec += t1 - t0
        t_fp += t2 - t1
        audio += s.size / SAMPLE_RATE
    print(
        f"| indexing, per core (CPU time, {len(files)} files, {audio / 60:.1f} min) | "
        f"decode {audio / t_dec:.0f}x, fingerprint {audio / t_fp:.0f}x, "
        f"together {audio / (t_dec + t_fp):.0f}x realtime |"
    )


class _Table:
    def __init__(self, segset: index.SegmentSet, reference_peaks=None):
        self.segments = segset
        self.total_frames = segset.total_frames
        self.reference_peaks = reference_peaks

    def lookup(self, h):
        return self.segments.lookup(h)


class _SyntheticPeaks:
    """The real catalog's peaks up to `base`; beyond it, synthetic track j (`frames` long) has
    the peaks of real track j mod n, time-reversed."""

    def __init__(self, snap, base: int, frames: int):
        self.real, self.base, self.frames = snap.reference_peaks, base, frames
        self.reversed = []
        for k in range(len(snap.track_ids)):
            lo, hi = int(snap.bases[k]), int(snap.ends[k])
            t, f = self.real(lo, hi)
            self.reversed.append(((hi - 1 - t)[::-1] - lo, f[::-1]))

    def __call__(self, lo: int, hi: int):
        if hi <= self.base:
            return self.real(lo, hi)
        ts, fs = [], []
        if lo < self.base:
            t, f = self.real(lo, self.base)
            ts.append(t)
            fs.append(f)
        first = max(lo - self.base, 0) // self.frames
        last = (hi - self.base - 1) // self.frames
        for j in range(first, last + 1):
            t, f = self.reversed[j % len(self.reversed)]
            start = self.base + j * self.frames
            t = t[t < self.frames] + start
            keep = (t >= lo) & (t < hi)
            ts.append(t[keep])
            fs.append(f[keep])
        return np.concatenate(ts), np.concatenate(fs)


def _synthetic_segment(
    cache: Path | None, real_entries: int, n_tracks: int, all_h, base: int, span: int, extra: int
) -> tuple[Path, str, bool]:
    """Write (or, with a cache dir, reuse) the synthetic segment for one catalog size.

    Its content depends only on the real index and the size (one seeded generator per size),
    so a cached segment is the one a fresh run would write.
    """
    if cache is not None:
        root = cache / f"synthetic-{real_entries}-{n_tracks}"
        seg_dir = root / index.SEGMENT_DIR
        done = sorted(seg_dir.glob("seg-*.npy")) if seg_dir.is_dir() else []
        if done:
            return root, done[0].stem, False
        shutil.rmtree(root, ignore_errors=True)
    else:
        root = Path(tempfile.mkdtemp(prefix="rw-scale-"))
    rng = np.random.default_rng(n_tracks)
    h = all_h[rng.integers(0, all_h.size, extra)]
    p = base + rng.integers(0, span, extra)
    name = index.write_segment(root, h.astype(np.uint32), p.astype(np.uint32))
    return root, name, cache is None


def scaling(
    db: Path, corpus: Path, track_counts: list[int], n_queries: int, cache: Path | None = None
) -> None:
    cat = Catalog.open(db)
    snap = cat._snapshot  # read-only use of the loaded index
    real = snap.segments
    real_entries = real.entries
    real_tracks = len(snap.track_ids)
    per_track = real_entries / real_tracks
    frames_per_track = real.total_frames / real_tracks
    all_h = np.concatenate([np.asarray(s.hashes) for s in real.segments])
    with open(corpus / "queries.csv") as fh:
        rows = list(csv.DictReader(fh))
    pos = [
        r
        for r in rows
        if r["kind"] == "positive"
        and r["length_s"] == "10"
        and r["distortion"] in ("clean", "white_snr5", "speed_+4")
    ][:n_queries]
    neg = [r for r in rows if r["kind"] != "positive"][: n_queries // 3]
    audio = {r["file"]: decode_file(corpus / "queries" / r["file"]) for r in pos + neg}
    truth = {r["file"]: r["true_track_id"] for r in pos}
    print(
        "| catalog tracks | index entries | index size | match p50 / p95 | recall (10 s: clean, "
        "SNR 5, speed +4 %) | best negative score | negatives p50 / p95 |"
    )
    print("|---|---|---|---|---|---|---|")
    for n_tracks in [real_tracks, *track_counts]:
        extra = int(max(n_tracks - real_tracks, 0) * per_track)
        tmp, temporary = None, False
        try:
            segs = list(real.segments)
            total_frames = real.total_frames
            base = int(snap.ends.max()) + 1000
            peaks = (
                _SyntheticPeaks(snap, base, int(frames_per_track))
                if snap.reference_peaks is not None
                else None
            )
            if extra:
                span = int(frames_per_track * (n_tracks - real_tracks))
                if base + span >= 2**32:
                    print(f"| {n_tracks} | (positions exceed 2^32 frames; skipped) |")
                    continue
                tmp, name, temporary = _synthetic_segment(
                    cache, real_entries, n_tracks, all_h, base, span, extra
                )
                segs.append(index.open_segment(tmp, name))
                total_frames += span
            table = _Table(index.SegmentSet(segs, total_frames), peaks)
            times, ok = [], 0
            for r in pos:
                t0 = time.perf_counter()
                m = match(audio[r["file"]], table)
                times.append(time.perf_counter() - t0)
                score = (
                    m.score if m and m.verified else (m.score * MATCH_THRESHOLD / 9.0 if m else 0)
                )
                if m and score >= MATCH_THRESHOLD and m.ref_position < snap.ends.max():
                    k = int(np.searchsorted(snap.bases, m.ref_position, "right")) - 1
                    ok += snap.track_ids[k] == truth[r["file"]]
            neg_best, neg_times = 0.0, []
            for r in neg:
                t0 = time.perf_counter()
                m = match(audio[r["file"]], table)
                neg_times.append(time.perf_counter() - t0)
                neg_best = max(neg_best, m.score if m else 0.0)  # verified (MATCH_THRESHOLD)
            entries = real_entries + extra
            print(
                f"| {n_tracks:,} | {entries / 1e6:.1f} M | {entries * 8 / 2**20:.0f} MiB | "
                f"{np.median(times) * 1e3:.0f} / {np.percentile(times, 95) * 1e3:.0f} ms | "
                f"{ok / len(pos):.2f} | {neg_best:.1f} | "
                f"{np.median(neg_times) * 1e3:.0f} / {np.percentile(neg_times, 95) * 1e3:.0f} ms |",
                flush=True,
            )
        finally:
            if temporary:
                shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--tracks", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--queries", type=int, default=90)
    ap.add_argument("--speed-files", type=int, default=8)
    ap.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the synthetic segments here and reuse them on the next run "
        "(the 10,000-track one is ~1.2 GB and slow to write)",
    )
    a = ap.parse_args()
    if a.speed_files:
        index_speed(a.corpus, a.speed_files)
    scaling(a.db, a.corpus, a.tracks, a.queries, a.cache)


if __name__ == "__main__":
    main()

"""Per-core indexing speed, and query time / accuracy with a catalog grown by decoys.

    .venv/bin/python bench/fingerprint/scaling.py --db WORK/db --corpus CORPUS \
        --decoy-dirs DIR [DIR...] --tracks 1000 10000 100000 --cache ~/fpbench/scale-cache

1. Indexing speed per core: CPU time (not wall, the machine is shared) to decode and to
   fingerprint a few catalog files, as x realtime.
2. Scaling. The real benchmark index (53 tracks) plus N - 53 *decoy* tracks made from real
   music that can never be the right answer:
   - a pool: every real track in --decoy-dirs (music from other packages than the corpus'
     catalog and negatives) and the corpus' own catalog tracks, each decoded and reduced to
     its catalog peaks (with strengths), then **played backwards** (frame t -> T-1-t);
   - decoy j is pool track j mod P, **transposed** by a whole number of half-bands
     (-12..+12, never 0 for the corpus' own tracks, drawn per j from a seeded generator) and
     with a seeded random 10 % of its triplet keys dropped, so repeats of a pool track differ;
   - its keys are the catalog keys of those reversed peaks (triplets.py), its stored peaks
     (for verification) the reversed, transposed peaks.
   Real 10 s queries (clean, white SNR 5 dB, speed +4 %, tempo +3 %) and the benchmark's
   negatives are matched in process on one thread: CPU time per query (time.process_time)
   and wall time, recall, wrong answers, false positives, and the best score of negatives
   and of decoys, to check that decoys do not score closer to the threshold than real
   negatives do.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import time
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import index
from radiowatch.engine.fingerprint.catalog import MATCH_THRESHOLD, Catalog, fingerprint_samples
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE, decode_file
from radiowatch.engine.fingerprint.ingest_jobs import audio_files
from radiowatch.engine.fingerprint.landmarks import FRAME_S, Peaks, catalog_peaks
from radiowatch.engine.fingerprint.matcher import match
from radiowatch.engine.fingerprint.reference_peaks import half_bands
from radiowatch.engine.fingerprint.triplets import catalog_keys

TRACK_GAP = 64
DISTORTIONS = ("clean", "white_snr5", "speed_+4", "tempo_+3")


def index_speed(corpus: Path, n_files: int) -> None:
    files = sorted((corpus / "catalog").glob("*.flac"))[:n_files]
    t_dec = t_fp = audio = 0.0
    for f in files:
        t0 = time.process_time()
        s = decode_file(f)
        t1 = time.process_time()
        fingerprint_samples(s)  # peaks, keys and the stored peak blob
        t2 = time.process_time()
        t_dec += t1 - t0
        t_fp += t2 - t1
        audio += s.size / SAMPLE_RATE
    print(
        f"| indexing, per core (CPU time, {len(files)} files, {audio / 60:.1f} min) | "
        f"decode {audio / t_dec:.0f}x, fingerprint {audio / t_fp:.0f}x, "
        f"together {audio / (t_dec + t_fp):.0f}x realtime |"
    )


def decoy_pool(paths: list[Path], cache: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Reversed catalog peaks (t, f, strength) of every pool file, cached in `cache`."""
    out = []
    cache.mkdir(parents=True, exist_ok=True)
    for p in paths:
        f = cache / f"pool-{hashlib.md5(str(p).encode()).hexdigest()[:16]}.npz"
        if not f.exists():
            try:
                peaks = catalog_peaks(decode_file(p))
            except Exception as exc:  # noqa: BLE001 - an unreadable pool file is skipped
                print(f"  (skipped {p.name}: {exc})")
                continue
            n = int(peaks.t.max()) + 1 if len(peaks) else 0
            order = np.lexsort((peaks.f[::-1], (n - 1 - peaks.t)[::-1]))
            t = (n - 1 - peaks.t)[::-1][order]
            np.savez(f, t=t, f=peaks.f[::-1][order], s=peaks.strength[::-1][order])
        d = np.load(f)
        if d["t"].size > 200:
            out.append((d["t"].astype(np.int32), d["f"], d["s"]))
    return out


class DecoyCatalog:
    """Where decoy j sits (base, frames) and its peaks, rebuilt from the pool on demand."""

    def __init__(self, pool, own: int, n: int, base: int, seed: int = 1) -> None:
        self.pool, self.n = pool, n
        rng = np.random.default_rng(seed)
        self.src = np.arange(n) % len(pool)
        shift = rng.integers(-12, 13, n)
        # the corpus' own tracks (the last `own` of the pool) are never left untransposed
        own_track = self.src >= len(pool) - own
        shift[own_track & (shift == 0)] = 12
        self.shift = shift
        self.frames = np.array([int(pool[i][0].max()) + 1 for i in self.src], np.int64)
        self.bases = base + np.concatenate(([0], np.cumsum(self.frames + TRACK_GAP)[:-1]))
        self.ends = self.bases + self.frames

    def peaks(self, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t, f, s = self.pool[self.src[j]]
        f = f + self.shift[j] / 2.0
        ok = (f >= 0) & (f <= 95)
        return t[ok], f[ok], s[ok]

    def keys(self, j: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t, f, s = self.peaks(j)
        k, fr = catalog_keys(Peaks(t, f.astype(np.float32), s))
        keep = rng.random(k.size) >= 0.1
        return k[keep], fr[keep].astype(np.int64) + self.bases[j]

    def reference(self, lo: int, hi: int):
        first = max(int(np.searchsorted(self.bases, lo, "right")) - 1, 0)
        last = int(np.searchsorted(self.bases, hi, "left"))
        ts, fs = [], []
        for j in range(first, last):
            if self.ends[j] <= lo:
                continue
            t, f, _s = self.peaks(j)
            t = t.astype(np.int64) + self.bases[j]
            ok = (t >= lo) & (t < hi)
            ts.append(t[ok])
            fs.append(half_bands(Peaks(t[ok], f[ok])).astype(np.int64))
        if not ts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return np.concatenate(ts), np.concatenate(fs)


def add_decoys(catalog: Catalog, pool, own: int, n: int, batch: int = 400) -> None:
    """Add n decoys to a real catalog as tracks (rows, stored peaks, keys), e.g. to measure
    stream monitoring with a large catalog (bench/streams --decoys)."""
    from radiowatch.engine.fingerprint.catalog import Fingerprint
    from radiowatch.engine.fingerprint.reference_peaks import encode_peaks

    decoys = DecoyCatalog(pool, own, n, 0)
    rng = np.random.default_rng(n)
    items = []
    for j in range(n):
        k, p = decoys.keys(j, rng)
        t, f, s = decoys.peaks(j)
        frames = int(decoys.frames[j])
        fp = Fingerprint(
            k,
            (p - decoys.bases[j]).astype(np.uint32),
            frames,
            frames * FRAME_S,
            {"title": f"decoy {j}", "kind": "song"},
            encode_peaks(Peaks(t, f.astype(np.float32))),
        )
        items.append((f"decoy{j:06d}", fp))
        if len(items) == batch or j == n - 1:
            catalog.add_fingerprints(items, unique_ids=False)
            items = []
            print(f"  decoys added {j + 1}/{n}", flush=True)
    catalog.compact()


def decoy_segment(root: Path, decoys: DecoyCatalog, upto: int) -> index.Segment:
    """One segment with the keys of decoys 0..upto-1 (written in chunks, then merged)."""
    done = root / f"decoys-{upto}.name"
    if done.exists():
        return index.open_segment(root, done.read_text().strip())
    rng = np.random.default_rng(upto)
    chunks, keys, pos, size = [], [], [], 0
    started = time.monotonic()
    for j in range(upto):
        k, p = decoys.keys(j, rng)
        keys.append(k)
        pos.append(p)
        size += k.size
        if size >= 20_000_000 or j == upto - 1:
            name = index.write_segment(root, np.concatenate(keys), np.concatenate(pos))
            chunks.append(index.open_segment(root, name))
            keys, pos, size = [], [], 0
            print(f"  decoys {j + 1}/{upto} ({time.monotonic() - started:.0f} s)", flush=True)
    if len(chunks) > 1:
        name = index.merge_segments(root, chunks, np.zeros((0, 2)), all_live=True)
        for c in chunks:
            index.segment_path(root, c.name).unlink()
    else:
        name = chunks[0].name
    done.write_text(name)
    return index.open_segment(root, name)


class Table:
    """The real index plus decoys, as the matcher sees an index."""

    def __init__(self, snap, decoy_seg, decoys: DecoyCatalog | None) -> None:
        segs = list(snap.segments.segments) + ([decoy_seg] if decoy_seg is not None else [])
        frames = snap.segments.total_frames + (int(decoys.frames.sum()) if decoys else 0)
        self.segments = index.SegmentSet(segs, frames)
        self.total_frames = self.segments.total_frames
        self.snap, self.decoys = snap, decoys
        self.real_end = int(snap.ends.max())

    def lookup(self, keys, budget=None):
        return self.segments.lookup(keys, budget)

    def reference_peaks(self, lo: int, hi: int):
        if hi <= self.real_end or self.decoys is None:
            return self.snap.reference_peaks(lo, hi)
        if lo >= self.real_end:
            return self.decoys.reference(lo, hi)
        a, b = self.snap.reference_peaks(lo, hi), self.decoys.reference(lo, hi)
        return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])


def check_decoys(table: Table, decoys: DecoyCatalog) -> None:
    """Stop if the cached decoy segment does not hold these decoys' keys where their stored
    peaks are. The cache is named by size only, so a pool listed in another order (the
    --decoy-dirs order) would pair one decoy's keys with another's peaks: decoys that never
    verify, and best-negative figures that look better than they are. (A search for a decoy's
    own window is no test: at 100,000 tracks each pool track recurs ~275 times, transposed.)"""
    for j in sorted({0, decoys.n // 2, decoys.n - 1}):
        t, f, s = decoys.peaks(j)
        keys, frames = catalog_keys(Peaks(t, f.astype(np.float32), s))
        pick = np.linspace(0, keys.size - 1, min(300, keys.size)).astype(np.int64)
        q, pos = table.lookup(keys[pick])
        want = frames[pick].astype(np.int64) + int(decoys.bases[j])
        found = np.zeros(pick.size, bool)
        found[q[pos.astype(np.int64) == want[q]]] = True
        if found.mean() < 0.5:  # 90 % of a decoy's keys are kept
            raise SystemExit(
                f"the cached decoy segment holds {found.mean():.0%} of decoy {j}'s keys where "
                "its peaks are: it was built from another pool or order (list --decoy-dirs in "
                "the order the cache was made), or remove the cache's decoys-*.name to rebuild"
            )


def scaling(args) -> None:
    cat = Catalog.open(args.db)
    snap = cat._snapshot_or_raise()  # read-only use of the loaded index
    real_tracks = len(snap.track_ids)
    with open(args.corpus / "queries.csv") as fh:
        rows = list(csv.DictReader(fh))
    pos = [
        r
        for r in rows
        if r["kind"] == "positive" and r["length_s"] == "10" and r["distortion"] in DISTORTIONS
    ][: args.queries]
    neg = [r for r in rows if r["kind"] != "positive"][: args.negatives]
    audio = {r["file"]: decode_file(args.corpus / "queries" / r["file"]) for r in pos + neg}
    pool_files = audio_files(args.decoy_dirs) if args.decoy_dirs else []
    own = sorted((args.corpus / "catalog").glob("*.flac"))
    pool = decoy_pool(pool_files + own, args.cache / "pool")
    print(f"decoy pool: {len(pool)} real tracks ({len(own)} of them the corpus catalog's)")
    base = int(snap.ends.max()) + 1000
    print(
        "| catalog tracks | index entries | index size | matched: CPU p50 / p95 (wall p95) | "
        "unknown: CPU p50 / p95 (wall p95) | recall | wrong | FP | best negative | best decoy |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n_tracks in [real_tracks, *args.tracks]:
        n_decoys = max(n_tracks - real_tracks, 0)
        decoys = DecoyCatalog(pool, len(own), n_decoys, base) if n_decoys else None
        seg = decoy_segment(args.cache, decoys, n_decoys) if decoys is not None else None
        table = Table(snap, seg, decoys)
        if decoys is not None:
            check_decoys(table, decoys)
        res = {"pos": [], "neg": []}
        ok = wrong = fp = 0
        best_neg = best_decoy = 0.0
        for kind, group in (("pos", pos), ("neg", neg)):
            for r in group:
                w0, c0 = time.perf_counter(), time.process_time()
                m = match(audio[r["file"]], table)
                res[kind].append((time.process_time() - c0, time.perf_counter() - w0))
                if m is None:
                    continue
                is_decoy = m.ref_position >= table.real_end
                if is_decoy:
                    best_decoy = max(best_decoy, m.score)
                if kind == "neg":
                    best_neg = max(best_neg, m.score)
                    fp += m.score >= MATCH_THRESHOLD
                elif m.score >= MATCH_THRESHOLD:
                    k = int(np.searchsorted(snap.bases, m.ref_position, "right")) - 1
                    right = not is_decoy and snap.track_ids[k] == r["true_track_id"]
                    ok += right
                    wrong += not right
        entries = table.segments.entries
        size = sum(
            index.segment_path(args.cache if s is seg else cat.root, s.name).stat().st_size
            for s in table.segments.segments
        )

        print(
            f"| {n_tracks:,} | {entries / 1e6:.1f} M | {size / 2**20:.0f} MiB | {_ms(res['pos'])} | "
            f"{_ms(res['neg'])} | {ok / len(pos):.3f} | {wrong} | {fp}/{len(neg)} | "
            f"{best_neg:.1f} | {best_decoy:.1f} |",
            flush=True,
        )


def catalog_at(args, pool, own: int, n_tracks: int) -> None:
    """A real catalog dir with n_tracks tracks (the benchmark's 53 + decoys as rows with stored
    peaks, their keys in the cached decoy segment), then: time to open it, private memory after
    1,000 queries, time to add one track and to remove one."""
    import os
    import sqlite3

    from radiowatch.engine.fingerprint.reference_peaks import encode_peaks

    real = Catalog.open(args.db)
    snap = real._snapshot_or_raise()
    base = int(snap.ends.max()) + 1000
    decoys = DecoyCatalog(pool, own, n_tracks - len(snap.track_ids), base)
    seg = decoy_segment(args.cache, decoys, decoys.n)
    root = args.cache / f"catalog-{n_tracks}"
    if not (root / "catalog.sqlite").exists():
        shutil.rmtree(root, ignore_errors=True)
        (root / index.SEGMENT_DIR).mkdir(parents=True)
        for f in [args.db / "catalog.sqlite"] + [
            index.segment_path(args.db, s.name) for s in snap.segments.segments
        ]:
            dest = root / f.relative_to(args.db)
            shutil.copyfile(f, dest)
        os.link(index.segment_path(args.cache, seg.name), index.segment_path(root, seg.name))
        counts = np.zeros(decoys.n, np.int64)
        step = 50_000_000
        for lo in range(0, seg.size, step):  # keys per decoy, for the rows' n_hashes
            pos = np.asarray(seg.positions[lo : lo + step], np.int64)
            counts += np.bincount(
                np.searchsorted(decoys.bases, pos, "right") - 1, minlength=decoys.n
            )
        db = sqlite3.connect(root / "catalog.sqlite")
        rows = []
        for j in range(decoys.n):
            t, f, _s = decoys.peaks(j)
            blob = encode_peaks(Peaks(t, f.astype(np.float32)))
            rows.append(
                (f"decoy{j:06d}", f"decoy {j}", float(decoys.frames[j] * FRAME_S),
                 time.time(), int(decoys.bases[j]), int(decoys.frames[j]), int(counts[j]), blob)
            )  # fmt: skip
        db.executemany(
            "INSERT INTO tracks (track_id, title, kind, duration_s, added_at, base, n_frames, "
            "n_hashes, peaks) VALUES (?, ?, 'song', ?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.execute("INSERT INTO segments VALUES (?, ?)", (seg.name, seg.size))
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('next_base', ?)", (int(decoys.ends[-1]) + 64,)
        )
        db.commit()
        db.close()
    w0 = time.perf_counter()
    cat = Catalog.open(root)
    opened = time.perf_counter() - w0
    with open(args.corpus / "queries.csv") as fh:
        rows_q = [r for r in csv.DictReader(fh) if r["length_s"] == "10"][:200]
    clips = [decode_file(args.corpus / "queries" / r["file"]) for r in rows_q]
    for i in range(1000):
        cat.identify(clips[i % len(clips)])
    mem = _private_mb()
    one = sorted((args.corpus / "catalog").glob("*.flac"))[0]
    w0 = time.perf_counter()
    added = cat.add_file(one, track_id="added-one")
    t_add = time.perf_counter() - w0
    w0 = time.perf_counter()
    cat.remove(added.track_id)
    t_remove = time.perf_counter() - w0
    print(
        f"| {n_tracks:,} tracks ({cat.stats()['entries'] / 1e6:.0f} M entries) | open "
        f"{opened:.2f} s | private memory after 1,000 queries {mem:.0f} MB | add one track "
        f"{t_add:.2f} s | remove one {t_remove * 1e3:.0f} ms |",
        flush=True,
    )


def _private_mb() -> float:
    """Anonymous (not file-backed) memory of this process, MB: what the mmapped index is not."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ms(times: list[tuple[float, float]]) -> str:
    """CPU p50 / p95 and wall p95 of (cpu, wall) second pairs, in ms."""
    c = np.array([x[0] for x in times]) * 1e3
    w = np.array([x[1] for x in times]) * 1e3
    return f"{np.median(c):.0f} / {np.percentile(c, 95):.0f} ({np.percentile(w, 95):.0f}) ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--decoy-dirs", type=Path, nargs="*", default=[])
    ap.add_argument("--tracks", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--queries", type=int, default=424, help="positives (10 s clips)")
    ap.add_argument("--negatives", type=int, default=252)
    ap.add_argument("--speed-files", type=int, default=8)
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path.home() / "fpbench" / "scale-cache",
        help="decoy pool peaks and decoy segments, reused by the next run",
    )
    ap.add_argument("--clear", action="store_true", help="drop cached decoy segments first")
    ap.add_argument(
        "--streams-catalog",
        type=Path,
        default=None,
        help="instead: build a catalog dir with the demo songs plus max(--tracks) decoys for "
        "bench/streams/bench_streams.py --catalog",
    )
    ap.add_argument(
        "--catalog-at",
        type=int,
        nargs="*",
        default=[],
        help="instead: build real catalogs of these sizes from the cached decoys and time "
        "opening, memory after 1,000 queries, adding and removing a track",
    )
    a = ap.parse_args()
    if a.catalog_at:
        own = sorted((a.corpus / "catalog").glob("*.flac"))
        pool = decoy_pool(
            (audio_files(a.decoy_dirs) if a.decoy_dirs else []) + own, a.cache / "pool"
        )
        for n in a.catalog_at:
            catalog_at(a, pool, len(own), n)
        return
    if a.streams_catalog is not None:
        from radiowatch.engine.demo.startup import ensure_demo_catalog

        own = sorted((a.corpus / "catalog").glob("*.flac"))
        pool = decoy_pool(
            (audio_files(a.decoy_dirs) if a.decoy_dirs else []) + own, a.cache / "pool"
        )
        with Catalog.open(a.streams_catalog) as cat:
            ensure_demo_catalog(cat, 30)
            add_decoys(cat, pool, len(own), max(a.tracks))
            print(cat.stats())
        return
    if a.clear:
        shutil.rmtree(a.cache / index.SEGMENT_DIR, ignore_errors=True)
        for f in a.cache.glob("decoys-*.name"):
            f.unlink()
    if a.speed_files:
        index_speed(a.corpus, a.speed_files)
    scaling(a)


if __name__ == "__main__":
    main()

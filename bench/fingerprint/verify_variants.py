"""Verification variants against noisy positives and against negatives at 53 / 1,000 / 10,000
tracks, in process (RESULTS.md, session 16, part A).

    .venv/bin/python bench/fingerprint/verify_variants.py --db WORK/db \
        --corpus ~/fpbench/corpus-public --decoy-dirs DIR [DIR...] --variants base dt1 cap1
    ... --dense 36 48     # instead: denser stored reference peaks (keys unchanged)

`--db` is the public catalog indexed by this branch (`radiowatch-engine index`). The query
peaks of all 3008 queries are computed once (cached beside the db); each variant replaces
`verification_score` in the matcher, then: every positive against the 53 tracks (top-1,
10 s pink SNR 0 dB, wrong answers) and every negative against the 53 tracks and against the
same tracks plus `scaling.py`'s cached decoys (best negative score, false positives). A
variant's scores are on its own scale, so each is read at 6.5 and at 0.3 above its best
negative. Not the benchmark (score.py); a fast way to compare verification rules.

Variants: `base` (verification.py as it is), `unexplained` (a frame's / band's busyness from
the query peaks no reference peak explains), `dt1` (+-1 frame), `refit1` / `refit2` (time
scale and offset re-fitted on the verified pairs, then +-1 / +-2 frames), `cap1` / `cap2`
(matches capped at 1 / 2 per reference frame, chance per frame from the same per-peak rates),
`cap1_dt1`.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import pickle
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scaling  # noqa: E402

from radiowatch.engine.fingerprint import matcher  # noqa: E402
from radiowatch.engine.fingerprint import verification as ver  # noqa: E402
from radiowatch.engine.fingerprint.catalog import Catalog  # noqa: E402
from radiowatch.engine.fingerprint.decode import decode_file  # noqa: E402
from radiowatch.engine.fingerprint.ingest_jobs import audio_files  # noqa: E402
from radiowatch.engine.fingerprint.landmarks import (  # noqa: E402
    FRAME_S,
    HOP,
    N_BANDS,
    QUERY_DENSITY,
    Peaks,
    find_peaks,
)
from radiowatch.engine.fingerprint.reference_peaks import half_bands  # noqa: E402

HEIGHT = 2 * N_BANDS + 2


def _grid(tq, fq, lo, hi, dt):
    grid = np.zeros((hi - lo + 2 * dt, HEIGHT), bool)
    rows, cols = tq - lo + dt, np.clip(fq + 1, 1, HEIGHT - 2)
    for d in range(-dt, dt + 1):
        for df in (-1, 0, 1):
            grid[rows + d, cols + df] = True
    return grid


def _aligned(peaks, cand, position):
    tq = np.rint(peaks.t * cand.time_scale).astype(np.int64) + position
    fq = np.rint((peaks.f - cand.band_shift) * 2).astype(np.int64)
    return tq, fq


def _refit(peaks, tq, fq, cand, reference_peaks):
    """The query's frames re-aligned by a straight-line fit of reference frame on query frame
    over the peaks that verify at +-2 frames (unchanged if too few or the slope moves > 1 %)."""
    lo, hi = int(tq.min()), int(tq.max()) + 1
    rt, rf = reference_peaks(lo, hi)
    if rt.size == 0:
        return tq
    pad = 5
    owner = -np.ones((hi - lo + 2 * pad, HEIGHT), np.int64)
    rows, cols = tq - lo + pad, np.clip(fq + 1, 1, HEIGHT - 2)
    for d in (0, 1, -1, 2, -2):
        for df in (0, 1, -1):
            free = owner[rows + d, cols + df] < 0
            owner[(rows + d)[free], (cols + df)[free]] = np.flatnonzero(free)
    q = owner[rt - lo + pad, np.clip(rf + 1, 0, HEIGHT - 1)]
    if (q >= 0).sum() < 8:
        return tq
    x, y = peaks.t[q[q >= 0]].astype(np.float64), rt[q >= 0].astype(np.float64)
    slope, icpt = np.polyfit(x, y, 1)
    near = np.abs(y - (icpt + slope * x)) <= 1.5
    if near.sum() >= 8:
        slope, icpt = np.polyfit(x[near], y[near], 1)
    if abs(slope - cand.time_scale) >= 0.01:
        return tq
    return np.rint(peaks.t * slope + icpt).astype(np.int64)


def score(peaks, cand, position, reference_peaks, *, dt=2, unexplained=False, refit=False, cap=0):
    """verification.verification_score with the variant's changes (module docstring)."""
    if len(peaks) == 0:
        return 0.0
    tq, fq = _aligned(peaks, cand, position)
    if refit:
        tq = _refit(peaks, tq, fq, cand, reference_peaks)
    lo, hi = int(tq.min()), int(tq.max()) + 1
    rt, rf = reference_peaks(lo, hi)
    if rt.size == 0:
        return 0.0
    grid = _grid(tq, fq, lo, hi, dt)
    ri, ci = rt - lo + dt, np.clip(rf + 1, 0, HEIGHT - 1)
    matched = grid[ri, ci]
    if not ver._spread_ok(rt[matched] - lo, rf[matched], hi - lo):
        return 0.0
    busy = grid
    if unexplained:
        explained = _grid(rt, rf, lo, hi, dt)[tq - lo + dt, np.clip(fq + 1, 0, HEIGHT - 1)]
        busy = _grid(tq[~explained], fq[~explained], lo, hi, dt)
    p_all = max(float(busy.mean()), 1e-9)
    p = np.clip(busy.mean(axis=1)[ri] * busy.mean(axis=0)[ci] / p_all, 1e-9, 1 - 1e-9)
    if not cap:
        m, mean, var = float(matched.sum()), float(p.sum()), float((p * (1 - p)).sum())
        return (m - mean) / np.sqrt(var + 1.0)
    order = np.argsort(rt, kind="stable")  # per reference frame: Poisson-binomial counts
    frames, p, hit = rt[order], p[order], matched[order].astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], frames[1:] != frames[:-1])))
    p0 = np.exp(np.add.reduceat(np.log1p(-p), starts))
    count = np.add.reduceat(hit, starts)
    if cap == 1:
        q = 1 - p0
        obs, mean, var = np.minimum(count, 1).sum(), q.sum(), (q * (1 - q)).sum()
    else:
        p1 = p0 * np.add.reduceat(p / (1 - p), starts)
        p2 = np.clip(1 - p0 - p1, 0, 1)
        e, e2 = (1 - p0) + p2, p1 + 4 * p2
        obs, mean, var = np.minimum(count, 2).sum(), e.sum(), (e2 - e * e).sum()
    return float((obs - mean) / np.sqrt(var + 1.0))


VARIANTS: dict[str, Callable | None] = {
    "base": None,
    "unexplained": lambda *a: score(*a, unexplained=True),
    "dt1": lambda *a: score(*a, dt=1),
    "refit1": lambda *a: score(*a, dt=1, refit=True),
    "refit2": lambda *a: score(*a, refit=True),
    "cap1": lambda *a: score(*a, cap=1),
    "cap2": lambda *a: score(*a, cap=2),
    "cap1_dt1": lambda *a: score(*a, cap=1, dt=1),
}


def _query_peaks(path: Path):
    return path.name, find_peaks(decode_file(path), QUERY_DENSITY.peaks_per_s)


def _dense_peaks(path: Path):
    try:
        samples = decode_file(path)
    except Exception:  # noqa: BLE001 - an unreadable pool file is skipped, as scaling.py does
        return str(path), None
    p = find_peaks(samples, 48.0)
    return str(path), (p.t, p.f, p.strength, int(samples.size // HOP) + 1)


def _strongest(t, f, s, per_s):
    """The strongest `per_s` peaks of each second, as landmarks.find_peaks keeps them."""
    block = (t * FRAME_S).astype(np.int64)
    order = np.lexsort((-s, block))
    rank = np.arange(block.size) - np.searchsorted(block[order], block[order], "left")
    keep = np.sort(order[rank < per_s])
    return t[keep], f[keep], s[keep]


class DenseTable(scaling.Table):
    """The matcher's index with reference peaks at `per_s` instead of the stored 24/s: the
    catalog's from its files, the decoys' from their pool files (reversed and transposed as
    scaling.DecoyCatalog does)."""

    def __init__(self, snap, seg, decoys, dense, catalog_dir: Path, pool_paths, per_s):
        super().__init__(snap, seg, decoys)
        ts, fs = [], []
        for k, tid in enumerate(snap.track_ids):
            t, f, s, _n = dense[str(catalog_dir / f"{tid}.flac")]
            t, f, _s = _strongest(t, f, s, per_s)
            ts.append(t.astype(np.int64) + int(snap.bases[k]))
            fs.append(half_bands(Peaks(t, f)).astype(np.int64))
        t, f = np.concatenate(ts), np.concatenate(fs)
        order = np.argsort(t, kind="stable")
        self.rt, self.rf = t[order], f[order]
        self.pool = []
        for p in pool_paths:
            t, f, s, _n = dense[p]
            n = int(_strongest(t, f, s, 24)[0].max()) + 1  # the stored peaks' reversal
            t, f, _s = _strongest(t, f, s, per_s)
            tr, fr = (n - 1 - t)[::-1], f[::-1]
            order = np.lexsort((fr, tr))
            self.pool.append((tr[order].astype(np.int64), fr[order]))

    def reference_peaks(self, lo, hi):
        a, b = np.searchsorted(self.rt, [lo, hi])
        ts, fs = [self.rt[a:b]], [self.rf[a:b]]
        dec = self.decoys
        if dec is not None and hi > self.real_end:
            first = max(int(np.searchsorted(dec.bases, lo, "right")) - 1, 0)
            for j in range(first, int(np.searchsorted(dec.bases, hi, "left"))):
                t, f = self.pool[dec.src[j]]
                f = f + dec.shift[j] / 2.0
                t = t + dec.bases[j]
                ok = (f >= 0) & (f <= 95) & (t >= lo) & (t < hi)
                ts.append(t[ok])
                fs.append(half_bands(Peaks(t[ok], f[ok])).astype(np.int64))
        return np.concatenate(ts), np.concatenate(fs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--decoy-dirs", type=Path, nargs="*", default=[])
    ap.add_argument("--tracks", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--cache", type=Path, default=Path.home() / "fpbench" / "scale-cache")
    ap.add_argument("--variants", nargs="*", default=["base"], choices=sorted(VARIANTS))
    ap.add_argument("--dense", type=float, nargs="*", default=[], help="reference peaks per s")
    a = ap.parse_args()
    with open(a.corpus / "queries.csv") as fh:
        rows = list(csv.DictReader(fh))
    cached = a.db / "query-peaks.pkl"
    if not cached.exists():
        with ProcessPoolExecutor(2) as ex:
            paths = [a.corpus / "queries" / r["file"] for r in rows]
            pickle.dump(dict(ex.map(_query_peaks, paths, chunksize=32)), cached.open("wb"))
    qpeaks = pickle.load(cached.open("rb"))
    snap = Catalog.open(a.db)._snapshot_or_raise()
    own = sorted((a.corpus / "catalog").glob("*.flac"))
    files = (audio_files(a.decoy_dirs) if a.decoy_dirs else []) + own
    pool = scaling.decoy_pool(files, a.cache / "pool")
    base = int(snap.ends.max()) + 1000
    decoys = {}
    for n in a.tracks:
        dec = scaling.DecoyCatalog(pool, len(own), n - len(snap.track_ids), base)
        decoys[n] = (scaling.decoy_segment(a.cache, dec, dec.n), dec)
    tables = {len(snap.track_ids): scaling.Table(snap, None, None)} | {
        n: scaling.Table(snap, seg, dec) for n, (seg, dec) in decoys.items()
    }
    runs = [(name, tables) for name in a.variants]
    if a.dense:
        dense_file = a.db / "dense-peaks.pkl"
        if not dense_file.exists():
            with ProcessPoolExecutor(2) as ex:
                pickle.dump(dict(ex.map(_dense_peaks, files, chunksize=4)), dense_file.open("wb"))
        dense = pickle.load(dense_file.open("rb"))
        pool_paths = [  # the files decoy_pool kept, in its order
            str(p)
            for p in files
            if (
                f := a.cache / "pool" / f"pool-{hashlib.md5(str(p).encode()).hexdigest()[:16]}.npz"
            ).exists()
            and np.load(f)["t"].size > 200
        ]
        for per_s in a.dense:
            dense_tables = {
                n: DenseTable(t.snap, *(decoys.get(n) or (None, None)), dense, a.corpus / "catalog",
                              pool_paths, per_s)
                for n, t in tables.items()
            }  # fmt: skip
            runs.append((f"dense {per_s:g}/s", dense_tables))
    pos = [r for r in rows if r["kind"] == "positive"]
    neg = [r for r in rows if r["kind"] != "positive"]
    for name, tabs in runs:
        fn = VARIANTS.get(name)
        matcher.verification_score = fn or ver.verification_score

        def answer(table, r):
            m = matcher.match(None, table, peaks=qpeaks[r["file"]])
            if m is None:
                return 0.0, None
            if m.ref_position >= table.real_end:
                return m.score, "decoy"
            k = int(np.searchsorted(snap.bases, m.ref_position, "right")) - 1
            return m.score, snap.track_ids[k]

        small = tabs[len(snap.track_ids)]
        ps = [(*answer(small, r), r) for r in pos]
        negs = {n: [answer(t, r)[0] for r in neg] for n, t in tabs.items()}
        best = {n: max(v) for n, v in negs.items()}
        print(f"== {name}: best negative " + " / ".join(f"{n}: {v:.2f}" for n, v in best.items()))
        for thr in (6.5, round(max(best.values()) + 0.3, 2)):
            ok = [s >= thr and t == r["true_track_id"] for s, t, r in ps]
            wrong = sum(s >= thr and t != r["true_track_id"] for s, t, r in ps)
            pink0 = sum(
                o
                for o, (_s, _t, r) in zip(ok, ps, strict=True)
                if r["distortion"] == "pink_snr0" and r["length_s"] == "10"
            )
            fps = " ".join(f"{n}: {sum(s >= thr for s in v)}" for n, v in negs.items())
            print(
                f"   threshold {thr:5.2f}: top-1 {np.mean(ok):.4f} ({sum(ok)}), 10 s pink 0 dB "
                f"{pink0}/106, wrong {wrong}, false positives {fps}",
                flush=True,
            )


if __name__ == "__main__":
    main()

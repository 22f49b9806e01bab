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
`cap1_dt1`. Session 17: `sparse18/24/30` (verification on the strongest N query peaks per
second), `unit` (also at speed 1.00), `spec*` / `snull*` (the clip's spectral evidence under
the reference peaks, chance from band and frame means or from circular time shifts, alone or
blended with the peak score), `engine` (verification.py with each clip's evidence attached,
i.e. what the engine does now). `--peaks base floor:q=20,sub=1,...` varies the query peaks
instead (`_parse_peaks`); `--verify-top N` the alignments verified. The decoy order of
`--decoy-dirs` must be the cache's (scaling.check_decoys refuses another).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import pickle
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter, uniform_filter1d

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
    LOUDNESS_WEIGHT,
    N_BANDS,
    PEAK_NEIGHBOURHOOD,
    QUERY_DENSITY,
    WHITEN_FRAMES,
    Peaks,
    _strongest_per_second,
    band_spectrogram,
    find_peaks,
)
from radiowatch.engine.fingerprint.reference_peaks import half_bands  # noqa: E402
from radiowatch.engine.fingerprint.spectral_evidence import evidence_grid  # noqa: E402

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


def _sparse(peaks, per_s):
    """The query's strongest `per_s` peaks per second (verification only; keys keep all)."""
    t, f, _s = _strongest(peaks.t, peaks.f, peaks.strength, per_s)
    return Peaks(t, f, _s)


def _also_unit_scale(peaks, cand, position, reference_peaks):
    """The better of the fitted scale and speed 1.00 about the same centre frame."""
    best = ver.verification_score(peaks, cand, position, reference_peaks)
    if cand.time_scale != 1.0 and len(peaks):
        mid = float(peaks.t.mean())
        pos1 = position + int(np.rint(mid * (cand.time_scale - 1.0)))
        unit = ver.Candidate(1.0, 0.0, 1.0, 1.0)
        best = max(best, ver.verification_score(peaks, unit, pos1, reference_peaks))
    return best


def _query_white(path: Path):
    """The query's whitened band spectrogram (as find_peaks sees it), float16."""
    spec = band_spectrogram(decode_file(path))
    white = spec - uniform_filter1d(spec, WHITEN_FRAMES, axis=0, mode="nearest")
    return path.name, white.astype(np.float16)


def spectral_score(
    peaks,
    cand,
    position,
    reference_peaks,
    *,
    dt=1,
    clip=12.0,
    blend=0.0,
    null=False,
    gap=10,
    step=1,
):
    """Evidence from the query's whitened spectrogram under every reference peak (not only
    where the query kept a peak): the neighbourhood maximum there, above what the query's
    own band and frame give on average, in standard deviations; the spread rule as in
    verification.py. `peaks.white` is the query's whitened spectrogram."""
    base = ver.verification_score(peaks, cand, position, reference_peaks)
    if base == 0.0 or len(peaks) == 0:
        return base
    m = peaks.local_max  # (frames, bands) neighbourhood maxima, clipped
    lo = position
    hi = position + int(np.ceil(m.shape[0] * cand.time_scale)) + 1
    rt, rf = reference_peaks(lo, hi)
    if rt.size == 0:
        return 0.0
    tq = np.rint((rt - position) / cand.time_scale).astype(np.int64)
    fq = np.rint(rf / 2.0 + cand.band_shift).astype(np.int64)
    ok = (tq >= 0) & (tq < m.shape[0]) & (fq >= 1) & (fq < N_BANDS - 1)
    tq, fq = tq[ok], fq[ok]
    if tq.size == 0:
        return 0.0
    e = m[tq, fq]
    mu_b, var_b, nu_t, mu = peaks.stats
    if null:
        # the same reference peaks against the query shifted in time (circularly) by every
        # shift of at least `gap` frames: the sum's spread under a wrong alignment, with the
        # reference's own clustering (chords, drum frames) kept
        resid = peaks.resid
        n_t = resid.shape[0]
        shifts = np.arange(gap, n_t - gap + 1, step)
        if shifts.size < 20:
            return base
        sums = resid[(tq[None, :] + shifts[:, None]) % n_t, fq[None, :]].sum(axis=1)
        true = float(resid[tq, fq].sum())
        sd = float(sums.std()) + 1e-6
        z = (true - float(sums.mean())) / sd
        return z if not blend else blend * z + (1 - blend) * base
    expect = mu_b[fq] + nu_t[tq] - mu
    z = float((e - expect).sum() / np.sqrt(var_b[fq].sum() + 1.0))
    return z if not blend else blend * z + (1 - blend) * base


def _attach_white(peaks, white, dt=1, clip=12.0):
    """Neighbourhood maxima of the whitened spectrogram and their band/frame means."""
    w = np.clip(np.asarray(white, np.float32), -clip, clip)
    m = maximum_filter(w, size=(2 * dt + 1, 3), mode="nearest")
    mu_b, var_b = m.mean(axis=0), m.var(axis=0)
    nu_t = m.mean(axis=1)
    peaks.local_max = m
    peaks.resid = m - m.mean(axis=0)[None, :] - m.mean(axis=1)[:, None] + m.mean()
    peaks.stats = (mu_b, var_b, nu_t, float(m.mean()))
    return peaks


VARIANTS: dict[str, Callable | None] = {
    "engine": None,
    "spec": spectral_score,
    "spec_half": lambda *a: spectral_score(*a, blend=0.5),
    "spec_b03": lambda *a: spectral_score(*a, blend=0.3),
    "snull": lambda *a: spectral_score(*a, null=True),
    "snull_half_s2": lambda *a: spectral_score(*a, null=True, blend=0.5, step=2),
    "snull_half_s3": lambda *a: spectral_score(*a, null=True, blend=0.5, step=3),
    "snull_b04": lambda *a: spectral_score(*a, null=True, blend=0.4),
    "snull_b06": lambda *a: spectral_score(*a, null=True, blend=0.6),
    "snull_half": lambda *a: spectral_score(*a, null=True, blend=0.5),
    "spec_b07": lambda *a: spectral_score(*a, blend=0.7),
    "sparse18": lambda p, *a: ver.verification_score(_sparse(p, 18), *a),
    "sparse24": lambda p, *a: ver.verification_score(_sparse(p, 24), *a),
    "sparse30": lambda p, *a: ver.verification_score(_sparse(p, 30), *a),
    "unit": _also_unit_scale,
    "base": None,
    "unexplained": lambda *a: score(*a, unexplained=True),
    "dt1": lambda *a: score(*a, dt=1),
    "refit1": lambda *a: score(*a, dt=1, refit=True),
    "refit2": lambda *a: score(*a, refit=True),
    "cap1": lambda *a: score(*a, cap=1),
    "cap2": lambda *a: score(*a, cap=2),
    "cap1_dt1": lambda *a: score(*a, cap=1, dt=1),
}


def _floor_peaks(
    samples,
    per_s,
    *,
    q=20.0,
    sub=0.0,
    rank=0.0,
    gate=None,
    keep=-20.0,
    gmed=None,
    zg=None,
    wz=None,
    zr=0.0,
):
    """find_peaks with a per-band noise floor (the `q`th percentile of the band's level over
    the clip, dB): `sub` x the floor's power subtracted from each band before whitening (the
    rest kept at least `keep` dB relative to the floor), `rank` x the level above the floor
    added to the strength in place of that much absolute level, and with `gate`, peaks less
    than `gate` dB above the floor dropped."""
    spec = band_spectrogram(samples)
    if spec.shape[0] < 3:
        return find_peaks(samples, per_s)
    floor = np.percentile(spec, q, axis=0)
    if sub:
        power = 10.0 ** (spec / 10.0)
        fp = 10.0 ** (floor / 10.0)
        spec = 10.0 * np.log10(np.maximum(power - sub * fp, fp * 10.0 ** (keep / 10.0)))
    white = spec - uniform_filter1d(spec, WHITEN_FRAMES, axis=0, mode="nearest")
    local_max = maximum_filter(white, size=PEAK_NEIGHBOURHOOD, mode="constant", cval=-1e9)
    is_peak = (white == local_max) & (white > 3.0) & (spec > -75.0)
    if gate is not None:
        is_peak &= spec - floor[None, :] > gate
    med = np.median(spec, axis=0)
    if gmed is not None:
        is_peak &= spec - med[None, :] > gmed
    sd = np.maximum(med - np.percentile(spec, 16, axis=0), 0.5)
    if zg is not None:
        is_peak &= (spec - med[None, :]) / sd[None, :] > zg
    wsd = 1.4826 * np.median(np.abs(white - np.median(white, axis=0)), axis=0)
    if wz is not None:
        is_peak &= white > wz * wsd[None, :]
    is_peak[:, 0] = is_peak[:, -1] = False
    t, b = np.nonzero(is_peak)
    above = spec[t, b] - floor[b]
    strength = white[t, b] + (LOUDNESS_WEIGHT - rank) * spec[t, b] + rank * above
    if zr:
        strength = strength + zr * white[t, b] / np.maximum(wsd[b], 0.5)
    t, b, strength = _strongest_per_second(t, b, strength, per_s)
    y0, ym, yp = spec[t, b], spec[t, b - 1], spec[t, b + 1]
    denom = ym - 2 * y0 + yp
    delta = np.where(denom < 0, 0.5 * (ym - yp) / np.where(denom < 0, denom, -1), 0.0)
    f = b + np.clip(delta, -0.5, 0.5)
    order = np.lexsort((f, t))
    return Peaks(
        t[order].astype(np.int32), f[order].astype(np.float32), strength[order].astype(np.float32)
    )


def _parse_peaks(spec: str):
    """`base`, or `floor:q=20,sub=1,rank=0.7,gate=3,per_s=36` (_floor_peaks' arguments)."""
    if spec == "base":
        return lambda s: find_peaks(s, QUERY_DENSITY.peaks_per_s)
    kw = {k: float(v) for k, v in (x.split("=") for x in spec.split(":", 1)[1].split(",") if x)}
    per_s = kw.pop("per_s", QUERY_DENSITY.peaks_per_s)
    return lambda s: _floor_peaks(s, per_s, **kw)


def _query_peaks(args):
    path, spec = args
    samples = decode_file(path)
    t0 = time.process_time()
    peaks = _parse_peaks(spec)(samples)
    return path.name, peaks, time.process_time() - t0


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
    ap.add_argument(
        "--peaks", nargs="*", default=["base"], help="query peak variants (_parse_peaks)"
    )
    ap.add_argument("--save", type=Path, help="pickle every answer here (per run)")
    ap.add_argument("--verify-top", type=int, help="alignments verified per query (matcher)")
    a = ap.parse_args()
    with open(a.corpus / "queries.csv") as fh:
        rows = list(csv.DictReader(fh))
    qpeaks_by_spec = {}
    for spec in a.peaks:
        tag = hashlib.md5(spec.encode()).hexdigest()[:10]
        cached = a.db / ("query-peaks.pkl" if spec == "base" else f"query-peaks-{tag}.pkl")
        if not cached.exists():
            with ProcessPoolExecutor(2) as ex:
                jobs = [(a.corpus / "queries" / r["file"], spec) for r in rows]
                out = {name: (p, cpu) for name, p, cpu in ex.map(_query_peaks, jobs, chunksize=32)}
            pickle.dump(out, cached.open("wb"))
        loaded = pickle.load(cached.open("rb"))
        if loaded and not isinstance(next(iter(loaded.values())), tuple):
            loaded = {k: (v, float("nan")) for k, v in loaded.items()}  # an older cache
        qpeaks_by_spec[spec] = loaded
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
    for n, (_seg, dec) in decoys.items():
        scaling.check_decoys(tables[n], dec)
    runs = [(name, tables, spec) for spec in a.peaks for name in a.variants]
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
            runs.append((f"dense {per_s:g}/s", dense_tables, a.peaks[0]))
    pos = [r for r in rows if r["kind"] == "positive"]
    neg = [r for r in rows if r["kind"] != "positive"]
    if any(v.startswith(("spec", "snull", "engine")) for v in a.variants):
        wfile = a.db / "query-white.pkl"
        if not wfile.exists():
            with ProcessPoolExecutor(2) as ex:
                paths = [a.corpus / "queries" / r["file"] for r in rows]
                pickle.dump(dict(ex.map(_query_white, paths, chunksize=32)), wfile.open("wb"))
        whites = pickle.load(wfile.open("rb"))
        for qp in qpeaks_by_spec.values():
            for name, (p, _cpu) in qp.items():
                _attach_white(p, whites[name])
    if "engine" in a.variants:  # verification.py as it is, the clips carrying their evidence
        wfile = a.db / "query-white.pkl"
        whites = pickle.load(wfile.open("rb"))
        evidence = {name: evidence_grid(w.astype(np.float32)) for name, w in whites.items()}
    if a.verify_top:
        matcher.VERIFY_TOP = a.verify_top
    saved = {}
    for name, tabs, spec in runs:
        fn = VARIANTS.get(name)
        matcher.verification_score = fn or ver.verification_score
        qpeaks = qpeaks_by_spec[spec]
        if name == "engine":
            qpeaks = {
                k: (dataclasses.replace(p, evidence=evidence[k]), c) for k, (p, c) in qpeaks.items()
            }

        def answer(table, r, cpu, qpeaks=qpeaks):
            t0 = time.process_time()
            m = matcher.match(None, table, peaks=qpeaks[r["file"]][0])
            cpu.append(time.process_time() - t0)
            if m is None:
                return 0.0, None, None
            if m.ref_position >= table.real_end:
                return m.score, "decoy", m.position
            k = int(np.searchsorted(snap.bases, m.ref_position, "right")) - 1
            return m.score, snap.track_ids[k], m.position - int(snap.bases[k])

        small = tabs[len(snap.track_ids)]
        cpu_pos: list[float] = []
        ps = [(*answer(small, r, cpu_pos), r) for r in pos]
        cpu_neg: dict[int, list[float]] = {n: [] for n in tabs}
        negs = {n: [answer(t, r, cpu_neg[n])[0] for r in neg] for n, t in tabs.items()}
        best = {n: max(v) for n, v in negs.items()}
        saved[(spec, name)] = {"pos": [(s, t, o, r["file"]) for s, t, o, r in ps], "neg": negs}
        peak_cpu = np.array([c for _p, c in qpeaks.values()])
        print(
            f"== {spec} / {name}: best negative "
            + " / ".join(f"{n}: {v:.2f}" for n, v in best.items())
        )
        print(
            f"   CPU per query: peaks {np.nanmean(peak_cpu) * 1e3:.1f} ms, match positives "
            f"{np.mean(cpu_pos) * 1e3:.1f} ms (p95 {np.percentile(cpu_pos, 95) * 1e3:.1f}), "
            "negatives "
            + " / ".join(f"{n}: {np.mean(c) * 1e3:.1f}" for n, c in cpu_neg.items())
            + " ms"
        )
        for thr in (6.5, round(max(best.values()) + 0.3, 2)):
            ok = [s >= thr and t == r["true_track_id"] for s, t, _o, r in ps]
            wrong = sum(s >= thr and t != r["true_track_id"] for s, t, _o, r in ps)
            pink0 = sum(
                o
                for o, (_s, _t, _o, r) in zip(ok, ps, strict=True)
                if r["distortion"] == "pink_snr0" and r["length_s"] == "10"
            )
            fps = " ".join(f"{n}: {sum(s >= thr for s in v)}" for n, v in negs.items())
            print(
                f"   threshold {thr:5.2f}: top-1 {np.mean(ok):.4f} ({sum(ok)}), 10 s pink 0 dB "
                f"{pink0}/106, wrong {wrong}, false positives {fps}",
                flush=True,
            )
        if a.save:
            pickle.dump(saved, a.save.open("wb"))


if __name__ == "__main__":
    main()

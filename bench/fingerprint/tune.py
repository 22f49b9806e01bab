"""Fast parameter loop for the fingerprinter: in-memory index of the corpus catalog, then
per-distortion recall and the score distribution on negatives for a query subset.

    .venv/bin/python bench/fingerprint/tune.py ~/fpbench/corpus-public --sample 400

Not the benchmark (use run.sh / score.py for figures); this only exists to compare
parameter choices quickly. Without stored peaks the matcher scores by votes (no verification). Catalog fingerprints are cached per parameter set in /tmp.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from radiowatch.engine.fingerprint import index, matcher
from radiowatch.engine.fingerprint import landmarks as fp
from radiowatch.engine.fingerprint.decode import decode_file
from radiowatch.engine.fingerprint.triplets import catalog_keys


def memory_table(root: Path, hashes, positions, total_frames) -> index.SegmentSet:
    name = index.write_segment(root, hashes, positions)
    return index.SegmentSet([index.open_segment(root, name)], total_frames)


def _fingerprint(path):
    s = decode_file(path)
    h, t = catalog_keys(fp.catalog_peaks(s))
    return path.stem, h, t, int(s.size // fp.HOP) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--sample", type=int, default=400)
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    files = sorted((a.corpus / "catalog").glob("*.flac"))
    t0 = time.time()
    with ProcessPoolExecutor(2) as ex:
        res = list(ex.map(_fingerprint, files))
    t_index = time.time() - t0
    bases, H, P, base = {}, [], [], 0
    for stem, h, t, nfr in res:
        bases[stem] = base
        H.append(h)
        P.append(t.astype(np.int64) + base)
        base += nfr + 100
    tmp = Path(tempfile.mkdtemp())
    table = memory_table(tmp, np.concatenate(H), np.concatenate(P).astype(np.uint32), base)
    total_s = sum(r[3] for r in res) * fp.FRAME_S
    print(
        f"index: {t_index:.1f}s wall, {total_s / t_index:.0f}x rt, {table.entries} entries, "
        f"{table.entries * 8 / (total_s / 60) / 1024:.1f} kB/min"
    )
    starts = sorted(bases.items(), key=lambda kv: kv[1])
    base_arr = np.array([b for _, b in starts])
    with open(a.corpus / "queries.csv") as fh:
        rows = list(csv.DictReader(fh))
    rows = sorted(rows, key=lambda r: hashlib.md5(r["file"].encode()).hexdigest())[: a.sample]
    if a.only:
        rows = [r for r in rows if a.only in r["distortion"]]
    stats = defaultdict(lambda: [0, 0])
    pos_scores, neg_scores, times = [], [], []
    for r in rows:
        s = decode_file(a.corpus / "queries" / Path(r["file"]).name)
        t1 = time.time()
        m = matcher.match(s, table)
        times.append(time.time() - t1)
        tid, off, sc = None, None, -1.0
        if m:
            k = np.searchsorted(base_arr, m.ref_position, "right") - 1
            tid = starts[max(k, 0)][0]
            off = max(m.position - base_arr[max(k, 0)], 0) * fp.FRAME_S
            sc = m.score
        if r["kind"] == "positive":
            ok = tid == r["true_track_id"]
            key = f"{r['distortion']}/{r['length_s']}"
            stats[key][0] += ok
            stats[key][1] += 1
            if not ok and a.verbose:
                print(
                    "MISS",
                    r["file"],
                    r["distortion"],
                    r["length_s"],
                    r["true_track_id"],
                    r["true_offset_s"],
                    tid,
                    off,
                    m and m.votes,
                    m and round(m.score, 1),
                )
            pos_scores.append((sc if tid == r["true_track_id"] else -1, ok, r["distortion"]))
        else:
            neg_scores.append(sc)
    for k in sorted(stats):
        print(f"{k:20s} {stats[k][0]}/{stats[k][1]}")
    neg = np.array(neg_scores or [0.0])
    print(
        f"neg scores: p50 {np.median(neg):.1f} p95 {np.percentile(neg, 95):.1f} max {neg.max():.1f} (n={neg.size})"
    )
    print("top neg scores:", np.round(np.sort(neg)[-8:], 1))
    thr = neg.max() + 1e-6
    ok_at = sum(1 for s, ok, _ in pos_scores if ok and s >= thr)
    print(
        f"positives ok: {sum(ok for _, ok, _ in pos_scores)}/{len(pos_scores)}; ok above max neg: {ok_at}"
    )
    print(f"query ms p50 {np.median(times) * 1e3:.0f} p95 {np.percentile(times, 95) * 1e3:.0f}")


if __name__ == "__main__":
    main()

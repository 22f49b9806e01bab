"""Discover on real radio programs: are the uncatalogued songs that keep airing found, each as
one row, without rows of talk?

    .venv/bin/python bench/archive/bench_discover.py --work /tmp/archive-bench \
        --programs ~/fpbench/playlog/programs

Needs the programs archived by bench_archive.py (`--work` holds `archive-<program>/`). The three
speed-0 programs (seeds 1-3) are laid end to end on one station (3 hours). Their eight most
aired songs (>= 3 airings each) are "not in the catalog"; every other song airing is put in
the ledger as a reported live play, as monitoring with the rest of the catalog would have. Then
`discover.unknown_stretches` + `discover.discover(min_count=3)` run as the engine's job does.

Each row is labelled by what its airings overlap in the truth (>= half the airing): one of the
eight songs, a jingle or an ad (repeated station audio: rightly found, told apart by the kind
the user gives it), or nothing/talk (a false row). Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from radiowatch.engine.archive.discover import discover, unknown_stretches  # noqa: E402
from radiowatch.engine.archive.store import Archive, ArchiveSettings  # noqa: E402

ORIGIN = 1_700_000_000.0
PROGRAMS = ("radio-s1-v0", "radio-s2-v0", "radio-s3-v0")
UNCATALOGUED = 8


def build(work: Path, programs: Path) -> tuple[Archive, list[dict]]:
    """One station of the three programs in a row; returns it and the truth on its clock."""
    archive = Archive(work / "archive-discover", ArchiveSettings(), clock=lambda: ORIGIN)
    fresh = not archive.db.peak_ranges(1, 0, 4e9)
    truth: list[dict] = []
    at = ORIGIN
    for name in PROGRAMS:
        source = Archive(work / f"archive-{name}", ArchiveSettings(), clock=lambda: ORIGIN)
        rows = source.db.peak_blocks(1, 0, 4e9)
        base = rows[0].start_s
        if fresh:
            for r in rows:
                archive.db.add_peak_block(
                    1, at + r.start_s - base, at + r.end_s - base, r.version, r.n_peaks, r.peaks
                )
        for item in json.loads((programs / name / "truth.json").read_text())["items"]:
            truth.append({**item, "start": at + item["start_s"], "end": at + item["end_s"]})
        at += rows[-1].end_s - base
        source.close()
    return archive, truth


def label(airing, truth: list[dict]) -> str:
    length = airing.end_s - airing.start_s
    best, share = "talk/nothing", 0.0
    for item in truth:
        shared = min(airing.end_s, item["end"]) - max(airing.start_s, item["start"])
        if shared >= 0.5 * length and shared > share:
            share = shared
            best = item.get("track_id") or f"{item['kind']}:{item.get('source', '')}"
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--programs", type=Path, required=True)
    args = parser.parse_args()
    print(f"uptime: {os.popen('uptime').read().strip()}")
    archive, truth = build(args.work, args.programs)
    songs = [t for t in truth if t["kind"] == "song" and t.get("required")]
    aired = Counter(t["track_id"] for t in songs)
    hidden = [tid for tid, _n in aired.most_common(UNCATALOGUED)]
    with archive.db.transaction() as db:
        db.execute("DELETE FROM plays")
        for t in truth:
            if t["kind"] in ("song", "tease") and t["track_id"] not in hidden:
                db.execute(
                    "INSERT INTO plays (radio_id, identity, start_s, end_s, source) "
                    "VALUES (1, ?, ?, ?, 'live')",
                    (f"track:{t['track_id']}", t["start"], t["end"]),
                )
    cpu, wall = time.process_time(), time.perf_counter()
    stretches = unknown_stretches(archive, [1], 0, 4e9)
    rows = discover(stretches, min_count=3)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    hours = (
        sum(s.frames.size for s in stretches)
        and sum(b - a for a, b in archive.db.peak_ranges(1, 0, 4e9)) / 3600
    )

    found: Counter[str] = Counter()
    false_rows = 0
    print("\n| row | airings | length s | kind hint | what it is (airings by label) |")
    print("|---|---|---|---|---|")
    for n, row in enumerate(rows, 1):
        labels = Counter(label(a, truth) for a in row.airings)
        top, _count = labels.most_common(1)[0]
        if top in hidden:
            found[top] += 1
        elif top == "talk/nothing":
            false_rows += 1
        print(
            f"| {n} | {len(row.airings)} | {row.length_s:.0f} | {row.kind_hint} | "
            f"{', '.join(f'{k} x{v}' for k, v in labels.most_common())} |"
        )
    print(
        f"\nhidden songs {len(hidden)} ({', '.join(f'{t} x{aired[t]}' for t in hidden)}): "
        f"found {len(found)}, as one row each {sum(1 for v in found.values() if v == 1)}, "
        f"false rows {false_rows}; {hours:.1f} h of archive, CPU {cpu:.1f} s, wall {wall:.1f} s"
    )
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()

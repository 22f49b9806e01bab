"""What the archive costs and how well "found later" works, on real radio programs.

    .venv/bin/python bench/archive/bench_archive.py \
        --corpus ~/fpbench/corpus-public --programs ~/fpbench/playlog/programs \
        --work /tmp/archive-bench

Inputs are the broadcast benchmark's programs (`make_program.py`: 60-minute MP3 at 128 kbit/s
with `truth.json`) and the public corpus's catalog (docs/benchmarks.md). For each program:

1. **Cost.** The program's MP3 bytes go through a `StationRecorder` exactly as the stream
   reader hands them over (raw bytes in 16 kB reads, decoded audio in 0.5 s blocks, decoded
   by the same PyAV path as ingest: `recorder_feed.py`, shared with bench_formats.py), with a
   clock that moves with the audio. The CPU time spent *inside the tap* (writing segments,
   finding peaks, closing segments, index writes) over the audio's duration is the archive's
   share of a core for one station; decoding is not counted (the monitor decodes anyway).
   Disk per station-day comes from `Archive.usage()`.
2. **Found later.** The program's songs are "added": each required song's stored catalog
   peaks are searched for in the archived peaks (`found_later.find_plays`), and every other
   catalog track too (they must find nothing). Reports are matched to truth plays by the
   play-log benchmark's rule (same track, overlap >= 50 % of the shorter or >= 10 s,
   one-to-one): recall over required plays, false reports, start/end errors.
3. **One station-day.** The programs' peak blocks are laid end to end (repeated) into 24 hours
   of one station, and 10 tracks that aired are searched with the job's own code
   (`search_jobs.stretches` + `search_stretch`), CPU and wall time on one thread.

Prints Markdown; paste it into bench/archive/RESULTS.md with `uptime`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the engine runs numpy on one thread

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.archive.recorder_feed import ORIGIN, Clock, TimedTap, record_stream  # noqa: E402
from radiowatch.engine.archive import fingerprints as fp  # noqa: E402
from radiowatch.engine.archive.found_later import (  # noqa: E402
    FoundPlay,
    StationPeaks,
    StreamIndex,
    TrackQuery,
    find_plays,
    one_song_at_a_time,
)
from radiowatch.engine.archive.search_jobs import search_stretch, stretches  # noqa: E402
from radiowatch.engine.archive.store import Archive, ArchiveSettings  # noqa: E402
from radiowatch.engine.fingerprint.catalog import Catalog  # noqa: E402


def archive_program(program: Path, work: Path) -> tuple[Archive, dict]:
    """Archive a program (or reuse the archive and cost of an earlier run: `--fresh` redoes)."""
    root = work / f"archive-{program.name}"
    done = root / "cost.json"
    clock = Clock()
    if done.exists():
        return Archive(root, ArchiveSettings(), clock=clock), json.loads(done.read_text())
    shutil.rmtree(root, ignore_errors=True)
    archive = Archive(root, ArchiveSettings(), clock=clock)
    tap = TimedTap(archive.recorder(1))
    data = (program / "program.mp3").read_bytes()
    wall = time.perf_counter()
    seconds = record_stream(data, "mp3", tap, clock)
    wall = time.perf_counter() - wall
    usage = archive.usage()["stations"][0]
    cost = {
        "program": program.name,
        "audio_s": seconds,
        "tap_cpu_s": tap.cpu,
        "core_pct": 100 * tap.cpu / seconds,
        "audio_mb_day": usage["audio_mb_per_day"],
        "peaks_mb_day": usage["peaks_mb_per_day"],
        "wall_s": wall,
        "uptime": os.popen("uptime").read().strip(),
    }
    done.write_text(json.dumps(cost))
    return archive, cost


def catalog_for(corpus: Path, work: Path) -> Catalog:
    catalog = Catalog.open(work / "catalog")
    if len(catalog) == 0:
        for path in sorted((corpus / "catalog").glob("*.flac")):
            catalog.add_file(path, track_id=path.stem, title=path.stem)
    return catalog


def station_peaks(archive: Archive) -> StationPeaks:
    rows = archive.db.peak_blocks(1, 0, 4e9)
    return StationPeaks.from_blocks(((r.start_s, *fp.decode_block(r.peaks)) for r in rows), ORIGIN)


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def matches(report: FoundPlay, truth: dict) -> bool:
    if report.track_id != truth["track_id"]:
        return False
    r = (report.start_s - ORIGIN, report.end_s - ORIGIN)
    t = (truth["start_s"], truth["end_s"])
    shared = overlap(r, t)
    return shared >= 10.0 or shared >= 0.5 * min(r[1] - r[0], t[1] - t[0])


def score_program(archive: Archive, program: Path, catalog: Catalog) -> dict:
    truth = json.loads((program / "truth.json").read_text())
    songs = [i for i in truth["items"] if i["kind"] in ("song", "tease") and i.get("track_id")]
    required = [i for i in songs if i.get("required")]
    peaks = station_peaks(archive)
    index = StreamIndex(peaks)
    aired = {i["track_id"] for i in required}
    reports: list[FoundPlay] = []
    cpu = time.process_time()
    wall = time.perf_counter()
    for track in catalog.tracks():
        stored = fp.track_peaks(catalog, track.track_id)
        if stored is not None:
            reports.extend(find_plays(TrackQuery(track.track_id, *stored), index, peaks))
    reports = one_song_at_a_time(reports)  # as search_stretch does
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    matched: dict[int, FoundPlay] = {}
    false = []
    for report in sorted(reports, key=lambda r: r.start_s):
        candidates = [k for k, t in enumerate(required) if k not in matched and matches(report, t)]
        if candidates:
            matched[candidates[0]] = report
        elif not any(matches(report, t) for t in songs):
            false.append(report)
    start_err = [abs(matched[k].start_s - ORIGIN - required[k]["start_s"]) for k in matched]
    end_err = [abs(matched[k].end_s - ORIGIN - required[k]["end_s"]) for k in matched]
    missed = [
        (t["track_id"], round(t["start_s"]), round(t["end_s"] - t["start_s"]))
        for k, t in enumerate(required)
        if k not in matched
    ]
    return {
        "program": program.name,
        "required": len(required),
        "found": len(matched),
        "recall": len(matched) / len(required) if required else 1.0,
        "false": len(false),
        "false_detail": [(r.track_id, round(r.start_s - ORIGIN), r.pieces) for r in false],
        "missed": missed,
        "tracks_searched": len(catalog),
        "aired_tracks": len(aired),
        "start_err": start_err,
        "end_err": end_err,
        "search_cpu_s": cpu,
        "search_wall_s": wall,
    }


def station_day(archives: list[Archive], catalog: Catalog, work: Path, tracks: list[str]) -> dict:
    """24 hours of one station built from the programs' peak blocks, searched for `tracks`."""
    day = Archive(work / "archive-day", ArchiveSettings(), clock=Clock())
    if not day.db.peak_ranges(1, 0, 4e9):
        at = ORIGIN
        while at < ORIGIN + 86400:
            for archive in archives:
                rows = archive.db.peak_blocks(1, 0, 4e9)
                base = rows[0].start_s
                for r in rows:
                    day.db.add_peak_block(
                        1, at + r.start_s - base, at + r.end_s - base, r.version, r.n_peaks, r.peaks
                    )
                at += rows[-1].end_s - base
                if at >= ORIGIN + 86400:
                    break
    queries = []
    for track_id in tracks:
        stored = fp.track_peaks(catalog, track_id)
        assert stored is not None
        queries.append(TrackQuery(track_id, *stored))
    cpu = time.process_time()
    wall = time.perf_counter()
    found: list[FoundPlay] = []
    for a, b in stretches(day, 1, ORIGIN, ORIGIN + 86400):
        found.extend(search_stretch(day, 1, a, b, queries))
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    hours = sum(b - a for a, b in day.db.peak_ranges(1, 0, 4e9)) / 3600
    return {
        "hours": hours,
        "tracks": len(queries),
        "plays": len(found),
        "cpu_s": cpu,
        "wall_s": wall,
    }


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--programs", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--only", nargs="*", help="program folder names (default: all)")
    parser.add_argument("--fresh", action="store_true", help="archive the programs again")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        for old in args.work.glob("archive-*"):
            shutil.rmtree(old)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    catalog = catalog_for(args.corpus, args.work)
    programs = sorted(p for p in args.programs.iterdir() if (p / "truth.json").exists())
    if args.only:
        programs = [p for p in programs if p.name in args.only]
    costs, scores, archives = [], [], []
    for program in programs:
        archive, cost = archive_program(program, args.work)
        costs.append(cost)
        archives.append(archive)
        scores.append(score_program(archive, program, catalog))
        print(json.dumps({**cost, **{k: v for k, v in scores[-1].items() if "err" not in k}}))

    print(
        "\n| program | tap CPU % of a core | audio MB/day | peaks MB/day | required plays | found | recall | false reports | start err p50/p95 s | end err p50/p95 s | search CPU s (53 tracks, 1 h) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for c, s in zip(costs, scores, strict=True):
        print(
            f"| {c['program']} | {c['core_pct']:.2f} | {c['audio_mb_day']:.0f} | "
            f"{c['peaks_mb_day']:.2f} | {s['required']} | {s['found']} | {s['recall']:.3f} | "
            f"{s['false']} | {pct(s['start_err'], 50):.1f} / {pct(s['start_err'], 95):.1f} | "
            f"{pct(s['end_err'], 50):.1f} / {pct(s['end_err'], 95):.1f} | {s['search_cpu_s']:.1f} |"
        )
    required = sum(s["required"] for s in scores)
    found = sum(s["found"] for s in scores)
    print(
        f"\nall: recall {found}/{required} = {found / max(required, 1):.3f}, "
        f"false reports {sum(s['false'] for s in scores)}, "
        f"tap CPU {statistics.mean(c['core_pct'] for c in costs):.2f} % of a core, "
        f"peaks {statistics.mean(c['peaks_mb_day'] for c in costs):.2f} MB/day"
    )
    aired: dict[str, int] = {}
    for program in programs:
        for item in json.loads((program / "truth.json").read_text())["items"]:
            if item.get("required"):
                aired[item["track_id"]] = aired.get(item["track_id"], 0) + 1
    ten = [t for t, _n in sorted(aired.items(), key=lambda kv: (-kv[1], kv[0]))][:10]
    day = station_day(archives, catalog, args.work, ten)
    print(
        f"\none station-day ({day['hours']:.1f} h of peaks), {day['tracks']} tracks: "
        f"{day['plays']} plays found, CPU {day['cpu_s']:.1f} s, wall {day['wall_s']:.1f} s "
        f"({day['hours'] * 3600 / day['cpu_s']:.0f}x real time per core)"
    )
    print(f"uptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main()

"""Tables for bench/broadcast/RESULTS.md from the scorer's output of `run.sh`.

    python bench/broadcast/summarize.py WORK_DIR PROGRAM [PROGRAM ...]

Reads WORK_DIR/{radiowatch,window}/PROGRAM/{summary.json,plays.jsonl,playlog.jsonl} (written
by the kit's score_playlog.py) and prints Markdown: one row per program and engine, then every
program pooled (play counts summed, timing percentiles over all matched plays). For
radiowatch it also prints how long after a song became audible the engine was sure of it
(`sure_at_s` in the play log: the moment a live stream's listener would have had the
now-playing event, before delivery), the offline estimate of the now-playing latency.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ENGINES = (("radiowatch", "radiowatch-engine playlog"), ("window", "reference window_playlog"))


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def load(work: Path, engine: str, program: str) -> dict | None:
    folder = work / engine / program
    if not (folder / "summary.json").exists():
        return None
    summary = json.loads((folder / "summary.json").read_text())
    rows = [json.loads(line) for line in (folder / "plays.jsonl").read_text().splitlines()]
    reports = []
    for line in (folder / "playlog.jsonl").read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("track_id") is not None:
            reports.append(record)
    truth = [r for r in rows if r.get("row") == "truth"]
    hits = [r for r in truth if r.get("status") == "hit"]
    latency: list[tuple[float, bool]] = []  # (seconds, voice-over on the intro)
    for r in hits:
        report = reports[r["report"]] if r.get("report") is not None else {}
        sure = report.get("sure_at_s")
        if sure is not None and not r.get("starts_before_recording"):
            talked_over = "intro" in (r.get("voice_over") or [])  # where voice-overs were
            latency.append((sure - r["start_s"], talked_over))
    return {"summary": summary, "hits": hits, "latency": latency}


def main() -> None:
    work = Path(sys.argv[1])
    programs = sys.argv[2:]
    print(
        "| program | engine | recall | precision | splits / merges / wrong / phantom | "
        "start \\|p50\\| / \\|p95\\| | end \\|p50\\| / \\|p95\\| | CPU s | x real time (CPU / wall) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    pooled: dict[str, dict] = {}
    for program in programs:
        for engine, label in ENGINES:
            data = load(work, engine, program)
            if data is None:
                continue
            p = data["summary"]["playlog"]
            run = data["summary"]["engine_run"]
            seconds = data["summary"]["program_meta"]["minutes"] * 60
            print(
                f"| {program} | {label} | {p['recall']:.3f} | {p['precision']:.3f} | "
                f"{p['splits']} / {p['merges']} / {p['wrong_track']} / {p['phantom']} | "
                f"{fmt(p['start_error']['abs_p50_s'])} / {fmt(p['start_error']['abs_p95_s'])} s | "
                f"{fmt(p['end_error']['abs_p50_s'])} / {fmt(p['end_error']['abs_p95_s'])} s | "
                f"{run['cpu_s']:.1f} | {seconds / run['cpu_s']:.0f}x / {seconds / run['wall_s']:.0f}x |"
            )
            acc = pooled.setdefault(
                engine,
                {"label": label, "required": 0, "matched": 0, "counted": 0, "hit_reports": 0,
                 "splits": 0, "merges": 0, "wrong": 0, "phantom": 0, "start": [], "end": [],
                 "cpu": 0.0, "wall": 0.0, "seconds": 0.0, "latency": []},
            )  # fmt: skip
            acc["required"] += p["truth"]["required_plays"]
            acc["matched"] += p["matched"]
            acc["counted"] += p["reports"]["counted"]
            acc["hit_reports"] += p["reports"]["hit"]
            for key, name in (("splits", "splits"), ("merges", "merges"),
                              ("wrong", "wrong_track"), ("phantom", "phantom")):  # fmt: skip
                acc[key] += p[name]
            acc["start"] += [abs(r["start_err_s"]) for r in data["hits"]]
            acc["end"] += [abs(r["end_err_s"]) for r in data["hits"]]
            acc["cpu"] += run["cpu_s"]
            acc["wall"] += run["wall_s"]
            acc["seconds"] += seconds
            acc["latency"] += data["latency"]
    print()
    print(
        "| all programs | required plays | recall | precision | splits / merges / wrong / "
        "phantom | start \\|p50\\| / \\|p95\\| | end \\|p50\\| / \\|p95\\| | x real time (CPU / wall) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for acc in pooled.values():
        print(
            f"| {acc['label']} | {acc['required']} | {acc['matched'] / acc['required']:.3f} | "
            f"{acc['hit_reports'] / max(acc['counted'], 1):.3f} | "
            f"{acc['splits']} / {acc['merges']} / {acc['wrong']} / {acc['phantom']} | "
            f"{fmt(pct(acc['start'], 0.5))} / {fmt(pct(acc['start'], 0.95))} s | "
            f"{fmt(pct(acc['end'], 0.5))} / {fmt(pct(acc['end'], 0.95))} s | "
            f"{acc['seconds'] / acc['cpu']:.0f}x / {acc['seconds'] / acc['wall']:.0f}x |"
        )
    latency = pooled.get("radiowatch", {}).get("latency")
    if latency:
        print()
        print(
            "radiowatch sure of a play after it became audible (`sure_at_s`: the offline "
            "estimate of the now-playing latency, before delivery):"
        )
        print()
        print("| plays | n | p50 | p95 | max |")
        print("|---|---|---|---|---|")
        for label, keep in (
            ("all", lambda v: True),
            ("without voice-over on the intro", lambda v: not v),
            ("with voice-over on the intro", lambda v: v),
        ):
            xs = [s for s, v in latency if keep(v)]
            if xs:
                print(
                    f"| {label} | {len(xs)} | {pct(xs, 0.5):.1f} s | {pct(xs, 0.95):.1f} s | "
                    f"{max(xs):.1f} s |"
                )


if __name__ == "__main__":
    main()

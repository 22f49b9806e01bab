"""Benchmark the coverage records: what the heartbeat costs the monitoring thread, and how long
the coverage of a period takes to compute for the History band and the exports.

    .venv/bin/python bench/history/bench_coverage.py [--stations 100] [--days 365]
                                                     [--spans-per-day 6] [--repeats 15]

A history with `stations` x `days` x `spans-per-day` coverage spans (gaps of 1-30 minutes
between them) is generated into a temporary folder through the real schema. Then:
  heartbeat          CoverageRecorder.heartbeat() with every station heard (one UPDATE + commit)
  heartbeat/station  the same work done the naive way: one UPDATE and commit per station
  report ...         coverage_report() for 1 station x 1 day, all stations x 30 days, all x 1 year
Median and worst wall time and the median CPU time are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from radiowatch.history.coverage import CoverageStore, to_ms  # noqa: E402
from radiowatch.history.coverage_report import coverage_report  # noqa: E402
from radiowatch.history.database import open_database  # noqa: E402
from radiowatch.history.errors import transaction  # noqa: E402
from radiowatch.monitoring.coverage_recorder import CoverageRecorder  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)


def generate(db, stations: int, days: int, per_day: int) -> int:
    rng = random.Random(7)
    start = END - timedelta(days=days)
    rows = []
    for radio_id in range(1, stations + 1):
        db.conn.execute(
            "INSERT INTO stations (radio_id, name, source, entered, enabled, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, 1, '', '')",
            (radio_id, f"Station {radio_id}", "https://x/", "https://x/"),
        )
        cursor = to_ms(start)
        mean_ms = 86_400_000 // per_day
        end_ms = to_ms(END)
        while cursor < end_ms:
            length = int(rng.uniform(0.5, 1.5) * mean_ms)
            rows.append((radio_id, "local", cursor, min(cursor + length, end_ms), 0))
            cursor += length + rng.randint(60_000, 1_800_000)
    with transaction(db.conn, "generate"):
        db.conn.executemany(
            "INSERT INTO coverage (radio_id, backend, start_ms, end_ms, open) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def timed(step: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), max(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--spans-per-day", type=int, default=6)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rw-coverage-") as folder:
        db = open_database(Path(folder) / "history.db")
        spans = generate(db, args.stations, args.days, args.spans_per_day)
        store = CoverageStore(db)
        recorder = CoverageRecorder(store, "bench", heartbeat_s=3600)
        for radio_id in range(1, args.stations + 1):
            recorder.observe(radio_id, heard=True)
        open_ids = [
            r[0] for r in db.conn.execute("SELECT id FROM coverage WHERE open = 1").fetchall()
        ]

        def naive() -> None:
            now = int(time.time() * 1000)
            for span_id in open_ids:
                with transaction(db.conn, "beat"):
                    store.extend([span_id], now)

        last = END
        results = [
            ("heartbeat, all stations in one UPDATE", timed(recorder.heartbeat, args.repeats)),
            ("heartbeat, one UPDATE + commit per station", timed(naive, args.repeats)),
            (
                "report: 1 station, 1 day",
                timed(
                    lambda: coverage_report(
                        db.conn, radio_ids=[1], since=last - timedelta(days=1), until=last
                    ),
                    args.repeats,
                ),
            ),
            (
                f"report: {args.stations} stations, 30 days",
                timed(
                    lambda: coverage_report(db.conn, since=last - timedelta(days=30), until=last),
                    args.repeats,
                ),
            ),
            (
                f"report: {args.stations} stations, {args.days} days",
                timed(
                    lambda: coverage_report(
                        db.conn, since=last - timedelta(days=args.days), until=last
                    ),
                    max(3, args.repeats // 3),
                ),
            ),
        ]
        db.close()

    print(f"{spans:,} spans, {args.stations} stations, {args.days} days\n")
    print("| step | median (wall) | worst (wall) | median CPU |")
    print("|---|---|---|---|")
    for name, (median, worst, cpu) in results:
        print(f"| {name} | {median * 1000:.2f} ms | {worst * 1000:.2f} ms | {cpu * 1000:.2f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark the play history at 1,000,000 plays: the History tab and the exports.

    .venv/bin/python bench/history/bench_history.py [--plays 1000000] [--keep DIR]
                                                    [--exports-only [FORMAT ...]] [--repeats N]

Steps (targets from issue 6):
  open the History tab (count + first page painted)    <= 100 ms
  scroll to the end (last page painted)                 <= 100 ms
  a text search (first page painted)                    <= 100 ms
  a station + date filter (first page painted)          <= 100 ms
  CSV export of every row                               <= 10 s
  XLSX export of every row                              <= 60 s
  peak memory (RSS) of the measuring process            <  300 MB

The history is generated in a child process (so its memory does not count) into a temporary
folder, never the repository. Each interactive step is run several times; the median and the
worst are reported. The machine is shared, so expect noise.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STATIONS = 50
DAYS = 365
START = datetime(2025, 11, 1, tzinfo=UTC)
REPEATS = 7


def generate(path: Path, plays: int, seed: int = 6) -> None:
    """Fill a fresh history with `plays` rows through the real schema (triggers and all)."""
    from radiowatch.history.database import open_database

    rng = random.Random(seed)
    db = open_database(path)
    conn = db.conn
    artists = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(5000)]
    titles = [f"{rng.choice(WORDS).title()} {rng.choice(WORDS)}" for _ in range(20000)]
    labels = ["Island", "Columbia", "XL", "Warp", "Blue Note", "Sub Pop", "Ninja Tune", "Domino"]
    start0 = int(START.timestamp())
    span = DAYS * 86400
    now = int(time.time())
    conn.execute("BEGIN")
    for s in range(STATIONS):
        conn.execute(
            "INSERT INTO stations (radio_id, name, source, entered, enabled, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 1, 'bench', 'bench')",
            (s + 1, f"Station {s + 1:03d}", f"http://radio/{s}", f"http://radio/{s}"),
        )

    def rows():
        for i in range(plays):
            radio_id = 1 + i % STATIONS
            start = start0 + (i * span) // plays + rng.randint(0, 60)
            a = min(int(rng.paretovariate(0.8)) - 1, len(artists) - 1)
            t = min(int(rng.paretovariate(0.7)) - 1, len(titles) - 1)
            yield (
                f"bench:{i}",
                radio_id,
                f"Station {radio_id:03d}",
                start,
                None,
                150 + i % 200,
                artists[a],
                titles[t],
                None,
                labels[i % len(labels)],
                None,
                f"GB{i % 1000:03d}26{i % 100000:05d}",
                None,
                60 + i % 41,
                None,
                None,
                "local",
                None,
                0,
                None,
                "recognized",
                0,
                now,
            )

    conn.executemany(
        "INSERT INTO plays (event_key, radio_id, station_name, start_ts, end_ts, play_length, "
        "artist, title, album, label, release_date, isrc, upc, score, song_link, icy_title, "
        "backend, provenance, ai_generated, raw_json, origin, false_positive, recorded_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows(),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


FIRST = [
    "The",
    "Lil",
    "DJ",
    "MC",
    "Big",
    "Young",
    "Saint",
    "Black",
    "Silver",
    "Electric",
    "Velvet",
    "Royal",
    "Midnight",
    "Golden",
    "Lonely",
    "Crystal",
    "Neon",
    "Wild",
]
LAST = [
    "Foxes",
    "Rivers",
    "Kings",
    "Echoes",
    "Machines",
    "Wolves",
    "Sisters",
    "Brothers",
    "Shadows",
    "Lights",
    "Hearts",
    "Ghosts",
    "Pilots",
    "Dreamers",
    "Tigers",
    "Strangers",
    "Oceans",
    "Satellites",
    "Parade",
    "Collective",
    "Orchestra",
    "Quartet",
    "Band",
]
WORDS = [
    "love",
    "night",
    "heart",
    "fire",
    "dream",
    "rain",
    "summer",
    "city",
    "dance",
    "light",
    "home",
    "gold",
    "river",
    "stars",
    "shadow",
    "forever",
    "tonight",
    "wild",
    "blue",
    "electric",
    "paradise",
    "echo",
    "thunder",
    "ocean",
    "midnight",
    "runaway",
    "sugar",
]


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MB."""
    current = 0.0
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def measure_exports(
    path: Path, out_dir: Path, formats: list[str], repeats: int = 1
) -> list[tuple[str, str, str, str, str]]:
    """Export every play in each format `repeats` times: median and worst wall, median CPU."""
    from radiowatch.history.database import open_database
    from radiowatch.history.play_log_export import export_plays
    from radiowatch.history.queries import PlayFilter

    targets = {"csv": 10, "xlsx": 60, "json": None}
    results = []
    db = open_database(path, migrate=False)
    for fmt in formats:
        out = out_dir / f"all.{fmt}"
        walls, cpus = [], []
        for _ in range(repeats):
            began, began_cpu = time.perf_counter(), time.process_time()
            result = export_plays(db.conn, PlayFilter(), out)
            walls.append(time.perf_counter() - began)
            cpus.append(time.process_time() - began_cpu)
            size = out.stat().st_size / 1e6
            out.unlink()
            print(
                f"{fmt} export: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU, {size:.0f} MB, "
                f"load {os.getloadavg()[0]:.1f}, rss {rss_mb()[0]:.0f} MB",
                flush=True,
            )
        seconds = statistics.median(walls)
        target_s = targets[fmt]
        verdict = (
            "" if target_s is None else f"≤ {target_s} s {'ok' if seconds <= target_s else 'OVER'}"
        )
        results.append(
            (
                f"{fmt.upper()} export, {result.rows:,} rows ({size:.0f} MB)",
                f"{seconds:.1f} s",
                f"{max(walls):.1f} s" if repeats > 1 else "",
                f"{statistics.median(cpus):.1f} s",
                verdict,
            )
        )
    db.close()
    return results


def measure(path: Path, out_dir: Path) -> list[tuple[str, str, str, str, str]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QApplication

    from radiowatch.ui.history.tab import HistoryTab

    app = QApplication.instance() or QApplication([])
    results: list[tuple[str, str, str, str, str]] = []

    def paint(tab: HistoryTab) -> None:
        tab.view.viewport().repaint()  # synchronous: the rows on screen are fetched and drawn
        app.processEvents()

    def timed(label: str, target_ms: float, setup, action) -> None:
        samples, cpu = [], []
        for _ in range(REPEATS):
            setup()
            began, began_cpu = time.perf_counter(), time.process_time()
            action()
            samples.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        median, worst = statistics.median(samples), max(samples)
        verdict = "ok" if median <= target_ms else "OVER"
        results.append(
            (
                label,
                f"{median:.1f} ms",
                f"{worst:.1f} ms",
                f"{statistics.median(cpu):.1f} ms",
                f"≤ {target_ms:.0f} ms {verdict}",
            )
        )
        print(f"{label:45s} median {median:7.1f} ms  worst {worst:7.1f} ms", flush=True)

    tabs: list[HistoryTab] = []

    def open_tab() -> None:
        tab = HistoryTab(path)
        tab.resize(1280, 720)
        tab.show()
        paint(tab)
        tabs.append(tab)

    def close_tabs() -> None:
        while tabs:
            tab = tabs.pop()
            tab.close_database()
            tab.deleteLater()
        app.processEvents()

    timed("open the History tab (first page)", 100, close_tabs, open_tab)
    tab = tabs[0]
    print(f"  rows: {tab.model.rowCount():,}", flush=True)

    def to_top() -> None:
        tab.view.scrollToTop()
        paint(tab)
        tab.model.refresh()  # drop the cache so every run really reads the last page

    def to_bottom() -> None:
        tab.view.scrollToBottom()
        paint(tab)

    timed("scroll to the end (last page)", 100, to_top, to_bottom)

    def scroll_middle() -> None:
        bar = tab.view.verticalScrollBar()
        bar.setValue(bar.maximum() // 2 + random.randint(0, 1000))
        paint(tab)

    timed("drag the scroll bar to the middle (worst case)", 100, to_top, scroll_middle)

    def clear() -> None:
        tab._reset_filters(radio_id=None)
        paint(tab)

    searches = iter(
        [
            "midnight foxes",
            "electric",
            "velvet rivers love",
            "thunder",
            "golden",
            "neon",
            "royal kings",
        ]
        * 3
    )

    def search() -> None:
        tab.search.setText(next(searches))
        tab.apply_filters()
        paint(tab)

    timed("text search (first page)", 100, clear, search)
    print(f"  last search matched {tab.model.rowCount():,} plays", flush=True)

    stations = iter(range(2, 40))

    def station_and_dates() -> None:
        tab.station.blockSignals(True)
        tab.station.setCurrentIndex(next(stations))
        tab.station.blockSignals(False)
        tab.date_from.blockSignals(True)
        tab.date_from.setDate(QDate(2026, 3, 1))
        tab.date_from.blockSignals(False)
        tab.date_to.setDate(QDate(2026, 3, 31))  # this one applies the filters
        paint(tab)

    timed("station + date filter (first page)", 100, clear, station_and_dates)
    print(f"  last filter matched {tab.model.rowCount():,} plays", flush=True)

    from PySide6.QtCore import Qt

    columns = iter([2, 8, 3, 7, 1, 2, 8])  # artist, score, title, duration, station, ...

    def default_sort() -> None:
        clear()
        tab.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)

    def sort_by_column() -> None:
        tab.view.sortByColumn(next(columns), Qt.SortOrder.AscendingOrder)
        paint(tab)

    timed("sort by another column (first page)", 100, default_sort, sort_by_column)
    default_sort()

    def wait_for_charts() -> None:
        while tab.charts.busy():
            app.processEvents()
            time.sleep(0.002)

    began = time.perf_counter()
    tab.tabs.setCurrentIndex(1)  # builds the charts on first visit; data loads on a thread
    app.processEvents()
    gui_ms = (time.perf_counter() - began) * 1000
    wait_for_charts()
    charts_ms = (time.perf_counter() - began) * 1000
    results.append(
        (
            "open Charts, 30 days: GUI blocked / drawn (no target)",
            f"{gui_ms:.0f} ms",
            "",
            "",
            f"drawn after {charts_ms:.0f} ms",
        )
    )
    began = time.perf_counter()
    tab.charts.set_period_days(365)
    app.processEvents()
    gui_ms = (time.perf_counter() - began) * 1000
    wait_for_charts()
    charts_ms = (time.perf_counter() - began) * 1000
    results.append(
        (
            "charts, last year: GUI blocked / drawn (no target)",
            f"{gui_ms:.0f} ms",
            "",
            "",
            f"drawn after {charts_ms:.0f} ms",
        )
    )
    print(f"charts refresh: {charts_ms:.0f} ms", flush=True)
    close_tabs()

    results += measure_exports(path, out_dir, ["csv", "xlsx", "json"])
    current, peak = rss_mb()
    results.append(
        (
            "peak RSS of this process",
            f"{peak:.0f} MB",
            "",
            "",
            f"< 300 MB {'ok' if peak < 300 else 'OVER'}",
        )
    )
    print(f"RSS now {current:.0f} MB, peak {peak:.0f} MB")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plays", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="reuse/keep the generated history in this folder")
    parser.add_argument("--generate-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--exports-only",
        nargs="*",
        choices=["csv", "xlsx", "json"],
        help="time only these exports (default all three), no GUI steps",
    )
    parser.add_argument(
        "--repeats", type=int, default=1, help="runs of each export (median reported)"
    )
    args = parser.parse_args()
    if args.generate_only:
        generate(args.generate_only, args.plays)
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="rw-bench-history-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "history.sqlite3"
    if not path.exists():
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--plays", str(args.plays), "--generate-only", str(path)],
            check=True,
        )
        print(
            f"generated {args.plays:,} plays in {time.perf_counter() - began:.0f} s "
            f"({path.stat().st_size / 1e6:.0f} MB)",
            flush=True,
        )
    if args.exports_only is not None:
        results = measure_exports(
            path, work, args.exports_only or ["csv", "xlsx", "json"], args.repeats
        )
    else:
        results = measure(path, work)
    print(f"\nload average at the end: {os.getloadavg()}")
    print("\n| step | median (wall) | worst (wall) | median CPU | target |\n|---|---|---|---|---|")
    for row in results:
        print("| " + " | ".join(row) + " |")
    if not args.keep:
        for item in work.iterdir():
            item.unlink()
        work.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""GUI-thread stall with 100 monitored stations and events arriving.

What runs (all real, nothing mocked): the fake AudD cloud (tests/fakes/fake_audd.py) in a
child process, so its uvicorn thread does not share our GIL; in this process, as in the app,
LiveMonitoring with the MonitoringService on its own thread (100 long polls, its own SQLite
connection to the history in a temp dir), the MonitoringBridge feeding the board and the
Stations sidebar on the GUI thread, and the MonitorTab with 100 cards, shown offscreen. Cyclic
garbage collection runs on the GUI thread's timer (GuiThreadGarbageCollector), as in the app.

The probe is a 5 ms Qt PreciseTimer on the GUI thread; each tick records how late it fired
(interval - 5 ms). Any work on the GUI thread (long-poll replies, SQLite commits, card
updates, painting) shows up as lateness.

Phases: `idle` (no events: the machine's own noise), `steady` (RATE events/s spread over
the stations), `burst` (one event on every station at once, several times). Registration of the 100 streams and creation of the cards
are reported separately as `startup`.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/monitoring/gui_stall.py [--stations 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# PySide6 6.12.0's wheels (abi3) return None from every void method without taking a
# reference: on CPython 3.11 (None is not immortal before 3.12) each call from Python (setText,
# drawText in the sidebar's delegate, processEvents...) drops one reference to None, and after
# some tens of thousands of calls the interpreter aborts ("none_dealloc"). 6.11.3 does not.
# These reserves keep the benchmark alive long enough to measure. See RESULTS.md ("PySide6
# 6.12.0 on Python 3.11").
NONE_RESERVE = [None] * 5_000_000
# Same bug for bools: every signal `emit()` from Python drops a reference to True.
BOOL_RESERVE = [True] * 2_000_000 + [False] * 2_000_000

TOKEN = "bench-token"


# -- the fake cloud, in a child process -------------------------------------------------------


def fake_cloud(commands: mp.Queue, replies: mp.Queue) -> None:
    from tests.fakes.fake_audd import FakeAudD

    fake = FakeAudD(tokens={TOKEN}, stream_limit=10_000)
    fake.start()
    replies.put(fake.base_url)
    serial = 0
    while True:
        command, args = commands.get()
        if command == "stop":
            fake.stop()
            replies.put("stopped")
            return
        if command == "streams":
            replies.put(len(fake.account().streams))
        elif command == "steady":
            stations, rate, seconds = args
            interval = 1.0 / rate
            next_at = time.monotonic()
            end = next_at + seconds
            pushed = 0
            while time.monotonic() < end:
                serial += 1
                fake.push_match(
                    1 + serial % stations,
                    artist=f"Artist {serial % 37}",
                    title=f"Song {serial}",
                    score=80 + serial % 21,
                )
                pushed += 1
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            replies.put(pushed)
        elif command == "burst":
            stations, times, gap = args
            pushed = 0
            for _ in range(times):
                for radio_id in range(1, stations + 1):
                    serial += 1
                    fake.push_match(radio_id, artist="Burst", title=f"Burst {serial}")
                    pushed += 1
                time.sleep(gap)
            replies.put(pushed)


# -- the probe ------------------------------------------------------------------------------


class LagProbe:
    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.samples: list[float] = []
        self.cpu_samples: list[float] = []
        self._last: float | None = None
        self._last_cpu = 0.0

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self.samples = []
        self.cpu_samples = []
        self.timer.start()

    def take(self) -> tuple[list[float], list[float]]:
        taken = (self.samples, self.cpu_samples)
        self.samples, self.cpu_samples = [], []
        return taken

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        if self._last is not None:
            self.samples.append(max(0.0, now - self._last - self.interval) * 1000)
            # GUI-thread CPU spent between two ticks: the stall this process itself caused,
            # without the time the OS gave to other processes on the shared cores.
            self.cpu_samples.append((cpu - self._last_cpu) * 1000)
        self._last, self._last_cpu = now, cpu


def _p99(ordered: list[float]) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def summary(taken: tuple[list[float], list[float]]) -> dict[str, float]:
    samples, cpu = taken
    if not samples:
        return {"ticks": 0}
    ordered, cpu_ordered = sorted(samples), sorted(cpu)
    return {
        "ticks": len(samples),
        "max_ms": round(ordered[-1], 1),
        "p99_ms": round(_p99(ordered), 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "over_16ms": sum(1 for s in samples if s > 16),
        "over_50ms": sum(1 for s in samples if s > 50),
        "cpu_max_ms": round(cpu_ordered[-1], 1),
        "cpu_p99_ms": round(_p99(cpu_ordered), 1),
    }


# -- the run --------------------------------------------------------------------------------


class GcWatch:
    """Times every cyclic collection (`gc.callbacks`) and notes the thread that ran it."""

    def __init__(self) -> None:
        import threading

        self._threading = threading
        self._started: float | None = None
        self.durations: list[tuple[int, float]] = []  # (generation, ms) on the GUI thread
        self.off_gui = 0
        self.slow: list[dict] = []

    def __call__(self, phase: str, info: dict) -> None:
        if self._threading.current_thread() is not self._threading.main_thread():
            self.off_gui += phase == "start"
            return
        if phase == "start":
            import gc

            self._counts = gc.get_count()
            self._started = time.perf_counter()
            self._cpu = time.thread_time()
        elif self._started is not None:
            ms = (time.perf_counter() - self._started) * 1000
            self.durations.append((info["generation"], ms))
            if ms > 10:
                self.slow.append(
                    {
                        "gen": info["generation"],
                        "wall_ms": round(ms, 1),
                        "cpu_ms": round((time.thread_time() - self._cpu) * 1000, 1),
                        "counts_before": self._counts,
                        "collected": info["collected"],
                    }
                )
            self._started = None

    def take(self) -> dict[str, float]:
        taken, self.durations = self.durations, []
        slow, self.slow = self.slow, []
        if not taken:
            return {"gc_runs": 0}
        return {
            "gc_slow": slow[:6],
            "gc_runs": len(taken),
            "gc_max_ms": round(max(ms for _, ms in taken), 1),
            "gc_full_runs": sum(1 for gen, _ in taken if gen == 2),
        }


def thread_cpu(ident: int | None) -> float:
    """CPU seconds used so far by the thread with this id (Linux: pthread CPU clock)."""
    if ident is None:
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(ident))


async def run(args: argparse.Namespace, commands: mp.Queue, replies: mp.Queue, base_url: str):
    import gc

    from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

    from radiowatch.audd import AudDClient
    from radiowatch.audd.models import AUDD_CALLBACK_TZ
    from radiowatch.config.settings import SettingsStore
    from radiowatch.history.database import open_database
    from radiowatch.history.plays import PlayStore
    from radiowatch.history.stream_events import StreamEventLog
    from radiowatch.monitoring.now_playing import NowPlayingBoard
    from radiowatch.monitoring.service import MonitoringService
    from radiowatch.monitoring.stations_source import StationStoreSource
    from radiowatch.monitoring.stream_state import StreamStateStore
    from radiowatch.monitoring.watchlist import WatchlistStore
    from radiowatch.stations.store import StationStore
    from radiowatch.ui.monitor.live_monitoring import LiveMonitoring
    from radiowatch.ui.monitor.tab import MonitorTab
    from radiowatch.ui.shell.stations_sidebar import StationsSidebar

    loop = asyncio.get_running_loop()

    async def ask(command: str, payload=None):
        commands.put((command, payload))
        return await loop.run_in_executor(None, replies.get)

    workdir = Path(tempfile.mkdtemp(prefix="rw-bench-"))
    # As in the app: the GUI thread's connection (short busy timeout), the stations table the
    # Stations sidebar shows, and LiveMonitoring, which runs the MonitoringService on its own
    # thread with its own connection and AudD client and feeds the board and the sidebar on
    # the GUI thread through the MonitoringBridge.
    db = open_database(workdir / "history.db", busy_timeout_ms=250)
    store = StationStore(db)
    for i in range(1, args.stations + 1):
        store.add(name=f"Station {i:03d}", source=f"https://s.example/{i}", radio_id=i)
    settings = SettingsStore(workdir / "settings.json")
    client = AudDClient(TOKEN, base_url=base_url)  # the GUI loop's client (only its recipe is used)
    gc_watch = GcWatch()
    gc.callbacks.append(gc_watch)
    probe = LagProbe()
    probe.start()

    started = time.perf_counter()
    window = QWidget()
    layout = QHBoxLayout(window)
    sidebar = StationsSidebar()
    sidebar.set_stations(store.list())
    if args.on_gui_thread:
        live, board = None, NowPlayingBoard()
        board.set_stations(StationStoreSource(store).stations())
    else:
        live = LiveMonitoring(
            db,
            store,
            settings,
            on_station_status=sidebar.set_station_status,
            database_path=workdir / "history.db",
        )
        board = live.board
    tab = MonitorTab(board)
    layout.addWidget(sidebar)
    layout.addWidget(tab, 1)
    window.resize(1400, 900)
    window.show()
    cards_ms = (time.perf_counter() - started) * 1000
    if live is not None:
        service = await live.start(
            client, state_key="audd", timestamp_tz=AUDD_CALLBACK_TZ, longpoll_timeout=30
        )
        worker_ident = service.thread.ident
    else:
        # The structure before the monitoring thread: the service on the GUI loop, with the
        # GUI's connection and client, every status relayed to the sidebar.
        service = MonitoringService(
            client=client,
            play_store=PlayStore(db),
            stations=StationStoreSource(store),
            state=StreamStateStore(db, "audd"),
            watchlist=WatchlistStore(db),
            stream_events=StreamEventLog(db),
            timestamp_tz=AUDD_CALLBACK_TZ,
            longpoll_timeout=30,
        )
        board.attach(service)

        def to_sidebar(status) -> None:
            station = store.by_radio_id(status.radio_id)
            if station is not None:
                sidebar.set_station_status(station.id, status.sidebar_status(), status.message)

        service.status_changed.connect(to_sidebar)
        await service.start()
        worker_ident = None
    while await ask("streams") < args.stations:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # every long poll is now waiting
    if not args.no_gc_freeze:
        # As app.py does once the monitoring is up: what was built at startup is moved out of
        # the collector's reach, so a collection no longer walks 100 cards' widgets.
        gc.freeze()
    results = {
        "startup": summary(probe.take())
        | {"create_window_ms": round(cards_ms, 1)}
        | gc_watch.take()
    }

    def plays() -> int:
        return db.execute("SELECT COUNT(*) FROM plays").fetchone()[0]

    # Baseline: 100 long polls held open, no events. Lag here is the machine (other processes
    # on the shared cores), not radiowatch; compare the phases below with it.
    cpu_before = time.thread_time()
    await asyncio.sleep(args.idle)
    results["idle"] = (
        summary(probe.take())
        | {"gui_cpu_ms_per_s": round((time.thread_time() - cpu_before) * 1000 / args.idle, 1)}
        | gc_watch.take()
    )

    profiler = None
    if args.profile:
        import cProfile  # profiles this (the GUI) thread only

        profiler = cProfile.Profile()
        profiler.enable()
    expected = 0
    for phase, command, payload in [
        ("steady", "steady", (args.stations, args.rate, args.seconds)),
        ("burst", "burst", (args.stations, args.bursts, 2.0)),
    ]:
        before = time.perf_counter()
        cpu_before = time.thread_time()
        worker_before = thread_cpu(worker_ident)
        pushed = await ask(command, payload)
        expected += pushed
        deadline = time.monotonic() + 30
        while plays() < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # let the last card refresh tick run
        cpu_ms = (time.thread_time() - cpu_before) * 1000
        worker_ms = (thread_cpu(worker_ident) - worker_before) * 1000
        seconds = time.perf_counter() - before
        # GUI-thread CPU per event, net of the idle cost (mostly the probe itself): a figure
        # that does not depend on how loaded the shared machine is.
        net_ms = cpu_ms - results["idle"]["gui_cpu_ms_per_s"] * seconds
        results[phase] = (
            summary(probe.take())
            | {
                "events": pushed,
                "seconds": round(seconds, 1),
                "gui_cpu_ms_per_event": round(net_ms / max(1, pushed), 2),
                "worker_cpu_ms_per_event": round(worker_ms / max(1, pushed), 2),
            }
            | gc_watch.take()
        )
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    results["plays_recorded"] = plays()
    results["events_pushed"] = expected
    rows = db.execute("SELECT COUNT(DISTINCT event_key) FROM plays").fetchone()[0]
    results["duplicates"] = results["plays_recorded"] - rows
    results["collections_off_gui_thread"] = gc_watch.off_gui

    probe.timer.stop()
    tab.shutdown()
    closing = time.perf_counter()
    if live is not None:
        await live.aclose()
        results["monitoring_thread_joined"] = not service.thread.is_alive()
    else:
        await service.aclose()
    results["shutdown_ms"] = round((time.perf_counter() - closing) * 1000, 1)
    await client.aclose()
    gc.callbacks.remove(gc_watch)
    window.close()
    db.conn.close()
    QApplication.processEvents()
    shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second, steady")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="baseline seconds, no events")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="skip the gc.freeze() app.py does after startup (see RESULTS.md)",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        help="sys.setswitchinterval (s): how soon a busy "
        "thread hands the GIL to the GUI thread (Python's default is 0.005)",
    )
    parser.add_argument(
        "--on-gui-thread",
        action="store_true",
        help="the structure before: the MonitoringService on the GUI loop (for comparison)",
    )
    parser.add_argument("--profile", type=Path, help="cProfile the GUI thread's events phases")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)

    import qasync
    from PySide6.QtWidgets import QApplication

    ctx = mp.get_context("spawn")
    commands, replies = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=fake_cloud, args=(commands, replies), daemon=True)
    child.start()
    base_url = replies.get(timeout=30)

    from radiowatch.ui.common.gui_thread_gc import GuiThreadGarbageCollector

    app = QApplication.instance() or QApplication(sys.argv)
    collector = GuiThreadGarbageCollector(app)  # as app.py: collections on the GUI thread only
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            results = runner.run(run(args, commands, replies, base_url))
    finally:
        collector.stop()
        commands.put(("stop", None))
        child.join(timeout=15)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    # Skip the interpreter's finalization: releasing the reserves above would then drop the
    # references PySide 6.12 took away, and the process would abort after its work is done.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()

"""GUI-thread stall with 100 monitored stations and events arriving.

What runs (all real, nothing mocked): the fake AudD cloud (tests/fakes/fake_audd.py) in a
child process, so its uvicorn thread does not share our GIL; in this process the
MonitoringService on the qasync loop (100 long polls, SQLite history in a temp dir) and the
MonitorTab with 100 cards, shown offscreen.

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
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

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


async def run(args: argparse.Namespace, commands: mp.Queue, replies: mp.Queue, base_url: str):
    import httpx
    from PySide6.QtWidgets import QApplication

    from radiowatch.audd import AudDClient
    from radiowatch.history.database import open_database
    from radiowatch.history.plays import PlayStore
    from radiowatch.history.stream_events import StreamEventLog
    from radiowatch.monitoring.now_playing import NowPlayingBoard
    from radiowatch.monitoring.service import MonitoringService
    from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
    from radiowatch.monitoring.stream_state import StreamStateStore
    from radiowatch.ui.monitor_tab import MonitorTab

    loop = asyncio.get_running_loop()

    async def ask(command: str, payload=None):
        commands.put((command, payload))
        return await loop.run_in_executor(None, replies.get)

    stations = [
        MonitoredStation(radio_id=i, name=f"Station {i:03d}", source=f"https://s.example/{i}")
        for i in range(1, args.stations + 1)
    ]
    workdir = Path(tempfile.mkdtemp(prefix="rw-bench-"))
    db = open_database(workdir / "history.db")
    # One connection per long poll: the default pool (100) would starve the 100th stream.
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(
            max_connections=args.stations + 20, max_keepalive_connections=args.stations + 20
        ),
    )
    client = AudDClient(TOKEN, base_url=base_url, http_client=http)
    service = MonitoringService(
        client=client,
        play_store=PlayStore(db),
        stations=StaticStations(stations),
        state=StreamStateStore(db, "audd"),
        stream_events=StreamEventLog(db),
        longpoll_timeout=30,
    )
    board = NowPlayingBoard()
    probe = LagProbe()
    probe.start()

    started = time.perf_counter()
    board.set_stations(stations)
    board.attach(service)
    tab = MonitorTab(board)
    tab.resize(1400, 900)
    tab.show()
    cards_ms = (time.perf_counter() - started) * 1000
    await service.start()
    while await ask("streams") < args.stations:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # every long poll is now waiting
    if args.gc_freeze:
        # What app.py can do once the window is up: move everything built at startup out of
        # the collector's reach, so a full collection no longer walks 100 cards' widgets.
        import gc

        gc.collect()
        gc.freeze()
    results = {"startup": summary(probe.take()) | {"create_100_cards_ms": round(cards_ms, 1)}}

    def plays() -> int:
        return db.execute("SELECT COUNT(*) FROM plays").fetchone()[0]

    # Baseline: 100 long polls held open, no events. Lag here is the machine (other processes
    # on the shared cores), not radiowatch; compare the phases below with it.
    cpu_before = time.thread_time()
    await asyncio.sleep(args.idle)
    results["idle"] = summary(probe.take()) | {
        "gui_cpu_ms_per_s": round((time.thread_time() - cpu_before) * 1000 / args.idle, 1)
    }

    expected = 0
    for phase, command, payload in [
        ("steady", "steady", (args.stations, args.rate, args.seconds)),
        ("burst", "burst", (args.stations, args.bursts, 2.0)),
    ]:
        before = time.perf_counter()
        cpu_before = time.thread_time()
        pushed = await ask(command, payload)
        expected += pushed
        deadline = time.monotonic() + 30
        while plays() < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # let the last card refresh tick run
        cpu_ms = (time.thread_time() - cpu_before) * 1000
        seconds = time.perf_counter() - before
        # GUI-thread CPU per event, net of the idle cost (mostly the probe itself): a figure
        # that does not depend on how loaded the shared machine is.
        net_ms = cpu_ms - results["idle"]["gui_cpu_ms_per_s"] * seconds
        results[phase] = summary(probe.take()) | {
            "events": pushed,
            "seconds": round(seconds, 1),
            "gui_cpu_ms_per_event": round(net_ms / max(1, pushed), 2),
        }
    results["plays_recorded"] = plays()
    results["events_pushed"] = expected
    rows = db.execute("SELECT COUNT(DISTINCT event_key) FROM plays").fetchone()[0]
    results["duplicates"] = results["plays_recorded"] - rows

    probe.timer.stop()
    tab.shutdown()
    await service.aclose()
    await client.aclose()
    await http.aclose()
    db.conn.close()
    QApplication.processEvents()
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
        "--gc-freeze", action="store_true", help="gc.freeze() after startup (see RESULTS.md)"
    )
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication

    ctx = mp.get_context("spawn")
    commands, replies = ctx.Queue(), ctx.Queue()
    child = ctx.Process(target=fake_cloud, args=(commands, replies), daemon=True)
    child.start()
    base_url = replies.get(timeout=30)

    app = QApplication.instance() or QApplication(sys.argv)
    try:
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            results = runner.run(run(args, commands, replies, base_url))
    finally:
        commands.put(("stop", None))
        child.join(timeout=15)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""How soon the song on air reaches the now-playing card, measured live end to end.

    .venv/bin/python bench/broadcast/live_latency.py --program PROGRAM_DIR --db DB_DIR
        [--minutes 20] [--work DIR]

A broadcast-benchmark program (make_program.py: program.mp3 + truth.json; see run.sh) is
played in real time by a loopback Icecast station (engine/demo/station.py) to a real engine
process whose catalog is a copy of DB_DIR (the benchmark index; tracks titled by their ids),
and monitored by the app's MonitoringService with `announce_starts` and a NowPlayingBoard,
exactly as the app runs them. For every required play of the truth it reports when the song
appeared as the card's current song, counted from its first audible second, and checks the
history: each airing recorded once, at the start that was announced. It also compares the
recorded plays with `radiowatch-engine playlog` on the same minutes of the program.

Prints a Markdown table and a JSON line with the figures. Takes the program's length in real
time (plus a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, run from anywhere

from radiowatch.audd import AudDClient  # noqa: E402
from radiowatch.engine.demo.station import Segment  # noqa: E402
from radiowatch.history.database import open_database  # noqa: E402
from radiowatch.history.plays import PlayStore  # noqa: E402
from radiowatch.monitoring.now_playing import NowPlayingBoard  # noqa: E402
from radiowatch.monitoring.service import MonitoringService  # noqa: E402
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations  # noqa: E402
from radiowatch.monitoring.stream_state import StreamStateStore  # noqa: E402
from tests.support.engine_process import running_engine  # noqa: E402
from tests.support.stations import BackgroundLoop  # noqa: E402

RATE = 44100
RADIO_ID = 42


def program_audio(path: Path, minutes: float) -> np.ndarray:
    """The first `minutes` of the program, mono float32 at RATE."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks, total, limit = [], 0, int(minutes * 60 * RATE)
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += chunk.size
            if total >= limit:
                break
    return np.concatenate(chunks)[:limit]


def titled_catalog_copy(db: Path, target: Path) -> None:
    """The benchmark index as an engine data dir, each track titled by its id (the events
    name songs by title)."""
    from radiowatch.engine.fingerprint.catalog import Catalog

    shutil.copytree(db, target)
    with Catalog.open(target) as catalog:
        for track in catalog.tracks():
            catalog.update(track.track_id, title=track.track_id)


async def monitor(engine, url: str, history: Path, seconds: float) -> dict:
    """Follow the stream as the app does for `seconds`; returns what the card and history saw."""
    db = open_database(history)
    client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
    station = MonitoredStation(radio_id=RADIO_ID, name="Benchmark FM", source=url)
    service = MonitoringService(
        client=client,
        play_store=PlayStore(db),
        stations=StaticStations([station]),
        state=StreamStateStore(db, "local"),
        longpoll_timeout=20,
        retry_first_delay=0.2,
        announce_starts=True,
    )
    board = NowPlayingBoard()
    board.set_stations([station])
    board.attach(service)
    shown: list[dict] = []  # each song as it became the card's current one

    def on_air(item) -> None:
        panel = board.panel(RADIO_ID)
        if panel is not None and panel.current is item.play:
            shown.append(
                {"title": item.play.title, "start": item.play.start.timestamp(), "at": time.time()}
            )

    service.play_on_air.connect(on_air)
    await service.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await service.aclose()
        await client.aclose()
    rows = db.execute("SELECT title, start_ts, play_length FROM plays ORDER BY start_ts").fetchall()
    db.conn.close()
    return {
        "shown": shown,
        "recorded": [{"title": r[0], "start": r[1], "length": r[2]} for r in rows],
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--program", required=True, type=Path)
    ap.add_argument(
        "--db", required=True, type=Path, help="the benchmark's index (run.sh's WORK/db)"
    )
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--work", type=Path, default=None)
    a = ap.parse_args()
    work = a.work or Path(tempfile.mkdtemp(prefix="live-latency-"))
    work.mkdir(parents=True, exist_ok=True)
    truth = json.loads((a.program / "truth.json").read_text())
    audio = program_audio(a.program / "program.mp3", a.minutes)
    seconds = audio.size / RATE
    excerpt = work / "excerpt.wav"
    _write_wav(excerpt, audio)
    titled_catalog_copy(a.db, work / "engine")

    with BackgroundLoop() as bg, running_engine(work / "engine") as engine:
        engine.api("setCallbackUrl", url="https://audd.tech/empty/")
        station = bg.start_station(
            lambda: iter([Segment("Benchmark FM", audio)]), loop_programme=False, channels=1
        )
        seen = asyncio.run(monitor(engine, station.url, work / "history.db", seconds + 60))
        on_air = station.schedule[0].start  # wall time of the excerpt's second 0
    logged = subprocess.run(
        [
            sys.executable,
            "-m",
            "radiowatch.engine.cli",
            "playlog",
            str(work / "engine"),
            str(excerpt),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    played = [json.loads(line) for line in logged.stdout.splitlines() if line.startswith("{")]
    report(truth, seen, played, on_air, seconds)


def report(truth: dict, seen: dict, played: list[dict], on_air: float, seconds: float) -> None:
    latencies, rows = [], []
    for item in truth["items"]:
        if (
            item.get("kind") != "song"
            or not item.get("required")
            or item.get("starts_before_recording")
        ):
            continue
        if item["start_s"] > seconds - 20:
            continue
        start = on_air + item["start_s"]
        shown = next(
            (
                s
                for s in seen["shown"]
                if s["title"] == item["track_id"] and abs(s["start"] - start) < 15
            ),
            None,
        )
        latency = None if shown is None else shown["at"] - start
        if latency is not None:
            latencies.append(latency)
        talked = any(v.get("where") == "intro" for v in item.get("voice_over", []))
        rows.append((item["n"], item["track_id"], item["start_s"], talked, latency))
    print("| # | track | starts at | voice-over on intro | on the card after |")
    print("|---|---|---|---|---|")
    for n, track, at, talked, latency in rows:
        shown = "never" if latency is None else f"{latency:.1f} s"
        print(f"| {n} | {track} | {at:.1f} s | {'yes' if talked else ''} | {shown} |")
    recorded = seen["recorded"]
    keys = [(r["title"], r["start"]) for r in recorded]
    same = sum(
        any(r["title"] == p["track_id"] and abs(r["start"] - on_air - p["start_s"]) <= 1.5
            and abs(r["length"] - (p["end_s"] - p["start_s"])) <= 1.5 for r in recorded)
        for p in played
    )  # fmt: skip
    xs = sorted(latencies)
    figures = {
        "plays": len(rows),
        "shown": len(xs),
        "p50_s": round(float(np.percentile(xs, 50)), 1) if xs else None,
        "p95_s": round(float(np.percentile(xs, 95)), 1) if xs else None,
        "max_s": round(max(xs), 1) if xs else None,
        "recorded": len(recorded),
        "recorded_twice": len(keys) - len(set(keys)),
        "playlog_plays": len(played),
        "playlog_plays_recorded_alike": same,
    }
    print()
    print(json.dumps(figures))


def _write_wav(path: Path, samples: np.ndarray) -> None:
    import wave

    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())


if __name__ == "__main__":
    main()

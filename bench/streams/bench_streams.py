"""How many 128 kbit/s streams can the local engine monitor in real time per CPU core?

    .venv/bin/python bench/streams/bench_streams.py --streams 10 25 50 --seconds 60

For each N: a fresh engine process (the engine's own detection windows unless `--window` /
`--hop` say otherwise: 8.192 s every 2.048 s since the format-2 re-tuning) with the demo
catalog, and N streams all listening to one loopback Icecast station (MP3, 44.1 kHz stereo,
128 kbit/s, the demo programme). After a warm-up, the engine process's CPU time (user+sys from
/proc) is measured over `--seconds` of wall time. Reported: cores used, streams per core
(N / cores), identifications per second, and windows skipped because identification fell
behind real time (0 means it kept up). The station runs in this process, so its encoding cost
is not counted against the engine.

Run it on an otherwise idle machine; figures go to RESULTS.md beside this script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL  # noqa: E402
from radiowatch.backend.engine_launcher import EngineLauncher  # noqa: E402
from radiowatch.engine.demo.startup import demo_programme, ensure_demo_catalog  # noqa: E402
from radiowatch.engine.demo.station import IcecastStation  # noqa: E402
from radiowatch.engine.fingerprint.catalog import Catalog  # noqa: E402
from radiowatch.engine.streams.play_detection import DetectionSettings  # noqa: E402

TOKEN = "bench-token"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def run_one(
    n_streams: int, seconds: float, warmup: float, settings: dict, catalog_dir: Path | None = None
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "engine"
        if catalog_dir is not None:  # a prepared catalog, e.g. the demo songs + 10,000 decoys
            shutil.copytree(catalog_dir, data_dir)
        with Catalog.open(data_dir) as catalog:
            ensure_demo_catalog(catalog, 30)
        (data_dir / "engine-settings.json").write_text(json.dumps(settings))
        station = IcecastStation(lambda: demo_programme(30, 4), bitrate=128_000)
        await station.start()
        launcher = EngineLauncher(data_dir=data_dir, token=TOKEN)
        base = await launcher.start()
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:

                async def api(method: str, **params) -> dict:
                    data = {"api_token": TOKEN, **{k: str(v) for k, v in params.items()}}
                    return (await client.post(f"/{method}/", data=data)).json()

                await api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
                for radio_id in range(1, n_streams + 1):
                    await api("addStream", url=station.url, radio_id=radio_id)
                await asyncio.sleep(warmup)
                before = (await client.get("/health/")).json()["monitoring"]
                cpu0, t0, aired0 = cpu_seconds(launcher.pid), time.monotonic(), station.aired_s
                await asyncio.sleep(seconds)
                cpu1, t1, aired1 = cpu_seconds(launcher.pid), time.monotonic(), station.aired_s
                after = (await client.get("/health/")).json()["monitoring"]
                streams = (await api("getStreams"))["result"]
                plays = (
                    await client.get(
                        "/longpoll/",
                        params={
                            "category": streams[0]["longpoll_category"],
                            "timeout": 1,
                            "since_time": 0,
                        },
                    )
                ).json()
        finally:
            await launcher.stop()
            await station.stop()
    wall = t1 - t0
    cores = (cpu1 - cpu0) / wall
    windows = after["windows"] - before["windows"]
    # CPU per second of monitored audio per stream: independent of how fast the (shared)
    # machine let the station air audio; 1 / that = streams one core keeps up with.
    audio_s = n_streams * (aired1 - aired0)
    per_stream_audio_s = (cpu1 - cpu0) / audio_s if audio_s else None
    return {
        "streams": n_streams,
        "running": after["running"],
        "cores_used": round(cores, 3),
        "station_realtime": round((aired1 - aired0) / wall, 3),
        "windows": windows,
        "cpu_ms_per_window": round(1000 * (cpu1 - cpu0) / windows, 1) if windows else None,
        "streams_per_core": round(1 / per_stream_audio_s, 1) if per_stream_audio_s else None,
        "skipped_windows": after["skipped_windows"] - before["skipped_windows"],
        # the latest any window was looked at after its audio aired, since the engine started
        "max_window_lag_s": after.get("max_window_lag_s"),
        "first_stream_reported_a_play": "result" in plays,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, nargs="+", default=[10, 25, 50])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--window", type=float, default=DetectionSettings().window_s)
    parser.add_argument("--hop", type=float, default=DetectionSettings().hop_s)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--catalog",
        type=Path,
        default=None,
        help="copy this catalog dir into each run (the demo songs are added if missing); "
        "bench/fingerprint/scaling.py --streams-catalog DIR --tracks N builds one with N decoys",
    )
    args = parser.parse_args()
    settings = {
        "window_s": args.window,
        "hop_s": args.hop,
        "workers": args.workers,
        "max_streams": max(args.streams),
    }
    print(
        f"# cpus={os.cpu_count()} window={args.window}s hop={args.hop}s "
        f"measure={args.seconds}s warmup={args.warmup}s",
        flush=True,
    )
    for n in args.streams:
        result = asyncio.run(run_one(n, args.seconds, args.warmup, settings, args.catalog))
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()

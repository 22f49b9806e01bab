"""How fast the Catalog tab's import of a folder goes, one upload at a time against as many in
flight as the tab keeps (the engine's add workers + 1), each into a fresh engine.

    .venv/bin/python bench/fingerprint/import_speed.py FOLDER [--in-flight 1 3] [--limit N]

Drives a real engine process (`radiowatch-engine serve`) through the same client the tab uses
(backend/catalog_client.py). Prints, per run: files, audio minutes, wall time, x realtime, and
the CPU time of the engine and its worker processes (utime+stime from /proc, read before the
engine stops), with the load average before and after: on a shared machine read CPU time and
the speed-up, not the wall time alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import tempfile
import time
from pathlib import Path

from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.backend.engine_launcher import EngineLauncher
from radiowatch.engine.fingerprint.ingest_jobs import audio_files


def _tree_cpu_s(root_pid: int) -> float:
    """utime+stime of a process and all its live descendants, seconds."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    tree, grew = {root_pid}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in tree} - tree
        grew = bool(more)
        tree |= more
    return sum(cpu.get(p, 0.0) for p in tree)


async def one_run(files: list[Path], in_flight: int) -> str:
    token = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as data_dir:
        async with EngineLauncher(mode="serve", data_dir=Path(data_dir), token=token) as engine:
            assert engine.pid is not None and engine.base_url is not None
            async with CatalogClient(engine.base_url, token) as client:
                load0 = os.getloadavg()[0]
                todo = iter(files)
                added, audio_s, failed = 0, 0.0, 0
                started = time.perf_counter()

                async def worker() -> None:
                    nonlocal added, audio_s, failed
                    for path in todo:
                        try:
                            track = await client.add_file(path)
                        except Exception:  # noqa: BLE001 - counted, as the tab lists it
                            failed += 1
                            continue
                        added += 1
                        audio_s += track.duration_s

                await asyncio.gather(*(worker() for _ in range(in_flight)))
                wall = time.perf_counter() - started
                cpu = _tree_cpu_s(engine.pid)
                workers = await client.add_workers()
    return (
        f"| {in_flight} | {workers} | {added} ({failed} failed) | {audio_s / 60:.1f} | "
        f"{wall:.1f} s | {audio_s / wall:.0f}x | {cpu:.1f} s | "
        f"{load0:.1f} / {os.getloadavg()[0]:.1f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--in-flight", type=int, nargs="*", default=[1, 3])
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    a = ap.parse_args()
    files = audio_files([a.folder])
    if a.limit:
        files = files[: a.limit]
    print(
        "| uploads in flight | engine add workers | files added | audio min | wall | "
        "x realtime | engine CPU (all processes) | load avg before / after |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in a.in_flight:
        print(asyncio.run(one_run(files, n)), flush=True)


if __name__ == "__main__":
    main()

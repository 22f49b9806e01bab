"""How fast does the app notice a dead local engine, and how soon does a new one answer?

For each run: a `BackendSession` starts the real engine (as the app does, with the app's
restart policy), the engine is SIGKILLed, and three times are taken from the kill:
- noticed: the session's `engine_down` (the process exit seen by the supervisor);
- answering: `engine_up` (a new engine on the same data answers `/health/`; the policy's first
  restart delay, 1 s, is part of it);
- stopped: how long a clean `aclose()` of the session takes afterwards.

    .venv/bin/python bench/backend/engine_restart.py [--runs 5]

Prints a Markdown table; paste it with `uptime` into bench/backend/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import tempfile
import time
from pathlib import Path


async def one_run(home: Path) -> tuple[float, float, float]:
    os.environ["RADIOWATCH_HOME"] = str(home)
    from radiowatch.backend.session import BackendSession
    from radiowatch.config.paths import profile_dirs
    from radiowatch.config.secrets import MemoryTokenStore
    from radiowatch.config.settings import Settings

    session = BackendSession(
        profile_dirs().ensure(), Settings(backend="local", engine_demo=False), MemoryTokenStore()
    )
    seen: dict[str, float] = {}
    session.engine_down.connect(lambda _o: seen.setdefault("down", time.monotonic()))
    session.engine_up.connect(lambda _o: seen.setdefault("up", time.monotonic()))
    await session.start()
    assert session.engine is not None and session.engine.pid is not None
    killed = time.monotonic()
    os.kill(session.engine.pid, signal.SIGKILL)
    while "up" not in seen:
        if time.monotonic() - killed > 60:
            raise RuntimeError("no new engine within 60 s")
        await asyncio.sleep(0.005)
    closing = time.monotonic()
    await session.aclose()
    return seen["down"] - killed, seen["up"] - killed, time.monotonic() - closing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as home:
            rows.append(asyncio.run(one_run(Path(home))))
    print(f"load average (1, 5, 15 min) after the runs: {os.getloadavg()}")
    print(
        "| run | noticed after kill (ms) | new engine answering after kill (s) | clean stop (s) |"
    )
    print("|---|---|---|---|")
    for i, (down, up, stop) in enumerate(rows, 1):
        print(f"| {i} | {down * 1000:.1f} | {up:.2f} | {stop:.2f} |")
    downs, ups = [r[0] for r in rows], [r[1] for r in rows]
    print(
        f"| median | {statistics.median(downs) * 1000:.1f} | {statistics.median(ups):.2f} | "
        f"{statistics.median(r[2] for r in rows):.2f} |"
    )
    print(f"| worst | {max(downs) * 1000:.1f} | {max(ups):.2f} | {max(r[2] for r in rows):.2f} |")


if __name__ == "__main__":
    main()

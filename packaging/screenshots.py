"""Take the README's screenshots from the real app (run by take-screenshots.sh under Xvfb).

A throwaway demo profile: the local engine in demo mode (its generated songs and its station),
plus a day of plays of those songs on two stations so History and its charts have something to
show. The script waits for the demo station to be live (and, if it comes within the time
allowed, its first recognised play), then saves one PNG per tab, the first-run assistant and
the About box into the output folder.

    python packaging/screenshots.py OUT_DIR [--wait SECONDS] [--size WIDTHxHEIGHT]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WINDOW_SIZE = (1200, 760)


def seed_history(services) -> None:
    """A day of plausible plays of the demo songs on the demo station and one more."""
    from radiowatch.backend.session import DEMO_RADIO_ID, DEMO_STATION_NAME
    from radiowatch.engine.demo.music_synthesis import DEMO_SONGS
    from radiowatch.history.play import Play
    from radiowatch.history.plays import PlayStore

    store = PlayStore(services.db)
    rng = random.Random(7)
    now = datetime.now(UTC).replace(microsecond=0)
    stations = [(DEMO_RADIO_ID, DEMO_STATION_NAME), (2, "Harbour City Radio")]
    moment = now - timedelta(hours=24)
    while moment < now - timedelta(minutes=5):
        radio_id, name = rng.choice(stations)
        song = rng.choice(DEMO_SONGS[:8])
        length = rng.randint(150, 260)
        store.add(
            Play(
                radio_id=radio_id,
                station_name=name,
                start=moment,
                end=moment + timedelta(seconds=length),
                play_length=length,
                artist=song.artist,
                title=song.title,
                album=song.album,
                score=rng.randint(80, 100),
                backend="local",
                provenance="radiowatch demo",
            )
        )
        moment += timedelta(seconds=length + rng.randint(60, 900))
    services.db.conn.commit()


async def shoot(app, out: Path, wait_s: float, size: tuple[int, int] = WINDOW_SIZE) -> list[Path]:
    from radiowatch.backend.session import DEMO_RADIO_ID
    from radiowatch.ui.shell.placeholder_tab import TAB_KEYS

    async def settle() -> None:
        # Never QApplication.processEvents() inside a coroutine: qasync would re-enter tasks.
        await asyncio.sleep(0.3)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    service = None
    while loop.time() < deadline:
        service = app.monitoring.service
        status = service.status(DEMO_RADIO_ID) if service is not None else None
        recent = app.monitoring.board.panel(DEMO_RADIO_ID)
        live_play = (
            recent is not None
            and recent.current is not None
            and recent.current.start > datetime.now(UTC) - timedelta(minutes=3)
        )
        if status is not None and status.state == "live" and live_play:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(1.0)
    saved: list[Path] = []
    window = app.window
    window.resize(*size)
    for key in TAB_KEYS:
        window.show_tab(key)
        await settle()
        await asyncio.sleep(1.2)  # timers repaint (now-playing cards, charts)
        await settle()
        path = out / f"{key}.png"
        window.grab().save(str(path), "PNG", 9)
        saved.append(path)
    window.show_tab("monitor")
    about = window.show_about()
    await settle()
    await asyncio.sleep(0.5)
    about.grab().save(str(out / "about.png"), "PNG", 9)
    saved.append(out / "about.png")
    about.close()
    from radiowatch.ui.shell.first_run import FirstRunAssistant

    assistant = FirstRunAssistant(
        app.services.settings, app.services.tokens, app.services.stations, window
    )
    window.show_first_run(assistant)  # the page a new user's window opens on
    await settle()
    await asyncio.sleep(0.5)
    window.grab().save(str(out / "first-run.png"), "PNG", 9)
    saved.append(out / "first-run.png")
    assistant.reject()  # closes the page; the profile's settings stay as they are
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--wait",
        type=float,
        default=150.0,
        help="how long to wait for the demo station's first live play",
    )
    parser.add_argument(
        "--size",
        default="x".join(map(str, WINDOW_SIZE)),
        help="window size, e.g. 1120x700 (default: the README's)",
    )
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    size = (width, height)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="radiowatch-shots-"))
    os.environ["RADIOWATCH_HOME"] = str(profile)

    import qasync

    from radiowatch.app import RadiowatchApp, build_services, create_qapplication
    from radiowatch.config.paths import profile_dirs
    from radiowatch.config.secrets import MemoryTokenStore

    qapp = create_qapplication()
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(
        backend="local", engine_demo=True, first_run_done=True, close_to_tray=False
    )
    seed_history(services)
    services.stations.add(
        name="Harbour City Radio",
        radio_id=2,
        source="https://streams.example.org/harbour.mp3",
        enabled=False,
    )
    app = RadiowatchApp(qapp, services)
    saved: list[Path] = []

    async def run() -> int:
        runner = asyncio.get_running_loop().create_task(app.run(handle_signals=False))
        await asyncio.sleep(0.5)
        try:
            saved.extend(await shoot(app, out, args.wait, size))
        finally:
            app.request_shutdown("screenshots")
        return await runner

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as r:
        code = r.run(run())
    for path in saved:
        print(f"{path} ({path.stat().st_size // 1024} KB)")
    return code


if __name__ == "__main__":
    sys.exit(main())

"""Render the Monitor tab with 4 stations and some plays to a PNG (for review and docs).

Runs the real pieces: a NowPlayingBoard fed with plays, the MonitorTab, and CoverArtCache
fetching generated covers from a loopback image host. Usage:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/monitoring/monitor_tab_screenshot.py [out.png]
"""

from __future__ import annotations

import asyncio
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory

import qasync
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication

from radiowatch.history.play import Play
from radiowatch.monitoring.cover_art import CoverArtCache
from radiowatch.monitoring.events import RecordedPlay, StreamStatus
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.ui.monitor.tab import MonitorTab

STATIONS = [
    MonitoredStation(radio_id=101, name="Radio Paradise", source="https://stream.example/rp"),
    MonitoredStation(radio_id=102, name="FIP", source="https://stream.example/fip"),
    MonitoredStation(radio_id=103, name="KEXP 90.3", source="https://stream.example/kexp"),
    MonitoredStation(radio_id=104, name="Nightwave Plaza", source="https://stream.example/nw"),
]

PLAYS = {
    101: [
        ("Tears For Fears", "Everybody Wants To Rule The World", "Mercury", 100, 3, "#c0392b"),
        ("Talking Heads", "This Must Be the Place", "Sire", 96, 8, None),
        ("Björk", "Hyperballad", "One Little Indian", 99, 13, None),
        ("Massive Attack", "Teardrop", "Virgin", 100, 19, None),
    ],
    102: [
        ("Nina Simone", "Feeling Good", "Philips", 98, 1, "#1f6f8b"),
        ("Stereolab", "French Disko", "Duophonic", 91, 6, None),
        ("Air", "La femme d'argent", "Source", 100, 12, None),
    ],
    103: [
        ("Khruangbin", "Time (You and I)", "Dead Oceans", 97, 42, None),
        ("Fleetwood Mac", "Dreams", "Warner", 100, 47, None),
    ],
    104: [],
}

STATUSES = {
    101: ("live", ""),
    102: ("live", ""),
    103: ("silent", "Only noise or talk, no music for 40 min"),
    104: ("down", "Recognition failed: can't connect to the audiostream"),
}


def cover_png(colour: str) -> bytes:
    image = QImage(300, 300, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    gradient = QLinearGradient(QPointF(0, 0), QPointF(300, 300))
    gradient.setColorAt(0, QColor(colour).lighter(140))
    gradient.setColorAt(1, QColor(colour).darker(160))
    painter.fillRect(image.rect(), gradient)
    painter.setPen(QColor(255, 255, 255, 60))
    for radius in range(20, 300, 24):
        painter.drawEllipse(QPointF(150, 150), radius, radius)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(QByteArray(buffer.data()))


def serve_covers() -> tuple[ThreadingHTTPServer, str]:
    images: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            colour = "#" + self.path.strip("/").split("/")[0]
            data = images.setdefault(colour, cover_png(colour))
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def feed(board: NowPlayingBoard, cover_base: str) -> None:
    now = datetime.now(UTC)
    board.set_stations(STATIONS)
    play_id = 0
    for station in STATIONS:
        for artist, title, label, score, minutes, colour in reversed(PLAYS[station.radio_id]):
            play_id += 1
            song = {"artist": artist, "title": title, "label": label, "score": score}
            if colour:
                song["apple_music"] = {
                    "artwork": {"url": f"{cover_base}/{colour[1:]}/{{w}}x{{h}}.png"}
                }
            play = Play(
                id=play_id,
                radio_id=station.radio_id,
                station_name=station.name,
                start=now - timedelta(minutes=minutes, seconds=200),
                play_length=200 + 7 * play_id,
                artist=artist,
                title=title,
                label=label,
                score=score,
                raw_event={"results": [song]},
            )
            board.apply_play(RecordedPlay(play, station))
        state, message = STATUSES[station.radio_id]
        board.apply_status(StreamStatus(station.radio_id, station.name, state, message))


async def render(out: Path) -> None:
    server, base = serve_covers()
    with TemporaryDirectory() as cache_dir:
        cache = CoverArtCache(Path(cache_dir))
        board = NowPlayingBoard()
        tab = MonitorTab(board, cover_cache=cache, refresh_interval_ms=50)
        tab.resize(720, 620)
        tab.show()
        feed(board, base)
        await asyncio.sleep(1.5)
        tab.grab().save(str(out))
        tab.shutdown()
        await cache.aclose()
    server.shutdown()
    print(f"saved {out}")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/team/monitor_tab.png")
    out.parent.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setAttribute(Qt.ApplicationAttribute.AA_DontShowIconsInMenus, False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(render(out))


if __name__ == "__main__":
    main()

"""The Monitor tab with the real MonitoringService against the fake AudD cloud: one card per
station, cards update when plays arrive, covers are fetched once and shared."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from radiowatch.audd import AudDClient
from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.cover_art import CoverArtCache
from radiowatch.monitoring.events import RecordedPlay, StreamStatus
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.ui.monitor.monitoring_bridge import MonitoringBridge
from radiowatch.ui.monitor.tab import MonitorTab
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD

pytestmark = pytest.mark.qt
TOKEN = "monitor-tab-token"


def stations(count: int) -> list[MonitoredStation]:
    return [
        MonitoredStation(radio_id=i, name=f"Station {i}", source=f"https://s.example/{i}")
        for i in range(1, count + 1)
    ]


@pytest.fixture
def fake_audd():
    with FakeAudD(tokens={TOKEN}) as fake:
        yield fake


@pytest.fixture
def cover_server():
    """A loopback image host that counts how often each cover is downloaded."""
    image = QImage(64, 64, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    png = bytes(QByteArray(buffer.data()))
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def build(tmp_path, fake, station_list, qloop):
    db = open_database(tmp_path / "history.db")
    client = AudDClient(TOKEN, base_url=fake.base_url, backoff_factor=0.02)
    service = MonitoringService(
        client=client,
        play_store=PlayStore(db),
        stations=StaticStations(station_list),
        state=StreamStateStore(db, "audd"),
        longpoll_timeout=2,
        retry_first_delay=0.05,
    )
    board = NowPlayingBoard()
    board.set_stations(station_list)
    board.attach(service)
    return db, client, service, board


def test_one_card_per_station_updates_when_plays_arrive(qtbot, qloop, tmp_path, fake_audd):
    db, client, service, board = build(tmp_path, fake_audd, stations(3), qloop)
    tab = MonitorTab(board, refresh_interval_ms=50)
    qtbot.addWidget(tab)
    tab.resize(1100, 700)
    tab.show()
    drive(qtbot, qloop, service.start())
    try:
        qtbot.waitUntil(lambda: len(fake_audd.account().streams) == 3, timeout=5000)
        assert sorted(tab.cards) == [1, 2, 3]
        assert tab.cards[2].name_label.text() == "Station 2"

        fake_audd.push_match(2, artist="Tears For Fears", title="Mad World", score=97)
        qtbot.waitUntil(lambda: tab.cards[2].title_label.text() == "Mad World", timeout=5000)
        card = tab.cards[2]
        assert card.artist_label.text() == "Tears For Fears"
        assert "score 97" in card.meta_label.text()
        assert card.status_pill.text() == "Live"
        assert tab.cards[1].title_label.text() == "Waiting for the first song…"

        fake_audd.push_match(2, artist="Tears For Fears", title="Shout")
        qtbot.waitUntil(lambda: card.title_label.text() == "Shout", timeout=5000)
        assert "Mad World" in card.recent_rows[0][1].text(), "the previous play moves down"
        assert "3 stations" in tab.summary_label.text()

        fake_audd.push_notification(3, code=650)
        qtbot.waitUntil(lambda: tab.cards[3].status_pill.text() == "Down", timeout=5000)
        assert "can't connect" in tab.cards[3].status_detail.text()
    finally:
        drive(qtbot, qloop, service.aclose())
        drive(qtbot, qloop, client.aclose())
        tab.shutdown()
        db.conn.close()


def test_cards_follow_the_board_without_a_service(qtbot):
    """Adding/removing stations re-lays the grid; an empty board explains what to do."""
    board = NowPlayingBoard()
    tab = MonitorTab(board, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.show()
    assert tab.empty_label.isVisible()
    board.set_stations(stations(4))
    qtbot.waitUntil(lambda: len(tab.cards) == 4)
    assert not tab.empty_label.isVisible()
    board.apply_status(StreamStatus(4, "Station 4", "silent", "Only noise or talk, no music"))
    qtbot.waitUntil(lambda: tab.cards[4].status_pill.text() == "Silent")
    board.set_stations(stations(2))
    qtbot.waitUntil(lambda: sorted(tab.cards) == [1, 2])
    tab.shutdown()


def test_cover_art_is_fetched_once_and_shared_between_cards(qtbot, qloop, tmp_path, cover_server):
    base, hits = cover_server
    board = NowPlayingBoard()
    board.set_stations(stations(2))
    cache = CoverArtCache(tmp_path / "covers")
    tab = MonitorTab(board, cover_cache=cache, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.show()
    raw = {
        "results": [{"title": "T", "apple_music": {"artwork": {"url": base + "/art/{w}x{h}.png"}}}]
    }
    now = datetime.now(UTC)
    for radio_id in (1, 2):
        play = Play(
            id=radio_id,
            radio_id=radio_id,
            start=now - timedelta(minutes=2),
            title="T",
            raw_event=raw,
        )
        board.apply_play(RecordedPlay(play, stations(2)[radio_id - 1]))
        board.apply_status(StreamStatus(radio_id, f"Station {radio_id}", "live", since=now))

    def has_cover(radio_id):
        image = tab.cards[radio_id].cover_label.pixmap().toImage()
        return image.pixelColor(image.width() // 2, image.height() // 2).name() == "#3366cc"

    qtbot.waitUntil(lambda: has_cover(1) and has_cover(2), timeout=5000)
    assert hits == ["/art/300x300.png"]
    assert "2 min ago" in tab.cards[1].meta_label.text()
    drive(qtbot, qloop, cache.aclose())
    tab.shutdown()


def test_bridge_turns_service_events_into_qt_signals(qtbot, qloop, tmp_path, fake_audd):
    db, client, service, board = build(tmp_path, fake_audd, stations(1), qloop)
    bridge = MonitoringBridge(service)
    drive(qtbot, qloop, service.start())
    try:
        qtbot.waitUntil(lambda: 1 in fake_audd.account().streams, timeout=5000)
        with qtbot.waitSignal(bridge.play_recorded, timeout=5000) as blocker:
            fake_audd.push_match(1, title="Through Qt")
        assert blocker.args[0].play.title == "Through Qt"
        bridge.detach()
    finally:
        drive(qtbot, qloop, service.aclose())
        drive(qtbot, qloop, client.aclose())
        db.conn.close()


def test_a_card_says_when_the_song_was_last_heard_once_the_stream_is_down(qtbot):
    board = NowPlayingBoard()
    board.set_stations(stations(1))
    tab = MonitorTab(board, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.show()
    start = datetime.now(UTC) - timedelta(minutes=3)
    play = Play(id=1, radio_id=1, start=start, play_length=120, title="Shout", score=90)
    board.apply_play(RecordedPlay(play, stations(1)[0]))
    board.apply_status(StreamStatus(1, "Station 1", "live", since=start))
    qtbot.waitUntil(lambda: 1 in tab.cards and "ago" in tab.cards[1].meta_label.text())
    card = tab.cards[1]
    assert card.title_label.text() == "Shout" and card.title_label.property("heard") == "now"

    board.apply_status(
        StreamStatus(1, "Station 1", "down", "Cannot reach the backend", datetime.now(UTC))
    )
    qtbot.waitUntil(lambda: card.meta_label.text().startswith("Last heard at "))
    ended = (start + timedelta(seconds=120)).astimezone().strftime("%H:%M")
    assert card.meta_label.text() == f"Last heard at {ended}"
    assert card.title_label.property("heard") == "past"
    assert card.status_pill.text() == "Down"
    tab.shutdown()


def test_a_card_says_when_its_station_was_not_heard(qtbot):
    """The gap in the card's history (coverage) is named, and goes away once heard again."""
    board = NowPlayingBoard()
    board.set_stations(stations(1))
    tab = MonitorTab(board, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.show()
    down = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    board.apply_status(StreamStatus(1, "Station 1", "live", since=down - timedelta(minutes=30)))
    board.apply_status(StreamStatus(1, "Station 1", "down", "Cannot reach the backend", down))
    qtbot.waitUntil(lambda: 1 in tab.cards and tab.cards[1].not_heard_label.isVisible())
    card = tab.cards[1]
    assert card.not_heard_label.text() == f"Not heard since {down.astimezone():%H:%M}"
    back = down + timedelta(minutes=2)
    board.apply_status(StreamStatus(1, "Station 1", "live", since=back))
    qtbot.waitUntil(lambda: "–" in card.not_heard_label.text())
    assert card.not_heard_label.text() == (
        f"Not heard {down.astimezone():%H:%M}–{back.astimezone():%H:%M}"
    )
    tab.shutdown()


def test_only_the_most_recent_covers_are_kept_in_memory(
    qtbot, qloop, tmp_path, cover_server, monkeypatch
):
    import radiowatch.ui.monitor.tab as monitor_tab

    monkeypatch.setattr(monitor_tab, "COVERS_KEPT", 2)
    base, hits = cover_server
    board = NowPlayingBoard()
    board.set_stations(stations(3))
    cache = CoverArtCache(tmp_path / "covers")
    tab = MonitorTab(board, cover_cache=cache, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.show()
    now = datetime.now(UTC)
    for radio_id in (1, 2, 3):
        art = {"artwork": {"url": f"{base}/art{radio_id}/{{w}}x{{h}}.png"}}
        raw = {"results": [{"title": "T", "apple_music": art}]}
        play = Play(id=radio_id, radio_id=radio_id, start=now, title="T", raw_event=raw)
        board.apply_play(RecordedPlay(play, stations(3)[radio_id - 1]))
    qtbot.waitUntil(lambda: len(hits) == 3 and not tab._fetching, timeout=5000)
    qtbot.wait(100)
    assert len(tab._pixmaps) <= 2 and len(tab._rounded) <= 2
    # Kept at the largest card's cover size, whatever size was downloaded.
    assert {p.width() for p in tab._pixmaps.values() if p} == {120}
    drive(qtbot, qloop, cache.aclose())
    tab.shutdown()

"""Tray icon, menu and alerts. Offscreen has no system tray, so alerts must reach the in-app
banner; the tray menu and balloon-click wiring are still exercised through their real signals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from radiowatch.audd import AudDClient
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore, WatchRule
from radiowatch.ui.common.artwork import BACKEND_COLOURS
from radiowatch.ui.shell.tray import NotificationBanner, TrayController, TrayNotifier
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD

pytestmark = pytest.mark.qt
TOKEN = "tray-test-token"


@pytest.fixture
def window(qtbot):
    widget = QWidget()
    widget.setWindowTitle("radiowatch")
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def tray(window):
    controller = TrayController(window)
    yield controller
    controller.hide()


def test_without_a_tray_alerts_appear_in_the_in_app_banner(qtbot, window, tray):
    banner = NotificationBanner(window)
    notifier = TrayNotifier(tray, banner)
    assert not QSystemTrayIcon.isSystemTrayAvailable()
    assert notifier.mode == "banner"

    notifier.notify("Mad World on Radio 1", "Radio 1 at 10:00", play_id=5, rule_id=3)
    assert banner.isVisible()
    assert banner.title_label.text() == "Mad World on Radio 1"
    with qtbot.waitSignal(tray.open_play_requested) as opened:
        qtbot.mouseClick(banner.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [5]
    assert not banner.isVisible()


def test_clicking_the_tray_balloon_opens_the_last_alerted_play(qtbot, window, tray):
    notifier = TrayNotifier(tray, None)
    notifier.notify("Shout on Radio 2", "…", play_id=9, rule_id=None)
    assert not tray.mute_action.isEnabled(), "no rule to mute"
    with qtbot.waitSignal(tray.open_play_requested) as opened:
        tray.icon.messageClicked.emit()
    assert opened.args == [9]


def test_tray_menu_shows_hides_the_window_and_quit_only_asks_for_shutdown(qtbot, window, tray):
    texts = [a.text() for a in tray.menu.actions() if not a.isSeparator()]
    assert texts == [
        "Hide window",
        "Pause monitoring",
        "Mute the last alert's rule",
        "Quit radiowatch",
    ]
    tray.show_action.trigger()
    assert not window.isVisible()
    assert tray.show_action.text() == "Show window"
    tray.show_action.trigger()
    assert window.isVisible()

    with qtbot.waitSignal(tray.quit_requested):
        tray.quit_action.trigger()
    assert QApplication.instance() is not None and window.isVisible(), "the app decides"


def test_a_watchlist_hit_reaches_the_banner_and_its_rule_can_be_muted_and_paused(
    qtbot, qloop, tmp_path, window, tray
):
    db = open_database(tmp_path / "history.db")
    watchlist = WatchlistStore(db)
    rule = watchlist.save(WatchRule(field="artist", pattern="Tears for Fears"))
    banner = NotificationBanner(window)
    notifier = TrayNotifier(tray, banner)
    with FakeAudD(tokens={TOKEN}) as fake:
        client = AudDClient(TOKEN, base_url=fake.base_url, backoff_factor=0.02)
        service = MonitoringService(
            client=client,
            play_store=PlayStore(db),
            stations=StaticStations(
                [MonitoredStation(radio_id=1, name="Radio One", source="https://s.example/1")]
            ),
            state=StreamStateStore(db, "audd"),
            watchlist=watchlist,
            notifier=notifier,
            longpoll_timeout=2,
            retry_first_delay=0.05,
        )
        tray.bind_service(service)
        drive(qtbot, qloop, service.start())
        try:
            qtbot.waitUntil(lambda: 1 in fake.account().streams, timeout=5000)
            fake.push_match(1, artist="Tears For Fears", title="Mad World")
            qtbot.waitUntil(banner.isVisible, timeout=5000)
            assert banner.title_label.text() == "Tears For Fears — Mad World on Radio One"
            assert tray.mute_action.isEnabled()
            assert tray.mute_action.text() == "Mute “Artist: Tears for Fears” for 24 h"

            qtbot.mouseClick(banner.mute_button, Qt.MouseButton.LeftButton)
            muted = WatchlistStore(db).get(rule.id)
            assert muted.is_muted(datetime.now(UTC) + timedelta(hours=23))
            assert not muted.is_muted(datetime.now(UTC) + timedelta(hours=25))

            tray.pause_action.trigger()
            qtbot.waitUntil(lambda: service.paused, timeout=5000)
            qtbot.waitUntil(lambda: service.status(1).state == "paused", timeout=5000)
        finally:
            drive(qtbot, qloop, service.aclose())
            drive(qtbot, qloop, client.aclose())
            db.conn.close()


def test_the_tray_icon_and_tooltip_show_the_backend_state(tray):
    def dot_colour() -> str:
        image = tray.icon.icon().pixmap(32, 32).toImage()
        return image.pixelColor(24, 24).name()  # the middle of the lower right dot

    tray.set_backend_state("connected", "Local engine — Connected")
    assert dot_colour() == BACKEND_COLOURS["connected"]
    assert tray.icon.toolTip() == "radiowatch\nLocal engine — Connected"
    tray.set_backend_state("restarting", "Local engine — Restarting…")
    assert dot_colour() == BACKEND_COLOURS["restarting"]
    assert "Restarting…" in tray.icon.toolTip()
    tray.set_backend_state("failed", "Local engine — Stopped after repeated crashes")
    assert dot_colour() == BACKEND_COLOURS["failed"]
    assert tray.backend_state == "failed"

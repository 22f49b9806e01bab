"""A now-playing card's right-click menu: its play in History, Listen and Save clip…, on only
once the engine has said it keeps the play's audio (asked, never assumed), and off with the
reason otherwise (the AudD cloud keeps none; audio from before the archive is not kept)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.history.play import Play
from radiowatch.monitoring.events import OnAirPlay, StreamStatus
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.ui.common.clip_actions import CHECKING, ClipActions
from radiowatch.ui.monitor.tab import MonitorTab
from tests.support.archive_engine import archiving_engine

pytestmark = [
    pytest.mark.qt,
    # a menu popped up offscreen: headless noise
    pytest.mark.qt_log_ignore("^This plugin does not support grabbing the keyboard"),
]
STATION = MonitoredStation(radio_id=3, name="Radio Three", source="https://s.example/3")


def _play(start: float, length: float | None, play_id: int | None = 7) -> Play:
    return Play(
        id=play_id,
        radio_id=3,
        station_name="Radio Three",
        start=datetime.fromtimestamp(start, UTC),
        play_length=length,
        artist="The Paper Lanterns",
        title="Harbour Lights",
    )


def _tab(qtbot, archive, cache: Path) -> MonitorTab:
    board = NowPlayingBoard()
    board.set_stations([STATION])
    tab = MonitorTab(board, refresh_interval_ms=20)
    qtbot.addWidget(tab)
    tab.set_clip_actions(ClipActions(archive, cache, tab))
    tab.show()
    return tab


def _actions(menu) -> dict:
    return {a.text(): a for a in menu.actions() if a.text()}


def test_with_the_audd_cloud_the_cards_menu_says_audio_needs_the_engine(qtbot, qloop, tmp_path):
    cloud = SimpleNamespace(kind="audd", client=object())
    tab = _tab(qtbot, lambda: archive_client_for(cloud), tmp_path)
    on_air = _play(time.time() - 30, None, play_id=None)
    tab.board.apply_on_air(OnAirPlay(on_air, STATION))
    tab.board.apply_status(StreamStatus(3, "Radio Three", "live"))
    qtbot.waitUntil(lambda: 3 in tab.cards and tab.cards[3].title_label.text() == "Harbour Lights")
    card = tab.cards[3]
    card.contextMenuEvent(
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(5, 5), card.mapToGlobal(QPoint()))
    )
    menu = tab.card_menu
    assert menu is not None
    actions = _actions(menu)
    assert not actions["Listen"].isEnabled() and not actions["Save clip…"].isEnabled()
    assert actions["Listen"].toolTip() == NEEDS_ENGINE
    # still on air: not in the history yet, and the menu says so instead of opening nothing
    assert not actions["Open in History"].isEnabled()
    assert "still on air" in actions["Open in History"].toolTip()
    menu.close()
    tab.shutdown()


@pytest.mark.slow
def test_listen_and_save_turn_on_once_the_engine_says_it_keeps_the_audio(qtbot, qloop, tmp_path):
    with archiving_engine(tmp_path / "engine") as engine:
        tab = _tab(qtbot, lambda: ArchiveClient(engine.base_url, engine.token), tmp_path)
        opened: list[int] = []
        tab.play_activated.connect(opened.append)
        recent = _play(time.time() - 10, 4.0)
        menu = tab.show_card_menu(recent, QPoint(0, 0))
        actions = _actions(menu)
        assert actions["Listen"].toolTip() == CHECKING and not actions["Listen"].isEnabled()
        qtbot.waitUntil(lambda: actions["Save clip…"].isEnabled(), timeout=10_000)
        kept_tip = actions["Save clip…"].toolTip()
        actions["Open in History"].trigger()
        actions["Listen"].trigger()
        qtbot.waitUntil(
            lambda: tab.clip_status.text().startswith(("Playing", "No audio")), timeout=15_000
        )
        status = tab.clip_status.text()
        menu.close()

        old = _play(time.time() - 3600, 180.0, play_id=8)
        old_menu = tab.show_card_menu(old, QPoint(0, 0))
        old_actions = _actions(old_menu)
        qtbot.waitUntil(lambda: old_actions["Listen"].toolTip() != CHECKING, timeout=10_000)
        old_tip = old_actions["Listen"].toolTip()
        old_enabled = old_actions["Save clip…"].isEnabled()
        old_menu.close()
        tab.shutdown()
        QApplication.processEvents()

    assert kept_tip.startswith("Audio kept: the whole play (0:04, MP3)")
    assert opened == [7]
    if tab.clip_actions is not None and tab.clip_actions.preview.available():
        # the play's 4 s and 5 s before; after it, what had aired when Listen was chosen
        assert status.startswith("Playing 0:1") and "of Harbour Lights" in status, status
    assert old_tip.startswith("No audio of this play is kept") and not old_enabled

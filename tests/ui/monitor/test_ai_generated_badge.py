"""An AI-generated play (an Udio import, provenance `udio:<id>`) wears an "AI" badge in the
History list and on its station's now-playing card, and the History filter finds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.now_playing import StationPanel
from radiowatch.ui.history.tab import HistoryTab
from radiowatch.ui.history.table_model import AI_GENERATED_ROLE, TITLE_COLUMN
from radiowatch.ui.monitor.now_playing_card import NowPlayingCard

pytestmark = pytest.mark.qt

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
UDIO = "udio:4f6532fa-ef6f-495b-a7fe-98b58453c9bc"


def play(i: int, *, provenance: str | None = None) -> Play:
    return Play(
        radio_id=1,
        station_name="Radio One",
        start=T0 + timedelta(minutes=5 * i),
        play_length=180,
        artist=f"Artist {i}",
        title=f"Song {i}",
        backend="local",
        provenance=provenance,
    )


@pytest.fixture
def tab(qtbot, tmp_path):
    path = tmp_path / "history.sqlite3"
    db = open_database(path)
    PlayStore(db).add_many([play(0), play(1, provenance=UDIO), play(2), play(3)])
    db.close()
    widget = HistoryTab(path)
    qtbot.addWidget(widget)
    yield widget
    widget.close_database()


def row_of(tab: HistoryTab, title: str) -> int:
    model = tab.model
    return next(r for r in range(model.rowCount()) if model.index(r, TITLE_COLUMN).data() == title)


def test_history_row_of_an_udio_play_shows_the_ai_badge(tab):
    model = tab.model
    ai_row, human_row = row_of(tab, "Song 1"), row_of(tab, "Song 2")
    assert model.index(ai_row, TITLE_COLUMN).data(AI_GENERATED_ROLE) is True
    assert model.index(ai_row, TITLE_COLUMN).data(Qt.ItemDataRole.DecorationRole) is not None
    assert "AI-generated" in model.index(ai_row, 9).data()
    assert UDIO in model.index(ai_row, TITLE_COLUMN).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(human_row, TITLE_COLUMN).data(AI_GENERATED_ROLE) is False
    assert model.index(human_row, TITLE_COLUMN).data(Qt.ItemDataRole.DecorationRole) is None


def test_ai_generated_only_filter_keeps_just_the_udio_play(tab):
    assert tab.model.rowCount() == 4
    tab.ai_only.setChecked(True)
    assert tab.model.rowCount() == 1
    assert tab.model.index(0, TITLE_COLUMN).data() == "Song 1"
    assert "match the filters" in tab.status.text()
    tab.ai_only.setChecked(False)
    assert tab.model.rowCount() == 4


def test_now_playing_card_shows_the_badge_only_for_an_ai_generated_song(qtbot):
    card = NowPlayingCard(1)
    qtbot.addWidget(card)
    panel = StationPanel(radio_id=1, name="Radio One")
    panel.recent.appendleft(play(0))
    card.show_panel(panel, T0 + timedelta(minutes=1))
    assert card.ai_badge.isHidden()

    panel.recent.appendleft(play(1, provenance=UDIO))
    card.show_panel(panel, T0 + timedelta(minutes=6))
    assert not card.ai_badge.isHidden()
    assert card.ai_badge.text() == "AI"
    assert UDIO in card.ai_badge.toolTip()

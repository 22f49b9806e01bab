"""Editing watchlist rules in the dialog writes them to the real store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from radiowatch.history.database import open_database
from radiowatch.monitoring.stations_source import MonitoredStation
from radiowatch.monitoring.watchlist import WatchlistStore
from radiowatch.ui.monitor.watchlist_dialog import WatchlistDialog

pytestmark = pytest.mark.qt

STATIONS = [
    MonitoredStation(radio_id=1, name="Radio One", source="https://s.example/1"),
    MonitoredStation(radio_id=2, name="Radio Two", source="https://s.example/2"),
]


@pytest.fixture
def dialog(qtbot, tmp_path):
    db = open_database(tmp_path / "history.db")
    store = WatchlistStore(db)
    widget = WatchlistDialog(store, STATIONS)
    qtbot.addWidget(widget)
    yield widget, store
    db.conn.close()


def test_a_rule_scoped_to_a_station_and_hours_is_saved(qtbot, dialog):
    widget, store = dialog
    widget.field_combo.setCurrentIndex(widget.field_combo.findData("label"))
    widget.pattern_edit.setText("Mercury")
    widget.all_stations.setChecked(False)
    widget.station_list.item(1).setCheckState(Qt.CheckState.Checked)
    widget.hours_check.setChecked(True)
    widget.hour_from.setValue(22)
    widget.hour_to.setValue(6)
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)

    [rule] = store.rules()
    assert (rule.field, rule.pattern, rule.radio_ids) == ("label", "Mercury", [2])
    assert (rule.hour_from, rule.hour_to) == (22, 6)
    assert widget.rule_list.count() == 1
    assert "Radio Two" in widget.rule_list.item(0).text()


def test_incomplete_input_is_explained_and_nothing_is_saved(qtbot, dialog):
    widget, store = dialog
    widget.pattern_edit.setText("   ")
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert "needs something to look for" in widget.error_label.text()
    widget.pattern_edit.setText("Someone")
    widget.all_stations.setChecked(False)
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert "Tick at least one station" in widget.error_label.text()
    assert store.rules() == []


def test_catalog_rules_need_no_text_and_can_be_muted_and_deleted(qtbot, dialog):
    widget, store = dialog
    widget.field_combo.setCurrentIndex(widget.field_combo.findData("catalog"))
    assert not widget.pattern_edit.isEnabled()
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    [rule] = store.rules()
    assert rule.field == "catalog"

    qtbot.mouseClick(widget.mute_button, Qt.MouseButton.LeftButton)
    assert store.get(rule.id).is_muted(datetime.now(UTC))
    assert widget.mute_button.text() == "Unmute"
    qtbot.mouseClick(widget.mute_button, Qt.MouseButton.LeftButton)
    assert not store.get(rule.id).is_muted(datetime.now(UTC))

    qtbot.mouseClick(widget.delete_button, Qt.MouseButton.LeftButton)
    assert store.rules() == []

"""The History tab shows where monitoring was not listening, for the stations and the period
being looked at, over a real SQLite history with recorded coverage."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from radiowatch.history.coverage import CoverageStore, to_ms
from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.ui.history.tab import HistoryTab

pytestmark = pytest.mark.qt

SHOTS = os.environ.get("RADIOWATCH_SCREENSHOTS")
DAY = date(2026, 11, 20)
STATIONS = [(1, "Radio One"), (2, "Jazz FM"), (3, "Rock 101")]


def local(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return datetime.combine(DAY + timedelta(days=days), time(hour, minute)).astimezone()


def write_history(path: Path) -> None:
    """A day of plays on three stations. Radio One was not heard 12:30-12:35 (its stream
    dropped), Rock 101 from 18:00 (the app was closed), Jazz FM all day."""
    db = open_database(path)
    plays = []
    for i in range(72):
        radio_id, name = STATIONS[i % 3]
        start = local(0) + timedelta(minutes=20 * i)
        plays.append(
            Play(radio_id=radio_id, station_name=name, start=start, title=f"Song {i}", artist="A")
        )
    PlayStore(db).add_many(plays)
    store = CoverageStore(db)
    for radio_id, start, end in [
        (1, local(0), local(12, 30)),
        (1, local(12, 35), local(0, days=1)),
        (2, local(23, days=-1), local(1, days=1)),
        (3, local(0), local(18)),
    ]:
        span = store.open_span(radio_id, to_ms(start), "local")
        store.extend([span], to_ms(end))
        store.close(span)
    db.close()


@pytest.fixture
def tab(qtbot, tmp_path):
    path = tmp_path / "history.sqlite3"
    write_history(path)
    widget = HistoryTab(path)
    qtbot.addWidget(widget)
    widget.resize(1120, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close_database()


def show_day(tab: HistoryTab, qtbot) -> None:
    with qtbot.waitSignal(tab.coverage.updated, timeout=5000):
        tab.date_from.setDate(QDate(DAY.year, DAY.month, DAY.day))
        tab.date_to.setDate(QDate(DAY.year, DAY.month, DAY.day))
    qtbot.waitUntil(lambda: not tab.coverage.busy(), timeout=5000)


def test_the_gaps_of_the_period_are_shown_and_named(tab, qtbot):
    show_day(tab, qtbot)
    coverage = tab.coverage
    assert coverage.isVisible()
    missing_minutes = 5 + 6 * 60
    share = 100 * (1 - missing_minutes / (3 * 24 * 60))
    assert coverage.summary.text() == (
        f"Monitored {share:.1f} % of this period; not monitored 6.1 h in all: "
        "18:00–00:00 (Rock 101), 12:30–12:35 (Radio One)."
    )
    bars = [row for row in coverage._rows if row[1].isVisible()]
    assert [name.text() for name, _bar, _share in bars] == ["Rock 101", "Radio One"]
    assert [share.text() for _name, _bar, share in bars] == ["75.0 %", "99.7 %"]
    assert "Radio One: not monitored 12:30–12:35 (5 min)" in coverage.summary.toolTip()
    if SHOTS:
        tab.grab().save(str(Path(SHOTS) / "history_coverage_1120x700.png"))
        tab.resize(1600, 1000)
        qtbot.wait(100)
        tab.grab().save(str(Path(SHOTS) / "history_coverage_1600x1000.png"))


def test_the_band_follows_the_station_filter(tab, qtbot):
    show_day(tab, qtbot)
    with qtbot.waitSignal(tab.coverage.updated, timeout=5000):
        tab.station.setCurrentIndex(tab.station.findData(1))
    qtbot.waitUntil(lambda: not tab.coverage.busy(), timeout=5000)
    assert tab.coverage.summary.text() == (
        "Monitored 99.7 % of this period; not monitored 5 min in all: 12:30–12:35."
    )
    with qtbot.waitSignal(tab.coverage.updated, timeout=5000):
        tab.station.setCurrentIndex(tab.station.findData(2))
    qtbot.waitUntil(lambda: not tab.coverage.busy(), timeout=5000)
    assert tab.coverage.summary.text() == "Monitored the whole period: no time without listening."
    assert not any(bar.isVisible() for _name, bar, _share in tab.coverage._rows)

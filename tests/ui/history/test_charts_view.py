"""Charts drawn from a real history file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.ui.history.charts_view import ChartsView

pytestmark = pytest.mark.qt

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "history.sqlite3"


@pytest.fixture
def db(db_path):
    database = open_database(db_path)
    plays = []
    for day in range(10):
        for n in range(day + 1):  # Radio One: 1 play ten days ago ... 10 plays today
            plays.append(
                Play(
                    radio_id=1,
                    station_name="Radio One",
                    start=NOW - timedelta(days=9 - day, minutes=n * 5),
                    artist="Queen",
                    title=f"Song {n % 3}",
                )
            )
    plays += [
        Play(
            radio_id=2,
            station_name="Jazz FM",
            start=NOW - timedelta(hours=h),
            artist="Miles Davis",
            title="So What",
        )
        for h in range(5)
    ]
    plays.append(
        Play(
            radio_id=2,
            station_name="Jazz FM",
            start=NOW - timedelta(days=200),
            artist="Old",
            title="Outside the period",
        )
    )
    PlayStore(database).add_many(plays)
    yield database
    database.close()


@pytest.fixture
def charts(qtbot, db, db_path):
    view = ChartsView(db_path)
    view.now = lambda: NOW
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    with qtbot.waitSignal(view.updated, timeout=10000):
        view.refresh()
    yield view
    qtbot.waitUntil(lambda: not view.busy(), timeout=10000)


def test_plays_per_day_per_station(charts):
    assert charts.last_error is None
    radio_one = charts.series["Radio One"]
    assert len(radio_one) == 30  # one point per day of the period, zeros included
    assert sum(n for _day, n in radio_one) == 55
    assert sum(n for _day, n in charts.series["Jazz FM"]) == 5  # the 200-day-old play is outside


def test_top_artists_and_tracks(charts):
    assert charts.top_items == [("Queen", 55), ("Miles Davis", 5)]
    charts.top_kind.setCurrentIndex(charts.top_kind.findData("tracks"))
    labels = [label for label, _n in charts.top_items]
    assert labels[0].startswith("Queen – Song") and "Miles Davis – So What" in labels
    assert sum(n for _l, n in charts.top_items) == 60


def test_station_by_hour_heatmap(charts):
    assert charts.heat_stations == ["Jazz FM", "Radio One"]
    assert charts.heat.shape == (2, 24)
    assert charts.heat.sum() == 60
    assert np.count_nonzero(charts.heat[0]) == 5  # Jazz FM played in five different hours


def test_a_longer_period_includes_older_plays_and_an_empty_history_draws(charts, qtbot, tmp_path):
    with qtbot.waitSignal(charts.updated, timeout=10000):
        charts.set_period_days(365)
    assert sum(n for _d, n in charts.series["Jazz FM"]) == 6
    assert charts.status.text() == "61 plays in the period"  # 55 + 5 + the 200-day-old one
    open_database(tmp_path / "empty.sqlite3").close()
    empty = ChartsView(tmp_path / "empty.sqlite3")
    qtbot.addWidget(empty)
    with qtbot.waitSignal(empty.updated, timeout=10000):
        empty.refresh()
    assert empty.series == {} and empty.top_items == [] and empty.heat.shape == (0, 24)


def test_refreshes_asked_for_while_loading_are_not_lost(charts, qtbot, db):
    PlayStore(db).add(
        Play(radio_id=3, station_name="Rock 101", start=NOW, artist="New", title="Band")
    )
    charts.refresh()
    charts.refresh()  # arrives while the first one runs: runs after it
    qtbot.waitUntil(lambda: "Rock 101" in charts.series and not charts.busy(), timeout=10000)


def test_a_damaged_file_shows_the_message(qtbot, tmp_path):
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"garbage" * 300)
    view = ChartsView(path)
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: not view.busy(), timeout=10000)
    assert "damaged" in view.last_error and "damaged" in view.status.text()

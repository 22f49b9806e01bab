"""The History tab over a real SQLite file."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter, PlayQueries
from radiowatch.ui.history.tab import HistoryTab
from radiowatch.ui.history.table_model import MAX_PAGES, PAGE_ROWS, HistoryTableModel
from tests.history.read_only_folder import read_only_folder

pytestmark = pytest.mark.qt

T0 = datetime(2026, 11, 1, tzinfo=UTC)
STATIONS = [(1, "Radio One"), (2, "Jazz FM"), (3, "Rock 101")]


def write_history(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    plays = []
    for i in range(n):
        radio_id, name = STATIONS[i % 3]
        plays.append(
            Play(
                radio_id=radio_id,
                station_name=name,
                start=T0 + timedelta(seconds=200 * i + rng.randint(0, 30)),
                play_length=180,
                artist=f"Artist {rng.randint(0, 40)}",
                title=f"Song {i}",
                isrc=f"GBAAA26{i:05d}",
                score=rng.randint(60, 100),
                backend="local",
            )
        )
    db = open_database(path)
    PlayStore(db).add_many(plays)
    db.close()


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "history.sqlite3"
    write_history(path, 300)
    return path


@pytest.fixture
def tab(qtbot, history):
    widget = HistoryTab(history)
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    yield widget
    widget.close_database()


def column_values(model, column, rows):
    return [model.data(model.index(r, column)) for r in rows]


def test_the_model_pages_and_never_holds_the_whole_history(tmp_path, qtbot):
    path = tmp_path / "big.sqlite3"
    total = PAGE_ROWS * MAX_PAGES * 2 + 37  # twice what the cache may ever hold
    write_history(path, total)
    db = open_database(path)
    model = HistoryTableModel(db.conn)
    model.refresh()
    assert model.rowCount() == total

    # Jumping to the end costs one page, counted from the nearer end.
    last = model.data(model.index(total - 1, 3))
    assert last == "Song 0"  # newest first: the oldest play is the last row
    assert model.rows_fetched <= PAGE_ROWS

    # Walking every row in order agrees with the query, with a bounded window in memory.
    expected = [r.id for r in PlayQueries(db.conn).page(PlayFilter(), limit=total)]
    seen = []
    for row in range(total):
        seen.append(model.play_id(row))
        assert model.cached_rows <= PAGE_ROWS * MAX_PAGES
    assert seen == expected

    # Random jumps (a dragged scroll bar) still land on the right rows.
    rng = random.Random(3)
    for row in rng.sample(range(total), 30):
        assert model.play_id(row) == expected[row]
    db.close()


def test_scrolling_the_view_to_the_end_reads_only_what_is_shown(tmp_path, qtbot):
    path = tmp_path / "big.sqlite3"
    write_history(path, 9000)
    tab = HistoryTab(path)
    qtbot.addWidget(tab)
    tab.resize(1000, 600)
    tab.show()
    qtbot.waitExposed(tab)
    tab.view.scrollToBottom()
    qtbot.wait(50)
    assert tab.model.rows_fetched <= 3 * PAGE_ROWS
    assert tab.status.text() == "9,000 plays"
    tab.close_database()


def test_search_station_date_and_daypart_filters(tab, qtbot):
    tab.search.setText("song 299")  # applied after a short typing pause
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=3000)
    assert tab.model.data(tab.model.index(0, 3)) == "Song 299"
    tab.search.clear()
    tab.apply_filters()
    assert tab.model.rowCount() == 300

    tab.station.setCurrentIndex(tab.station.findText("Jazz FM"))
    assert tab.model.rowCount() == 100
    assert set(column_values(tab.model, 1, range(100))) == {"Jazz FM"}
    assert "match the filters" in tab.status.text()

    day = T0.astimezone().date()
    from PySide6.QtCore import QDate

    tab.date_from.setDate(QDate(day.year, day.month, day.day))
    tab.date_to.setDate(QDate(day.year, day.month, day.day))
    start_of_day = datetime.combine(day, datetime.min.time()).astimezone()
    expected = PlayQueries(tab._db.conn).count(
        PlayFilter(radio_ids=(2,), since=start_of_day, until=start_of_day + timedelta(days=1))
    )
    assert tab.model.rowCount() == expected > 0

    tab.daypart.setCurrentIndex(1)  # overnight
    assert tab.model.rowCount() <= expected


def test_sorting_by_a_column_reorders_through_sqlite(tab):
    tab.view.sortByColumn(8, Qt.SortOrder.AscendingOrder)  # score
    scores = [int(s) for s in column_values(tab.model, 8, range(300))]
    assert scores == sorted(scores)
    tab.view.sortByColumn(3, Qt.SortOrder.DescendingOrder)  # title, case-insensitive
    titles = column_values(tab.model, 3, range(300))
    assert titles == sorted(titles, key=str.casefold, reverse=True)


def test_editing_a_play_shows_the_correction_and_keeps_the_original(tab):
    tab.view.selectRow(0)
    play_id = tab.selected_play_id()
    original = tab.store.require(play_id)
    tab.apply_edit(play_id, {"title": "Bohemian Rhapsody"})
    assert tab.selected_play_id() == play_id
    row = tab.view.selectionModel().selectedRows()[0].row()
    assert tab.model.data(tab.model.index(row, 3)) == "Bohemian Rhapsody"
    assert f"was {original.artist} – {original.title}" in tab.model.data(tab.model.index(row, 9))
    tab.search.setText("bohemian")
    tab.apply_filters()
    assert tab.model.rowCount() == 1


def test_false_positive_delete_and_restore(tab):
    tab.view.selectRow(5)
    play_id = tab.selected_play_id()
    tab.toggle_false_positive()
    assert tab.store.require(play_id).false_positive
    assert "false positive" in tab.model.data(tab.model.index(5, 9))
    tab.delete_selected()
    assert tab.model.rowCount() == 299
    assert "Deleted" in tab.status.text()
    tab.show_deleted.setChecked(True)
    assert tab.model.rowCount() == 300
    assert tab.show_play(play_id)
    tab.delete_selected()  # on a deleted play: restore
    assert not tab.store.require(play_id).deleted


def test_add_a_manual_play_and_show_it(tab):
    added = tab.add_manual_play(
        Play(
            radio_id=2,
            station_name="Jazz FM",
            start=T0 + timedelta(hours=5, seconds=7),
            artist="Live Band",
            title="Studio Session",
        )
    )
    assert added.origin == "manual"
    assert tab.selected_play_id() == added.id
    row = tab.view.selectionModel().selectedRows()[0].row()
    assert tab.model.data(tab.model.index(row, 9)) == "added by hand"


def test_show_play_clears_hiding_filters_and_selects_it(tab):
    target = tab.model.play_id(250)
    tab.search.setText("nothing matches this")
    tab.apply_filters()
    assert tab.model.rowCount() == 0
    assert tab.show_play(target)
    assert tab.selected_play_id() == target
    assert tab.search.text() == ""
    assert not tab.show_play(999_999)


def test_what_played_around_a_time(tab):
    moment = T0 + timedelta(seconds=200 * 150 + 60)  # during Song 150 on Radio One (150 % 3 == 0)
    on_air = tab.around(1, moment)
    assert on_air is not None and on_air.title == "Song 150"
    assert tab.station.currentText() == "Radio One"
    row = tab.view.selectionModel().selectedRows()[0].row()
    assert tab.model.data(tab.model.index(row, 3)) == "Song 150"
    assert "On air at" in tab.status.text()


def test_cut_down_request_carries_the_play(tab, qtbot):
    tab.view.selectRow(2)
    with qtbot.waitSignal(tab.cut_down_requested, timeout=1000) as signal:
        tab.commands.cut_button.click()
    assert isinstance(signal.args[0], Play)
    assert signal.args[0].id == tab.selected_play_id()


def test_export_runs_off_the_gui_thread_and_writes_the_filtered_plays(tab, qtbot, tmp_path):
    tab.station.setCurrentIndex(tab.station.findText("Rock 101"))
    out = tmp_path / "rock.csv"
    with qtbot.waitSignal(tab.export_finished, timeout=10000) as signal:
        assert tab.export_to(out)
        assert tab.export_running()
        assert not tab.commands.export_button.isEnabled()
    assert signal.args[0].rows == 100
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert not tab.export_running() and tab.commands.export_button.isEnabled()
    assert "Exported 100 plays" in tab.status.text()


def test_export_to_a_read_only_folder_shows_a_clear_message(tab, qtbot, tmp_path):
    with read_only_folder(tmp_path) as folder:
        with qtbot.waitSignal(tab.export_failed, timeout=10000) as signal:
            tab.export_to(folder / "log.xlsx")
        assert list(folder.iterdir()) == []
    assert "read-only" in signal.args[0]
    assert (
        tab.exports.message_box is not None
        and "Choose another folder" in tab.exports.message_box.text()
    )


def test_a_damaged_history_file_shows_a_message_instead_of_the_table(tmp_path, qtbot):
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"\x00garbage" * 500)
    tab = HistoryTab(path)
    qtbot.addWidget(tab)
    assert "damaged" in tab.error_message
    assert tab.stack.currentWidget() is tab.error_page
    assert not tab.show_play(1)
    assert path.read_bytes() == b"\x00garbage" * 500


def test_new_plays_appear_on_the_next_poll(tab, history):
    tab.view.selectRow(3)
    selected = tab.selected_play_id()
    db = open_database(history)
    PlayStore(db).add(
        Play(
            radio_id=1,
            station_name="Radio One",
            start=T0 + timedelta(days=30),
            artist="New",
            title="Arrival",
        )
    )
    db.close()
    tab._on_poll()
    assert tab.model.rowCount() == 301
    assert tab.model.data(tab.model.index(0, 3)) == "Arrival"
    assert tab.selected_play_id() == selected


def test_the_charts_are_built_on_first_visit_and_drawn_off_the_gui_thread(tab, qtbot):
    assert tab.charts is None  # opening the tab stays fast
    tab.tabs.setCurrentIndex(1)
    assert tab.tabs.currentWidget() is tab.charts
    qtbot.waitUntil(lambda: not tab.charts.busy(), timeout=10000)
    assert tab.charts.last_error is None
    assert sum(n for series in tab.charts.series.values() for _d, n in series) <= 300


def test_the_delete_key_deletes_in_the_table_but_edits_text_in_the_search_box(tab, qtbot):
    tab.search.setText("song")
    tab.search.setFocus()
    tab.search.setCursorPosition(0)
    qtbot.keyClick(tab.search, Qt.Key.Key_Delete)
    assert tab.search.text() == "ong"
    tab.search.clear()
    tab.apply_filters()
    assert tab.model.rowCount() == 300  # nothing was deleted from the search box
    tab.view.setFocus()
    tab.view.selectRow(0)
    play_id = tab.selected_play_id()
    qtbot.keyClick(tab.view, Qt.Key.Key_Delete)
    assert tab.store.require(play_id).deleted


def test_the_edit_dialog_returns_only_the_changes_and_checks_the_isrc(tab, qtbot):
    from PySide6.QtWidgets import QDialogButtonBox

    from radiowatch.ui.history.play_edit_dialog import PlayEditDialog

    play = tab.store.correct(tab.model.play_id(0), artist="Fixed Artist")
    dialog = PlayEditDialog(play, tab._stations, tab)
    qtbot.addWidget(dialog)
    assert "Recognised (local)" in dialog.findChild(type(dialog.problem), "recognised").text()
    assert play.original_artist in dialog.findChild(type(dialog.problem), "recognised").text()
    dialog.title.setText("New Title")
    dialog.isrc.setText("not an isrc")
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and "ISRC" in dialog.problem.text()
    dialog.isrc.setText("us-um7-14-14191")
    assert save.isEnabled()
    assert dialog.corrections() == {"title": "New Title", "isrc": "USUM71414191"}


def test_the_add_dialog_builds_a_manual_play_for_the_chosen_station(tab, qtbot):
    from radiowatch.ui.history.play_edit_dialog import PlayEditDialog

    dialog = PlayEditDialog(None, tab._stations, tab, default_station=3, default_start=T0)
    qtbot.addWidget(dialog)
    dialog.artist.setText("Band")
    dialog.title.setText("Tune")
    play = dialog.manual_play()
    assert (play.radio_id, play.station_name, play.start, play.play_length) == (
        3,
        "Rock 101",
        T0,
        180.0,
    )


def test_the_around_dialog_opens_without_blocking_and_shows_the_moment(tab, qtbot):
    from PySide6.QtCore import QDateTime

    from radiowatch.ui.history.around_dialog import AroundDialog

    tab.around_dialog()  # open(), not exec(): returns at once
    dialog = tab.findChild(AroundDialog)
    assert dialog is not None and dialog.isVisible()
    moment = T0 + timedelta(seconds=200 * 150 + 60)  # during Song 150 on Radio One
    dialog.station.setCurrentIndex(dialog.station.findText("Radio One"))
    dialog.moment.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
    dialog.accept()
    assert tab.station.currentText() == "Radio One"
    assert "On air at" in tab.status.text() and "Song 150" in tab.status.text()

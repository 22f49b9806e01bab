"""The History tab when another program is writing to the history file.

A second real SQLite connection holds the write lock (BEGIN IMMEDIATE) on the same file, as a
second radiowatch or an export tool would. The tab's GUI-thread connection waits only briefly,
says the history is busy, loses nothing, and the same edit succeeds once the lock is gone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDialogButtonBox

from radiowatch.history.errors import HISTORY_BUSY_MESSAGE
from radiowatch.ui.history.tab import GUI_BUSY_TIMEOUT_MS, HistoryTab
from tests.ui.history.test_history_tab import T0, write_history

pytestmark = pytest.mark.qt


@contextmanager
def write_lock(path: Path, *, rollback_journal: bool = False) -> Iterator[sqlite3.Connection]:
    """Hold the database's write lock from another connection until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        if rollback_journal:  # an older file, never switched to WAL: the lock blocks even opening
            holder.execute("PRAGMA journal_mode = DELETE")
            holder.execute("BEGIN EXCLUSIVE")
        else:
            holder.execute("BEGIN IMMEDIATE")
        yield holder
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def stored(path: Path, play_id: int) -> tuple:
    """Read a play straight from the file, with a connection of the test's own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT title, false_positive, deleted FROM plays WHERE id = ?", (play_id,)
        ).fetchone()
    finally:
        conn.close()


def count_plays(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM plays").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "history.sqlite3"
    write_history(path, 30)
    return path


@pytest.fixture
def tab(qtbot, history):
    widget = HistoryTab(history)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    yield widget
    widget.close_database()


def save(dialog) -> None:
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_the_tab_connection_waits_only_briefly_for_another_writer(tab):
    assert tab._db.conn.execute("PRAGMA busy_timeout").fetchone()[0] == GUI_BUSY_TIMEOUT_MS


def test_a_correction_refused_while_busy_stays_in_the_dialog_and_saves_on_retry(
    tab, history, qtbot
):
    tab.view.selectRow(0)
    play_id = tab.selected_play_id()
    before = stored(history, play_id)
    tab.edit_selected()
    dialog = tab.edit_dialog
    dialog.title.setText("Bohemian Rhapsody")

    with write_lock(history):
        save(dialog)
        assert dialog.isVisible()
        assert dialog.problem.text() == HISTORY_BUSY_MESSAGE
        assert tab.status.text() == HISTORY_BUSY_MESSAGE
        assert dialog.title.text() == "Bohemian Rhapsody"  # what was typed is still there
        assert stored(history, play_id) == before  # and nothing half-written

    save(dialog)  # the same Save, once the other writer is done
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert stored(history, play_id)[0] == "Bohemian Rhapsody"
    assert tab.write_error is None
    assert tab.selected_play_id() == play_id
    assert tab.store.require(play_id).original_title == before[0]


def test_marking_a_false_positive_while_busy_says_so_and_works_when_tried_again(tab, history):
    tab.view.selectRow(3)
    play_id = tab.selected_play_id()
    with write_lock(history):
        tab.commands.false_button.click()
        assert tab.status.text() == HISTORY_BUSY_MESSAGE
        assert stored(history, play_id)[1] == 0
        assert tab.selected_play_id() == play_id
    tab.commands.false_button.click()
    assert stored(history, play_id)[1] == 1
    assert "false positive" in tab.model.data(tab.model.index(3, 9))


def test_deleting_while_busy_keeps_the_play_and_deletes_it_on_retry(tab, history):
    tab.view.selectRow(2)
    play_id = tab.selected_play_id()
    with write_lock(history):
        tab.commands.delete_button.click()
        assert tab.status.text() == HISTORY_BUSY_MESSAGE
        assert tab.model.rowCount() == 30
        assert stored(history, play_id)[2] == 0
        assert tab.selected_play_id() == play_id
    tab.commands.delete_button.click()
    assert stored(history, play_id)[2] == 1
    assert tab.model.rowCount() == 29
    assert tab.status.text().startswith("Deleted")


def test_adding_a_play_while_busy_keeps_the_dialog_and_adds_it_once_on_retry(tab, history, qtbot):
    tab.station.setCurrentIndex(tab.station.findText("Jazz FM"))
    tab.add_play_dialog()
    dialog = tab.edit_dialog
    dialog.start.setDateTime(
        QDateTime.fromSecsSinceEpoch(int((T0 + timedelta(hours=1)).timestamp()))
    )
    dialog.artist.setText("Live Band")
    dialog.title.setText("Studio Session")

    with write_lock(history):
        save(dialog)
        assert dialog.isVisible()
        assert dialog.problem.text() == HISTORY_BUSY_MESSAGE
        assert count_plays(history) == 30

    save(dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert count_plays(history) == 31
    added = tab.store.require(tab.selected_play_id())
    assert (added.artist, added.title, added.station_name, added.origin) == (
        "Live Band",
        "Studio Session",
        "Jazz FM",
        "manual",
    )


def test_an_export_started_while_another_program_writes_still_exports_every_play(
    tab, history, qtbot, tmp_path
):
    out = tmp_path / "all.csv"
    with write_lock(history), qtbot.waitSignal(tab.export_finished, timeout=10000) as signal:
        assert tab.export_to(out)
    assert signal.args[0].rows == 30  # WAL: readers never wait for the writer
    assert out.read_bytes().count(b"\r\n") == 31


def test_a_history_locked_when_the_tab_opens_says_busy_and_opens_on_try_again(tmp_path, qtbot):
    path = tmp_path / "history.sqlite3"
    write_history(path, 12)
    with write_lock(path, rollback_journal=True):
        tab = HistoryTab(path)
        qtbot.addWidget(tab)
        assert tab.error_message == HISTORY_BUSY_MESSAGE
        assert tab.stack.currentWidget() is tab.error_page
        assert not tab.error_page.retry_button.isHidden()
        assert not tab.retry_open()  # still held: still busy, still no crash
        assert tab.error_page.label.text() == HISTORY_BUSY_MESSAGE
    tab.error_page.retry_button.click()
    assert tab.stack.currentWidget() is tab.tabs
    assert tab.model.rowCount() == 12
    assert tab.status.text() == "12 plays"
    tab.close_database()

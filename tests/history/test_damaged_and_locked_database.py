"""A damaged or locked history file gives a clear message and loses nothing."""

from __future__ import annotations

import sqlite3

import pytest

from radiowatch.history.database import DatabaseError, open_database
from radiowatch.history.errors import HistoryError
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter, PlayQueries
from tests.history.conftest import make_play


def test_a_garbage_file_is_refused_with_a_clear_message_and_left_untouched(tmp_path):
    path = tmp_path / "history.sqlite3"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)
    with pytest.raises(DatabaseError) as info:
        open_database(path)
    assert "damaged" in str(info.value) and "backup" in str(info.value)
    assert path.read_bytes() == garbage


def test_a_locked_database_refuses_writes_clearly_and_keeps_every_play(db_path):
    db = open_database(db_path)
    store = PlayStore(db)
    store.add_many(make_play(i) for i in range(5))
    db.execute("PRAGMA busy_timeout = 100")  # don't wait the app's full 5 s in a test

    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(HistoryError) as info:
            store.add(make_play(99))
        assert "locked by another program" in str(info.value)
        with pytest.raises(HistoryError, match="locked"):
            store.correct(1, artist="Someone")
        # Reading still works in WAL mode while another program writes.
        assert PlayQueries(db.conn).count(PlayFilter()) == 5
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert store.add(make_play(99)).created
    assert PlayQueries(db.conn).count(PlayFilter()) == 6
    assert store.require(1).artist == make_play(0).artist
    db.close()


def test_opening_a_database_locked_before_wal_is_explained(tmp_path):
    path = tmp_path / "history.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)  # a rollback-journal file, locked
    holder.execute("CREATE TABLE keep (x)")
    holder.execute("INSERT INTO keep VALUES (42)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match="locked by another program"):
            open_database(path, busy_timeout_ms=200)  # the wait's length changes nothing here
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite3.connect(path).execute("SELECT x FROM keep").fetchone() == (42,)

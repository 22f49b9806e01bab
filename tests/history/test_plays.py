from __future__ import annotations

from datetime import UTC, datetime

import pytest

from radiowatch.history.database import open_database, schema_version
from radiowatch.history.errors import HistoryError
from radiowatch.history.migrations import MIGRATIONS
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter, PlayQueries
from radiowatch.history.stream_events import StreamEvent, StreamEventLog
from tests.history.conftest import make_play

RESULT = {
    "radio_id": 7,
    "timestamp": "2026-11-20 10:31:43",
    "play_length": 111,
    "results": [
        {
            "artist": "Imagine Dragons",
            "title": "Warriors",
            "album": "Warriors",
            "score": 100,
            "label": "KIDinaKORNER",
            "release_date": "2014-09-18",
            "song_link": "https://lis.tn/Warriors",
            "isrc": "USUM71414191",
        }
    ],
}


def test_migrations_from_an_empty_file_create_the_history_and_reopen_is_idempotent(db_path):
    first = open_database(db_path)
    tables = set(first.table_names())
    assert {"stations", "plays", "play_edits", "stream_events", "plays_fts"} <= tables
    version = schema_version(first)
    assert version == max(m.version for m in MIGRATIONS)
    PlayStore(first).add(make_play(1))
    first.close()

    again = open_database(db_path)
    assert schema_version(again) == version
    assert again.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    assert again.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 1
    again.close()


def test_replayed_event_is_recorded_once(db):
    store = PlayStore(db)
    play = Play.from_stream_result(RESULT, station_name="Radio Seven", backend="audd")
    first = store.add(play)
    # The same event delivered again, as a fresh object parsed from the same body.
    replay = store.add(
        Play.from_stream_result(dict(RESULT), station_name="Radio Seven", backend="audd")
    )
    assert first.created and not replay.created
    assert replay.play_id == first.play_id
    assert db.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 1
    assert store.add_many([play, make_play(2), make_play(2)]) == 1


def test_a_play_from_a_stream_result_keeps_every_field_and_the_raw_event(db):
    store = PlayStore(db)
    recorded = store.add(
        Play.from_stream_result(RESULT, station_name="Radio Seven", backend="audd")
    )
    play = store.require(recorded.play_id)
    assert (play.artist, play.title, play.isrc, play.score) == (
        "Imagine Dragons",
        "Warriors",
        "USUM71414191",
        100,
    )
    assert play.start == datetime(2026, 11, 20, 10, 31, 43, tzinfo=UTC)
    assert play.play_length == 111 and play.label == "KIDinaKORNER"
    assert play.raw_event == RESULT


def test_the_same_song_at_another_time_is_a_new_play(db):
    store = PlayStore(db)
    later = dict(RESULT, timestamp="2026-11-20 14:00:00")
    assert store.add(Play.from_stream_result(RESULT, station_name="S", backend="audd")).created
    assert store.add(Play.from_stream_result(later, station_name="S", backend="audd")).created


def test_corrections_keep_the_original_and_log_every_change(db):
    store = PlayStore(db)
    play_id = store.add(make_play(3, artist="Imagin Dragons", title="Warriors")).play_id
    store.correct(play_id, artist="Imagine Dragons")
    corrected = store.correct(play_id, artist="Imagine Dragons (live)", title="Warriors (live)")
    assert corrected.artist == "Imagine Dragons (live)"
    assert corrected.original_artist == "Imagin Dragons"  # the first value, not the middle one
    assert corrected.original_title == "Warriors"
    assert corrected.raw_event == {"n": 3}
    log = [(e.action, e.field, e.old_value, e.new_value) for e in store.edits(play_id)]
    assert log == [
        ("correct", "artist", "Imagin Dragons", "Imagine Dragons"),
        ("correct", "artist", "Imagine Dragons", "Imagine Dragons (live)"),
        ("correct", "title", "Warriors", "Warriors (live)"),
    ]


def test_a_correction_and_a_false_positive_mark_are_saved_together_or_not_at_all(db):
    store = PlayStore(db)
    play_id = store.add(make_play(4, artist="Imagin Dragons", title="Warriors")).play_id
    db.conn.execute(
        "CREATE TRIGGER refuse_marks BEFORE UPDATE OF false_positive ON plays "
        "BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    with pytest.raises(HistoryError):
        store.edit(play_id, {"artist": "Imagine Dragons"}, false_positive=True)
    unchanged = store.require(play_id)
    assert (unchanged.artist, unchanged.false_positive) == ("Imagin Dragons", False)
    assert store.edits(play_id) == []

    db.conn.execute("DROP TRIGGER refuse_marks")
    edited = store.edit(play_id, {"artist": "Imagine Dragons"}, false_positive=True)
    assert (edited.artist, edited.original_artist, edited.false_positive) == (
        "Imagine Dragons",
        "Imagin Dragons",
        True,
    )
    assert [e.action for e in store.edits(play_id)] == ["correct", "false_positive"]


def test_false_positive_and_soft_delete_hide_without_losing_the_play(db):
    store = PlayStore(db)
    queries = PlayQueries(db.conn)
    a = store.add(make_play(1)).play_id
    b = store.add(make_play(2)).play_id
    store.mark_false_positive(a)
    store.delete(b)
    assert queries.count(PlayFilter()) == 1
    assert queries.count(PlayFilter(hide_false_positives=True)) == 0
    assert queries.count(PlayFilter(include_deleted=True)) == 2
    assert store.require(b).deleted  # still in the file
    store.restore(b)
    assert queries.count(PlayFilter()) == 2
    assert [e.action for e in store.edits(b)] == ["delete", "restore"]


def test_a_manual_play_is_marked_as_manual_and_never_collides(db):
    store = PlayStore(db)
    one = store.add_manual(make_play(5))
    two = store.add_manual(make_play(5))
    assert one.origin == two.origin == "manual"
    assert one.id != two.id
    assert [e.action for e in store.edits(one.id)] == ["add"]


def test_stream_events_are_logged_once_per_key(db):
    log = StreamEventLog(db)
    at = datetime(2026, 11, 20, 2, 10, tzinfo=UTC)
    event = StreamEvent(radio_id=3, at=at, kind="down", code=650, message="can't connect")
    assert log.record(event, key="n:3:1587939136")
    assert not log.record(event, key="n:3:1587939136")
    log.record(StreamEvent(radio_id=3, at=at.replace(hour=3), kind="live", code=0))
    assert [e.kind for e in log.recent(3)] == ["live", "down"]

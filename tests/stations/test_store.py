"""StationStore over a real SQLite database."""

import pytest

from radiowatch.history.database import open_database
from radiowatch.stations import StationError, StationStore


def test_first_station_gets_radio_id_1_and_the_next_is_suggested(station_store):
    assert station_store.suggest_radio_id() == 1
    first = station_store.add(name="Radio One", source="https://example.org/one")
    assert first.radio_id == 1
    assert station_store.suggest_radio_id() == 2
    station_store.add(name="Ten", source="twitch:ten_fm", radio_id=10)
    assert station_store.suggest_radio_id() == 11


def test_stations_persist_across_reopening(tmp_path):
    path = tmp_path / "db.sqlite3"
    db = open_database(path)
    StationStore(db).add(
        name="  Radio   One ",
        source="https://example.org/one",
        entered="https://example.org/one.pls",
    )
    db.conn.close()
    db = open_database(path)
    [station] = StationStore(db).list()
    db.conn.close()
    assert station.name == "Radio One"
    assert station.entered == "https://example.org/one.pls"
    assert station.enabled


def test_duplicate_radio_id_is_refused_naming_the_field_and_the_owner(station_store):
    station_store.add(name="A", source="https://example.org/a", radio_id=5)
    with pytest.raises(StationError) as info:
        station_store.add(name="B", source="https://example.org/b", radio_id=5)
    assert info.value.field == "radio_id"
    assert "already used by 'A'" in info.value.message
    assert len(station_store.list()) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(name="", source="https://example.org/a"), "name"),
        (dict(name="x" * 201, source="https://example.org/a"), "name"),
        (dict(name="A", source="ftp://example.org/a"), "source"),
        (dict(name="A", source="/tmp/list.pls"), "source"),
        (dict(name="A", source="https://example.org/a", radio_id=0), "radio_id"),
        (dict(name="A", source="https://example.org/a", radio_id=2**31), "radio_id"),
    ],
)
def test_invalid_station_is_not_saved(station_store, kwargs, field):
    with pytest.raises(StationError) as info:
        station_store.add(**kwargs)
    assert info.value.field == field
    assert station_store.list() == []


def test_update_changes_fields_and_keeps_radio_id_unique(station_store):
    a = station_store.add(name="A", source="https://example.org/a")
    b = station_store.add(name="B", source="https://example.org/b")
    renamed = station_store.update(a.id, name="A2", radio_id=7, enabled=False)
    assert (renamed.name, renamed.radio_id, renamed.enabled) == ("A2", 7, False)
    with pytest.raises(StationError) as info:
        station_store.update(b.id, radio_id=7)
    assert info.value.field == "radio_id"
    assert station_store.get(b.id).radio_id == b.radio_id


def test_remove_deletes_and_listeners_hear_every_change(station_store):
    calls = []
    unsubscribe = station_store.subscribe(lambda: calls.append(1))
    s = station_store.add(name="A", source="https://example.org/a")
    station_store.update(s.id, name="B")
    assert station_store.remove(s.id) is True
    assert station_store.remove(s.id) is False
    unsubscribe()
    station_store.add(name="C", source="https://example.org/c")
    assert len(calls) == 3
    assert station_store.by_radio_id(s.radio_id).name == "C"  # the freed radio_id is reused


def test_changes_made_by_another_process_are_announced(tmp_path):
    """`radiowatch stations add` while the app runs: the app's store notices and tells its
    listeners; its own changes are not announced twice."""
    path = tmp_path / "radiowatch.sqlite3"
    app_db, cli_db = open_database(path), open_database(path)
    app, cli = StationStore(app_db), StationStore(cli_db)
    heard: list[str] = []
    app.subscribe(lambda: heard.append("changed"))
    assert not app.notice_outside_changes()  # the first look only takes note
    cli.add(name="Radio One", source="https://s.example/one.mp3")
    assert app.notice_outside_changes() and heard == ["changed"]
    assert not app.notice_outside_changes()
    app.add(name="Jazz FM", source="https://s.example/jazz.mp3")
    assert heard == ["changed", "changed"]
    assert not app.notice_outside_changes(), "its own change is no news"
    cli.update(cli.by_radio_id(1).id, enabled=False)
    assert app.notice_outside_changes() and not app.by_radio_id(1).enabled
    app_db.close()
    cli_db.close()

"""Adding and editing stations through the real dialog, against real SQLite and HTTP."""

import socket

import pytest
from PySide6.QtCore import Qt

from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.stations import StationStore
from radiowatch.ui.shell.station_dialog import StationDialog
from tests.stations.playlist_server import running_playlist_server


@pytest.fixture
def store():
    db = open_database(profile_dirs().ensure().database)
    yield StationStore(db)
    db.conn.close()


@pytest.fixture
def playlist_server():
    with running_playlist_server() as server:
        yield server


def open_dialog(qtbot, store, station=None, **kw):
    dialog = StationDialog(store, station, **kw)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def fill(qtbot, dialog, name=None, source=None, radio_id=None):
    if name is not None:
        dialog.name_edit.clear()
        qtbot.keyClicks(dialog.name_edit, name)
    if source is not None:
        dialog.source_edit.clear()
        qtbot.keyClicks(dialog.source_edit, source)
    if radio_id is not None:
        dialog.radio_id_spin.setValue(radio_id)


def save_and_settle(qtbot, dialog):
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10000)


def test_adding_a_station_saves_it_with_the_suggested_radio_id(qtbot, qloop, store):
    store.add(name="Existing", source="https://example.org/e", radio_id=4)
    dialog = open_dialog(qtbot, store)
    assert dialog.radio_id_spin.value() == 5
    fill(qtbot, dialog, "Groove Salad", "https://ice2.somafm.com/groovesalad-128-mp3")
    with qtbot.waitSignal(dialog.saved, timeout=10000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    station = saved.args[0]
    assert (station.name, station.radio_id) == ("Groove Salad", 5)
    assert store.by_radio_id(5).source == "https://ice2.somafm.com/groovesalad-128-mp3"
    assert not dialog.isVisible()


def test_empty_name_and_bad_scheme_are_both_shown_and_nothing_is_saved(qtbot, qloop, store):
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "   ", "ftp://example.org/live.mp3")
    save_and_settle(qtbot, dialog)
    errors = dialog.shown_errors()
    assert "Give the station a name" in errors["name"]
    assert "'ftp://' streams are not supported" in errors["source"]
    assert dialog.isVisible()
    assert store.list() == []


def test_duplicate_radio_id_is_explained_under_its_field(qtbot, qloop, store):
    store.add(name="Taken", source="https://example.org/t", radio_id=3)
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "Newcomer", "https://example.org/n", radio_id=3)
    save_and_settle(qtbot, dialog)
    assert "radio_id 3 is already used by 'Taken'" in dialog.error_text("radio_id")
    assert "next free: 4" in dialog.error_text("radio_id")
    assert [s.name for s in store.list()] == ["Taken"]


def test_unreachable_playlist_file_is_explained_and_nothing_saved(qtbot, qloop, store, tmp_path):
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "From a file", str(tmp_path / "nowhere" / "radio.pls"))
    save_and_settle(qtbot, dialog)
    assert "does not exist" in dialog.error_text("source")
    assert dialog.isVisible()
    assert store.list() == []


def test_unreachable_playlist_url_is_explained_and_nothing_saved(qtbot, qloop, store):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dialog = open_dialog(qtbot, store, fetch_timeout=3)
    fill(qtbot, dialog, "Gone FM", f"http://127.0.0.1:{port}/listen.pls")
    save_and_settle(qtbot, dialog)
    assert "Cannot connect to 127.0.0.1" in dialog.error_text("source")
    assert store.list() == []


def test_playlist_url_is_resolved_and_what_was_typed_is_kept(qtbot, qloop, store, playlist_server):
    url = playlist_server.route("/listen.pls", "[playlist]\nFile1=http://ice.example.net/live\n")
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "Playlist FM", url)
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [station] = store.list()
    assert station.source == "http://ice.example.net/live"
    assert station.entered == url
    assert "Resolved from playlist" in dialog.result_note


def test_playlist_file_is_resolved(qtbot, qloop, store, tmp_path):
    path = tmp_path / "station.m3u"
    path.write_text("#EXTM3U\nhttps://stream.example.org/hi.aac\n")
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "File FM", str(path))
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert store.list()[0].source == "https://stream.example.org/hi.aac"


def test_cancel_during_a_slow_fetch_saves_nothing(qtbot, qloop, store, playlist_server):
    playlist_server.slow_seconds = 2.0
    url = playlist_server.route("/slow.pls", "File1=http://ice.example.net/live\n")
    dialog = open_dialog(qtbot, store)
    fill(qtbot, dialog, "Slow FM", url)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.busy and dialog.progress.isVisible())
    assert not dialog.save_button.isEnabled()
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.busy)
    qtbot.wait(50)
    assert store.list() == []


def test_editing_renames_without_fetching_the_playlist_again(qtbot, qloop, store, playlist_server):
    url = playlist_server.route("/listen.pls", "File1=http://ice.example.net/live\n")
    station = store.add(name="Old", source="http://ice.example.net/live", entered=url, radio_id=9)
    dialog = open_dialog(qtbot, store, station)
    assert dialog.windowTitle() == "Edit station"
    assert (dialog.source_edit.text(), dialog.radio_id_spin.value()) == (url, 9)
    fill(qtbot, dialog, "New name")
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert store.get(station.id).name == "New name"
    assert playlist_server.requests == []


def test_editing_to_a_bad_source_keeps_the_old_station(qtbot, qloop, store):
    station = store.add(name="Keep", source="twitch:keep_me")
    dialog = open_dialog(qtbot, store, station)
    fill(qtbot, dialog, source="youtube:nope")
    save_and_settle(qtbot, dialog)
    assert "11-character YouTube video id" in dialog.error_text("source")
    assert store.get(station.id).source == "twitch:keep_me"

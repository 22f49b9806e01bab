"""The archive features end to end in the real app: its own local engine monitors a loopback
station, and what the archive finds reaches the History table through the app's monitoring
(the long poll), exactly once, marked "found later".

- Discover: an uncatalogued piece aired three times is one row; "Add to catalog…" adds it as
  an ad; its three airings enter the history once each, and Discover no longer lists it.
- "Search the archive again…": a song added to the catalog after it aired (the engine's own
  search of new tracks turned off) is found by the dialog and enters the history once.
- Settings → Archive talks to the app's engine.

The engine's rule that repeats less than 10 minutes apart on one station are one airing is
lowered with its setting (`archive_discover_same_airing_s`), so three airings fit in two
minutes of programme.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from PySide6.QtCore import QDateTime

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song
from radiowatch.engine.demo.station import Segment
from radiowatch.ui.history.table_model import NOTES_COLUMN, TITLE_COLUMN
from tests.engine.archive.feed import babble
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import BackgroundLoop, song_wav, songs
from tests.ui.window_sizes import save_shot

SONG_S = 20.0
RADIO_ID = 11
ENGINE_SETTINGS = {
    "window_s": 4,
    "hop_s": 2,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
    "archive_segment_s": 5,
    "archive_peak_block_s": 5,
    "archive_settle_s": 1,
    "archive_discover_same_airing_s": 20,
}

pytestmark = [
    pytest.mark.qt,
    pytest.mark.slow,
    pytest.mark.timeout(420),
    AUDIO_BACKEND_NOISE,
]


@contextmanager
def app_on_its_engine(qtbot, qapp, qloop, **settings) -> Iterator[RadiowatchApp]:
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(backend="local", engine_demo=False, first_run_done=True)
    services.dirs.engine_data.mkdir(parents=True, exist_ok=True)
    (services.dirs.engine_data / "engine-settings.json").write_text(
        json.dumps({**ENGINE_SETTINGS, **settings})
    )
    app = RadiowatchApp(qapp, services)
    run = qloop.create_task(app.run(handle_signals=False))
    try:
        qtbot.waitUntil(lambda: app.client_provider() is not None, timeout=90_000)
        yield app
    finally:
        app.request_shutdown("test")
        qtbot.waitUntil(run.done, timeout=30_000)
    assert run.result() == 0


def upload(app, audio_id: int, recipe) -> None:
    reply = httpx.post(
        app.session.engine.base_url + "/upload/",
        data={
            "api_token": app.session.engine_token(),
            "audio_id": str(audio_id),
            "title": recipe.title,
            "artist": recipe.artist,
        },
        files={"file": ("song.wav", song_wav(recipe, SONG_S), "audio/wav")},
        timeout=120,
    ).json()
    assert reply["status"] == "success", reply


def plays(app) -> list[tuple[str, bool]]:
    """(title, found later) of every play in the history file, in airing order."""
    rows = app.services.db.execute(
        "SELECT title, COALESCE(json_extract(raw_json, '$.found_later') = 1, 0) FROM plays"
        " WHERE deleted = 0 ORDER BY start_ts"
    )
    return [(title, bool(found)) for title, found in rows.fetchall()]


def shown(history) -> list[tuple[str, str]]:
    """(title, notes) of the rows the History table shows."""
    model = history.model
    return [
        (model.index(row, TITLE_COLUMN).data(), model.index(row, NOTES_COLUMN).data() or "")
        for row in range(model.rowCount())
    ]


def found_later_rows(history, title: str) -> int:
    return sum(t == title and "found later" in notes for t, notes in shown(history))


def programme_over(qtbot, station, segments: int, settle_s: float = 4.0) -> None:
    """The programme's `segments` all aired, and the archive had time to keep the last peaks."""
    qtbot.waitUntil(
        lambda: len(station.schedule) == segments and station.schedule[-1].end is not None,
        timeout=200_000,
    )
    qtbot.wait(int(settle_s * 1000))


def test_discover_lists_a_repeated_piece_and_adding_it_brings_its_plays_once(qtbot, qapp, qloop):
    known, unknown = songs(2)

    def programme():
        for index, recipe in enumerate((unknown, known, unknown, unknown)):
            yield Segment("station - talk", babble(6.0, index, STATION_RATE))
            yield Segment(recipe.title, render_song(recipe, SONG_S, STATION_RATE))
        yield Segment("station - talk", babble(12.0, 9, STATION_RATE))

    with BackgroundLoop() as bg, app_on_its_engine(qtbot, qapp, qloop) as app:
        upload(app, 1, known)
        station = bg.start_station(programme, loop_programme=False)
        app.services.stations.add(name="Loopback FM", source=station.url, radio_id=RADIO_ID)
        history = app.window.tab("history")
        view = history.discover
        app.window.tabs.setCurrentWidget(history)
        history.tabs.setCurrentWidget(view)
        programme_over(qtbot, station, 9)
        qtbot.waitUntil(lambda: plays(app) == [(known.title, False)], timeout=30_000)

        view.start()
        qtbot.waitUntil(view.find_button.isEnabled, timeout=60_000)
        assert view.table.rowCount() == 1, view.status.text()
        (piece,) = view._pieces
        assert piece.count == 3 and piece.stations == [RADIO_ID]
        assert view.table.item(0, 1).text() == "3×"
        assert view.table.item(0, 2).text() == "Loopback FM"
        assert view.status.text() == "1 piece heard at least 3 times."
        save_shot(app.window, "app-discover-row")

        assert view.selected_piece() == piece  # the most heard is ready for Add to catalog…
        dialog = view.add_selected()
        assert dialog is not None
        dialog.title.setText("Found Spot")
        dialog.artist.setText("Nobody Yet")
        dialog.kind.setCurrentIndex(dialog.kind.findData("ad"))
        dialog.accept()
        qtbot.waitUntil(lambda: "airings found" in view.status.text(), timeout=90_000)
        added = view.status.text()
        assert view.table.rowCount() == 0

        # through the long poll into the history file and the History table, once each
        qtbot.waitUntil(lambda: found_later_rows(history, "Found Spot") == 3, timeout=60_000)
        qtbot.wait(4000)  # room for a duplicate, if one were coming
        history._on_poll()
        in_table = found_later_rows(history, "Found Spot")
        in_file = plays(app)
        starts = [
            row[0]
            for row in app.services.db.execute(
                "SELECT start_ts FROM plays WHERE title = 'Found Spot' ORDER BY start_ts"
            ).fetchall()
        ]

        # an ad, once named, is not unknown any more: Discover no longer lists it
        view.start()
        qtbot.waitUntil(view.find_button.isEnabled, timeout=60_000)
        again = (view.table.rowCount(), view.status.text())

        # Settings → Archive reads the app's engine
        settings = app.window.open_settings_dialog()
        box = settings.archive_box
        qtbot.waitUntil(box.apply_button.isEnabled, timeout=20_000)
        retention = box.retention.value()
        cost = box.cost.text()
        settings.reject()

    assert added.startswith("Added “Found Spot” as an ad. 3 airings found"), added
    assert in_table == 3
    aired = [a.start for a in station.schedule if a.title == unknown.title]
    assert starts == pytest.approx(aired, abs=3)  # each airing, where it aired
    assert (
        sorted(in_file, key=lambda p: p[1]) == [(known.title, False)] + [("Found Spot", True)] * 3
    )
    assert again == (0, "Nothing unknown was heard 3 times or more in the last 7 days.")
    assert retention == 7 and cost.startswith("Audio costs "), cost


def test_search_the_archive_again_brings_a_past_play_into_the_history_once(qtbot, qapp, qloop):
    (song,) = songs(1)

    def programme():
        yield Segment("station - talk", babble(4.0, 1, STATION_RATE))
        yield Segment(song.title, render_song(song, SONG_S, STATION_RATE))
        yield Segment("station - talk", babble(8.0, 2, STATION_RATE))

    with (
        BackgroundLoop() as bg,
        app_on_its_engine(qtbot, qapp, qloop, archive_search_new_tracks=False) as app,
    ):
        station = bg.start_station(programme, loop_programme=False)
        app.services.stations.add(name="Loopback FM", source=station.url, radio_id=RADIO_ID)
        programme_over(qtbot, station, 3)
        upload(app, 1, song)  # after it aired: nothing recognised it live
        history = app.window.tab("history")
        dialog = history.search_archive_dialog()
        assert dialog is not None
        qtbot.waitUntil(lambda: dialog.tracks.count() == 1, timeout=20_000)
        assert dialog.chosen_stations() == [RADIO_ID]
        dialog.date_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(time.time() - 900)))
        dialog.start_search()
        qtbot.waitUntil(dialog.search_button.isEnabled, timeout=90_000)
        first = dialog.status.text()

        qtbot.waitUntil(lambda: found_later_rows(history, song.title) == 1, timeout=60_000)
        dialog.start_search()  # again: nothing new
        qtbot.waitUntil(dialog.search_button.isEnabled, timeout=90_000)
        again = dialog.status.text()
        qtbot.wait(4000)  # room for a duplicate, if one were coming
        history._on_poll()
        in_table = shown(history)
        in_file = plays(app)
        dialog.reject()

    assert first.startswith("Found 1 play later"), first
    assert again == "No new plays found. 1 was in the history already.", again
    assert [t for t, _notes in in_table] == [song.title]
    assert "found later in the archive" in in_table[0][1]
    assert in_file == [(song.title, True)]

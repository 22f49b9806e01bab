"""“Search the archive again…” against a real engine: a track added to the catalog after it
aired is found in the archive for the chosen period and station, the dialog says how many plays
were found later, and searching again finds none new (they were published once)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QWidget

from radiowatch.backend.archive_client import ArchiveClient
from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song, render_talk
from radiowatch.engine.demo.station import Segment
from radiowatch.history.queries import StationRef
from radiowatch.ui.history.archive_search_dialog import ArchiveSearchDialog
from tests.engine.archive.test_engine_archive import SONG_S, _wav
from tests.support.archive_engine import archiving_engine
from tests.support.stations import songs

pytestmark = [pytest.mark.qt, pytest.mark.slow]


def test_a_search_finds_a_past_play_once_and_says_so(qtbot, qloop, tmp_path):
    (song,) = songs(1)

    def programme():
        yield Segment("station - talk", render_talk(3.0, STATION_RATE, seed=1))
        yield Segment(f"{song.artist} - {song.title}", render_song(song, SONG_S, STATION_RATE))
        yield Segment("station - talk", render_talk(30.0, STATION_RATE, seed=2))

    parent = QWidget()
    qtbot.addWidget(parent)
    settings = {"archive_settle_s": 1, "archive_search_new_tracks": False}
    with archiving_engine(
        tmp_path / "engine", seconds=30, settings=settings, programme=programme
    ) as engine:
        engine.upload(
            1, _wav(render_song(song, SONG_S, 16000), 16000), title=song.title, artist=song.artist
        )
        catalog = CatalogClient(engine.base_url, engine.token)
        dialog = ArchiveSearchDialog(
            lambda: ArchiveClient(engine.base_url, engine.token),
            [StationRef(3, "Radio Three"), StationRef(4, "Not Archived")],
            parent,
            catalog=lambda: catalog,
            selected_station=3,
        )
        dialog.open()
        qtbot.waitUntil(lambda: dialog.tracks.count() == 1, timeout=10_000)
        assert dialog.chosen_stations() == [3]
        dialog.date_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(time.time() - 600)))
        dialog.start_search()
        assert not dialog.search_button.isEnabled() and dialog.cancel_button.isVisible()
        qtbot.waitUntil(lambda: dialog.search_button.isEnabled(), timeout=60_000)
        first = dialog.status.text()
        dialog.all_tracks.setChecked(False)
        dialog.tracks.item(0).setCheckState(dialog.tracks.item(0).checkState().Checked)
        dialog.start_search()
        qtbot.waitUntil(lambda: dialog.search_button.isEnabled(), timeout=60_000)
        again = dialog.status.text()
        job = dialog.job()
        dialog.reject()

    assert first.startswith("Found 1 play later"), first
    assert again == "No new plays found. 1 was in the history already.", again
    assert job is not None and job.tracks and job.stations == [3]

"""Names in the Catalog tab, against a real engine process: files are added under what their
tags or (untagged) their names say, an untitled track shows its file name's suggestion, and
Title and Artist are edited in the table or beside it. Each test adds and checks its own
tracks, so any of them runs alone."""

from __future__ import annotations

import httpx
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.ui.catalog.tab import CatalogTab
from tests.conftest import drive
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import wav_bytes
from tests.ui.recognize.recognition_engine import (  # noqa: F401 - fixtures
    RATE,
    CatalogEngine,
    collect_garbage_on_the_gui_thread,
    song_audio,
    write_wav,
)

pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    proc = CatalogEngine(tmp_path_factory.mktemp("catalog-names") / "engine")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def tab(qtbot, qloop, engine):
    client = CatalogClient(engine.base_url, engine.token)
    widget = CatalogTab(lambda: client)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitUntil(lambda: not widget.busy, timeout=10000)
    widget.client_for_test = client
    yield widget
    drive(qtbot, qloop, widget.aclose())
    drive(qtbot, qloop, client.aclose())


def stored(qtbot, qloop, tab: CatalogTab, query: str) -> list:
    return drive(qtbot, qloop, tab.client_for_test.tracks(query))


def wait_idle(qtbot, tab: CatalogTab) -> None:
    qtbot.waitUntil(lambda: not tab.busy, timeout=60000)


def row_of(tab: CatalogTab, track_id: str) -> int:
    return next(i for i, t in enumerate(tab.tracks) if t.track_id == track_id)


def test_untagged_files_are_added_under_the_artist_and_title_of_their_names(
    qtbot, qloop, tab, tmp_path
):
    folder = tmp_path / "rips"
    folder.mkdir()
    write_wav(folder / "Quay Band - Harbour Dawn.wav", song_audio(0, 14))
    write_wav(folder / "04_-_Pier_Choir_-_Low_Tide.wav", song_audio(1, 14))
    tab.add_paths([folder])
    wait_idle(qtbot, tab)
    assert tab.problems_seen == []
    named = {(t.artist, t.title) for t in stored(qtbot, qloop, tab, "")}
    assert {("Quay Band", "Harbour Dawn"), ("Pier Choir", "Low Tide")} <= named
    shown = {
        (tab.table.item(r, 1).text(), tab.table.item(r, 0).text())
        for r in range(tab.table.rowCount())
    }
    assert ("Quay Band", "Harbour Dawn") in shown
    # The columns fill the table exactly: the title takes what the others leave.
    qtbot.wait(50)
    assert tab.table.horizontalHeader().length() == tab.table.viewport().width()


def test_tags_are_used_when_a_file_has_them(qtbot, qloop, tab, tmp_path):
    import av

    path = tmp_path / "track_07_final_master.flac"
    pcm = (song_audio(2, 14) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        out.metadata.update({"TITLE": "Signal Flare", "ARTIST": "Beacon Trio", "ALBUM": "Coast"})
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    tab.add_paths([path])
    wait_idle(qtbot, tab)
    [track] = stored(qtbot, qloop, tab, "Signal Flare")
    assert (track.artist, track.title, track.album) == ("Beacon Trio", "Signal Flare", "Coast")


def test_an_untitled_track_shows_its_file_name_and_saving_keeps_it(qtbot, qloop, tab, engine):
    """A track added without a name (before names came from files) is shown with its file
    name's suggestion, greyed; Save stores it."""
    reply = httpx.post(
        engine.base_url + "/catalog/tracks/",
        data={"api_token": engine.token, "source_file": "/music/Tide Keepers - Salt Road.wav"},
        # An upload name that says nothing ("_"): the engine has no name to give the track,
        # as with tracks added before names came from files.
        files={"file": ("_.wav", wav_bytes(song_audio(0, 14), RATE))},
        timeout=60,
    ).json()
    assert reply["status"] == "success" and reply["result"]["title"] is None
    track_id = reply["result"]["track_id"]
    tab.reload()
    wait_idle(qtbot, tab)
    row = row_of(tab, track_id)
    title = tab.table.item(row, 0)
    assert title.text() == "Salt Road" and title.font().italic()
    assert tab.table.item(row, 1).text() == "Tide Keepers"
    tab.table.selectRow(row)
    assert (tab.title_edit.text(), tab.artist_edit.text()) == ("Salt Road", "Tide Keepers")
    assert tab.suggestion_hint.isVisible()
    tab.save_selected()
    wait_idle(qtbot, tab)
    track = next(t for t in stored(qtbot, qloop, tab, "") if t.track_id == track_id)
    assert (track.artist, track.title) == ("Tide Keepers", "Salt Road")
    assert not tab.table.item(row_of(tab, track_id), 0).font().italic()


def test_title_and_artist_are_edited_in_the_table(qtbot, qloop, tab, tmp_path):
    tab.add_paths([write_wav(tmp_path / "Wrong Name - Wrong Title.wav", song_audio(1, 14))])
    wait_idle(qtbot, tab)
    [track] = stored(qtbot, qloop, tab, "Wrong Title")
    row = row_of(tab, track.track_id)
    tab.table.setFocus()
    tab.table.setCurrentCell(row, 1)
    qtbot.keyClick(tab.table, Qt.Key.Key_F2)
    editor = tab.table.viewport().findChild(QLineEdit) or tab.table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "Right Name")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    wait_idle(qtbot, tab)
    qtbot.waitUntil(
        lambda: [t.artist for t in stored(qtbot, qloop, tab, "Wrong Title")] == ["Right Name"],
        timeout=10000,
    )
    # Columns other than Title and Artist are edited beside the table only.
    kind = tab.table.item(row_of(tab, track.track_id), 4)
    assert not kind.flags() & Qt.ItemFlag.ItemIsEditable

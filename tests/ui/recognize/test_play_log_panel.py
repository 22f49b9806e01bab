"""Recognize → Long file → Play log against the real engine: plays appear as the scan finds
them, with progress, on a timeline and in a table; the log exports like the history and
imports into it for the chosen station, once however often it is imported; Cancel stops a
long scan and leaves the panel usable."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QDateTime

from radiowatch.history.database import open_database
from radiowatch.ui.recognize.tab import RecognizeTab
from tests.conftest import drive
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.ui.recognize.recognition_engine import (  # noqa: F401 - `engine` is a fixture
    RATE,
    SONGS,
    collect_garbage_on_the_gui_thread,
    engine,
    engine_client,
    mix_of_three,
    silent_wav,
    write_wav,
)

pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]
SHOTS = os.environ.get("RADIOWATCH_SCREENSHOTS")
STATIONS = [
    SimpleNamespace(radio_id=3, name="Loopback FM"),
    SimpleNamespace(radio_id=8, name="Other"),
]


@pytest.fixture
def client(qloop, qtbot, engine):  # noqa: F811
    c = engine_client(engine)
    yield c
    drive(qtbot, qloop, c.aclose())


@pytest.fixture
def tab(qtbot, qloop, client, tmp_path):
    widget = RecognizeTab(lambda: client)
    imported: list[int] = []
    widget.attach_history(tmp_path / "history.db", lambda: STATIONS, imported.append)
    widget.imported = imported
    qtbot.addWidget(widget)
    widget.resize(1120, 700)
    widget.show()
    widget.modes.setCurrentIndex(3)
    widget.play_log_mode.setChecked(True)
    yield widget
    drive(qtbot, qloop, widget.aclose())


def wait_idle(qtbot, panel, timeout=60000):
    qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)


def finish(qtbot, task, timeout=10000):
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def test_a_recording_becomes_a_play_log_that_imports_into_the_history_once(
    tab, qtbot, qloop, tmp_path
):
    audio, places = mix_of_three()
    mix = write_wav(tmp_path / "aircheck.wav", audio)
    panel = tab.play_log
    assert tab.long_file_stack.currentWidget() is panel
    panel.set_source(str(mix))
    qtbot.waitUntil(lambda: panel.duration_s is not None, timeout=10000)
    progress = []
    panel.progress.valueChanged.connect(progress.append)
    panel.scan()
    wait_idle(qtbot, panel)
    assert [p.title for p in panel.plays] == [s.title for s in SONGS], panel.status.text()
    for play, (start, end) in zip(panel.plays, places, strict=True):
        assert abs(play.start_s - start) <= 1.5 and abs(play.end_s - end) <= 3
    assert progress, "progress is shown while the engine reads the file"
    assert panel.table.rowCount() == 3 and panel.table.item(1, 4).text() == SONGS[1].title
    assert len(panel.timeline.cues) == 3
    assert "3 plays in" in panel.status.text()
    if SHOTS:
        tab.grab().save(str(Path(SHOTS) / "recognize_tab_play_log.png"))

    # export, like the history's
    finish(qtbot, panel.export(tmp_path / "log.csv"))
    with open(tmp_path / "log.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 4 and SONGS[0].title in rows[1]

    # import for a station and a start time: once, however often
    panel.import_into_history()
    assert "Choose the station" in panel.status.text()
    panel.station.setCurrentIndex(1)  # Loopback FM
    started = datetime(2026, 4, 2, 9, 0, 0, tzinfo=UTC)
    panel.started_at.setDateTime(QDateTime(started.astimezone().replace(tzinfo=None)))
    finish(qtbot, panel.import_into_history())
    assert "Imported 3 plays" in panel.status.text() and tab.imported == [3]
    finish(qtbot, panel.import_into_history())
    assert "already in the history: nothing added" in panel.status.text()
    db = open_database(tmp_path / "history.db")
    stored = db.execute("SELECT radio_id, station_name, start_ts, title FROM plays").fetchall()
    db.conn.close()
    assert len(stored) == 3
    assert {(r[0], r[1]) for r in stored} == {(3, "Loopback FM")}
    first = min(r[2] for r in stored)
    assert abs(first - (started.timestamp() + places[0][0])) <= 2


def test_cancelling_a_long_scan_keeps_the_panel_usable(tab, qtbot, tmp_path):
    silent = silent_wav(tmp_path / "two-hours.wav", 2 * 3600)
    panel = tab.play_log
    panel.set_source(str(silent))
    qtbot.waitUntil(lambda: panel.duration_s is not None, timeout=10000)
    panel.scan()
    qtbot.waitUntil(lambda: panel.progress.maximum() > 1, timeout=30000)  # progress arrived
    panel.cancel()
    wait_idle(qtbot, panel, timeout=10000)
    assert "Scan cancelled" in panel.status.text()
    assert panel.scan_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_a_file_that_is_not_audio_gets_the_engines_reason(tab, qtbot, tmp_path):
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("no sound here")
    panel = tab.play_log
    panel.set_source(str(bogus))
    panel.scan()
    wait_idle(qtbot, panel)
    assert "not a readable audio or video file" in panel.status.text()
    assert panel.status.kind == "error"

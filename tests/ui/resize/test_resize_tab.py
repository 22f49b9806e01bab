import asyncio
import os
import wave

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QStandardItemModel
from PySide6.QtWidgets import QApplication, QInputDialog

from radiowatch.audjust.models import ExportFormat
from radiowatch.ui.resize.edit_preview import source_time
from radiowatch.ui.resize.tab import ResizeTab
from tests.audjust.music import make_song, write_wav
from tests.conftest import drive
from tests.fakes.fake_audjust import VALID_KEY, FakeAudjust
from tests.support.qt_noise import audio_backend_noise_and

pytestmark = [
    pytest.mark.qt,
    audio_backend_noise_and(r"^qt\.multimedia"),
]


@pytest.fixture
def song_file(tmp_path):
    return write_wav(tmp_path / "abab song.wav", make_song(tempo=128.0).samples, channels=2)


@pytest.fixture
def make_tab(qtbot, qloop, tmp_path):
    tabs = []

    def make(key=None):
        tab = ResizeTab(tmp_path / "cache", lambda: key)
        qtbot.addWidget(tab)
        tab.resize(1200, 760)
        tab.show()
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.shutdown()


def test_open_analyse_pick_and_export_a_30_second_edit(qtbot, qloop, make_tab, song_file, tmp_path):
    tab = make_tab()
    with qtbot.waitSignal(tab.candidates_ready, timeout=90_000):
        tab.open_track(song_file, preset_seconds=30)
    assert tab.entry.analysis.tempo == pytest.approx(128, rel=0.02)
    assert tab.worker.pids and os.getpid() not in tab.worker.pids  # analysed off the GUI process
    assert tab.table.rowCount() == len(tab.candidates) >= 3
    assert abs(tab.candidates[0].durationSeconds - 30) <= 3
    assert tab.target_spin.value() == 30

    tab.select_candidate(1)
    assert tab.selected_indexes() == [1]
    assert tab.waveform.segment_count == len(tab.candidates[1].segmentsSeconds)
    qtbot.waitUntil(lambda: tab.play_button.isEnabled(), timeout=20_000)

    tab.select_candidate(0)
    first = tab.candidates[0].segmentsSeconds[0]
    # The preview plays and the cursor walks along the first segment of the source.
    qtbot.waitUntil(
        lambda: tab.waveform.cursor.isVisible() and tab.waveform.cursor.value() > first[0] + 0.1,
        timeout=20_000,
    )

    files = drive(
        qtbot, qloop, tab.export_candidates([0], ExportFormat.WAV, tmp_path / "out"), timeout=30_000
    )
    assert len(files) == 1 and files[0].name == "abab song - 30s edit 1.wav"
    with wave.open(str(files[0])) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(
            tab.candidates[0].durationSeconds, abs=0.01
        )


def _short(tmp_path):
    return write_wav(tmp_path / "blip.wav", make_song().samples[: 2 * 22050])


def _silent(tmp_path):
    return write_wav(tmp_path / "quiet.wav", np.zeros(20 * 22050, np.float32))


def _corrupt(tmp_path):
    path = tmp_path / "broken.mp3"
    path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40)
    return path


@pytest.mark.parametrize(
    ("make_file", "expected"),
    [(_short, "only 2.0 s long"), (_silent, "is silent"), (_corrupt, "broken.mp3")],
    ids=["two-seconds", "silent", "corrupt"],
)
def test_bad_files_show_a_clear_message(qtbot, qloop, make_tab, tmp_path, make_file, expected):
    tab = make_tab()
    task = tab.open_track(make_file(tmp_path))
    qtbot.waitUntil(task.done, timeout=60_000)
    assert expected in tab.status.text()
    assert tab.table.rowCount() == 0 and tab.open_button.isEnabled()
    assert not tab.progress.isVisible()


def test_a_dropped_file_is_opened_and_a_huge_target_shows_the_limit(
    qtbot, qloop, make_tab, song_file
):
    tab = make_tab()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(song_file))])
    drop = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(tab.candidates_ready, timeout=90_000):
        tab.dropEvent(drop)
    assert tab.path == song_file
    tab.set_target(1000)
    qtbot.waitUntil(lambda: "10x the song" in tab.status.text(), timeout=20_000)
    assert tab.table.rowCount() == 0


def test_the_audjust_backend_needs_a_key(qtbot, qloop, make_tab):
    without = make_tab(key=None)
    model: QStandardItemModel = without.backend_combo.model()
    assert not model.item(1).isEnabled()
    assert "Accounts & tokens" in model.item(1).toolTip()
    with_key = make_tab(key="aj-key")
    assert with_key.backend_combo.model().item(1).isEnabled()


def test_the_audjust_backend_analyses_and_resizes_in_the_cloud(qtbot, qloop, make_tab, song_file):
    fake = FakeAudjust().start()
    try:
        tab = make_tab(key=VALID_KEY)
        tab.audjust_base_url, tab.audjust_poll_interval = fake.url, 0.01
        tab.backend_combo.setCurrentIndex(1)
        with qtbot.waitSignal(tab.candidates_ready, timeout=60_000):
            tab.open_track(
                song_file, preset_seconds=30, source_url="https://files.example.com/song.mp3"
            )
        assert tab.entry.analysis.boundaries == fake.analysis["boundaries"]
        assert len(tab.candidates) == 20 and tab.table.rowCount() == 20
        assert "credits" in tab.status.text()
        assert (
            fake.posts("/analyze")[0].body["sourceFileUrl"] == "https://files.example.com/song.mp3"
        )
        assert fake.posts("/resize")[0].body["targetLengthSeconds"] == 30
        assert VALID_KEY not in tab.status.text()
    finally:
        fake.stop()


def test_the_audjust_link_is_asked_without_blocking_the_loop(qtbot, qloop, make_tab, song_file):
    """The link dialog is window-modal and awaited: other tasks keep running meanwhile."""
    fake = FakeAudjust().start()
    try:
        tab = make_tab(key=VALID_KEY)
        tab.audjust_base_url, tab.audjust_poll_interval = fake.url, 0.01
        tab.backend_combo.setCurrentIndex(1)
        task = tab.open_track(song_file, preset_seconds=30)
        qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QInputDialog))
        dialog = QApplication.activeModalWidget()
        ticks = []
        other = qloop.create_task(asyncio.sleep(0.05, result="ran"))
        other.add_done_callback(lambda t: ticks.append(t.result()))
        qtbot.waitUntil(lambda: ticks == ["ran"], timeout=5000)  # the loop is not stuck
        dialog.setTextValue("https://files.example.com/song.mp3")
        dialog.accept()
        qtbot.waitUntil(task.done, timeout=60_000)
        assert fake.posts("/analyze")[0].body["sourceFileUrl"].endswith("/song.mp3")
        assert tab.table.rowCount() > 0
    finally:
        fake.stop()


def test_cancelling_the_audjust_link_dialog_says_what_is_needed(qtbot, qloop, make_tab, song_file):
    tab = make_tab(key=VALID_KEY)
    tab.backend_combo.setCurrentIndex(1)
    task = tab.open_track(song_file)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QInputDialog))
    QApplication.activeModalWidget().reject()
    qtbot.waitUntil(task.done, timeout=30_000)
    assert "public https:// link" in tab.status.text()


def test_the_audjust_rate_limit_is_shown_in_the_tab(qtbot, qloop, make_tab, song_file):
    fake = FakeAudjust().start()
    fake.rate_limited = True
    try:
        tab = make_tab(key=VALID_KEY)
        tab.audjust_base_url, tab.audjust_poll_interval = fake.url, 0.01
        tab.backend_combo.setCurrentIndex(1)
        task = tab.open_track(song_file, source_url="https://files.example.com/song.mp3")
        qtbot.waitUntil(task.done, timeout=30_000)
        assert "rate limit" in tab.status.text()
    finally:
        fake.stop()


def test_preview_position_maps_back_onto_the_source():
    segments = [(0.0, 4.0), (30.0, 60.0)]
    assert source_time(segments, 1.0) == 1.0
    assert source_time(segments, 5.0) == 31.0
    assert source_time(segments, 99.0) == 60.0

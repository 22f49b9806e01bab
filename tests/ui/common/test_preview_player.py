"""The shared preview player (radiowatch/ui/common/preview_player.py) with a real QMediaPlayer
playing a real WAV file: seconds-based signals, lazy creation, release, and the no-QtMultimedia
fallback."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QUrl

from radiowatch.ui.common import preview_player
from radiowatch.ui.common.preview_player import PreviewPlayer
from tests.ui.common.media_stress import write_tone

pytestmark = pytest.mark.qt


@pytest.fixture
def owner(qtbot):
    parent = QObject()
    yield parent
    for player in parent.findChildren(PreviewPlayer):
        player.release()


@pytest.mark.skipif(PreviewPlayer.unavailable_reason() is not None, reason="no QtMultimedia")
def test_a_preview_plays_reports_seconds_and_stops(qtbot, owner, tmp_path):
    preview = PreviewPlayer(owner)
    assert not preview.created()  # no FFmpeg backend until something is previewed
    positions: list[float] = []
    playing: list[bool] = []
    durations: list[float] = []
    preview.position_changed.connect(positions.append)
    preview.playing_changed.connect(playing.append)
    preview.duration_changed.connect(durations.append)
    url = QUrl.fromLocalFile(str(write_tone(tmp_path / "tone.wav")))

    preview.load(url)
    assert preview.created() and preview.source() == url
    qtbot.waitUntil(preview.settled, timeout=10_000)
    assert durations[-1] == pytest.approx(preview.duration()) == pytest.approx(1.0, abs=0.05)
    preview.play()
    qtbot.waitUntil(lambda: preview.is_playing() and preview.position() > 0.05, timeout=10_000)
    assert positions and all(0 <= p < 60 for p in positions)  # seconds, not milliseconds

    preview.pause()
    qtbot.waitUntil(preview.is_paused, timeout=5000)
    with qtbot.waitSignal(preview.stopped, timeout=5000):
        preview.stop()
    assert preview.is_stopped() and playing[0] is True and playing[-1] is False

    preview.release()
    assert not preview.created() and preview.source().isEmpty() and preview.is_stopped()


def test_without_qtmultimedia_every_command_is_harmless(qtbot, owner, monkeypatch, tmp_path):
    monkeypatch.setattr(preview_player, "_IMPORT_ERROR", "libpulse.so.0: cannot open")
    preview = PreviewPlayer(owner)
    assert not preview.available()
    assert "libpulse.so.0" in PreviewPlayer.unavailable_reason()
    preview.load(QUrl.fromLocalFile(str(tmp_path / "song.wav")))
    preview.play()
    preview.toggle()
    preview.seek(3.0)
    preview.stop()
    preview.release()
    assert not preview.created() and preview.is_stopped() and preview.position() == 0.0

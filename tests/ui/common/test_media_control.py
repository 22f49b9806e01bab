import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.qt
QtMultimedia = pytest.importorskip("PySide6.QtMultimedia")
ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.qt_log_ignore("^Could not open media")  # unloaded before the backend opened it
def test_commands_reach_the_player(qtbot, tmp_path):
    from PySide6.QtCore import QUrl

    from radiowatch.ui.common import media_control
    from tests.ui.common.media_stress import write_tone

    player = QtMultimedia.QMediaPlayer()
    url = QUrl.fromLocalFile(str(write_tone(tmp_path / "song.wav")))
    media_control.load(player, url)
    assert player.source() == url
    media_control.unload(player)
    assert player.source().isEmpty()
    assert player.playbackState() == QtMultimedia.QMediaPlayer.PlaybackState.StoppedState


def test_stopping_players_while_the_backend_tears_down_never_freezes():
    # With plain player.stop()/setSource() this froze within 2-190 rounds (GIL held on the GUI
    # thread while an FFmpeg worker waits for it under the signal lock); it must finish.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.common.media_stress", "200"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a media player command froze the GUI thread")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "200 rounds" in done.stdout

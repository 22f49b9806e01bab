"""Start, stop and drop media players many times in a row; exits 0 when it got through.

Run as its own process by test_media_control.py, so that a deadlock ends in a timeout there
instead of freezing the test session.
"""

from __future__ import annotations

import math
import struct
import sys
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer, QUrl
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
from PySide6.QtWidgets import QApplication

from radiowatch.ui.common import media_control


def write_tone(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(i * 0.05))) for i in range(22050))
        )
    return path


def _pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(rounds: int) -> None:
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        url = QUrl.fromLocalFile(str(write_tone(Path(folder) / "tone.wav")))
        for i in range(rounds):
            player = QMediaPlayer()
            output = QAudioOutput(player)
            player.setAudioOutput(output)
            media_control.load(player, url)
            media_control.play(player)
            _pump(i % 7 * 5)  # stop at different points of the backend's start-up and teardown
            media_control.seek(player, 500)
            media_control.pause(player)
            media_control.stop(player)
            media_control.unload(player)
            media_control.play(player)
            media_control.stop(player)
            player.deleteLater()
            _pump(1)
    app.processEvents()
    print(f"{rounds} rounds", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))

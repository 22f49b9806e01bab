"""Listening to a candidate edit before exporting it: the Resize tab's Play button and clock.

The edit is rendered to a WAV by the Resize worker process (the same code that exports it, so
what is heard is what is written), then played by the shared PreviewPlayer. While it plays, a
fixed-rate timer maps the position in the edit back onto the source song, so the cursor on the
waveform walks along the kept stretches and jumps at each seam.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from radiowatch.audjust.errors import AudjustError
from radiowatch.audjust.models import ExportFormat, ResizeResult
from radiowatch.audjust.worker import ResizeWorker
from radiowatch.ui.common.preview_player import PreviewPlayer
from radiowatch.ui.common.tasks import TaskSlot

CURSOR_HZ = 30


def source_time(segments: list[tuple[float, float]], out_seconds: float) -> float | None:
    """Where in the source the preview is at `out_seconds` of output."""
    elapsed = 0.0
    for start, end in segments:
        length = end - start
        if out_seconds < elapsed + length:
            return start + (out_seconds - elapsed)
        elapsed += length
    return segments[-1][1] if segments else None


def clock(seconds: float) -> str:
    """m:ss.s, the precision an edit's seams are chosen at."""
    seconds = max(0.0, float(seconds))
    m, s = divmod(seconds, 60)
    return f"{int(m)}:{s:04.1f}"


class EditPreview(QWidget):
    """▶ Play and "0:01.5 / 1:00.0"; `show_edit()` renders and plays a candidate."""

    cursor_moved = Signal(object)  # seconds in the source song, or None when nothing plays
    failed = Signal(str)

    def __init__(self, worker: ResizeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._worker = worker
        self._dir = Path(tempfile.mkdtemp(prefix="radiowatch-resize-"))
        self._segments: list[tuple[float, float]] = []
        self._render = TaskSlot("resize-preview")
        self.preview = PreviewPlayer(self)
        self.preview.playing_changed.connect(self._on_playing_changed)
        self.preview.stopped.connect(self._on_stopped)
        self.preview.failed.connect(lambda reason: self.failed.emit(f"Preview failed: {reason}."))
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setInterval(1000 // CURSOR_HZ)
        self._cursor_timer.timeout.connect(self._on_cursor_tick)

        self.play_button = QPushButton("▶ Play")
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self.toggle)
        self.position_label = QLabel("")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.play_button)
        layout.addWidget(self.position_label)

    def show_edit(self, song: Path, edit: ResizeResult) -> None:
        """Render `edit` of `song` and play it (replacing any preview in progress)."""
        self._render.start(self._play_edit(song, edit))

    def clear(self) -> None:
        """Nothing selected: stop, and nothing to play."""
        self._render.cancel()
        self.stop()
        self.play_button.setEnabled(False)

    def stop(self) -> None:
        self._cursor_timer.stop()
        self.cursor_moved.emit(None)
        self.position_label.setText("")
        self.preview.stop()

    def toggle(self) -> None:
        if self.preview.is_playing():
            self.preview.pause()
        else:
            self.preview.play()
            self._cursor_timer.start()

    def shutdown(self) -> None:
        """Stop playing, free the player and remove the rendered files (app shutdown)."""
        self._render.cancel()
        self._cursor_timer.stop()
        self.preview.release()
        shutil.rmtree(self._dir, ignore_errors=True)

    async def _play_edit(self, song: Path, edit: ResizeResult) -> None:
        self.stop()
        if not self.preview.available():
            self.play_button.setEnabled(False)
            self.play_button.setToolTip(PreviewPlayer.unavailable_reason() or "")
            return
        dest = self._dir / f"preview-{abs(hash(tuple(edit.segmentsSeconds))):x}.wav"
        try:
            if not dest.exists():
                await self._worker.export(song, [edit.segmentsSeconds], ExportFormat.WAV, [dest])
        except AudjustError as exc:
            self.failed.emit(f"Preview failed: {exc}")
            return
        self._segments = [(float(s), float(e)) for s, e in edit.segmentsSeconds]
        self.preview.load(QUrl.fromLocalFile(str(dest)))
        self.play_button.setEnabled(True)
        self.preview.play()
        self._cursor_timer.start()

    def _on_playing_changed(self, playing: bool) -> None:
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")

    def _on_stopped(self) -> None:
        self._cursor_timer.stop()
        self.cursor_moved.emit(None)

    def _on_cursor_tick(self) -> None:
        """Fixed-rate repaint: map the preview's position back onto the source waveform."""
        out_seconds = self.preview.position()
        self.cursor_moved.emit(source_time(self._segments, out_seconds))
        total = sum(e - s for s, e in self._segments)
        self.position_label.setText(f"{clock(out_seconds)} / {clock(total)}")

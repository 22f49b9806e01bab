"""The one audio preview player the tabs share: a QMediaPlayer with its output, or a reason why not.

Resize (the cut-down), Recognize → Long file (the scanned recording) and Udio (a fetched song)
all preview audio the same way, so the player is built here once:
- QtMultimedia is imported once, behind a guard: a machine without it (or without libpulse) gets
  `PreviewPlayer.unavailable_reason()` to show in a tooltip instead of a crash, and every
  command is then a no-op;
- the QMediaPlayer is created on the first `load()`, not with the tab: loading Qt's FFmpeg
  backend costs start-up time, and most sessions never preview anything;
- every command goes through media_control, which releases the GIL while Qt works (a plain
  `player.stop()` can freeze the app; see that module);
- plain signals in seconds and a `playing` flag, so a tab binds its own buttons and cursor;
- `release()` stops and frees the player on the GUI thread at shutdown: its decoder threads own
  timers that must not be torn down later from another thread (e.g. by garbage collection).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QUrl, Signal

from radiowatch.ui.common import media_control

try:
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

    _IMPORT_ERROR: str | None = None
except ImportError as exc:  # QtMultimedia missing, or libpulse not installed
    QAudioOutput = QMediaPlayer = None  # type: ignore[assignment,misc]
    _IMPORT_ERROR = str(exc)


class PreviewPlayer(QObject):
    position_changed = Signal(float)  # seconds
    duration_changed = Signal(float)  # seconds
    playing_changed = Signal(bool)
    stopped = Signal()  # reached the end or was stopped (not on pause)
    failed = Signal(str)  # a readable reason

    @staticmethod
    def unavailable_reason() -> str | None:
        """None when previews can play here, else why not (for a tooltip or status line)."""
        if _IMPORT_ERROR is not None:
            return f"Audio preview is unavailable: QtMultimedia could not load ({_IMPORT_ERROR})."
        return None

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._player: QMediaPlayer | None = None
        self._output: QAudioOutput | None = None

    def available(self) -> bool:
        return self.unavailable_reason() is None

    def created(self) -> bool:
        """Whether the QMediaPlayer exists yet (it is made on the first `load()`)."""
        return self._player is not None

    def _ensure(self) -> QMediaPlayer | None:
        if self._player is None and self.available():
            self._output = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._output)
            self._player.positionChanged.connect(self._on_position)
            self._player.durationChanged.connect(self._on_duration)
            self._player.playbackStateChanged.connect(self._on_state)
            self._player.errorOccurred.connect(self._on_error)
        return self._player

    # -- commands (each a no-op where QtMultimedia is unavailable) ----------------------------
    def load(self, url: QUrl) -> None:
        """Play `url` next (a local file or a stream); nothing happens until `play()`."""
        player = self._ensure()
        if player is not None and player.source() != url:
            media_control.load(player, url)

    def play(self) -> None:
        if self._player is not None:
            media_control.play(self._player)

    def pause(self) -> None:
        if self._player is not None:
            media_control.pause(self._player)

    def toggle(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def stop(self) -> None:
        if self._player is not None:
            media_control.stop(self._player)

    def seek(self, seconds: float) -> None:
        if self._player is not None:
            media_control.seek(self._player, int(seconds * 1000))

    def unload(self) -> None:
        """Stop and let go of the file, so it can be replaced or deleted."""
        if self._player is not None:
            media_control.unload(self._player)

    def release(self) -> None:
        """Stop and free the QMediaPlayer now, on the GUI thread (see the module docstring).
        A later `load()` makes a new one."""
        player, output, self._player, self._output = self._player, self._output, None, None
        if player is not None and shiboken6.isValid(player):
            media_control.unload(player)
            player.deleteLater()
        if output is not None and shiboken6.isValid(output):
            output.deleteLater()

    # -- state --------------------------------------------------------------------------------
    def source(self) -> QUrl:
        return self._player.source() if self._player is not None else QUrl()

    def is_playing(self) -> bool:
        return self._state() == QMediaPlayer.PlaybackState.PlayingState

    def is_paused(self) -> bool:
        return self._state() == QMediaPlayer.PlaybackState.PausedState

    def is_stopped(self) -> bool:
        return not (self.is_playing() or self.is_paused())

    def settled(self) -> bool:
        """The source has been opened, or found unplayable (no longer loading)."""
        if self._player is None or self._player.source().isEmpty():
            return True
        status = QMediaPlayer.MediaStatus
        return self._player.mediaStatus() in (
            status.LoadedMedia,
            status.BufferingMedia,
            status.BufferedMedia,
            status.EndOfMedia,
            status.InvalidMedia,
        )

    def position(self) -> float:
        return self._player.position() / 1000 if self._player is not None else 0.0

    def duration(self) -> float:
        return self._player.duration() / 1000 if self._player is not None else 0.0

    def _state(self) -> object:
        return self._player.playbackState() if self._player is not None else None

    # -- Qt's signals, in seconds --------------------------------------------------------------
    def _on_position(self, ms: int) -> None:
        self.position_changed.emit(ms / 1000)

    def _on_duration(self, ms: int) -> None:
        self.duration_changed.emit(ms / 1000)

    def _on_state(self, state: object) -> None:
        self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState)
        if state == QMediaPlayer.PlaybackState.StoppedState:
            self.stopped.emit()

    def _on_error(self, _error: object, message: str) -> None:
        self.failed.emit(message or "the file could not be played")

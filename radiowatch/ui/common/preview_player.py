"""The one audio preview player the tabs share: a QMediaPlayer with its output, or a reason why not.

Resize (the cut-down), Recognize → Long file (the scanned recording) and Udio (a fetched song)
all preview audio the same way, so the player is built here once:
- QtMultimedia is imported once, behind a guard: a machine without it (or without libpulse) gets
  `PreviewPlayer.unavailable_reason()` to show in a tooltip instead of a crash;
- every command goes through media_control, which releases the GIL while Qt works (a plain
  `player.stop()` can freeze the app; see that module);
- plain signals in seconds and a `playing` flag, so a tab binds its own buttons and cursor.
"""

from __future__ import annotations

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

    @classmethod
    def create(cls, parent: QObject) -> PreviewPlayer | None:
        """A player owned by `parent`, or None where QtMultimedia cannot load."""
        return None if cls.unavailable_reason() else cls(parent)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._output = QAudioOutput(self)
        self._player = QMediaPlayer(self)
        self._player.setAudioOutput(self._output)
        self._player.positionChanged.connect(lambda ms: self.position_changed.emit(ms / 1000))
        self._player.durationChanged.connect(lambda ms: self.duration_changed.emit(ms / 1000))
        self._player.playbackStateChanged.connect(self._on_state)
        self._player.errorOccurred.connect(
            lambda _error, message: self.failed.emit(message or "the file could not be played")
        )

    # -- commands -----------------------------------------------------------------------------
    def load(self, url: QUrl) -> None:
        """Play `url` next (a local file or a stream); nothing happens until `play()`."""
        if self._player.source() != url:
            media_control.load(self._player, url)

    def play(self) -> None:
        media_control.play(self._player)

    def pause(self) -> None:
        media_control.pause(self._player)

    def toggle(self) -> None:
        self.pause() if self.is_playing() else self.play()

    def stop(self) -> None:
        media_control.stop(self._player)

    def seek(self, seconds: float) -> None:
        media_control.seek(self._player, int(seconds * 1000))

    def unload(self) -> None:
        """Stop and let go of the file, so it can be replaced or deleted."""
        media_control.unload(self._player)

    # -- state --------------------------------------------------------------------------------
    def source(self) -> QUrl:
        return self._player.source()

    def is_playing(self) -> bool:
        return self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def is_paused(self) -> bool:
        return self._player.playbackState() == QMediaPlayer.PlaybackState.PausedState

    def position(self) -> float:
        return self._player.position() / 1000

    def duration(self) -> float:
        return self._player.duration() / 1000

    def _on_state(self, state: object) -> None:
        self.playing_changed.emit(state == QMediaPlayer.PlaybackState.PlayingState)
        if state == QMediaPlayer.PlaybackState.StoppedState:
            self.stopped.emit()

"""Commands to a QMediaPlayer that never hold the GIL while Qt works.

PySide6 calls QMediaPlayer.stop(), setSource() and friends with the GIL held. Qt's FFmpeg backend
tears its playback threads down asynchronously; a worker object dying there tells the Python-made
QAudioOutput/QMediaPlayer about the lost connection, and PySide asks Python whether that
notification is overridden, which needs the GIL, while the worker holds the signal lock the GUI
thread's command waits for. Both threads then wait forever: the app freezes on Stop or on quit.
QMetaObject.invokeMethod runs the same slot with the GIL released, so the worker can finish.
"""

from __future__ import annotations

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, Qt, QUrl

_DIRECT = Qt.ConnectionType.DirectConnection


def _invoke(player: QObject, slot: str, *args) -> None:
    if not QMetaObject.invokeMethod(player, slot, _DIRECT, *args):
        # a wrong slot name or argument type does nothing at all: say so instead
        raise RuntimeError(f"{type(player).__name__} has no slot {slot} for these arguments")


def play(player: QObject) -> None:
    _invoke(player, "play")


def pause(player: QObject) -> None:
    _invoke(player, "pause")


def stop(player: QObject) -> None:
    _invoke(player, "stop")


def seek(player: QObject, milliseconds: int) -> None:
    _invoke(player, "setPosition", Q_ARG("qint64", int(milliseconds)))


def load(player: QObject, url: QUrl) -> None:
    _invoke(player, "setSource", Q_ARG(QUrl, url))


def unload(player: QObject) -> None:
    """Stop and let go of the file (so it can be deleted or replaced)."""
    stop(player)
    load(player, QUrl())

"""One running radiowatch per profile: a second launch raises the first window and exits.

The first instance listens on a QLocalServer whose name is derived from the profile's data
folder, so two *different* profiles (RADIOWATCH_HOME, --data-dir) run side by side while two
launches of the same profile never share one SQLite history and one engine. A second launch
connects, sends "show", and exits 0; the first emits `activation_requested` and the app raises
its window (from the tray, too).

A server name left behind by a crashed instance is detected (nobody answers the connection)
and removed before listening.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

SHOW_MESSAGE = b"show\n"
CONNECT_TIMEOUT_MS = 500


def server_name(profile_data_dir: Path | str) -> str:
    """A short, filesystem-safe name unique to the profile (Unix sockets cap paths at ~100)."""
    digest = hashlib.sha256(str(Path(profile_data_dir).resolve()).encode()).hexdigest()[:16]
    return f"radiowatch-{digest}"


def notify_running_instance(name: str, timeout_ms: int = CONNECT_TIMEOUT_MS) -> bool:
    """Ask a running instance to show itself; True if one answered."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(SHOW_MESSAGE)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(timeout_ms)
    return True


class SingleInstance(QObject):
    """`claim()` once at start-up: True means we are the one instance and now listen."""

    activation_requested = Signal()

    def __init__(self, profile_data_dir: Path | str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = server_name(profile_data_dir)
        self.server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def claim(self) -> bool:
        if notify_running_instance(self.name):
            log.info("radiowatch already runs with this profile; asked it to show its window")
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A stale socket file from a crashed instance (nobody answered above).
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance check unavailable: %s", server.errorString())
                return True
        server.newConnection.connect(self._on_connection)
        self.server = server
        return True

    def release(self) -> None:
        for socket in self._clients:
            socket.abort()
        self._clients.clear()
        if self.server is not None:
            self.server.close()
            self.server = None

    def _on_connection(self) -> None:
        assert self.server is not None
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            # Kept (not deleteLater'd): the server owns its sockets and frees them with itself.
            self._clients.append(socket)
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            if socket.bytesAvailable():
                self._on_ready_read(socket)

    def _forget(self, socket: QLocalSocket) -> None:
        if socket in self._clients:
            self._clients.remove(socket)

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if SHOW_MESSAGE.strip() in data:
            self.activation_requested.emit()

"""SIGINT and SIGTERM only request the app's shutdown (docs/qt-and-asyncio.md, rule A), and at
once: Python runs a signal handler only between bytecodes, while Qt's C++ loop may sleep for
long, so the signal also writes to a wakeup socket whose notifier wakes the loop."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSocketNotifier


class TerminationSignals:
    """`install(loop)` routes SIGINT/SIGTERM to `on_signal(name)` on that loop; `remove()`
    puts the previous handlers back. Both on the GUI thread."""

    def __init__(self, on_signal: Callable[[str], object]) -> None:
        self._on_signal = on_signal
        self._loop: asyncio.AbstractEventLoop | None = None
        self._old_handlers: dict[int, Any] = {}
        self._old_wakeup_fd: int | None = None
        self._sockets: tuple[socket.socket, socket.socket] | None = None
        self._notifier: QSocketNotifier | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)
        self._old_wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._on_signal, name)

    def _drain(self) -> None:
        if self._sockets is None:
            return
        try:
            while self._sockets[0].recv(512):
                pass
        except OSError:
            pass

    def remove(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers.clear()
        if self._sockets is not None:
            signal.set_wakeup_fd(self._old_wakeup_fd if self._old_wakeup_fd is not None else -1)
            if self._notifier is not None:
                self._notifier.setEnabled(False)
                self._notifier = None
            for sock in self._sockets:
                sock.close()
            self._sockets = None

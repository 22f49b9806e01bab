"""What every Recognize/Catalog mode shares: one cancellable job at a time and a status line.

A mode runs its network work as one task on the qasync loop; the panel shows it is busy,
offers Cancel, and returns to a usable state however the task ends (result, error, cancel).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from radiowatch.audd.client import AudDClient
from radiowatch.ui.common.backend_messages import NO_BACKEND, friendly_error
from radiowatch.ui.common.tasks import TaskSlot

log = logging.getLogger(__name__)

ClientProvider = Callable[[], AudDClient | None]

STATUS_STYLES = {
    "info": "color: palette(text);",
    "busy": "color: #2f6fe4;",
    "ok": "color: #1d8348;",
    "warning": "color: #9a6700;",
    "error": "color: #c0392b; font-weight: bold;",
}


async def loaded_source(source: str | bytes) -> str | bytes | Path:
    """URLs and bytes as they are; a local file as a path the client streams from disk (a long
    recording can be gigabytes: it is never read into memory). The file is opened once in a
    worker thread first, so a missing or unreadable file fails here, off the GUI thread, with
    the usual OSError."""
    if isinstance(source, bytes) or source.startswith(("http://", "https://")):
        return source
    path = Path(source)
    await asyncio.to_thread(_check_readable, path)
    return path


def _check_readable(path: Path) -> None:
    with path.open("rb") as fh:
        fh.read(1)


class StatusLine(QLabel):
    """A wrapped, selectable one-or-two-line message whose colour says how it went."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kind = "info"

    def show_message(self, text: str, kind: str = "info") -> None:
        self.kind = kind
        self.setStyleSheet(STATUS_STYLES.get(kind, ""))
        self.setText(text)


class JobPanel(QWidget):
    """Base for the mode panels: `start_job(coro_factory)`, `cancel()`, `busy`."""

    def __init__(self, client_provider: ClientProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client_provider = client_provider
        self.status = StatusLine()
        self._job = TaskSlot("job")
        # Separate from the task's own state: the job's clean-up (set_busy(False)) runs inside
        # the task and must already read "not busy".
        self._job_running = False

    @property
    def busy(self) -> bool:
        return self._job_running

    def client(self) -> AudDClient | None:
        """The active backend's client, or None after telling the user there is none."""
        try:
            client = self._client_provider()
        except Exception as exc:  # noqa: BLE001 - a broken provider reads as "no backend"
            self.status.show_message(friendly_error(exc), "error")
            return None
        if client is None:
            self.status.show_message(NO_BACKEND, "warning")
        return client

    def start_job(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        self._job_running = True
        task = self._job.start(self._guarded(coro), name)
        self.set_busy(True)
        return task

    async def _guarded(self, coro: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await coro
        except asyncio.CancelledError:
            if shiboken6.isValid(self):
                self.on_cancelled()
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            log.info("%s failed: %s", type(self).__name__, type(exc).__name__)
            if shiboken6.isValid(self):
                self.on_failed(exc)
        finally:
            self._job_running = False
            if shiboken6.isValid(self):
                self.set_busy(False)

    def cancel(self) -> None:
        self._job.cancel()

    async def aclose(self) -> None:
        await self._job.cancel_and_wait()

    # --- hooks ----------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """Enable/disable controls; subclasses extend."""

    def on_cancelled(self) -> None:
        self.status.show_message(
            "Cancelled. Nothing was sent after that; start again any time.", "info"
        )

    def on_failed(self, exc: BaseException) -> None:
        self.status.show_message(friendly_error(exc), "error")

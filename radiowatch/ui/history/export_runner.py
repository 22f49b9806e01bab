"""Runs one play-log export at a time on a worker thread, with a progress dialog and Cancel.

A million-row export takes minutes; on the GUI thread it would freeze the window. The worker
opens a connection of its own (the history is in WAL mode, so it reads while the monitoring
writes) and may wait for SQLite's lock as long as it likes; the GUI thread opens it first,
with its own short wait, so a busy or damaged history is reported at once. The worker only
ever emits signals, which Qt queues to the GUI thread; it never touches a widget.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import sqlite_utils
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from radiowatch.history.database import DatabaseError, open_database
from radiowatch.history.errors import HistoryError, describe_history_error, history_is_busy
from radiowatch.history.play_log_export import (
    ExportCancelled,
    ExportError,
    ExportFormat,
    export_plays,
)
from radiowatch.history.queries import PlayFilter

WORKER_BUSY_TIMEOUT_MS = 5000  # the export thread may wait as long as SQLite likes


def ask_export_path(parent: QWidget) -> Path | None:
    """Ask where to write the play log; the format follows the extension or the chosen filter."""
    stamp = datetime.now().strftime("%Y-%m-%d")
    path, chosen = QFileDialog.getSaveFileName(
        parent,
        "Export plays",
        str(Path.home() / f"plays-{stamp}.csv"),
        "CSV, opens in any spreadsheet (*.csv);;Excel workbook (*.xlsx);;JSON (*.json)",
    )
    if not path:
        return None
    target = Path(path)
    if ExportFormat.from_path(target) is None:
        suffix = {"Excel": ".xlsx", "JSON": ".json"}.get(chosen.split(" ")[0], ".csv")
        target = target.with_name(target.name + suffix)
    return target


class _WorkerSignals(QObject):
    """Lives on the GUI thread; the worker thread emits, Qt queues the calls across."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)


class PlayExportRunner(QObject):
    """`start(filter, path, fmt)`; then `finished(ExportResult)` or `failed(message)`.

    `running_changed(bool)` lets the tab enable its Export button again.
    """

    finished = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, db_path: Path, busy_timeout_ms: int, parent: QWidget) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self._busy_timeout_ms = busy_timeout_ms
        self._window = parent
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._progress: QProgressDialog | None = None
        self._signals: _WorkerSignals | None = None

    def running(self) -> bool:
        return self._thread is not None

    def start(
        self,
        filt: PlayFilter,
        path: Path,
        fmt: ExportFormat | None = None,
        clip_files: dict[int, str] | None = None,
    ) -> bool:
        """Start exporting (with a "Clip file" column when `clip_files` is given); False if an
        export runs already or the history cannot be opened (then `failed` has said why)."""
        if self._thread is not None:
            return False
        try:
            # Opened here so a problem is reported at once (with the GUI thread's short wait);
            # used only by the worker from now on.
            db = open_database(self._db_path, migrate=False, busy_timeout_ms=self._busy_timeout_ms)
        except DatabaseError as exc:
            self.failed.emit(describe_history_error(exc))
            return False
        self._cancel = threading.Event()
        signals = _WorkerSignals(self)
        signals.progress.connect(self._on_progress)
        signals.done.connect(self._on_done)
        signals.failed.connect(self._on_failed)
        self._signals = signals
        self._progress = self._progress_dialog(Path(path).name)
        thread = threading.Thread(
            target=_export_worker,
            args=(db, filt, Path(path), fmt, self._cancel, signals, clip_files),
            name="history-export",
            daemon=True,
        )
        self._thread = thread
        self.running_changed.emit(True)
        thread.start()
        return True

    def cancel(self) -> None:
        self._cancel.set()

    def shutdown(self, timeout: float = 10) -> None:
        """Cancel a running export and wait for its thread (the app's shutdown path)."""
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    # -- GUI thread -----------------------------------------------------------------------------

    def _progress_dialog(self, name: str) -> QProgressDialog:
        dialog = QProgressDialog(f"Exporting to {name}…", "Cancel", 0, 100, self._window)
        dialog.setWindowTitle("Export plays")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._cancel.set)
        dialog.setValue(0)
        return dialog

    def _on_progress(self, done: int, total: int) -> None:
        if self._progress is not None and total:
            self._progress.setValue(int(done * 100 / total))
            self._progress.setLabelText(f"Exported {done:,} of {total:,} plays…")

    def _finish(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self.running_changed.emit(False)

    def _on_done(self, result) -> None:
        self._finish()
        self.finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self._finish()
        self.failed.emit(message)


def _export_worker(
    db: sqlite_utils.Database,
    filt: PlayFilter,
    path: Path,
    fmt: ExportFormat | None,
    cancel: threading.Event,
    signals: _WorkerSignals,
    clip_files: dict[int, str] | None = None,
) -> None:
    """Runs on the worker thread: its own connection, never a widget."""
    try:
        db.conn.execute(f"PRAGMA busy_timeout = {WORKER_BUSY_TIMEOUT_MS}")
        result = export_plays(
            db.conn,
            filt,
            path,
            fmt,
            progress=signals.progress.emit,
            cancel=cancel,
            clip_files=clip_files,
        )
        signals.done.emit(result)
    except ExportCancelled as exc:
        signals.failed.emit(str(exc))
    except (ExportError, HistoryError) as exc:
        signals.failed.emit(describe_history_error(exc))
    except sqlite3.Error as exc:
        signals.failed.emit(
            describe_history_error(exc) if history_is_busy(exc) else f"The export failed: {exc}"
        )
    except Exception as exc:  # the thread must always report back, or the UI waits forever
        signals.failed.emit(f"The export failed unexpectedly: {exc}")
    finally:
        db.close()

"""The widgets the two long-file modes share: Cue list (long_file.py) and Play log
(play_log.py) each show a recording's path with a Choose button, Scan and Cancel beside a
progress bar, and a read-only table of what the scan found. One place builds them, so both
modes look and behave alike."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
)


def source_row(
    placeholder: str, on_edited: Callable[[], object], on_browse: Callable[[], object]
) -> tuple[QHBoxLayout, QLineEdit, QPushButton]:
    """The recording's path (typed or pasted) and a Choose file… button."""
    row = QHBoxLayout()
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.editingFinished.connect(on_edited)
    browse = QPushButton("Choose file…")
    browse.clicked.connect(on_browse)
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row, edit, browse


def scan_controls(
    on_scan: Callable[[], object], on_cancel: Callable[[], object]
) -> tuple[QHBoxLayout, QPushButton, QPushButton, QProgressBar]:
    """Scan, Cancel (off until a scan runs) and the scan's progress bar."""
    row = QHBoxLayout()
    scan = QPushButton("Scan")
    scan.clicked.connect(on_scan)
    cancel = QPushButton("Cancel")
    cancel.setEnabled(False)
    cancel.clicked.connect(on_cancel)
    progress = QProgressBar()
    reset_progress(progress)
    row.addWidget(scan)
    row.addWidget(cancel)
    row.addWidget(progress, 1)
    return row, scan, cancel, progress


def reset_progress(progress: QProgressBar) -> None:
    """An empty bar with no text: no scan is running."""
    progress.setRange(0, 1)
    progress.setValue(0)
    progress.setFormat("")


def results_table(headers: tuple[str, ...]) -> QTableWidget:
    """Read-only rows selected whole, columns as wide as their contents."""
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table

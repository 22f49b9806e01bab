"""The message for a local engine that kept crashing and is no longer restarted.

The backend session writes the text (backend/engine_supervisor.py `EngineFailure.message`: the
engine's last log lines, where its log is, what to do); this box only shows it, non-modal so
the window stays usable, with a Restart engine button. The status bar's indicator opens it
again after it was closed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget


class EngineFailureBox(QMessageBox):
    restart_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("The local engine keeps crashing")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.restart_button = self.addButton("Restart engine", QMessageBox.ButtonRole.AcceptRole)
        self.addButton(QMessageBox.StandardButton.Close)
        self.restart_button.clicked.connect(self.restart_requested)

    def show_failure(self, message: str) -> None:
        self.setText(message)
        self.open()

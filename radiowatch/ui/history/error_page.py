"""What the History tab shows instead of its plays when the history file cannot be opened.

It says why, in the words history/errors.py chose to say what to do. When the file was only
busy (another writer held its lock longer than the GUI thread may wait), it offers Try again;
a damaged or newer file needs the user, not a retry.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from radiowatch.history.errors import HISTORY_BUSY_MESSAGE


class HistoryErrorPage(QWidget):
    def __init__(self, retry: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setStyleSheet("color: #b00020; font-size: 14px; padding: 24px")
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(retry)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        self.show_error(None)

    def show_error(self, message: str | None) -> None:
        self.label.setText(message or "")
        self.retry_button.setVisible(message == HISTORY_BUSY_MESSAGE)

"""The tile after the last now-playing card: "Add a station", where the next card will appear.

With one or two stations it fills the row beside their cards, so the page does not look half
built; with many it is the last cell of the grid. Clicking it (or its button) asks the shell to
open the station dialog: the Monitor tab knows nothing of dialogs.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

HINT = "A stream link, a .pls or .m3u playlist, twitch: or youtube:"


class AddStationTile(QFrame):
    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("addStationTile")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # As wide as the cards; as tall as the row it shares with them.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(6)
        layout.addStretch(1)
        title = QLabel("Monitor another station", objectName="addStationTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(HINT, objectName="addStationHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        self.button = QPushButton("Add a station…")
        self.button.setToolTip("Open the station dialog (Ctrl+N)")
        self.button.clicked.connect(self.clicked)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

"""The status bar: which recognition backend is active and whether it is reachable.

The state comes from the backend session (backend/session.py), which only reports what it
checked: the local engine's process and `/health/`, or a remote engine or the AudD cloud
answering. Clicking the indicator asks for the details (the app shows why the engine stopped).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QWidget

from radiowatch.ui.common.artwork import BACKEND_COLOURS, dot_pixmap

BACKEND_STATE_LABELS = {
    "connected": "Connected",
    "connecting": "Connecting…",
    "idle": "Ready",
    "offline": "Not running",
    "needs_token": "API token needed",
    "error": "Unreachable",
    "restarting": "Restarting…",
    "failed": "Stopped after repeated crashes",
}


class BackendIndicator(QWidget):
    """`● Local engine — Not running`, with the detail in the tooltip."""

    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.setSpacing(6)
        self.dot = QLabel(self)
        self.label = QLabel(self)
        self.label.setObjectName("BackendLabel")
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        self.backend = ""
        self.state = "offline"
        self.detail = ""

    def set_backend(self, description: str) -> None:
        self.backend = description
        self._refresh()

    def set_state(self, state: str, detail: str = "") -> None:
        if state not in BACKEND_STATE_LABELS:
            raise ValueError(
                f"unknown backend state {state!r}; one of {sorted(BACKEND_STATE_LABELS)}"
            )
        self.state, self.detail = state, detail
        self._refresh()

    def text(self) -> str:
        return self.label.text()

    def state_label(self) -> str:
        return BACKEND_STATE_LABELS[self.state]

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.details_requested.emit()
        super().mousePressEvent(event)

    def _refresh(self) -> None:
        self.dot.setPixmap(dot_pixmap(BACKEND_COLOURS[self.state], 12))
        self.label.setText(f"{self.backend}  —  {BACKEND_STATE_LABELS[self.state]}")
        tip = f"Recognition backend: {self.backend}"
        if self.detail:
            tip += f"\n{self.detail}"
        self.setToolTip(tip)


class MainStatusBar(QStatusBar):
    """Transient messages on the left, the station summary and backend on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.stations_label = QLabel(self)
        self.backend = BackendIndicator(self)
        self.addPermanentWidget(self.stations_label)
        self.addPermanentWidget(self.backend)

    def set_station_summary(self, text: str) -> None:
        self.stations_label.setText(text)

"""Pick a station and a moment for "what played on station S around time T"."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QWidget,
)

from radiowatch.history.queries import StationRef


class AroundDialog(QDialog):
    def __init__(
        self,
        stations: Iterable[StationRef],
        radio_id: int | None,
        moment: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("What played around…")
        form = QFormLayout(self)
        self.station = QComboBox()
        for ref in stations:
            self.station.addItem(ref.name, ref.radio_id)
        if radio_id is not None and self.station.findData(radio_id) >= 0:
            self.station.setCurrentIndex(self.station.findData(radio_id))
        self.moment = QDateTimeEdit(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))
        self.moment.setCalendarPopup(True)
        self.moment.setDisplayFormat("yyyy-MM-dd HH:mm")
        form.addRow("&Station", self.station)
        form.addRow("&Time", self.moment)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choice(self) -> tuple[int, datetime]:
        seconds = self.moment.dateTime().toSecsSinceEpoch()
        return int(self.station.currentData()), datetime.fromtimestamp(seconds, tz=UTC)

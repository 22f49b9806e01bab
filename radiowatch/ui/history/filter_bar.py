"""The History tab's filter bar: search, station, dates, time of day, AI-only, deleted plays.

All the filters on one row need about 900 pixels besides the search field; at the default
window size the tab is narrower than that, and the search field was squeezed to "Se…". So the
bar wraps: the search field and the station stay on the first row, the search field taking the
spare width, and the other filters move to a second row whenever one row would leave the
search field narrower than `SEARCH_MIN_WIDTH`. On a wide window everything stays on one row.

The bar knows nothing of the table: it announces `changed` (typing is debounced) and turns its
widgets into a `PlayFilter`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time

from PySide6.QtCore import QDate, QSize, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.queries import Daypart, PlayFilter, SortKey, StationRef

ANY_DATE = QDate(2000, 1, 1)  # a date edit at its minimum shows "any" (specialValueText)
SEARCH_MIN_WIDTH = 320  # room for the placeholder text "Search artist, title, album, …"
TYPING_DELAY_MS = 250


class HistoryFilterBar(QWidget):
    """Emits `changed` when a filter changed (search text after a short typing pause)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyFilterBar")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search artist, title, album, label, ISRC…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(160)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_DELAY_MS)
        self._typing.timeout.connect(self.changed)
        self.search.textChanged.connect(lambda _text: self._typing.start())
        self.station = QComboBox()
        self.station.setMinimumContentsLength(14)
        self.station.addItem("All stations", None)
        self.date_from = _date_edit("From")
        self.date_to = _date_edit("To")
        self.daypart = QComboBox()
        self.daypart.addItem("Any time of day", None)
        for part in Daypart:
            self.daypart.addItem(part.label, part.value)
        self.ai_only = QCheckBox("AI-generated only")
        self.ai_only.setToolTip(
            "Only plays of AI-generated tracks, e.g. Udio songs added to your catalog"
        )
        self.show_deleted = QCheckBox("Show deleted")

        # The filters that wrap to a second row travel together in one widget.
        self.more = QWidget()
        more = QHBoxLayout(self.more)
        more.setContentsMargins(0, 0, 0, 0)
        for widget in (
            QLabel("From"),
            self.date_from,
            QLabel("to"),
            self.date_to,
            self.daypart,
            self.ai_only,
            self.show_deleted,
        ):
            more.addWidget(widget)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._first_row = QHBoxLayout()
        self._first_row.addWidget(self.search, 1)
        self._first_row.addWidget(self.station)
        self._first_row.addWidget(self.more)
        outer.addLayout(self._first_row)
        self._second_row_host = QWidget()
        self._second_row = QHBoxLayout(self._second_row_host)
        self._second_row.setContentsMargins(0, 0, 0, 0)
        self._second_row.addStretch(1)
        self._second_row_host.hide()
        outer.addWidget(self._second_row_host)
        self._wrapped = False

        for combo in (self.station, self.daypart):
            combo.currentIndexChanged.connect(self.changed)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self.changed)
        self.show_deleted.toggled.connect(self.changed)
        self.ai_only.toggled.connect(self.changed)

    # -- layout ---------------------------------------------------------------------------------

    @property
    def wrapped(self) -> bool:
        """True when the filters after the station are on a second row."""
        return self._wrapped

    def one_row_width(self) -> int:
        """The width one row needs to leave the search field `SEARCH_MIN_WIDTH` pixels."""
        spacing = max(0, self._first_row.spacing())
        return (
            SEARCH_MIN_WIDTH
            + self.station.sizeHint().width()
            + self.more.sizeHint().width()
            + 2 * spacing
        )

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        """As narrow as the wrapped bar can be, whichever way it is laid out now: else the
        one-row minimum would widen the window before the first resize could wrap it."""
        spacing = max(0, self._first_row.spacing())
        first_row = self.search.minimumWidth() + spacing + self.station.minimumSizeHint().width()
        width = max(first_row, self.more.minimumSizeHint().width())
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def _arrange(self, width: int) -> None:
        wrap = width < self.one_row_width()
        if wrap == self._wrapped:
            return
        self._wrapped = wrap
        if wrap:
            self._first_row.removeWidget(self.more)
            self._second_row.insertWidget(0, self.more)
        else:
            self._second_row.removeWidget(self.more)
            self._first_row.addWidget(self.more)
        self.more.show()  # a reparented widget is hidden until shown again
        self._second_row_host.setVisible(wrap)

    # -- reading and setting the filters --------------------------------------------------------

    def flush(self) -> None:
        """Apply typed text now instead of after the typing pause."""
        self._typing.stop()

    def play_filter(self, *, sort: SortKey, descending: bool) -> PlayFilter:
        radio_id = self.station.currentData()
        since = until = None
        if self.date_from.date() != ANY_DATE:
            since = _local_midnight(self.date_from.date())
        if self.date_to.date() != ANY_DATE:
            until = _local_midnight(self.date_to.date().addDays(1))
        daypart = self.daypart.currentData()
        return PlayFilter(
            radio_ids=() if radio_id is None else (int(radio_id),),
            since=since,
            until=until,
            daypart=Daypart(daypart) if daypart else None,
            text=self.search.text(),
            include_deleted=self.show_deleted.isChecked(),
            ai_generated_only=self.ai_only.isChecked(),
            sort=sort,
            descending=descending,
        )

    def set_stations(self, stations: Iterable[StationRef]) -> None:
        """Offer these stations, keeping the chosen one if it is still there (no `changed`)."""
        current = self.station.currentData()
        self.station.blockSignals(True)
        self.station.clear()
        self.station.addItem("All stations", None)
        for ref in stations:
            self.station.addItem(ref.name, ref.radio_id)
        index = self.station.findData(current) if current is not None else 0
        self.station.setCurrentIndex(max(0, index))
        self.station.blockSignals(False)

    def reset(self, radio_id: int | None, include_deleted: bool = False) -> None:
        """Clear every filter but the station (and deleted plays), without `changed`."""
        widgets = (
            self.search,
            self.station,
            self.date_from,
            self.date_to,
            self.daypart,
            self.show_deleted,
        )
        for widget in widgets:
            widget.blockSignals(True)
        self._typing.stop()
        self.search.clear()
        index = self.station.findData(radio_id) if radio_id is not None else 0
        self.station.setCurrentIndex(max(0, index))
        self.date_from.setDate(ANY_DATE)
        self.date_to.setDate(ANY_DATE)
        self.daypart.setCurrentIndex(0)
        self.show_deleted.setChecked(include_deleted)
        for widget in widgets:
            widget.blockSignals(False)


def _date_edit(name: str) -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setMinimumDate(ANY_DATE)
    edit.setSpecialValueText("any")
    edit.setDate(ANY_DATE)
    edit.setToolTip(f"{name} date (local time); set to the earliest date for any")
    return edit


def _local_midnight(day: QDate) -> datetime:
    return datetime.combine(day.toPython(), time()).astimezone()

"""The stations sidebar: every monitored stream with a status dot and a one-line status."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QIcon,
    QPainter,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.stations.status import STATUS_LABELS, StationStatus
from radiowatch.stations.store import Station
from radiowatch.ui.common.artwork import status_icon

STATION_ID_ROLE = Qt.ItemDataRole.UserRole
STATUS_LINE_ROLE = Qt.ItemDataRole.UserRole + 1


class _StationDelegate(QStyledItemDelegate):
    """Name on the first line, status in grey below, dot on the left."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        height = option.fontMetrics.height()
        return QSize(200, int(height * 2.6) + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        name, opt.text = opt.text, ""
        opt.icon = QIcon()  # the dot is drawn below, aligned with the name
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect: QRect = option.rect.adjusted(10, 4, -8, -4)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        line = option.fontMetrics.height()
        if icon is not None:
            icon.paint(painter, QRect(rect.left(), rect.top() + (line - 12) // 2 + 2, 12, 12))
        text_left = rect.left() + 20
        painter.save()
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        painter.setFont(bold)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        # Dark text on the light theme's surfaces, light text on the dark theme's (the scheme
        # ui/common/palette.py applied: the list's palette is transparent, it cannot tell).
        app = QApplication.instance()
        dark = app is not None and app.property("radiowatch_scheme") == "dark"
        if dark:
            painter.setPen(QColor("#ffffff") if selected else QColor("#e6e8eb"))
        else:
            painter.setPen(QColor("#0f2a66") if selected else QColor("#1f2937"))
        name_rect = QRect(text_left, rect.top(), rect.right() - text_left, line + 2)
        metrics = painter.fontMetrics()
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )
        painter.setFont(option.font)
        painter.setPen(QColor("#9aa3b2") if dark else QColor("#6b7280"))
        status_rect = QRect(text_left, rect.top() + line + 4, rect.right() - text_left, line + 2)
        status_text = index.data(STATUS_LINE_ROLE) or ""
        painter.drawText(
            status_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                status_text, Qt.TextElideMode.ElideRight, status_rect.width()
            ),
        )
        painter.restore()


class StationsSidebar(QWidget):
    """Lists stations; asks (via signals) for add, edit, remove and enable/disable."""

    add_requested = Signal()
    source_dropped = Signal(str)  # a stream URL or playlist file dropped on the sidebar
    edit_requested = Signal(int)
    remove_requested = Signal(int)
    enabled_toggled = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StationsSidebar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(210)
        self.setAcceptDrops(True)
        self._stations: dict[int, Station] = {}
        self._status: dict[int, tuple[StationStatus, str]] = {}
        self.setup_ui()

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 12, 10, 10)
        layout.setSpacing(8)
        header = QHBoxLayout()
        title = QLabel("Stations", self)
        title.setObjectName("SidebarHeader")
        header.addWidget(title)
        header.addStretch(1)
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a station (Ctrl+N)")
        self.add_button.setAutoRaise(True)
        self.add_button.clicked.connect(self.add_requested)
        header.addWidget(self.add_button)
        layout.addLayout(header)

        self.stack = QStackedWidget(self)
        empty = QWidget(self.stack)
        empty_layout = QVBoxLayout(empty)
        empty_layout.setContentsMargins(4, 24, 4, 4)
        empty_text = QLabel(
            "No stations yet.\nAdd an internet radio stream, a playlist link, "
            "or a Twitch or YouTube channel to start monitoring. You can also drop a "
            "stream link or playlist file here.",
            empty,
        )
        empty_text.setObjectName("SidebarHint")
        empty_text.setWordWrap(True)
        empty_text.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.empty_add_button = QPushButton("Add station…", empty)
        self.empty_add_button.setObjectName("PrimaryButton")
        self.empty_add_button.clicked.connect(self.add_requested)
        empty_layout.addWidget(empty_text)
        empty_layout.addSpacing(8)
        empty_layout.addWidget(self.empty_add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.list = QListWidget(self.stack)
        self.list.setObjectName("StationList")
        self.list.setItemDelegate(_StationDelegate(self.list))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        self.list.itemDoubleClicked.connect(
            lambda item: self.edit_requested.emit(int(item.data(STATION_ID_ROLE)))
        )
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack.addWidget(empty)
        self.stack.addWidget(self.list)
        layout.addWidget(self.stack, 1)

    # -- state -----------------------------------------------------------------------------------
    def set_stations(self, stations: list[Station]) -> None:
        """Show `stations`, keeping the selection and each station's last status."""
        selected = self.selected_station_id()
        self._stations = {s.id: s for s in stations}
        self._status = {k: v for k, v in self._status.items() if k in self._stations}
        self.list.clear()
        for station in stations:
            item = QListWidgetItem(station.name)
            item.setData(STATION_ID_ROLE, station.id)
            self.list.addItem(item)
            self._paint_item(item, station)
            if station.id == selected:
                self.list.setCurrentItem(item)
        self.stack.setCurrentIndex(1 if stations else 0)

    def set_station_status(
        self, station_id: int, status: StationStatus | str, detail: str = ""
    ) -> None:
        """Record and show a station's status; unknown station ids are ignored."""
        if station_id not in self._stations:
            return
        self._status[station_id] = (StationStatus(status), detail)
        item = self._item(station_id)
        if item is not None:
            self._paint_item(item, self._stations[station_id])

    def station_status(self, station_id: int) -> tuple[StationStatus, str]:
        station = self._stations.get(station_id)
        if station is not None and not station.enabled:
            return StationStatus.DISABLED, ""
        return self._status.get(station_id, (StationStatus.IDLE, ""))

    def status_line(self, station_id: int) -> str:
        item = self._item(station_id)
        return item.data(STATUS_LINE_ROLE) if item is not None else ""

    def selected_station_id(self) -> int | None:
        item = self.list.currentItem()
        return int(item.data(STATION_ID_ROLE)) if item is not None else None

    def select_station(self, station_id: int) -> None:
        item = self._item(station_id)
        if item is not None:
            self.list.setCurrentItem(item)

    def counts(self) -> dict[StationStatus, int]:
        result = {status: 0 for status in StationStatus}
        for station_id in self._stations:
            result[self.station_status(station_id)[0]] += 1
        return result

    # -- drag and drop: a stream link or playlist file starts "Add station" -----------------------
    @staticmethod
    def dropped_source(mime: QMimeData) -> str | None:
        if mime.hasUrls() and mime.urls():
            url = mime.urls()[0]
            return url.toLocalFile() if url.isLocalFile() else url.toString()
        if mime.hasText():
            text = mime.text().strip().splitlines()
            return text[0].strip() if text else None
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.dropped_source(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.dropped_source(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        source = self.dropped_source(event.mimeData())
        if source:
            event.acceptProposedAction()
            self.source_dropped.emit(source)

    # -- internals -------------------------------------------------------------------------------
    def _item(self, station_id: int) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(STATION_ID_ROLE) == station_id:
                return item
        return None

    def _paint_item(self, item: QListWidgetItem, station: Station) -> None:
        status, detail = self.station_status(station.id)
        line = STATUS_LABELS[status]
        if detail:
            line += f" · {detail}"
        elif status is StationStatus.IDLE:
            line += f" · radio_id {station.radio_id}"
        item.setText(station.name)
        item.setIcon(status_icon(status))
        item.setData(STATUS_LINE_ROLE, line)
        item.setToolTip(f"{station.name}\n{station.source}\nradio_id {station.radio_id}\n{line}")

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        menu = QMenu(self)
        if item is not None:
            station_id = int(item.data(STATION_ID_ROLE))
            station = self._stations[station_id]
            menu.addAction("Edit…", lambda: self.edit_requested.emit(station_id))
            toggle = "Pause monitoring" if station.enabled else "Resume monitoring"
            menu.addAction(
                toggle, lambda: self.enabled_toggled.emit(station_id, not station.enabled)
            )
            menu.addSeparator()
            menu.addAction("Remove…", lambda: self.remove_requested.emit(station_id))
            menu.addSeparator()
        menu.addAction("Add station…", self.add_requested.emit)
        menu.popup(self.list.viewport().mapToGlobal(pos))

"""A table model over the play history that never loads the whole table.

The view asks for rows by index; the model keeps a small window of pages (an LRU of a few
thousand rows) and fills a missing page from its nearest neighbour by key (cheap, the usual
scrolling case) or, after a jump, by OFFSET counted from the nearer end of the list. Jumping to
the last row therefore costs one small reversed query, not a walk through the table.

rowCount() is a COUNT(*) taken at refresh(): new plays appear on the next refresh, which the
History tab does on a timer and after every edit.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from radiowatch.history.errors import HistoryError
from radiowatch.history.queries import PlayFilter, PlayQueries, PlayRow, SortKey

PAGE_ROWS = 200
MAX_PAGES = 25  # at most 5,000 rows in memory, whatever the history's size

COLUMNS: list[tuple[str, SortKey | None]] = [
    ("Start", SortKey.START),
    ("Station", SortKey.STATION),
    ("Artist", SortKey.ARTIST),
    ("Title", SortKey.TITLE),
    ("Album", None),
    ("Label", None),
    ("ISRC", None),
    ("Duration", SortKey.DURATION),
    ("Score", SortKey.SCORE),
    ("Notes", None),
]

COLUMN_WIDTHS = (145, 120, 170, 200, 150, 120, 110, 65, 50)  # the last column stretches

PLAY_ID_ROLE = Qt.ItemDataRole.UserRole + 1
START_TS_ROLE = Qt.ItemDataRole.UserRole + 2
AI_GENERATED_ROLE = Qt.ItemDataRole.UserRole + 3
TITLE_COLUMN = 3
NOTES_COLUMN = 9
FOUND_LATER_TIP = (
    "Found later: its track was added to the catalog after it aired, and the engine found "
    "this play in its archive of the station."
)


def ai_badge_icon() -> QIcon:
    """The "AI" pill shown before the title of a play of an AI-generated track."""
    pixmap = QPixmap(22, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#ede4ff"))
    painter.drawRoundedRect(pixmap.rect(), 6, 6)
    font = QFont()
    font.setPixelSize(9)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("#5b21b6"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "AI")
    painter.end()
    return QIcon(pixmap)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _notes(row: PlayRow) -> str:
    notes = []
    if row.ai_generated:
        notes.append(f"AI-generated ({row.provenance})" if row.provenance else "AI-generated")
    if row.false_positive:
        notes.append("false positive")
    if row.origin == "manual":
        notes.append("added by hand")
    if row.found_later:
        notes.append("found later in the archive")
    if row.original_artist is not None or row.original_title is not None:
        was = f"{row.original_artist or row.artist} – {row.original_title or row.title}"
        notes.append(f"corrected (was {was})")
    if row.deleted:
        notes.append("deleted")
    return "; ".join(notes)


class HistoryTableModel(QAbstractTableModel):
    def __init__(self, conn: sqlite3.Connection, parent=None) -> None:
        super().__init__(parent)
        self._queries = PlayQueries(conn)
        self._filter = PlayFilter()
        self._total = 0
        self._pages: OrderedDict[int, list[PlayRow]] = OrderedDict()
        self.rows_fetched = 0  # rows read from SQLite since creation: lets tests prove paging
        self.last_error: str | None = None
        self._strike = QFont()
        self._strike.setStrikeOut(True)
        self._muted = QBrush(QColor("#888888"))
        self._ai_badge: QIcon | None = None  # painted on first use: needs a QGuiApplication

    # -- the filter -----------------------------------------------------------------------------

    @property
    def play_filter(self) -> PlayFilter:
        return self._filter

    def set_filter(self, filt: PlayFilter) -> None:
        self._filter = filt
        self.refresh()

    def refresh(self) -> None:
        """Re-count and drop the cache (after edits, new plays or a new filter)."""
        self.beginResetModel()
        self._pages.clear()
        try:
            self._total = self._queries.count(self._filter)
            self.last_error = None
        except HistoryError as exc:
            self._total = 0
            self.last_error = str(exc)
        self.endResetModel()

    @property
    def cached_rows(self) -> int:
        return sum(len(p) for p in self._pages.values())

    # -- Qt model API ---------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1]
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._filter.sort and descending == self._filter.descending:
            return
        self.set_filter(self._filter.model_copy(update={"sort": key, "descending": descending}))

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == PLAY_ID_ROLE:
            return row.id
        if role == START_TS_ROLE:
            return row.start_ts
        if role == AI_GENERATED_ROLE:
            return bool(row.ai_generated)
        if role == Qt.ItemDataRole.DecorationRole and column == TITLE_COLUMN and row.ai_generated:
            if self._ai_badge is None:
                self._ai_badge = ai_badge_icon()
            return self._ai_badge
        if role == Qt.ItemDataRole.ToolTipRole and column == TITLE_COLUMN and row.ai_generated:
            return _notes(row)
        if role == Qt.ItemDataRole.ToolTipRole and column == NOTES_COLUMN:
            return _notes(row) or None
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and row.found_later:
            return FOUND_LATER_TIP
        if role == Qt.ItemDataRole.FontRole and (row.false_positive or row.deleted):
            return self._strike
        if role == Qt.ItemDataRole.ForegroundRole and (row.false_positive or row.deleted):
            return self._muted
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (7, 8):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: PlayRow, column: int) -> str:
        match column:
            case 0:
                return datetime.fromtimestamp(row.start_ts).strftime("%Y-%m-%d %H:%M:%S")
            case 1:
                return row.station_name
            case 2:
                return row.artist
            case 3:
                return row.title
            case 4:
                return row.album or ""
            case 5:
                return row.label or ""
            case 6:
                return row.isrc or ""
            case 7:
                return _duration(row.play_length)
            case 8:
                return "" if row.score is None else str(row.score)
            case _:
                return _notes(row)

    # -- the window of pages --------------------------------------------------------------------

    def play_id(self, row: int) -> int | None:
        found = self.row_at(row)
        return found.id if found else None

    def row_at(self, row: int) -> PlayRow | None:
        if not 0 <= row < self._total:
            return None
        number, offset = divmod(row, PAGE_ROWS)
        page = self._pages.get(number)
        if page is None:
            page = self._load_page(number)
        else:
            self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def _load_page(self, number: int) -> list[PlayRow]:
        first = number * PAGE_ROWS
        size = min(PAGE_ROWS, self._total - first)
        filt = self._filter
        try:
            previous, following = self._pages.get(number - 1), self._pages.get(number + 1)
            if previous and len(previous) == PAGE_ROWS:
                rows = self._queries.page(filt, limit=size, after=previous[-1].key)
            elif following:
                rows = self._queries.page(filt, limit=size, after=following[0].key, reverse=True)[
                    ::-1
                ]
            elif first <= self._total // 2:
                rows = self._queries.page(filt, limit=size, offset=first)
            else:
                from_end = self._total - first - size
                rows = self._queries.page(filt, limit=size, offset=from_end, reverse=True)[::-1]
        except HistoryError as exc:
            self.last_error = str(exc)
            rows = []
        self.rows_fetched += len(rows)
        self._pages[number] = rows
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        return rows

    def row_for_play(self, play_id: int) -> int | None:
        """The row showing `play_id`, if it is in the cached window."""
        for number, page in self._pages.items():
            for offset, row in enumerate(page):
                if row.id == play_id:
                    return number * PAGE_ROWS + offset
        return None

    def row_near(self, moment: datetime) -> int:
        """The row of a time-sorted list closest to `moment` (for "around time T")."""
        if self._filter.sort != SortKey.START or self._total == 0:
            return 0
        try:
            before = self._queries.rows_before(self._filter, moment)
        except HistoryError as exc:
            self.last_error = str(exc)
            return 0
        return min(before, self._total - 1)


def plays_table_view(model: HistoryTableModel) -> QTableView:
    """A view that suits the model: one selected row, fixed row heights, sorting by SQL."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    # Fixed row heights: the view never measures rows, so it never asks for all of them.
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.verticalHeader().setDefaultSectionSize(22)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in enumerate(COLUMN_WIDTHS):
        view.setColumnWidth(column, width)
    view.setSortingEnabled(True)
    header.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    return view

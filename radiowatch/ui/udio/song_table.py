"""The Udio tab's song list: one row per requested id, its model, search filter and view.

Rows are keyed by song id in the order the ids were first asked for; a re-fetch updates a row
in place and keeps what the tab did with it locally (the downloaded file, the catalog flag).
The search box filters over everything a user remembers a song by: title, creator, tags,
prompt and lyrics.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from radiowatch.udio.models import SongResult, SongStatus, UdioSong

STATUS_COLOURS = {
    SongStatus.PENDING: "#b7791f",
    SongStatus.FINISHED: "#22863a",
    SongStatus.FAILED: "#c53030",
}


@dataclass
class SongRow:
    """One requested id in the table, plus what the tab has done with it locally."""

    result: SongResult
    audio_path: Path | None = None
    audio_error: str | None = None
    in_catalog: bool = False

    @property
    def song(self) -> UdioSong | None:
        return self.result.song


def format_duration(seconds: float | None) -> str:
    if not seconds or seconds <= 0:
        return ""
    total = round(seconds)
    return f"{total // 60}:{total % 60:02d}"


class SongTableModel(QAbstractTableModel):
    """Rows of ``SongRow`` keyed by id, in the order the ids were first requested."""

    COLUMNS = ("Status", "Title", "Creator", "Duration", "Tags")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SongRow] = []
        self._index: dict[str, int] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == 0:
            return QColor(STATUS_COLOURS[row.result.status])
        if role == Qt.ItemDataRole.UserRole:
            return row.result.id
        return None

    def _display(self, row: SongRow, column: int) -> str:
        song = row.song
        if column == 0:
            text = row.result.status.value
            if row.result.status is SongStatus.FAILED and row.result.message:
                text += f": {row.result.message}"
            elif row.audio_error:
                text += " · no audio"
            elif row.in_catalog:
                text += " · in catalog"
            return text
        if song is None:
            return row.result.id if column == 1 else ""
        if column == 1:
            return song.title or ("(generating…)" if not song.finished else song.display_title)
        if column == 2:
            return song.artist or ""
        if column == 3:
            return format_duration(song.duration)
        return ", ".join(song.tags)

    def _tooltip(self, row: SongRow, column: int) -> str | None:
        if column == 0:
            parts = [row.result.message, row.audio_error]
            return "\n".join(p for p in parts if p) or None
        if column == 4 and row.song:
            return ", ".join(row.song.tags)
        return row.result.id if column == 1 else None

    # -- updates ------------------------------------------------------------------------

    def ids(self) -> list[str]:
        return [r.result.id for r in self._rows]

    def row_for(self, song_id: str) -> SongRow | None:
        i = self._index.get(song_id)
        return None if i is None else self._rows[i]

    def row_at(self, row: int) -> SongRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def upsert(self, result: SongResult) -> None:
        """Add or update the row for ``result.id``; a re-fetch keeps the local state
        (downloaded file, catalog flag) and the previous song if the new reply has none."""
        i = self._index.get(result.id)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._index[result.id] = len(self._rows)
            self._rows.append(SongRow(result))
            self.endInsertRows()
            return
        row = self._rows[i]
        if result.song is None and row.song is not None and result.status is SongStatus.PENDING:
            result = result.model_copy(update={"song": row.song})
        row.result = result
        self.refresh(result.id)

    def refresh(self, song_id: str) -> None:
        i = self._index[song_id]
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def songs(self) -> list[UdioSong]:
        return [r.song for r in self._rows if r.song is not None]


class SongSearchProxy(QSortFilterProxyModel):
    """Filters rows by words found in title, creator, tags, prompt or lyrics (all words must
    match, case-insensitive), so a song can be found by a line of its lyrics."""

    def __init__(self, source: SongTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self._words: list[str] = []

    def set_query(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter is deprecated
            self.beginFilterChange()
            self._words = text.lower().split()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older PySide6
            self._words = text.lower().split()
            self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:  # noqa: N802
        if not self._words:
            return True
        row = self.sourceModel().row_at(source_row)
        if row is None:
            return False
        haystack = _searchable_text(row)
        return all(word in haystack for word in self._words)


def _searchable_text(row: SongRow) -> str:
    song = row.song
    if song is None:
        return row.result.id
    fields = [song.id, song.title, song.artist, song.prompt, song.lyrics, " ".join(song.tags)]
    return " ".join(f for f in fields if f).lower()


class SongTableView(QTableView):
    """One song per row, single selection, columns sized for status, title, creator, length."""

    def __init__(self, proxy: SongSearchProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((170, 160, 120, 64)):
            self.setColumnWidth(column, width)

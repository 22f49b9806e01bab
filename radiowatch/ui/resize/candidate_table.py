"""The Resize tab's list of candidate edits: best first, one row per edit.

Every row keeps the index of its candidate in the tab's list, so a selection maps back to the
edit whatever order the rows are in. Audjust's own results carry no worst seam, so it is
computed here from the similarity matrix.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from radiowatch.audjust import similarity as similarity_codec
from radiowatch.audjust.cache import CachedAnalysis
from radiowatch.audjust.models import ResizeResult
from radiowatch.ui.resize.edit_preview import clock

COLUMNS = ("#", "Length", "Cuts", "Worst seam", "Score", "Segments")
INDEX_ROLE = Qt.ItemDataRole.UserRole


def ranked(results: list[ResizeResult], target: float) -> list[ResizeResult]:
    """Best first: Audjust's blended score, ties broken by closeness to target, cuts, worst seam."""
    return sorted(
        results,
        key=lambda r: (
            -r.blendedScore,
            abs(r.durationSeconds - target),
            r.cut_count,
            r.worstSeam or 0.0,
        ),
    )


def seams(r: ResizeResult) -> list[tuple[int, int]]:
    """(e, j) per seam: the beat that would have played next, and the beat played instead."""
    return [(e, j) for (_, e), (j, _) in zip(r.segmentsBeats, r.segmentsBeats[1:], strict=False)]


def worst_seam(r: ResizeResult, entry: CachedAnalysis | None) -> float:
    """How unlike the two sides of the roughest seam are (0 = seamless)."""
    if entry is None or not r.segmentsBeats[1:]:
        return 0.0
    flat = similarity_codec.decode_flat(entry.analysis.similarity)
    n = len(entry.analysis.boundaries)
    costs = [
        1.0 - float(flat[similarity_codec.diag_index(min(e, n - 1), min(j, n - 1))])
        for e, j in seams(r)
    ]
    return max(costs, default=0.0)


class CandidateTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)  # one line per edit; a long segment list is elided
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.setToolTip(
            "Edits for the target length, best first. Select one to preview it; "
            "select several to export them together."
        )

    def fill(self, candidates: list[ResizeResult], entry: CachedAnalysis | None) -> None:
        """Show `candidates` (in their order), nothing selected, without selection signals."""
        with QSignalBlocker(self):
            self.setRowCount(len(candidates))
            for row, r in enumerate(candidates):
                worst = r.worstSeam if r.worstSeam is not None else worst_seam(r, entry)
                cells = [
                    f"{row + 1}",
                    clock(r.durationSeconds),
                    str(r.cut_count),
                    f"{worst:.2f}",
                    f"{r.blendedScore:.2f}",
                    "  ".join(f"{clock(s)}–{clock(e)}" for s, e in r.segmentsSeconds),
                ]
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setData(INDEX_ROLE, row)
                    if col < len(COLUMNS) - 1:
                        item.setTextAlignment(
                            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                        )
                    self.setItem(row, col, item)
            self.clearSelection()

    def row_of(self, index: int) -> int:
        """The row showing candidate `index`, or -1."""
        for row in range(self.rowCount()):
            if self.item(row, 0).data(INDEX_ROLE) == index:
                return row
        return -1

    def select_candidate(self, index: int) -> None:
        self.selectRow(self.row_of(index))

    def selected_indexes(self) -> list[int]:
        """The candidates selected, in the order their rows are shown."""
        rows = sorted({i.row() for i in self.selectedIndexes()})
        return [self.item(r, 0).data(INDEX_ROLE) for r in rows]

"""Plots for the Resize tab: the song's waveform with its beat grid, and the beat similarity map.

pyqtgraph items are created once and updated in place; the waveform is a min/max envelope
drawn as vertical strokes, so any length of song costs the same to draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

SEGMENT_COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"]
SEAM_COLOUR = "#e15759"


def _style(plot: pg.PlotWidget) -> None:
    plot.setBackground("w")
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen("#777777"))
        axis.setTextPen(pg.mkPen("#333333"))
    plot.setMenuEnabled(False)
    plot.hideButtons()


class WaveformView(pg.PlotWidget):
    """Waveform, beat grid (downbeats darker), the chosen candidate's segments and a play cursor."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        _style(self)
        self.setMouseEnabled(x=True, y=False)
        self.getPlotItem().hideAxis("left")
        self.setLabel("bottom", "time (s)")
        self.setYRange(-1.05, 1.05, padding=0)
        self._beats = pg.PlotDataItem(pen=pg.mkPen("#d0d0d0", width=1), connect="pairs")
        self._downbeats = pg.PlotDataItem(pen=pg.mkPen("#9a9a9a", width=1), connect="pairs")
        self._wave = pg.PlotDataItem(pen=pg.mkPen("#3b5b7e", width=1), connect="pairs")
        for item in (self._beats, self._downbeats, self._wave):
            self.addItem(item)
        self._regions: list[pg.LinearRegionItem] = []
        self._seams: list[pg.InfiniteLine] = []
        self._labels: list[pg.TextItem] = []
        self._skipped: list[pg.LinearRegionItem] = []  # greyed out: what the edit leaves out
        self.cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#d62728", width=2))
        self.cursor.setZValue(20)
        self.cursor.hide()
        self.addItem(self.cursor)
        self.duration = 0.0

    def set_waveform(self, lo: Sequence[float], hi: Sequence[float], duration: float) -> None:
        lo_a, hi_a = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        peak = max(
            float(np.max(np.abs(hi_a), initial=0)), float(np.max(np.abs(lo_a), initial=0)), 1e-6
        )
        x = np.linspace(0, duration, lo_a.size, endpoint=False)
        self._wave.setData(np.repeat(x, 2), np.column_stack([lo_a / peak, hi_a / peak]).reshape(-1))
        self.duration = duration
        self.setXRange(0, duration, padding=0.01)
        self.setLimits(xMin=-1, xMax=duration + 1)

    def set_beats(self, boundaries: Sequence[float], bar_phase: int | None) -> None:
        b = np.asarray(boundaries, np.float64)
        idx = np.arange(b.size)
        down = idx % 4 == (bar_phase or 0) if bar_phase is not None else np.zeros(b.size, bool)
        self._beats.setData(*self._verticals(b[~down]))
        self._downbeats.setData(*self._verticals(b[down]))

    @staticmethod
    def _verticals(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.repeat(xs, 2), np.tile([-1.0, 1.0], xs.size)

    def set_segments(self, segments: Sequence[Sequence[float]]) -> None:
        """Shade the kept stretches, numbered in play order; mark where each seam leaves."""
        for item in (*self._regions, *self._seams, *self._labels, *self._skipped):
            self.removeItem(item)
        self._regions, self._seams, self._labels, self._skipped = [], [], [], []
        for start, end in _gaps(segments, self.duration):
            shade = pg.LinearRegionItem(
                values=(start, end), movable=False, brush=pg.mkBrush(0, 0, 0, 28)
            )
            for line in shade.lines:
                line.setPen(pg.mkPen(None))
            shade.setZValue(15)
            self.addItem(shade)
            self._skipped.append(shade)
        for k, (start, end) in enumerate(segments):
            colour = pg.mkColor(SEGMENT_COLOURS[k % len(SEGMENT_COLOURS)])
            colour.setAlpha(70)
            region = pg.LinearRegionItem(values=(start, end), movable=False, brush=colour)
            region.setZValue(-10)
            for line in region.lines:
                line.setPen(pg.mkPen(SEGMENT_COLOURS[k % len(SEGMENT_COLOURS)], width=1))
            self.addItem(region)
            self._regions.append(region)
            label = pg.TextItem(str(k + 1), color="#222222", anchor=(0, 0))
            label.setPos(start, 1.05)
            self.addItem(label)
            self._labels.append(label)
            if k + 1 < len(segments):
                seam = pg.InfiniteLine(
                    pos=end,
                    angle=90,
                    pen=pg.mkPen(SEAM_COLOUR, width=2, style=Qt.PenStyle.DashLine),
                )
                self.addItem(seam)
                self._seams.append(seam)

    @property
    def segment_count(self) -> int:
        return len(self._regions)

    def set_cursor(self, seconds: float | None) -> None:
        if seconds is None:
            self.cursor.hide()
        else:
            self.cursor.setPos(seconds)
            self.cursor.show()


def _gaps(segments: Sequence[Sequence[float]], duration: float) -> list[tuple[float, float]]:
    """Stretches of the song that no segment plays."""
    if not segments or duration <= 0:
        return []
    gaps, covered = [], 0.0
    for start, end in sorted((float(s), float(e)) for s, e in segments):
        if start > covered + 1e-3:
            gaps.append((covered, start))
        covered = max(covered, end)
    if covered < duration - 1e-3:
        gaps.append((covered, duration))
    return gaps


class _BeatAxis(pg.AxisItem):
    """Ticks only over the matrix: with the aspect locked the view has blank margins beside
    it, and "beat -100" would mean nothing."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.beats = 0

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph override
        return [
            (spacing, [v for v in values if 0 <= v <= self.beats])
            for spacing, values in super().tickValues(minVal, maxVal, size)
        ]


class SimilarityView(pg.PlotWidget):
    """The beat self-similarity matrix as a heatmap; the chosen candidate's seams as dots.

    A bright off-diagonal stripe is a repeat (verse 1 ~ verse 2); seams jump along them.
    """

    def __init__(self, parent=None) -> None:
        self._axes = {side: _BeatAxis(side) for side in ("bottom", "left")}
        super().__init__(parent, axisItems=self._axes)
        _style(self)
        self.setAspectLocked(True)
        # A short title: a plot title does not wrap, and this view can be narrow. The legend
        # goes underneath, in a label that wraps (SimilarityPanel).
        self.setTitle("Beat similarity", size="9pt", color="#333333")
        self.setLabel("bottom", "beat")
        self.setLabel("left", "beat")
        self.getPlotItem().invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.addItem(self.image)
        self._seams = pg.ScatterPlotItem(
            size=11, brush=pg.mkBrush(SEAM_COLOUR), pen=pg.mkPen("w", width=1.5)
        )
        self._seams.setZValue(10)
        self.addItem(self._seams)
        self.matrix: np.ndarray | None = None

    def set_matrix(self, matrix: np.ndarray) -> None:
        self.matrix = matrix
        for axis in self._axes.values():
            axis.beats = matrix.shape[0]
        self.image.setImage(matrix, levels=(float(np.percentile(matrix, 5)), 1.0))
        self._seams.setData([], [])
        # Auto-range (not a fixed range): pyqtgraph then fits the whole matrix again after every
        # resize, until the user pans or zooms. A fixed range was cropped by later resizes.
        self.getViewBox().setDefaultPadding(0.03)
        self.enableAutoRange()

    def shows_whole_matrix(self) -> bool:
        """Every beat of the matrix lies inside the visible range (nothing is cut off)."""
        if self.matrix is None:
            return False
        (x0, x1), (y0, y1) = self.getViewBox().viewRange()
        rows, cols = self.matrix.shape
        tolerance = 0.5  # half a beat: rounding of the aspect correction
        return (
            x0 <= tolerance
            and x1 >= cols - tolerance
            and y0 <= tolerance
            and y1 >= rows - tolerance
        )

    def set_seams(self, seams: Sequence[tuple[int, int]]) -> None:
        """(e, j): the beat that would have played next, and the beat played instead."""
        self._seams.setData([j + 0.5 for _, j in seams], [e + 0.5 for e, _ in seams])


class SimilarityPanel(QWidget):
    """The similarity map with its legend underneath."""

    LEGEND = "Bright = bars that sound alike. Red dots = where the selected edit jumps."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = SimilarityView()
        self.legend = QLabel(self.LEGEND)
        self.legend.setObjectName("PlaceholderFootnote")
        self.legend.setWordWrap(True)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)

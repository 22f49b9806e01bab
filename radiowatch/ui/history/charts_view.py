"""Charts over the play history, for the questions people would rather look at than read:
how much did each station play per day, what got played most, and when in the day.

Everything is aggregated in SQLite over the chosen period (GROUP BY on indexed ranges), so a
chart of a month of a million-play history reads a few hundred rows, not the plays.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.database import DatabaseError, open_database
from radiowatch.history.errors import HistoryError
from radiowatch.history.queries import PlayQueries

PERIODS = [("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last year", 365)]
MAX_STATION_CURVES = 8
TOP_N = 12

# A palette that stays distinguishable on white (Tableau 10).
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
]


def _plot(**kwargs) -> pg.PlotWidget:
    """A light plot; styled per widget so other tabs' pyqtgraph defaults stay untouched."""
    plot = pg.PlotWidget(background="w", **kwargs)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen("#555555"))
        axis.setTextPen(pg.mkPen("#333333"))
    plot.getPlotItem().titleLabel.opts["color"] = "#222222"
    return plot


def _short(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ChartData:
    """Everything the three charts show, aggregated by SQLite (Qt-free, built off-thread)."""

    since: datetime
    until: datetime
    names: dict[int, str]
    per_day: list[tuple[str, int, int]]
    top_artists: list[tuple[str, int]]
    top_tracks: list[tuple[str, int]]
    heat: list[tuple[int, int, int]]


def load_chart_data(conn: sqlite3.Connection, since: datetime, until: datetime) -> ChartData:
    queries = PlayQueries(conn)
    return ChartData(
        since=since,
        until=until,
        names={s.radio_id: s.name for s in queries.stations()},
        per_day=queries.plays_per_day(since, until),
        top_artists=list(queries.top_artists(since, until, limit=TOP_N)),
        top_tracks=[(f"{a} – {t}", n) for a, t, n in queries.top_tracks(since, until, limit=TOP_N)],
        heat=queries.station_hour_counts(since, until),
    )


class _ChartSignals(QObject):
    loaded = Signal(object)
    failed = Signal(str)


class ChartsView(QWidget):
    """Three charts over a period: plays per day per station, a top-N bar chart, and a
    station × hour heatmap. Call refresh() after the history changes.

    The aggregation runs on a worker thread with its own connection (a year of a million-play
    history takes seconds to group); `updated` is emitted once the new charts are drawn.
    """

    updated = Signal()

    def __init__(self, db_path: Path | str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db_path = Path(db_path)
        self.now = lambda: datetime.now(UTC)  # replaceable for screenshots of fixed data
        self.series: dict[str, list[tuple[datetime, int]]] = {}
        self.top_items: list[tuple[str, int]] = []
        self.heat = np.zeros((0, 24))
        self.heat_stations: list[str] = []
        self.last_error: str | None = None
        self._data: ChartData | None = None
        self._worker: threading.Thread | None = None
        self._pending = False
        self._signals = _ChartSignals(self)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)
        self.setup_ui()

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.period = QComboBox()
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.setCurrentIndex(1)
        self.top_kind = QComboBox()
        self.top_kind.addItem("Top artists", "artists")
        self.top_kind.addItem("Top tracks", "tracks")
        refresh = QPushButton("Refresh")
        self.status = QLabel()
        controls.addWidget(QLabel("Period:"))
        controls.addWidget(self.period)
        controls.addWidget(self.top_kind)
        controls.addWidget(refresh)
        controls.addStretch(1)
        controls.addWidget(self.status)
        layout.addLayout(controls)

        self.per_day = _plot(axisItems={"bottom": pg.DateAxisItem()})
        self.per_day.setTitle("Plays per day per station")
        self.per_day.setLabel("left", "plays")
        self.per_day.showGrid(x=True, y=True, alpha=0.2)
        self.per_day.setMouseEnabled(x=True, y=False)
        self.per_day_legend = self.per_day.addLegend(offset=(10, 10), labelTextColor="#333333")

        self.top = _plot()
        self.top.setLabel("bottom", "plays")
        self.top.setMouseEnabled(x=False, y=False)
        self.top.getAxis("left").setWidth(230)

        self.heatmap = _plot()
        self.heatmap.setTitle("Plays by station and hour of day")
        self.heatmap.setLabel("bottom", "hour (local time)")
        self.heatmap.setMouseEnabled(x=False, y=False)
        self.heatmap.getAxis("left").setWidth(120)
        self.heat_image = pg.ImageItem(axisOrder="row-major")
        self.heat_image.setColorMap(pg.colormap.get("viridis"))
        self.heatmap.addItem(self.heat_image)
        self.heat_bar = pg.ColorBarItem(
            colorMap=pg.colormap.get("viridis"), interactive=False, width=12, colorMapMenu=False
        )
        self.heat_bar.setImageItem(self.heat_image, insert_in=self.heatmap.getPlotItem())

        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(self.top)
        lower.addWidget(self.heatmap)
        lower.setSizes([1, 1])
        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.addWidget(self.per_day)
        vertical.addWidget(lower)
        vertical.setSizes([1, 1])
        layout.addWidget(vertical, 1)

        self.period.currentIndexChanged.connect(self.refresh)
        self.top_kind.currentIndexChanged.connect(self._draw_top)
        refresh.clicked.connect(self.refresh)

    # -- data -----------------------------------------------------------------------------------

    def _period(self) -> tuple[datetime, datetime]:
        days = int(self.period.currentData())
        local_now = self.now().astimezone()
        end = (local_now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return end - timedelta(days=days), end

    def set_period_days(self, days: int) -> None:
        index = self.period.findData(days)
        if index >= 0:
            self.period.setCurrentIndex(index)

    def busy(self) -> bool:
        return self._worker is not None

    def refresh(self) -> None:
        """Recompute in the background; a refresh asked for while one runs follows it."""
        if self._worker is not None:
            self._pending = True
            return
        since, until = self._period()
        self.status.setText("Loading…")
        self._worker = threading.Thread(
            target=self._load,
            args=(self._db_path, since, until, self._signals),
            daemon=True,
            name="history-charts",
        )
        self._worker.start()

    @staticmethod
    def _load(db_path: Path, since: datetime, until: datetime, signals: _ChartSignals) -> None:
        try:
            db = open_database(db_path, migrate=False)
        except DatabaseError as exc:
            signals.failed.emit(str(exc))
            return
        try:
            signals.loaded.emit(load_chart_data(db.conn, since, until))
        except HistoryError as exc:
            signals.failed.emit(str(exc))
        except RuntimeError:
            pass  # the view was deleted while we worked: nobody is waiting
        finally:
            db.close()

    def _finish(self) -> None:
        if self._worker is not None:
            self._worker.join(timeout=5)
        self._worker = None
        if self._pending:
            self._pending = False
            self.refresh()

    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.status.setText(message)
        self._finish()

    def _on_loaded(self, data: ChartData) -> None:
        self._data = data
        self.last_error = None
        self._draw_per_day(data)
        self._draw_top()
        self._draw_heatmap(data)
        total = sum(n for _d, _r, n in data.per_day)
        self.status.setText(f"{total:,} plays in the period")
        self.updated.emit()
        self._finish()

    def _draw_per_day(self, data: ChartData) -> None:
        since, until, names = data.since, data.until, data.names
        counts: dict[int, dict[str, int]] = {}
        for day, radio_id, n in data.per_day:
            counts.setdefault(radio_id, {})[day] = n
        busiest = sorted(counts, key=lambda rid: -sum(counts[rid].values()))[:MAX_STATION_CURVES]
        days = []
        cursor = since.date()
        while cursor < until.date():
            days.append(cursor)
            cursor += timedelta(days=1)
        xs = np.array([datetime(d.year, d.month, d.day, 12).timestamp() for d in days])
        self.per_day.clear()
        self.per_day_legend.clear()
        self.series = {}
        for i, radio_id in enumerate(busiest):
            name = names.get(radio_id, str(radio_id))
            ys = np.array([counts[radio_id].get(d.isoformat(), 0) for d in days], dtype=float)
            self.series[name] = [
                (datetime.fromtimestamp(x), int(y)) for x, y in zip(xs, ys, strict=True)
            ]
            color = PALETTE[i % len(PALETTE)]
            self.per_day.plot(
                xs,
                ys,
                name=_short(name, 24),
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=color,
                symbolPen=None,
            )
        hidden = len(counts) - len(busiest)
        suffix = f" (the {len(busiest)} busiest of {len(counts)} stations)" if hidden > 0 else ""
        self.per_day.setTitle(f"Plays per day per station{suffix}")
        if len(xs):
            self.per_day.setXRange(xs[0] - 43200, xs[-1] + 43200, padding=0)
        self.per_day.enableAutoRange(axis="y")

    def _draw_top(self) -> None:
        if self._data is None:
            return
        if self.top_kind.currentData() == "tracks":
            items, title = self._data.top_tracks, "Most played tracks"
        else:
            items, title = self._data.top_artists, "Most played artists"
        self.top_items = items
        self.top.clear()
        self.top.setTitle(title)
        count = len(items)
        if count:
            ys = np.arange(count)[::-1]  # the most played on top
            widths = np.array([n for _label, n in items], dtype=float)
            self.top.addItem(
                pg.BarGraphItem(x0=0, y=ys, height=0.7, width=widths, brush=PALETTE[0], pen=None)
            )
            self.top.getAxis("left").setTicks(
                [[(float(y), _short(label)) for y, (label, _n) in zip(ys, items, strict=True)]]
            )
            self.top.setYRange(-0.6, count - 0.4, padding=0)
            self.top.setXRange(0, float(widths.max()) * 1.05, padding=0)
        else:
            self.top.getAxis("left").setTicks([[]])

    def _draw_heatmap(self, data: ChartData) -> None:
        names, rows = data.names, data.heat
        stations = sorted(
            {rid for rid, _h, _n in rows}, key=lambda rid: names.get(rid, "").casefold()
        )
        position = {rid: i for i, rid in enumerate(stations)}
        heat = np.zeros((len(stations), 24))
        for radio_id, hour, n in rows:
            heat[position[radio_id], hour] = n
        self.heat = heat
        self.heat_stations = [names.get(rid, str(rid)) for rid in stations]
        if len(stations):
            self.heat_image.setImage(heat, autoLevels=False)
            self.heat_image.setRect(0, 0, 24, len(stations))
            top = float(heat.max()) or 1.0
            self.heat_bar.setLevels((0.0, top))
            self.heat_image.setLevels((0.0, top))
        else:
            self.heat_image.clear()
        self.heatmap.getAxis("bottom").setTicks([[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)]])
        self.heatmap.getAxis("left").setTicks(
            [[(i + 0.5, _short(name, 18)) for i, name in enumerate(self.heat_stations)]]
        )
        self.heatmap.setXRange(0, 24, padding=0)
        self.heatmap.setYRange(0, max(1, len(stations)), padding=0)

"""The History tab's coverage band: when monitoring was *not* listening, for the stations and
the period being looked at ("not monitored 12:30–12:35").

An empty stretch in the play table means nothing played only if the station was being heard
then; this band tells the two apart. One bar per station over the period (green: heard, red:
not monitored), the worst-covered stations first, and a line naming the latest gaps. The
numbers come from history/coverage_report.py, computed on a worker thread with its own
connection (a year of spans for many stations is more than the GUI thread should wait for).
The band refreshes itself every half minute while it is shown, as the monitoring's heartbeat
moves the coverage on; less often when a load takes long (a year of many stations' spans), so
the worker never takes more than a few per cent of a core.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.coverage import HEARTBEAT_S
from radiowatch.history.coverage_export import coverage_for, duration_text
from radiowatch.history.coverage_report import CoverageReport, Gap, StationCoverage
from radiowatch.history.database import DatabaseError, open_database
from radiowatch.history.errors import HistoryError
from radiowatch.history.queries import PlayFilter

REFRESH_MS = 30_000
REFRESH_COST_SHARE = 0.03  # at most this share of the time spent loading, between refreshes
MAX_BARS = 4
GAPS_NAMED = 3
TOOLTIP_GAPS = 40
HEARD = QColor("#79b77c")
NOT_MONITORED = QColor("#e0533d")
# A gap at the very end of a period that runs up to now, shorter than a few heartbeats, is the
# monitoring's next beat not written yet, not a real gap (history/coverage.py).
STILL_BEATING_S = 3 * HEARTBEAT_S


def shown_gaps(report: CoverageReport, station: StationCoverage, now: datetime) -> list[Gap]:
    """The station's gaps as the band shows them (the still-beating tail left out)."""
    gaps = list(station.gaps)
    if (
        gaps
        and report.until is not None
        and now - report.until < timedelta(seconds=STILL_BEATING_S)
        and gaps[-1].end == report.until
        and gaps[-1].seconds <= STILL_BEATING_S
    ):
        gaps.pop()
    return gaps


def gap_text(gap: Gap, with_day: bool) -> str:
    start, end = gap.start.astimezone(), gap.end.astimezone()
    day = f"{start.day} {start:%b} " if with_day else ""
    if start.date() == (end - timedelta(microseconds=1)).date():  # up to midnight: same day
        return f"{day}{start:%H:%M}–{end:%H:%M}"
    return f"{day}{start:%H:%M} – {end.day} {end:%b %H:%M}"


def axis_text(moment: datetime, length: timedelta) -> str:
    """A tick under the bars: the time for a period of a day or less, else the date."""
    local = moment.astimezone()
    if length <= timedelta(days=1):
        return f"{local:%H:%M}"
    if length <= timedelta(days=3):
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.day} {local:%b}"


class _Timeline(QWidget):
    """One station's period as a bar: heard in green, not monitored in red (at least two
    pixels wide, so a short drop still shows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._span = (0, 1)
        self._gaps: list[tuple[int, int]] = []

    def sizeHint(self) -> QSize:
        return QSize(300, 12)

    def set_data(self, since_ms: int, until_ms: int, gaps: list[Gap]) -> None:
        self._span = (since_ms, max(until_ms, since_ms + 1))
        self._gaps = [(g.start_ms, g.end_ms) for g in gaps]
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 1.5, -0.5, -1.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(HEARD)
        painter.drawRoundedRect(rect, 3, 3)
        start, end = self._span
        scale = rect.width() / (end - start)
        painter.setBrush(NOT_MONITORED)
        for a, b in self._gaps:
            x = rect.left() + (a - start) * scale
            width = max(2.0, (b - a) * scale)
            painter.drawRect(QRectF(x, rect.top(), min(width, rect.right() - x), rect.height()))
        painter.end()


class _LoadSignals(QObject):
    loaded = Signal(object, object)  # CoverageReport, the PlayFilter it answers
    failed = Signal(str)


class CoverageView(QWidget):
    """Public API: show_filter(PlayFilter), refresh(); `report` is the last one loaded and
    `summary` the label that states it (tests read them). Emits `updated` after each load."""

    updated = Signal()

    def __init__(self, db_path: Path | str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("history-coverage")
        self._db_path = Path(db_path)
        self.now = lambda: datetime.now(UTC)  # replaceable for screenshots of fixed data
        self.report: CoverageReport | None = None
        self.last_error: str | None = None
        self._filter: PlayFilter | None = None
        self._worker: threading.Thread | None = None
        self._started = 0.0
        self._pending = False
        self._signals = _LoadSignals(self)
        self._signals.loaded.connect(self._on_loaded)
        self._signals.failed.connect(self._on_failed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(3)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.summary)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(8)
        self._grid.setVerticalSpacing(2)
        self._grid.setColumnStretch(1, 1)
        layout.addLayout(self._grid)
        self._rows: list[tuple[QLabel, _Timeline, QLabel]] = []
        # Where the bars start, middle and end, under the last bar.
        self._axis = QWidget()
        axis = QHBoxLayout(self._axis)
        axis.setContentsMargins(0, 0, 0, 0)
        self.axis_labels = [QLabel(), QLabel(), QLabel()]
        for label, align in zip(
            self.axis_labels,
            (
                Qt.AlignmentFlag.AlignLeft,
                Qt.AlignmentFlag.AlignHCenter,
                Qt.AlignmentFlag.AlignRight,
            ),
            strict=True,
        ):
            label.setAlignment(align)
            label.setEnabled(False)  # the palette's muted text
            axis.addWidget(label, 1)
        self.setVisible(False)  # until there is something to say

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_timer)
        self._timer.start()

    # -- loading --------------------------------------------------------------------------------

    def show_filter(self, filt: PlayFilter) -> None:
        """Show the coverage of the stations, dates and daypart of `filt` (its text and AI
        filters choose plays, not time)."""
        self._filter = filt
        self.refresh()

    def refresh(self) -> None:
        if self._filter is None:
            return
        if self._worker is not None:
            self._pending = True
            return
        self._worker = threading.Thread(
            target=self._load,
            args=(self._db_path, self._filter, self._signals),
            daemon=True,
            name="history-coverage",
        )
        self._started = time.monotonic()
        self._worker.start()

    def busy(self) -> bool:
        return self._worker is not None

    def _on_timer(self) -> None:
        if self.isVisible() or self.report is None:
            self.refresh()

    @staticmethod
    def _load(db_path: Path, filt: PlayFilter, signals: _LoadSignals) -> None:
        try:
            db = open_database(db_path, migrate=False)
        except DatabaseError as exc:
            signals.failed.emit(str(exc))
            return
        try:
            signals.loaded.emit(coverage_for(db.conn, filt), filt)
        except HistoryError as exc:
            signals.failed.emit(str(exc))
        except RuntimeError:
            pass  # the view was deleted while we worked: nobody is waiting
        finally:
            db.close()

    def _finish(self) -> None:
        if self._worker is not None:
            self._worker.join(timeout=5)
            took_ms = (time.monotonic() - self._started) * 1000
            self._timer.setInterval(max(REFRESH_MS, int(took_ms / REFRESH_COST_SHARE)))
        self._worker = None
        if self._pending:
            self._pending = False
            self.refresh()

    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self.summary.setText(f"Coverage unavailable: {message}")
        self.setVisible(True)
        self._finish()
        self.updated.emit()

    def _on_loaded(self, report: CoverageReport, filt: PlayFilter) -> None:
        self.last_error = None
        if filt == self._filter:  # an older answer than the filter shown now is dropped
            self.report = report
            self._draw(report)
        self._finish()
        self.updated.emit()

    # -- drawing --------------------------------------------------------------------------------

    def _draw(self, report: CoverageReport) -> None:
        if report.since is None or report.until is None or report.fraction is None:
            self.setVisible(False)
            return
        now = self.now()
        gaps = {s.radio_id: shown_gaps(report, s, now) for s in report.stations}
        worst = sorted(
            report.stations, key=lambda s: (-sum(g.seconds for g in gaps[s.radio_id]), s.name)
        )
        with_day = (
            report.since.astimezone().date()
            != (report.until - timedelta(microseconds=1)).astimezone().date()
        )
        self.summary.setText(self._summary_text(report, gaps, with_day))
        self.summary.setToolTip(self._tooltip(report, gaps, with_day))
        self._draw_bars(report, [s for s in worst if gaps[s.radio_id]][:MAX_BARS], gaps)
        self.setVisible(True)

    def _summary_text(
        self, report: CoverageReport, gaps: dict[int, list[Gap]], with_day: bool
    ) -> str:
        every = [(g, s.name) for s in report.stations for g in gaps[s.radio_id]]
        if not every:
            return "Monitored the whole period: no time without listening."
        missing_ms = sum(int(g.seconds * 1000) for g, _name in every)
        share = 1 - missing_ms / report.requested_ms if report.requested_ms else 0.0
        many = len(report.stations) > 1
        latest = sorted(every, key=lambda item: item[0].start_ms, reverse=True)[:GAPS_NAMED]
        named = ", ".join(
            gap_text(g, with_day) + (f" ({name})" if many else "") for g, name in latest
        )
        more = len(every) - len(latest)
        tail = f" and {more} earlier" if more > 0 else ""
        return (
            f"Monitored {share * 100:.1f} % of this period; not monitored "
            f"{duration_text(missing_ms)} in all: {named}{tail}."
        )

    @staticmethod
    def _tooltip(report: CoverageReport, gaps: dict[int, list[Gap]], with_day: bool) -> str:
        lines = []
        for station in report.stations:
            for gap in gaps[station.radio_id][-TOOLTIP_GAPS:]:
                lines.append(
                    f"{station.name}: not monitored {gap_text(gap, with_day)} "
                    f"({duration_text(int(gap.seconds * 1000))})"
                )
        return "\n".join(lines[-TOOLTIP_GAPS:])

    def _draw_bars(
        self, report: CoverageReport, stations: list[StationCoverage], gaps: dict[int, list[Gap]]
    ) -> None:
        assert report.since is not None and report.until is not None
        while len(self._rows) < len(stations):
            name, bar, share = QLabel(), _Timeline(), QLabel()
            share.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            row = len(self._rows)
            self._grid.addWidget(name, row, 0)
            self._grid.addWidget(bar, row, 1)
            self._grid.addWidget(share, row, 2)
            self._rows.append((name, bar, share))
        since_ms = int(report.since.timestamp() * 1000)
        until_ms = int(report.until.timestamp() * 1000)
        self._grid.removeWidget(self._axis)
        self._grid.addWidget(self._axis, len(stations), 1)
        self._axis.setVisible(bool(stations))
        middle = report.since + (report.until - report.since) / 2
        for label, moment in zip(
            self.axis_labels, (report.since, middle, report.until), strict=True
        ):
            label.setText(axis_text(moment, report.until - report.since))
        for index, (name, bar, share) in enumerate(self._rows):
            shown = index < len(stations)
            for widget in (name, bar, share):
                widget.setVisible(shown)
            if not shown:
                continue
            station = stations[index]
            station_gaps = gaps[station.radio_id]
            missing = sum(int(g.seconds * 1000) for g in station_gaps)
            heard = 1 - missing / station.requested_ms if station.requested_ms else 0.0
            name.setText(station.name)
            bar.set_data(since_ms, until_ms, station_gaps)
            bar.setToolTip(
                "\n".join(
                    f"Not monitored {gap_text(g, True)}" for g in station_gaps[-TOOLTIP_GAPS:]
                )
            )
            share.setText(f"{heard * 100:.1f} %")

"""The long-file timeline: a bar over the file's length with one coloured block per song.

People read a DJ mix or a day of radio faster as a picture than as a table: where the music is,
how long each song plays, and what is left unrecognised. Clicking the bar asks to listen there
(`seek_requested(seconds)`); the panel plays the file from that point. A playhead follows the
player.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from radiowatch.audd.cue_list_export import Cue
from radiowatch.audd.enterprise_cost import format_duration

PALETTE = ("#2f6fe4", "#e07b39", "#22a35a", "#9b59b6", "#d64545", "#16a5a5", "#b58b00", "#5d6d7e")
AXIS_PX = 16


class TimelineBar(QWidget):
    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cues: list[Cue] = []
        self.duration_s = 0.0
        self.playhead_s: float | None = None
        self.setMinimumHeight(56)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Click to listen from there")

    def set_cues(self, cues: list[Cue], duration_s: float | None) -> None:
        self.cues = list(cues)
        ends = [c.end_s for c in cues]
        self.duration_s = max([duration_s or 0.0, *ends, 1.0])
        self.update()

    def set_playhead(self, seconds: float | None) -> None:
        self.playhead_s = seconds
        self.update()

    def _bar(self) -> QRectF:
        return QRectF(4, 4, max(1, self.width() - 8), max(1, self.height() - AXIS_PX - 8))

    def x_for(self, seconds: float) -> float:
        bar = self._bar()
        return bar.left() + bar.width() * max(0.0, min(1.0, seconds / max(self.duration_s, 1.0)))

    def seconds_at(self, x: float) -> float:
        bar = self._bar()
        return max(0.0, min(1.0, (x - bar.left()) / bar.width())) * max(self.duration_s, 1.0)

    def cue_at(self, seconds: float) -> Cue | None:
        return next((c for c in self.cues if c.start_s <= seconds <= c.end_s), None)

    def colour_for(self, cue: Cue) -> QColor:
        names = sorted({c.name for c in self.cues})
        return QColor(PALETTE[names.index(cue.name) % len(PALETTE)])

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()  # an active painter left behind crashes Qt

    def _paint(self, painter: QPainter) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bar = self._bar()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().mid().color().lighter(130))
        painter.drawRoundedRect(bar, 4, 4)
        if not self.cues and self.duration_s <= 1.0:
            painter.setPen(self.palette().text().color())
            painter.drawText(
                bar,
                Qt.AlignmentFlag.AlignCenter,
                "The songs found appear here, placed over the file's length",
            )
            return
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        for cue in self.cues:
            left, right = self.x_for(cue.start_s), self.x_for(cue.end_s)
            block = QRectF(left, bar.top(), max(2.0, right - left), bar.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour_for(cue))
            painter.drawRoundedRect(block, 3, 3)
            if block.width() > 40:
                painter.setPen(QColor("white"))
                label = painter.fontMetrics().elidedText(
                    cue.title or cue.name, Qt.TextElideMode.ElideRight, int(block.width()) - 6
                )
                painter.drawText(block.adjusted(3, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter, label)
        self._paint_axis(painter, bar)
        if self.playhead_s is not None:
            x = self.x_for(self.playhead_s)
            painter.setPen(QPen(QColor("#111111"), 2))
            painter.drawLine(QPointF(x, bar.top() - 2), QPointF(x, bar.bottom() + 2))

    def _paint_axis(self, painter: QPainter, bar: QRectF) -> None:
        painter.setPen(self.palette().text().color())
        ticks = 6
        for i in range(ticks + 1):
            seconds = self.duration_s * i / ticks
            x = self.x_for(seconds)
            text = format_duration(seconds)
            width = painter.fontMetrics().horizontalAdvance(text)
            x_text = min(max(bar.left(), x - width / 2), bar.right() - width)
            painter.drawText(QPointF(x_text, bar.bottom() + AXIS_PX - 2), text)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self.seconds_at(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        seconds = self.seconds_at(event.position().x())
        cue = self.cue_at(seconds)
        text = format_duration(seconds)
        if cue is not None:
            text = (
                f"{cue.name}\n{format_duration(cue.start_s)}–{format_duration(cue.end_s)}"
                f"  (score {cue.score if cue.score is not None else '–'})\nClick to listen"
            )
        QToolTip.showText(event.globalPosition().toPoint(), text, self)

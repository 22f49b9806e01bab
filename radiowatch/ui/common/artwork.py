"""The app's icon, status dots and stylesheet, loaded from `resources/` when it is there.

Everything degrades to something drawn in code, so a stripped install still looks whole.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from radiowatch.config.resources import resource_path
from radiowatch.stations.status import StationStatus

STATUS_COLOURS = {
    StationStatus.IDLE: "#9aa3b2",
    StationStatus.CONNECTING: "#f0a020",
    StationStatus.LIVE: "#22a35a",
    StationStatus.DOWN: "#d64545",
    StationStatus.DISABLED: "#c9ced6",
}

BACKEND_COLOURS = {
    "connected": "#22a35a",
    "connecting": "#f0a020",
    "idle": "#2f6fe4",
    "offline": "#9aa3b2",
    "needs_token": "#f0a020",
    "error": "#d64545",
    "restarting": "#f0a020",
    "failed": "#d64545",
}

APP_ICON_SIZES = (48, 128, 256)


def app_icon() -> QIcon:
    icon = QIcon()
    svg = resource_path("icons", "radiowatch.svg")
    if svg is not None:
        icon.addFile(str(svg))
    for size in APP_ICON_SIZES:
        png = resource_path("icons", f"radiowatch-{size}.png")
        if png is not None:
            icon.addFile(str(png))
    if icon.isNull():
        icon = QIcon(dot_pixmap("#2f6fe4", 64))
    return icon


def render_svg(svg_path: Path, size: int) -> QImage:
    """Rasterise an SVG at `size`×`size` (used to make the PNG icons from the SVG)."""
    renderer = QSvgRenderer(QByteArray(svg_path.read_bytes()))
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def dot_pixmap(colour: str, size: int = 12, ring: bool = False) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    margin = size * 0.15
    painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
    if ring:
        painter.setBrush(QColor("#ffffff"))
        inner = size * 0.32
        painter.drawEllipse(QRectF(inner, inner, size - 2 * inner, size - 2 * inner))
    painter.end()
    return pixmap


def icon_with_status_dot(
    base: QIcon, colour: str, sizes: tuple[int, ...] = (16, 22, 24, 32, 48, 64)
) -> QIcon:
    """`base` with a status dot in its lower right corner (the tray shows the backend's state)."""
    icon = QIcon()
    for size in sizes:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawPixmap(0, 0, base.pixmap(size, size))
        dot = size * 0.5
        corner = QRectF(size - dot, size - dot, dot, dot)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffffff"))  # a ring keeps the dot apart from the icon
        painter.drawEllipse(corner)
        painter.setBrush(QColor(colour))
        ring = dot * 0.16
        painter.drawEllipse(corner.adjusted(ring, ring, -ring, -ring))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


@cache
def status_icon(status: StationStatus) -> QIcon:
    return QIcon(dot_pixmap(STATUS_COLOURS[status], 16, ring=status is StationStatus.DISABLED))


def stylesheet() -> str:
    path = resource_path("styles", "light.qss")
    return path.read_text(encoding="utf-8") if path is not None else ""

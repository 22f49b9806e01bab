"""Light or dark, as the desktop says: the palette and the matching stylesheet.

Qt reports the system's colour scheme through `QStyleHints.colorScheme()` (Qt >= 6.5) and
signals changes, so the app follows the desktop switching at runtime. The stylesheet only
adds accents on top of the palette; `light.qss` hard-codes light surfaces, so a dark desktop
gets `dark.qss` and a dark Fusion palette instead. `RADIOWATCH_THEME=light|dark` overrides
the system (screenshots, testing, or a desktop that does not report its scheme).
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from radiowatch.config.resources import resource_path

THEME_ENV = "RADIOWATCH_THEME"


def system_scheme(app: QGuiApplication) -> str:
    """'dark' or 'light' (unknown counts as light)."""
    forced = os.environ.get(THEME_ENV, "").strip().lower()
    if forced in ("light", "dark"):
        return forced
    hints = app.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def dark_palette() -> QPalette:
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#1f2329",
        QPalette.ColorRole.WindowText: "#e6e8eb",
        QPalette.ColorRole.Base: "#16191d",
        QPalette.ColorRole.AlternateBase: "#23272e",
        QPalette.ColorRole.ToolTipBase: "#2b3038",
        QPalette.ColorRole.ToolTipText: "#e6e8eb",
        QPalette.ColorRole.PlaceholderText: "#8a93a3",
        QPalette.ColorRole.Text: "#e6e8eb",
        QPalette.ColorRole.Button: "#2a2f36",
        QPalette.ColorRole.ButtonText: "#e6e8eb",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bf0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#7aa7ff",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b7280"))
    return palette


def stylesheet_for(scheme: str) -> str:
    path = resource_path("styles", f"{scheme}.qss") or resource_path("styles", "light.qss")
    return path.read_text(encoding="utf-8") if path is not None else ""


def apply_scheme(app: QApplication, scheme: str) -> None:
    app.setPalette(dark_palette() if scheme == "dark" else app.style().standardPalette())
    app.setStyleSheet(stylesheet_for(scheme))
    app.setProperty("radiowatch_scheme", scheme)


def follow_system_palette(app: QApplication) -> str:
    """Apply the current scheme and keep following the desktop; returns the scheme applied."""
    scheme = system_scheme(app)
    apply_scheme(app, scheme)
    hints = app.styleHints()
    if hasattr(hints, "colorSchemeChanged") and not app.property("radiowatch_follows_scheme"):
        hints.colorSchemeChanged.connect(lambda _scheme: apply_scheme(app, system_scheme(app)))
        app.setProperty("radiowatch_follows_scheme", True)
    return scheme

"""A one-line label that shortens its text with "…" instead of widening the window.

A plain QLabel asks for the width of its whole text: a long file name in a toolbar row then
sets the window's minimum width, and at the default size the right edge of the tab is cut
off. This label takes the width it is given and elides in the middle (a file name's start
and its extension both matter); the full text is its tooltip unless one is set.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._tooltip_is_text = True
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        self._full = text
        if self._tooltip_is_text:
            super().setToolTip(text)
        self._elide()

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt override
        """A tooltip of its own (e.g. the full path); an empty one brings back the text."""
        self._tooltip_is_text = not tip
        super().setToolTip(tip or self._full)

    def full_text(self) -> str:
        return self._full

    def is_elided(self) -> bool:
        return super().text() != self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, width)
        super().setText(shown if width > 0 else self._full)

"""A compact strip that shows the engine's "found later" searches where tracks are added.

It renders a `FoundLaterWatch` (radiowatch/backend/found_later_watch.py), which polls the
engine on the asyncio loop and says what the engine reported: while a search runs, what it
looks for, its progress and Cancel; once it ends, what it found, until dismissed. The strip
itself asks the engine nothing but the cancel the user clicks, so any number of strips can
show one watch. Hidden when there is nothing to say (and always with the AudD cloud).
`FoundLaterBadge` is its few-word form for the window's status bar, for when the strip is out of
sight (another tab is shown); clicking it asks to show the strip.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

from radiowatch.backend.found_later_watch import FoundLaterView, FoundLaterWatch
from radiowatch.ui.common.tasks import TaskSlot


class FoundLaterStrip(QFrame):
    # The watch's listener runs on the GUI thread (the qasync loop); the Qt signal keeps a
    # deleted strip from being called: it disconnects itself when destroyed.
    _view_changed = Signal(object)

    def __init__(self, watch: FoundLaterWatch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.watch = watch
        self._cancel_slot = TaskSlot("cancel the found-later search")
        self.setObjectName("FoundLaterStrip")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 6, 4)
        row.setSpacing(8)
        self.text = QLabel()
        self.text.setObjectName("FoundLaterText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(140)
        self.progress.setMaximumHeight(16)
        self.progress.setFormat("%p %")
        self.progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop looking for past plays; plays found so far stay")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(watch.dismiss)
        row.addWidget(self.text, 1)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        row.addWidget(self.dismiss_button)
        # as tall with or without buttons: the table below does not jump when a search ends
        self.setMinimumHeight(self.cancel_button.sizeHint().height() + 10)
        self._view_changed.connect(self.show_view)
        unsubscribe = watch.changed.subscribe(self._view_changed.emit)
        self.destroyed.connect(lambda _obj: unsubscribe())
        self.show_view(watch.view)

    def show_view(self, view: FoundLaterView) -> None:
        if not shiboken6.isValid(self):
            return
        self.view = view
        self.setVisible(view.state != "hidden")
        self.text.setText(view.text)
        self.setProperty("kind", view.kind)
        for widget in (self, self.text):  # the stylesheet colours both by the kind
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        searching = view.state == "searching"
        self.progress.setVisible(searching and view.progress is not None)
        self.progress.setValue(round((view.progress or 0.0) * 100))
        self.cancel_button.setVisible(searching)
        self.cancel_button.setEnabled(view.can_cancel)
        self.dismiss_button.setVisible(view.state == "outcome")

    def _on_cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self._cancel_slot.start(self.watch.cancel())

    async def aclose(self) -> None:
        await self._cancel_slot.cancel_and_wait()


class FoundLaterBadge(QToolButton):
    """The watch in a few words (“Looking for past plays… 40 %”, “Found 3 past plays”), the
    whole text as its tooltip; hidden while there is nothing to say or while `set_covered(True)`
    (the strip is on screen). `clicked` means: show me the strip."""

    _view_changed = Signal(object)

    def __init__(self, watch: FoundLaterWatch, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FoundLaterBadge")
        self.setAutoRaise(True)
        self._covered = False
        self.view = watch.view
        self._view_changed.connect(self.show_view)
        unsubscribe = watch.changed.subscribe(self._view_changed.emit)
        self.destroyed.connect(lambda _obj: unsubscribe())
        self.show_view(watch.view)

    def set_covered(self, covered: bool) -> None:
        self._covered = covered
        self.show_view(self.view)

    def show_view(self, view: FoundLaterView) -> None:
        if not shiboken6.isValid(self):
            return
        self.view = view
        self.setText(view.short or view.text)
        self.setToolTip(f"{view.text}\n(click to see it in the Catalog tab)")
        self.setVisible(view.state != "hidden" and not self._covered)

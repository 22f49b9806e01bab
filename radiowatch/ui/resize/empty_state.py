"""What the Resize tab shows instead of its plots while no song is analysed.

Empty plots draw meaningless axes ("beat (x0.001)", -500…500), so until a song's analysis is
on screen the tab shows what it is for and the first step: open a song (or drop one, or send a
play from History). While the first analysis runs, the same page says so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

IDLE_HEADING = "Fit a song to the time you have"
IDLE_TEXT = (
    "Open a song and pick a target length, such as a 30-second radio edit or a 60-second ad "
    "bed. Resize finds edits that cut or repeat whole bars, so the seams are hard to hear, "
    "and lets you preview and export them."
)
HINT = "Or drop an audio file on this tab, or right-click a play in History → Make a cut-down."


class NoSongPage(QWidget):
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ResizeNoSong")
        card = QWidget(self)
        # A fixed width lets the wrapped labels compute their height (height-for-width).
        card.setFixedWidth(480)
        self.heading = QLabel(card)
        self.heading.setObjectName("PlaceholderTitle")
        self.text = QLabel(card)
        self.text.setObjectName("PlaceholderText")
        self.hint = QLabel(HINT, card)
        self.hint.setObjectName("PlaceholderFootnote")
        for label in (self.heading, self.text, self.hint):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setWordWrap(True)
        self.open_button = QPushButton("Open a song…", card)
        self.open_button.setObjectName("PrimaryButton")  # the one next step, as in the sidebar
        self.open_button.clicked.connect(self.open_requested)
        column = QVBoxLayout(card)
        column.setSpacing(10)
        column.addWidget(self.heading)
        column.addWidget(self.text)
        column.addSpacing(6)
        column.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.hint)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addLayout(row)
        outer.addStretch(3)
        self.show_idle()

    def show_idle(self) -> None:
        self.heading.setText(IDLE_HEADING)
        self.text.setText(IDLE_TEXT)
        self.open_button.show()
        self.hint.show()

    def show_analysing(self, name: str) -> None:
        self.heading.setText(f"Analysing {name}…")
        self.text.setText(
            "Finding the beats and the bars that sound alike. The waveform, the similarity map "
            "and the edits appear here when it is done."
        )
        self.open_button.hide()
        self.hint.hide()

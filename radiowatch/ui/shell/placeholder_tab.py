"""The empty state a tab shows until its panel is plugged in: what the tab is for, calmly."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


@dataclass(frozen=True)
class TabInfo:
    key: str
    title: str
    heading: str
    text: str
    points: tuple[str, ...]
    footnote: str = ""


TABS: tuple[TabInfo, ...] = (
    TabInfo(
        "monitor",
        "Monitor",
        "Live airplay, station by station",
        "Once your stations are being monitored, this page shows what each one is playing right "
        "now, the songs just before, and any stream that has gone quiet.",
        (
            "Now playing for every station at a glance",
            "Alerts when a song on your watchlist is played",
            "Stream problems reported as they happen",
        ),
        "Stations you add in the sidebar (Ctrl+N) appear here.",
    ),
    TabInfo(
        "history",
        "History",
        "Every play, kept and searchable",
        "Each song recognised on your stations is recorded once, with station, time and length, "
        "so you can prove airplay later.",
        (
            "Search by artist, title, station or date",
            "Correct a match or mark a false positive",
            "Export play logs that open cleanly in Excel and LibreOffice",
        ),
        "Plays appear here as soon as monitoring recognises them.",
    ),
    TabInfo(
        "recognize",
        "Recognize",
        "Identify a clip or a whole recording",
        "Drop an audio file, or a long recording of a broadcast, to find every song in it.",
        (
            "Single clips: the best match with links",
            "Long recordings: a timeline of every song found",
            "Works with the local engine or the AudD cloud",
        ),
    ),
    TabInfo(
        "catalog",
        "Catalog",
        "Your own music, recognisable offline",
        "The local engine recognises the tracks in your catalog without any cloud account: "
        "your releases, your jingles, your ads.",
        (
            "Add folders of audio files to the catalog",
            "Tag tracks as songs, jingles or ads",
            "See what the engine knows and remove what it should forget",
        ),
    ),
    TabInfo(
        "resize",
        "Resize",
        "Fit a song to the time you have",
        "Make a track longer or shorter by repeating or cutting whole musical sections, so the "
        "edit still sounds like the song.",
        (
            "Pick a target length; get seamless cut points",
            "Preview before exporting",
            "Local analysis, or Audjust with your API key",
        ),
    ),
    TabInfo(
        "udio",
        "Udio",
        "Bring AI-generated songs into your catalog",
        "Fetch songs you generated with Udio, by task id, and add them to your catalog so "
        "their airplay is tracked like any other release.",
        (
            "Look up tasks and download the finished songs",
            "Keep prompt, model and provenance with each track",
            "Plays of AI-generated songs are marked in the history",
        ),
        "Set your Udio base URL and key in File → Accounts & tokens.",
    ),
)
TAB_KEYS = tuple(tab.key for tab in TABS)


class PlaceholderTab(QWidget):
    """A centred card: icon, heading, what the tab will do, and the first step if there is one."""

    def __init__(self, info: TabInfo, icon: QIcon | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.setObjectName(f"placeholder_{info.key}")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        card = QWidget(self)
        # A fixed width lets the word-wrapped labels compute their height (height-for-width).
        card.setFixedWidth(500)
        layout = QVBoxLayout(card)
        layout.setSpacing(10)
        if icon is not None and not icon.isNull():
            picture = QLabel(card)
            picture.setPixmap(icon.pixmap(64, 64))
            picture.setMinimumHeight(72)
            picture.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            layout.addWidget(picture)
        heading = QLabel(info.heading, card)
        heading.setObjectName("PlaceholderTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        heading.setWordWrap(True)
        layout.addWidget(heading)
        text = QLabel(info.text, card)
        text.setObjectName("PlaceholderText")
        text.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        text.setWordWrap(True)
        layout.addWidget(text)
        points = QLabel("<br>".join(f"•&nbsp;&nbsp;{p}" for p in info.points), card)
        points.setObjectName("PlaceholderPoints")
        points.setTextFormat(Qt.TextFormat.RichText)
        layout.addSpacing(4)
        # A left-aligned list, centred as a block, reads better than centred lines.
        layout.addWidget(points, 0, Qt.AlignmentFlag.AlignHCenter)
        if info.footnote:
            foot = QLabel(info.footnote, card)
            foot.setObjectName("PlaceholderFootnote")
            foot.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            foot.setWordWrap(True)
            layout.addSpacing(6)
            layout.addWidget(foot)
        # Centred by stretches, not an alignment flag: an aligned widget is sized by its
        # sizeHint, which ignores the wrapped labels' height-for-width and clips them.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(3)

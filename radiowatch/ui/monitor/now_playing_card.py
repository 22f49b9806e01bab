"""One station's now-playing card: status, current song with cover, score, age, last plays.

The card is a passive view: `show_panel` copies what a `StationPanel` holds and `refresh_age`
rewrites only the "how long ago" texts. The Monitor tab decides when to call them (on its
timer), so a card never repaints per network event, and how wide the card is and how much it
shows (`apply_style`, see card_grid.py).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from PySide6.QtCore import QPoint, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.play import Play
from radiowatch.monitoring.now_playing import StationPanel, current_song_line, not_heard_text
from radiowatch.ui.monitor.card_grid import COMPACT, MOST_RECENT_ROWS, CardStyle

COVER_SIZE = COMPACT.cover
MARGIN_X = 12
SONG_SPACING = 10
RECENT_TIME_WIDTH = 40  # "23:59" in the small font, and a little air

STATE_STYLE = {
    # state: (label, background, text)
    "connecting": ("Connecting", "#fff1d6", "#9a5b00"),
    "live": ("Live", "#dcf5e6", "#137a3f"),
    "down": ("Down", "#fbe0e0", "#a32626"),
    "silent": ("Silent", "#e6e9f0", "#4a5468"),
    "paused": ("Paused", "#eceef2", "#5b6475"),
    "stopped": ("Stopped", "#eceef2", "#5b6475"),
}

# Cards are surfaces of their own, so they follow the light or dark scheme the app applies
# (ui/common/palette.py) rather than the palette alone.
CARD_COLOURS = {
    "light": {
        "card": "#ffffff",
        "border": "#dde1e8",
        "strong": "#1d2430",
        "artist": "#3b4556",
        "muted": "#6b7484",
        "recent": "#4a5468",
        "faint": "#8a93a3",
        "rule": "#eef0f4",
        "tile": "#c3cad6",
    },
    "dark": {
        "card": "#272c34",
        "border": "#363d47",
        "strong": "#e6e8eb",
        "artist": "#c4cad4",
        "muted": "#9aa3b2",
        "recent": "#b4bbc7",
        "faint": "#7d8696",
        "rule": "#363d47",
        "tile": "#4a5360",
    },
}

# Set once on the card container (MonitorTab), not per card: 100 per-card style sheets would
# each be parsed and polished separately.
_CARD_STYLE = """
QWidget#cardContainer { background: transparent; }
QFrame#nowPlayingCard { background: %(card)s; border: 1px solid %(border)s; border-radius: 8px; }
QLabel#stationName { font-weight: 600; font-size: 11pt; color: %(strong)s; }
QLabel#songTitle { font-weight: 600; font-size: 10.5pt; color: %(strong)s; }
QLabel#stationName[roomy="true"] { font-size: 12.5pt; }
QLabel#songTitle[roomy="true"] { font-size: 13pt; }
QLabel#songArtist[roomy="true"] { font-size: 10.5pt; }
QLabel#songArtist { color: %(artist)s; }
QLabel#songTitle[heard="past"], QLabel#songArtist[heard="past"] { color: %(faint)s; }
QLabel#songMeta, QLabel#statusDetail { color: %(muted)s; font-size: 8.5pt; }
QLabel#recentRow { color: %(recent)s; font-size: 8.5pt; }
QLabel#recentTime { color: %(faint)s; font-size: 8.5pt; }
QLabel#notHeard { color: #b45309; font-size: 8.5pt; font-style: italic; }
QFrame#cardRule { background: %(rule)s; max-height: 1px; border: none; }
QLabel#aiBadge { background: #ede4ff; color: #5b21b6; border-radius: 7px; padding: 0px 6px;
                 font-size: 8pt; font-weight: 600; }
QFrame#addStationTile { background: transparent; border: 1px dashed %(tile)s; border-radius: 8px; }
QLabel#addStationTitle { font-weight: 600; font-size: 11pt; color: %(strong)s; }
QLabel#addStationHint { color: %(muted)s; font-size: 8.5pt; }
"""


def card_style_sheet(scheme: str = "light") -> str:
    return _CARD_STYLE % CARD_COLOURS.get(scheme, CARD_COLOURS["light"])


AI_BADGE_TEXT = "AI"


def ai_badge_tooltip(provenance: str | None) -> str:
    return f"AI-generated: imported from {provenance}" if provenance else "AI-generated"


def placeholder_cover(size: int = COVER_SIZE, seed: str = "") -> QPixmap:
    """A soft gradient with a note, so a card without cover art still looks finished."""
    return _placeholder(size, sum(map(ord, seed)) * 5 % 12 * 30)  # neighbours differ


@lru_cache(maxsize=64)
def _placeholder(size: int, hue: int) -> QPixmap:
    # 12 hues: a dozen small pixmaps drawn once and shared by every card.
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    gradient = QLinearGradient(0, 0, size, size)
    gradient.setColorAt(0, QColor.fromHsl(hue, 120, 200))
    gradient.setColorAt(1, QColor.fromHsl((hue + 40) % 360, 110, 150))
    painter.setBrush(gradient)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(0, 0, size, size), 6, 6)
    painter.setPen(QColor(255, 255, 255, 220))
    font = QFont()
    font.setPixelSize(int(size * 0.45))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter, "♪")
    painter.end()
    return pixmap


def rounded(pixmap: QPixmap, size: int = COVER_SIZE) -> QPixmap:
    scaled = pixmap.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    result = QPixmap(size, size)
    result.fill(Qt.GlobalColor.transparent)
    painter = QPainter(result)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(scaled)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(QRectF(0, 0, size, size), 6, 6)
    painter.end()
    return result


def song_text(play: Play) -> tuple[str, str]:
    title = play.title or "Unknown title"
    artist = play.artist or ""
    return title, artist


class NowPlayingCard(QFrame):
    """Emits `play_activated(play_id)` when a play on the card is clicked (open it in History),
    and `menu_requested(play, global position)` on a right-click while a play is shown (the
    tab offers Listen and Save clip… there)."""

    play_activated = Signal(int)
    menu_requested = Signal(object, QPoint)

    def __init__(self, radio_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.radio_id = radio_id
        self.setObjectName("nowPlayingCard")
        self.style_ = COMPACT
        self.setFixedWidth(COMPACT.min_width)
        # Cards keep their natural height; a taller neighbour must not stretch them.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        self._full_texts: dict[QLabel, str] = {}
        self._panel: StationPanel | None = None
        self._current: Play | None = None
        self._recent: list[Play] = []
        self._local_tz = None
        self._status_since: datetime | None = None
        self._cover_url: str | None = None
        self.setup_ui()

    def setup_ui(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(MARGIN_X, 10, MARGIN_X, 10)
        outer.setSpacing(6)

        header = QHBoxLayout()
        self.name_label = QLabel(objectName="stationName")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.status_pill = QLabel(objectName="statusPill")
        self.status_pill.setAlignment(Qt.AlignmentFlag.AlignCenter)
        header.addWidget(self.name_label, 1)
        header.addWidget(self.status_pill)
        outer.addLayout(header)

        self.status_detail = QLabel(objectName="statusDetail")
        self.status_detail.setWordWrap(True)
        self.status_detail.hide()
        outer.addWidget(self.status_detail)

        song = QHBoxLayout()
        song.setSpacing(SONG_SPACING)
        self.cover_label = QLabel()
        self.cover_label.setFixedSize(COVER_SIZE, COVER_SIZE)
        song.addWidget(self.cover_label, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title_label = QLabel(objectName="songTitle")
        self.artist_label = QLabel(objectName="songArtist")
        self.meta_label = QLabel(objectName="songMeta")
        self.ai_badge = QLabel(AI_BADGE_TEXT, objectName="aiBadge")
        self.ai_badge.hide()
        title_row = QHBoxLayout()
        title_row.setSpacing(6)
        title_row.addWidget(self.title_label, 0)
        title_row.addWidget(self.ai_badge, 0, Qt.AlignmentFlag.AlignVCenter)
        title_row.addStretch(1)
        for label in (self.title_label, self.artist_label, self.meta_label):
            label.setMinimumWidth(10)
        text.addLayout(title_row)
        text.addWidget(self.artist_label)
        text.addWidget(self.meta_label)
        text.addStretch(1)
        song.addLayout(text, 1)
        outer.addLayout(song)

        rule = QFrame(objectName="cardRule")
        rule.setFrameShape(QFrame.Shape.HLine)
        outer.addWidget(rule)

        # Where the station was not heard (coverage): the history below has a gap there.
        self.not_heard_label = QLabel(objectName="notHeard")
        self.not_heard_label.hide()
        outer.addWidget(self.not_heard_label)

        self.recent_grid = QGridLayout()
        self.recent_grid.setHorizontalSpacing(8)
        self.recent_grid.setVerticalSpacing(1)
        self.recent_rows: list[tuple[QLabel, QLabel]] = []
        for row in range(MOST_RECENT_ROWS):
            when, what = QLabel(objectName="recentTime"), QLabel(objectName="recentRow")
            when.setFixedWidth(RECENT_TIME_WIDTH)
            what.setMinimumWidth(10)
            when.hide()
            what.hide()
            self.recent_grid.addWidget(when, row, 0)
            self.recent_grid.addWidget(what, row, 1)
            self.recent_rows.append((when, what))
        self.recent_grid.setColumnStretch(1, 1)
        outer.addLayout(self.recent_grid)
        self.cover_label.setPixmap(placeholder_cover(self.style_.cover, str(self.radio_id)))

    # -- size ------------------------------------------------------------------------------

    def apply_style(self, width: int, style: CardStyle) -> None:
        """Be `width` pixels wide and show as much as `style` says; no-op when unchanged."""
        if width == self.card_width() and style == self.style_:
            return
        roomy_changed = style.roomy != self.style_.roomy
        cover_changed = style.cover != self.style_.cover
        rows_changed = style.recent_rows != self.style_.recent_rows
        self.style_ = style
        self.setFixedWidth(width)
        if roomy_changed:
            for label in (self.name_label, self.title_label, self.artist_label):
                label.setProperty("roomy", style.roomy)
                label.style().unpolish(label)
                label.style().polish(label)
        if cover_changed:
            self.cover_label.setFixedSize(style.cover, style.cover)
            if self._cover_url is None:
                self.cover_label.setPixmap(placeholder_cover(style.cover, str(self.radio_id)))
        if rows_changed:
            self._show_recent(self._local_tz)
        for label, text in self._full_texts.items():
            self._set_elided(label, text)

    def card_width(self) -> int:
        """The width the card is given (fixed; its geometry follows at the next layout)."""
        return self.minimumWidth()

    def text_width(self) -> int:
        """Room for the song's title and artist beside the cover."""
        return self.card_width() - 2 * MARGIN_X - self.style_.cover - SONG_SPACING - 2

    def cover_size(self) -> int:
        return self.style_.cover

    # -- updates ---------------------------------------------------------------------------

    def show_panel(self, panel: StationPanel, now: datetime, local_tz=None) -> None:
        self.name_label.setText(panel.name)
        self.name_label.setToolTip(f"{panel.name} (radio_id {panel.radio_id})")
        self._show_status(panel)
        self._panel = panel
        self._local_tz = local_tz
        self._current = panel.current
        self._recent = panel.earlier
        self._show_current(local_tz)
        self._show_recent(local_tz)
        self.refresh_age(now)
        self._show_not_heard(now)

    def _show_not_heard(self, now: datetime) -> None:
        text = not_heard_text(self._panel.not_heard, now, self._local_tz) if self._panel else ""
        if text != self.not_heard_label.text():
            self.not_heard_label.setText(text)
            self.not_heard_label.setToolTip(
                "Monitoring did not hear this station then (backend or stream down, paused, or "
                "the app closed): plays in that time are not in the history."
                if text
                else ""
            )
        _show(self.not_heard_label, bool(text))

    def _show_status(self, panel: StationPanel) -> None:
        state = panel.status.state if panel.status else "connecting"
        label, background, colour = STATE_STYLE.get(state, STATE_STYLE["connecting"])
        if self.status_pill.property("state") != state:  # restyling is costly: only on change
            self.status_pill.setText(label)
            self.status_pill.setProperty("state", state)
            self.status_pill.setStyleSheet(
                f"QLabel {{ background: {background}; color: {colour}; border-radius: 9px;"
                " padding: 1px 9px; font-size: 8.5pt; font-weight: 600; }"
            )
        message = panel.status.message if panel.status else ""
        self.status_detail.setText(message)
        _show(self.status_detail, bool(message))
        self.status_pill.setToolTip(message or label)

    def _show_current(self, local_tz) -> None:
        play = self._current
        if play is None:
            self.ai_badge.hide()
            self._set_elided(self.title_label, "Waiting for the first song…")
            self.title_label.setToolTip("")
            self.artist_label.setText("")
            self.meta_label.setText("")
            self._full_texts.pop(self.artist_label, None)
            self.cover_label.setPixmap(placeholder_cover(self.style_.cover, str(self.radio_id)))
            self._cover_url = None
            return
        title, artist = song_text(play)
        if play.ai_generated:
            self.ai_badge.setToolTip(ai_badge_tooltip(play.provenance))
        _show(self.ai_badge, play.ai_generated)  # before cutting the title to the room left
        self._set_elided(self.title_label, title)
        self._set_elided(self.artist_label, artist)
        # Greyed when it is only the song last heard, not one known to be on air now.
        heard = "now" if self._panel is not None and self._panel.on_air else "past"
        for label in (self.title_label, self.artist_label):
            if label.property("heard") != heard:
                label.setProperty("heard", heard)
                label.style().unpolish(label)
                label.style().polish(label)
        tip = [f"{artist} — {title}"]
        if play.album:
            tip.append(f"Album: {play.album}")
        if play.label:
            tip.append(f"Label: {play.label}")
        if play.isrc:
            tip.append(f"ISRC: {play.isrc}")
        if play.score is not None:
            tip.append(f"Score: {play.score}")
        if play.ai_generated:
            tip.append(ai_badge_tooltip(play.provenance))
        self.title_label.setToolTip("\n".join(tip))

    def _show_recent(self, local_tz) -> None:
        shown = self._recent[: self.style_.recent_rows]
        for index, (when, what) in enumerate(self.recent_rows):
            if index < len(shown):
                play = shown[index]
                title, artist = song_text(play)
                when.setText(play.start.astimezone(local_tz).strftime("%H:%M"))
                self._set_elided(what, f"{artist} — {title}" if artist else title)
                visible = True
            elif index == 0:
                when.setText("")
                self._full_texts.pop(what, None)
                what.setText("No earlier plays yet" if self._current else "No plays recorded yet")
                what.setToolTip("")
                _show(when, False)
                _show(what, True)
                continue
            else:
                visible = False
            _show(when, visible)
            _show(what, visible)

    def refresh_age(self, now: datetime) -> None:
        """Rewrite the age text only (called by the tab's slow timer)."""
        if self._panel is None:
            return
        self._show_not_heard(now)
        if self._current is None:
            return
        self.meta_label.setText(current_song_line(self._panel, now, self._local_tz))

    def cover_url(self) -> str | None:
        return self._cover_url

    def set_cover_url(self, url: str | None) -> None:
        self._cover_url = url

    def set_cover(self, pixmap: QPixmap | None) -> None:
        """Show `pixmap` as is (give it `rounded()` once; many cards may share it)."""
        if pixmap is None or pixmap.isNull():
            # Seeded by station, not song: one cached placeholder per card, none drawn per play.
            self.cover_label.setPixmap(placeholder_cover(self.style_.cover, str(self.radio_id)))
        else:
            self.cover_label.setPixmap(pixmap)

    def _set_elided(self, label: QLabel, text: str) -> None:
        """Show `text` cut to the room the label has in this card; kept for re-cutting when
        the card's width changes."""
        self._full_texts[label] = text
        if label.objectName() == "recentRow":
            width = self.card_width() - 2 * MARGIN_X - RECENT_TIME_WIDTH - 8
        else:
            width = self.text_width()
            if label is self.title_label and not self.ai_badge.isHidden():
                width -= self.ai_badge.sizeHint().width() + 6
        label.ensurePolished()  # the style sheet's font, not the default one, decides the width
        metrics = label.fontMetrics()
        label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
        if label is not self.title_label:  # the title's tooltip holds the song's details
            label.setToolTip(text if metrics.horizontalAdvance(text) > width else "")

    # -- interaction -----------------------------------------------------------------------

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._current is not None and self._current.id is not None:
            self.play_activated.emit(self._current.id)
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._current is None:
            super().contextMenuEvent(event)
            return
        self.menu_requested.emit(self._current, event.globalPos())
        event.accept()


def _show(widget: QWidget, visible: bool) -> None:
    """`setVisible` only on a change: a card update calls this for ten widgets, and most keep
    their visibility (each no-op call still cost ~30 µs on the GUI thread)."""
    if widget.isHidden() == visible:
        widget.setVisible(visible)

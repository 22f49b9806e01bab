"""The card that shows one recognition: song, where it plays, cover, and where to listen.

Also the provider picker (which streaming services' metadata to ask for, and the market), shared
by the clip and listen modes. The card has four states: empty (a hint), busy, no match (a
friendly explanation, not an error), and a result; errors are shown by the panel's status line.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.models import RecognitionResult
from radiowatch.ui.common.tasks import spawn

log = logging.getLogger(__name__)

PROVIDERS = ("apple_music", "spotify", "deezer", "napster", "musicbrainz")
PROVIDER_NAMES = {
    "apple_music": "Apple Music",
    "spotify": "Spotify",
    "deezer": "Deezer",
    "napster": "Napster",
    "musicbrainz": "MusicBrainz",
    "youtube": "YouTube",
}
MARKETS = ("us", "gb", "de", "fr", "es", "it", "nl", "se", "ca", "au", "br", "jp", "mx", "in")
COVER_PX = 128
CoverFetcher = Callable[[str], Awaitable[bytes | None]]


class ProviderOptions(QWidget):
    """Checkboxes for `return=` providers plus the market (storefront) selector."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Links from:"))
        self.boxes: dict[str, QCheckBox] = {}
        for key in PROVIDERS:
            box = QCheckBox(PROVIDER_NAMES[key])
            box.setChecked(key in ("apple_music", "spotify", "deezer"))
            box.setToolTip(f"Ask for {PROVIDER_NAMES[key]} metadata and a direct link")
            self.boxes[key] = box
            row.addWidget(box)
        row.addSpacing(12)
        row.addWidget(QLabel("Market:"))
        self.market = QComboBox()
        self.market.setEditable(True)
        self.market.addItems(MARKETS)
        self.market.setToolTip("Storefront country for Apple Music and Spotify links")
        self.market.setMaximumWidth(70)
        row.addWidget(self.market)
        row.addStretch(1)

    def providers(self) -> list[str]:
        return [key for key, box in self.boxes.items() if box.isChecked()]

    def market_code(self) -> str | None:
        code = self.market.currentText().strip().lower()
        return code if len(code) == 2 and code.isalpha() else None


def placeholder_cover(text: str, size: int = COVER_PX) -> QPixmap:
    """A coloured square with initials, while (or instead of) loading the real cover."""
    pixmap = QPixmap(size, size)
    hue = (sum(map(ord, text)) * 37) % 360
    pixmap.fill(QColor.fromHsv(hue, 90, 200))
    painter = QPainter(pixmap)
    font = QFont()
    font.setPixelSize(size // 3)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    initials = "".join(w[0] for w in text.split()[:2]).upper() or "♪"
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, initials)
    painter.end()
    return pixmap


def provider_links(result: RecognitionResult) -> list[tuple[str, str]]:
    """(display name, URL) for each service with a link, MusicBrainz included."""
    links: list[tuple[str, str]] = []
    for key in ("apple_music", "spotify", "deezer", "napster", "youtube"):
        try:
            url = result.streaming_url(key)
        except ValueError:
            url = None
        if url:
            links.append((PROVIDER_NAMES[key], url))
    for recording in result.musicbrainz or []:
        if recording.id:
            links.append(("MusicBrainz", f"https://musicbrainz.org/recording/{recording.id}"))
            break
    return links


def result_text(result: RecognitionResult) -> str:
    """Plain text for the clipboard: readable lines, then the links."""
    lines = [result.pretty()]
    for label, value in (
        ("Album", result.album),
        ("Released", result.release_date),
        ("Label", result.label),
        ("ISRC", result.isrc),
        ("Timecode", result.timecode),
        ("Song link", result.song_link),
    ):
        if value:
            lines.append(f"{label}: {value}")
    lines += [f"{name}: {url}" for name, url in provider_links(result)]
    return "\n".join(lines)


class ResultCard(QFrame):
    save_requested = Signal(object)

    def __init__(
        self, cover_fetcher: CoverFetcher | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("resultCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#resultCard { background: palette(base); border-radius: 6px; }")
        self._cover_fetcher = cover_fetcher
        self.result: RecognitionResult | None = None
        self.state = "empty"
        self.setup_ui()
        self.show_empty()

    def setup_ui(self) -> None:
        outer = QHBoxLayout(self)
        self.cover = QLabel()
        self.cover.setFixedSize(COVER_PX, COVER_PX)
        self.cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer.addWidget(self.cover, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        self.headline = QLabel()
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.headline.setFont(font)
        self.headline.setWordWrap(True)
        self.artist = QLabel()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.links = QLabel()
        self.links.setOpenExternalLinks(True)
        self.links.setWordWrap(True)
        self.links.setTextFormat(Qt.TextFormat.RichText)
        for widget in (self.headline, self.artist, self.details, self.links):
            text.addWidget(widget)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save to history")
        self.save_button.setToolTip("Keep this result in the play history")
        self.save_button.clicked.connect(self._on_save)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the song, details and links as text")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        text.addLayout(buttons)
        text.addStretch(1)
        outer.addLayout(text, 1)

    # --- states ---------------------------------------------------------------------

    def _set_actions(self, enabled: bool) -> None:
        self.save_button.setEnabled(enabled)
        self.copy_button.setEnabled(enabled)

    def show_empty(self, hint: str = "The result appears here.") -> None:
        self.state, self.result = "empty", None
        self.cover.setPixmap(placeholder_cover("♪"))
        self.headline.setText("No result yet")
        self.artist.setText(hint)
        self.details.clear()
        self.links.clear()
        self._set_actions(False)

    def show_busy(self, what: str) -> None:
        self.state, self.result = "busy", None
        self.headline.setText("Listening…" if what.startswith("Listen") else "Recognising…")
        self.artist.setText(what)
        self.details.clear()
        self.links.clear()
        self._set_actions(False)

    def show_no_match(self, text: str) -> None:
        self.state, self.result = "no_match", None
        self.cover.setPixmap(placeholder_cover("?"))
        self.headline.setText("No match")
        self.artist.setText(text)
        self.details.clear()
        self.links.clear()
        self._set_actions(False)

    def show_result(self, result: RecognitionResult) -> None:
        self.state, self.result = "match", result
        if result.is_custom_match and not (result.title or result.artist):
            title, artist = f"Custom catalog song #{result.audio_id}", "From your catalog"
        else:
            title, artist = result.title or "Unknown title", result.artist or "Unknown artist"
        self.headline.setText(title)
        self.artist.setText(artist)
        self.details.setText(self._details_html(result))
        links = [(name, url) for name, url in provider_links(result)]
        if result.song_link:
            links.insert(0, ("Song link", result.song_link))
        self.links.setText(
            " · ".join(
                f'<a href="{html.escape(url, quote=True)}">{html.escape(name)}</a>'
                for name, url in links
            )
            or "<i>No streaming links for this song.</i>"
        )
        self.cover.setPixmap(placeholder_cover(f"{artist} {title}"))
        self.save_button.setText("Save to history")
        self._set_actions(True)
        url = result.cover_art_url(COVER_PX * 2)
        if url and self._cover_fetcher is not None:
            spawn(self._load_cover(url, result), name="recognize-cover")

    @staticmethod
    def _details_html(result: RecognitionResult) -> str:
        rows = [
            ("Album", result.album),
            ("Released", result.release_date),
            ("Label", result.label),
            ("ISRC", result.isrc),
            ("Plays at", f"{result.timecode} into the song" if result.timecode else None),
            ("Catalog id", str(result.audio_id) if result.audio_id is not None else None),
        ]
        return "<br>".join(f"<b>{html.escape(k)}:</b> {html.escape(v)}" for k, v in rows if v)

    async def _load_cover(self, url: str, result: RecognitionResult) -> None:
        assert self._cover_fetcher is not None
        try:
            data = await self._cover_fetcher(url)
        except Exception:  # noqa: BLE001 - a missing cover is cosmetic
            log.debug("cover art failed", exc_info=True)
            return
        if data and self.result is result:
            pixmap = QPixmap()
            if pixmap.loadFromData(data):
                self.cover.setPixmap(
                    pixmap.scaled(
                        COVER_PX,
                        COVER_PX,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )

    # --- actions --------------------------------------------------------------------

    def _on_save(self) -> None:
        if self.result is not None:
            self.save_requested.emit(self.result)
            self.save_button.setText("Saved ✓")
            self.save_button.setEnabled(False)

    def copy_to_clipboard(self) -> str:
        if self.result is None:
            return ""
        text = result_text(self.result)
        QGuiApplication.clipboard().setText(text)
        return text

    def result_json(self) -> str:
        return json.dumps(self.result.model_dump(mode="json") if self.result else None)

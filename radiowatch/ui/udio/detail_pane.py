"""The Udio tab's detail pane: everything about the selected song, and listening to it.

Cover, title, creator, prompt and tags at the top; a preview row (play, position, time); the
download and add-to-catalog buttons with the provenance tag a catalog track will carry; any
message about the song (failed, expired audio link, already in the catalog); the lyrics as
clean sections. The pane only shows and asks: the tab downloads (so a preview, a download and
an add-to-catalog share one download) and hands back the file to play with `play_file()`.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from radiowatch.udio.lyrics import parse_lyrics
from radiowatch.udio.models import SongStatus
from radiowatch.udio.song_export import provenance_of
from radiowatch.ui.common.preview_player import PreviewPlayer
from radiowatch.ui.udio.song_table import SongRow, format_duration

COVER_SIZE = 160
NO_CATALOG_TIP = (
    "Adding to the catalog needs the local engine, which is not connected to this tab yet."
)


class SongDetailPane(QFrame):
    preview_requested = Signal(str)  # a song id: download it if needed, then play_file()
    download_requested = Signal()
    catalog_requested = Signal()
    failed = Signal(str)  # a readable message for the tab's status line

    def __init__(
        self, downloads_dir: Path, *, catalog_available: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.downloads_dir = downloads_dir
        self.catalog_available = catalog_available
        self._row: SongRow | None = None
        self.playing_id: str | None = None
        self.preview = PreviewPlayer(self)
        self.preview.duration_changed.connect(self._on_duration_changed)
        self.preview.position_changed.connect(self._on_position_changed)
        self.preview.playing_changed.connect(
            lambda playing: self.play_button.setText("⏸ Pause" if playing else "▶ Preview")
        )
        self.preview.failed.connect(lambda reason: self.failed.emit(f"Preview failed: {reason}."))
        self._build()
        self.show_song(None, None)

    def _build(self) -> None:
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(380)
        self.cover_label = QLabel()
        self.cover_label.setFixedSize(COVER_SIZE, COVER_SIZE)
        self.cover_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = QLabel(wordWrap=True)
        title_font = QFont(self.title_label.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.35)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.creator_label = QLabel(wordWrap=True)
        self.prompt_label = QLabel(wordWrap=True)
        self.tags_label = QLabel(wordWrap=True)
        self.song_message = QLabel(wordWrap=True)
        self.song_message.setStyleSheet("color: #c53030;")
        for label in (
            self.title_label,
            self.creator_label,
            self.prompt_label,
            self.tags_label,
            self.song_message,
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        facts = QVBoxLayout()
        for w in (self.title_label, self.creator_label, self.prompt_label, self.tags_label):
            facts.addWidget(w)
        facts.addStretch(1)
        head = QHBoxLayout()
        head.addWidget(self.cover_label, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(facts, 1)

        self.play_button = QPushButton("▶ Preview")
        self.position_slider = QSlider(Qt.Orientation.Horizontal)
        self.position_slider.setRange(0, 0)
        self.time_label = QLabel("0:00 / 0:00")
        player_row = QHBoxLayout()
        player_row.addWidget(self.play_button)
        player_row.addWidget(self.position_slider, 1)
        player_row.addWidget(self.time_label)
        if PreviewPlayer.unavailable_reason():
            self.play_button.setToolTip(PreviewPlayer.unavailable_reason())

        self.download_button = QPushButton("Download MP3")
        self.catalog_button = QPushButton("Add to catalog")
        actions = QHBoxLayout()
        actions.addWidget(self.download_button)
        actions.addWidget(self.catalog_button)
        actions.addStretch(1)
        self.provenance_label = QLabel()
        self.provenance_label.setStyleSheet("color: #6b7280;")
        self.provenance_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.provenance_label.setToolTip(
            "The tag a catalog track from this song carries; plays of it on air are flagged "
            "as AI-generated."
        )

        self.lyrics_view = QTextBrowser()
        self.lyrics_view.setOpenLinks(False)
        self.lyrics_view.setPlaceholderText("No lyrics")

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(player_row)
        layout.addLayout(actions)
        layout.addWidget(self.provenance_label)
        layout.addWidget(self.song_message)
        layout.addWidget(self.lyrics_view, 1)

        self.play_button.clicked.connect(self.toggle_preview)
        self.position_slider.sliderMoved.connect(lambda ms: self.preview.seek(ms / 1000))
        self.download_button.clicked.connect(self.download_requested)
        self.catalog_button.clicked.connect(self.catalog_requested)

    # -- showing a song ---------------------------------------------------------------------

    def show_song(self, row: SongRow | None, cover: QPixmap | None) -> None:
        """Show `row` (None: nothing selected); a preview of another song stops."""
        song_id = row.result.id if row else None
        if self.playing_id is not None and self.playing_id != song_id:
            self.stop_preview()  # the preview belongs to the song on show
        self._row = row
        song = row.song if row else None
        self.cover_label.setPixmap(cover or _placeholder_cover())
        if row is None:
            self.title_label.setText("No song selected")
            self.creator_label.setText("Fetch ids above, then pick a song to see its details.")
            for w in (self.prompt_label, self.tags_label, self.song_message):
                w.clear()
            self.lyrics_view.clear()
        elif song is None:
            self.title_label.setText(row.result.id)
            self.creator_label.setText(row.result.status.value)
            self.prompt_label.clear()
            self.tags_label.clear()
            self.lyrics_view.clear()
        else:
            self.title_label.setText(
                song.title or ("Generating…" if not song.finished else song.display_title)
            )
            duration = format_duration(song.duration)
            self.creator_label.setText(
                f"by <b>{html.escape(song.artist or 'unknown creator')}</b>"
                + (f" · {duration}" if duration else "")
            )
            self.prompt_label.setText(
                f"<i>Prompt:</i> {html.escape(song.prompt)}" if song.prompt else ""
            )
            self.tags_label.setText(_tag_chips(song.tags))
            self.lyrics_view.setHtml(lyrics_html(song.lyrics))
        self.provenance_label.setText(
            f"Catalog provenance: {provenance_of(row.result.id)}" if song is not None else ""
        )
        self.provenance_label.setVisible(song is not None)
        self._show_messages(row)
        self._update_actions(row)
        if self.playing_id is None:
            self._reset_position(song.duration if song else None)

    def set_cover(self, song_id: str, cover: QPixmap) -> None:
        if self._row is not None and self._row.result.id == song_id:
            self.cover_label.setPixmap(cover)

    def _show_messages(self, row: SongRow | None) -> None:
        messages = [
            m
            for m in ((row.result.message if row else None), (row.audio_error if row else None))
            if m
        ]
        if row and row.in_catalog:
            messages.append(f"In your catalog as {provenance_of(row.result.id)}.")
        self.song_message.setText("\n".join(messages))
        self.song_message.setVisible(bool(messages))
        self.song_message.setStyleSheet(
            "color: #c53030;"
            if row and (row.audio_error or row.result.status is SongStatus.FAILED)
            else "color: #4a5568;"
        )

    def _update_actions(self, row: SongRow | None) -> None:
        playable = bool(row and row.song and (row.audio_path or row.song.audio_url))
        self.play_button.setEnabled(playable and self.preview.available())
        self.download_button.setEnabled(playable)
        if row and row.audio_path:
            self.download_button.setText("Downloaded ✓")
            self.download_button.setToolTip(str(row.audio_path))
        else:
            self.download_button.setText("Download MP3")
            self.download_button.setToolTip(f"Save the MP3 to {self.downloads_dir}")
        if not self.catalog_available:
            self.catalog_button.setEnabled(False)
            self.catalog_button.setToolTip(NO_CATALOG_TIP)
        else:
            self.catalog_button.setEnabled(playable and not (row and row.in_catalog))
            self.catalog_button.setToolTip(
                "Fingerprint this song into your catalog, tagged as AI-generated "
                "(so plays on monitored stations are flagged)."
            )

    # -- preview ----------------------------------------------------------------------------

    def toggle_preview(self) -> None:
        """Pause or resume the song on show, or ask the tab for its file to play it."""
        song_id = self._row.result.id if self._row else None
        if song_id is None or not self.preview.available():
            return
        if self.playing_id == song_id and self.preview.is_playing():
            self.preview.pause()
        elif self.playing_id == song_id and self.preview.is_paused():
            self.preview.play()
        else:
            self.preview_requested.emit(song_id)

    def play_file(self, song_id: str, path: Path) -> None:
        self.playing_id = song_id
        self.preview.load(QUrl.fromLocalFile(str(path)))
        self.preview.play()

    def stop_preview(self) -> None:
        self.preview.stop()
        self.playing_id = None

    def release(self) -> None:
        """Stop and free the player (the tab's close)."""
        self.playing_id = None
        self.preview.release()

    def _reset_position(self, duration_s: float | None) -> None:
        self.position_slider.setRange(0, 0)
        self.time_label.setText(f"0:00 / {format_duration(duration_s) or '0:00'}")

    def _on_duration_changed(self, seconds: float) -> None:
        self.position_slider.setRange(0, max(0, int(seconds * 1000)))
        self._update_time_label()

    def _on_position_changed(self, seconds: float) -> None:
        if not self.position_slider.isSliderDown():
            self.position_slider.setValue(int(seconds * 1000))
        self._update_time_label()

    def _update_time_label(self) -> None:
        position = self.position_slider.value() / 1000
        duration = self.position_slider.maximum() / 1000
        self.time_label.setText(
            f"{format_duration(position) or '0:00'} / {format_duration(duration) or '0:00'}"
        )


def lyrics_html(text: str | None) -> str:
    """Lyrics as clean sections: a small heading per section, stanzas as paragraphs."""
    sections = parse_lyrics(text)
    if not sections:
        return "<p style='color:#6b7280'><i>No lyrics (instrumental, or not written yet).</i></p>"
    parts = []
    for section in sections:
        if section.name:
            parts.append(
                "<p style='margin-top:10px; margin-bottom:2px; color:#4a5568; font-weight:600;"
                f" font-size:small; letter-spacing:1px'>{html.escape(section.name.upper())}</p>"
            )
        stanza: list[str] = []
        for line in [*section.lines, ""]:
            if line:
                stanza.append(html.escape(line))
            elif stanza:
                parts.append("<p style='margin-top:0'>" + "<br>".join(stanza) + "</p>")
                stanza = []
    return "".join(parts)


def _tag_chips(tags: list[str]) -> str:
    if not tags:
        return ""
    chips = " ".join(
        f"<span style='background:#e8eefc; color:#2a4a8a'>&nbsp;{html.escape(t)}&nbsp;</span>"
        for t in tags
    )
    return f"<span style='line-height:160%'>{chips}</span>"


def _placeholder_cover() -> QPixmap:
    pixmap = QPixmap(QSize(COVER_SIZE, COVER_SIZE))
    pixmap.fill(QColor("#e2e8f0"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#94a3b8"))
    font = QFont(painter.font())
    font.setPointSize(40)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, COVER_SIZE, COVER_SIZE), Qt.AlignmentFlag.AlignCenter, "♪")
    painter.end()
    return pixmap

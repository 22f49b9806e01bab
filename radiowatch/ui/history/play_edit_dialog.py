"""Correcting a play, or adding one by hand.

The dialog only collects what the person typed; the History tab applies it through PlayStore,
which keeps the recognised values. What the backend originally reported is shown read-only at
the top so a correction is never made blind. When the tab gives an `on_save`, Save calls it and
the dialog closes only if it succeeded: a refused save (a busy history) leaves the dialog open
with everything typed and the reason shown, so pressing Save again retries.

With the tab's clip actions, the dialog also says whether the engine keeps the play's audio:
it asks (`/archive/kept/`) when it opens and says so while it waits, and offers Listen and
Save clip… once the answer is yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.play import Play
from radiowatch.history.queries import StationRef
from radiowatch.ui.common.clip_actions import CHECKING, ClipActions
from radiowatch.ui.common.tasks import TaskSlot

_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$")


class PlayEditDialog(QDialog):
    """Edit `play` (corrections + false positive), or, with play=None, describe a manual play."""

    def __init__(
        self,
        play: Play | None,
        stations: list[StationRef],
        parent: QWidget | None = None,
        *,
        default_station: int | None = None,
        default_start: datetime | None = None,
        on_save: Callable[[PlayEditDialog], str | None] | None = None,
        clip_actions: ClipActions | None = None,
    ) -> None:
        super().__init__(parent)
        self._play = play
        self._on_save = on_save
        self._clips = clip_actions
        self._kept_check = TaskSlot("kept audio for the edit dialog")
        self._stations = stations
        self.setWindowTitle("Add a play" if play is None else "Edit play")
        self.setMinimumWidth(480 if clip_actions is not None else 420)
        self.setup_ui(default_station, default_start)
        self._validate()

    def setup_ui(self, default_station: int | None, default_start: datetime | None) -> None:
        layout = QVBoxLayout(self)
        play = self._play
        if play is not None:
            recognised = QLabel(self._recognised_text(play))
            recognised.setWordWrap(True)
            recognised.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            recognised.setObjectName("recognised")
            layout.addWidget(recognised)
            if self._clips is not None:
                layout.addLayout(self._audio_row(play, self._clips))

        form = QFormLayout()
        self.station = QComboBox()
        for ref in self._stations:
            self.station.addItem(ref.name, ref.radio_id)
        self.start = QDateTimeEdit()
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.duration = QSpinBox()
        self.duration.setRange(0, 24 * 3600)
        self.duration.setSuffix(" s")
        if play is None:
            wanted = default_station if default_station is not None else None
            if wanted is not None and self.station.findData(wanted) >= 0:
                self.station.setCurrentIndex(self.station.findData(wanted))
            start = default_start or datetime.now(UTC)
            self.start.setDateTime(QDateTime.fromSecsSinceEpoch(int(start.timestamp())))
            self.duration.setValue(180)
            form.addRow("&Station", self.station)
            form.addRow("S&tarted", self.start)
            form.addRow("&Duration", self.duration)

        self.artist = QLineEdit(play.artist if play else "")
        self.title = QLineEdit(play.title if play else "")
        self.album = QLineEdit((play.album or "") if play else "")
        self.label = QLineEdit((play.label or "") if play else "")
        self.isrc = QLineEdit((play.isrc or "") if play else "")
        self.isrc.setPlaceholderText("e.g. USUM71414191")
        form.addRow("&Artist", self.artist)
        form.addRow("T&itle", self.title)
        form.addRow("Al&bum", self.album)
        form.addRow("&Label", self.label)
        form.addRow("IS&RC", self.isrc)
        self.false_positive = QCheckBox("Not this song (false positive)")
        if play is not None:
            self.false_positive.setChecked(play.false_positive)
            form.addRow("", self.false_positive)
        layout.addLayout(form)

        self.problem = QLabel()
        self.problem.setStyleSheet("color: #b00020")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for edit in (self.artist, self.title, self.isrc):
            edit.textChanged.connect(self._validate)

    def _audio_row(self, play: Play, clips: ClipActions) -> QHBoxLayout:
        row = QHBoxLayout()
        self.audio_kept = QLabel(CHECKING)
        self.audio_kept.setObjectName("audioKept")
        self.audio_kept.setWordWrap(True)
        self.audio_kept.setStyleSheet("color: palette(placeholder-text)")
        self.listen_button = QPushButton("Listen")
        self.listen_button.clicked.connect(lambda: clips.listen(play))
        self.save_clip_button = QPushButton("Save clip…")
        self.save_clip_button.clicked.connect(lambda: clips.save(play))
        for button in (self.listen_button, self.save_clip_button):
            button.setEnabled(False)
            button.setToolTip(CHECKING)
        row.addWidget(self.audio_kept, 1)
        row.addWidget(self.listen_button)
        row.addWidget(self.save_clip_button)
        self._kept_check.start(self._show_kept(play, clips))
        self.finished.connect(lambda _result: self._kept_check.cancel())
        return row

    async def _show_kept(self, play: Play, clips: ClipActions) -> None:
        answer = await clips.check_kept(play)
        self.audio_kept.setText(answer.text)
        self.audio_kept.setStyleSheet("" if answer.available else "color: #9a6700")
        for button in (self.listen_button, self.save_clip_button):
            button.setEnabled(answer.available)
            button.setToolTip(answer.text)
        if answer.available and not clips.preview.available():
            self.listen_button.setEnabled(False)
            self.listen_button.setToolTip(clips.preview.unavailable_reason() or "")

    @staticmethod
    def _recognised_text(play: Play) -> str:
        artist = play.original_artist if play.original_artist is not None else play.artist
        title = play.original_title if play.original_title is not None else play.title
        when = play.start.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        origin = "Added by hand" if play.origin == "manual" else f"Recognised ({play.backend})"
        score = f", score {play.score}" if play.score is not None else ""
        return f"{origin} on {play.station_name} at {when}: <b>{artist} – {title}</b>{score}"

    def _validate(self) -> None:
        problem = ""
        if not self.artist.text().strip() and not self.title.text().strip():
            problem = "Give at least an artist or a title."
        elif self.isrc.text().strip() and not _ISRC.match(
            self.isrc.text().strip().upper().replace("-", "")
        ):
            problem = "An ISRC is 12 characters: country (2 letters), registrant (3), year (2), number (5)."
        elif self._play is None and self.station.count() == 0:
            problem = "Add a station first: a play belongs to a station."
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)

    def accept(self) -> None:
        if self._on_save is not None:
            problem = self._on_save(self)
            if problem:
                self.problem.setText(problem)
                self.problem.setVisible(True)
                return
        super().accept()

    # -- results --------------------------------------------------------------------------------

    def _isrc_value(self) -> str | None:
        text = self.isrc.text().strip().upper().replace("-", "")
        return text or None

    def corrections(self) -> dict[str, str | None]:
        """Only the fields the person changed, ready for PlayStore.correct()."""
        assert self._play is not None
        values = {
            "artist": self.artist.text().strip(),
            "title": self.title.text().strip(),
            "album": self.album.text().strip() or None,
            "label": self.label.text().strip() or None,
            "isrc": self._isrc_value(),
        }
        return {k: v for k, v in values.items() if getattr(self._play, k) != v}

    def is_false_positive(self) -> bool:
        return self.false_positive.isChecked()

    def manual_play(self) -> Play:
        """The play to add (station, time and track as entered)."""
        start = datetime.fromtimestamp(self.start.dateTime().toSecsSinceEpoch(), tz=UTC)
        return Play(
            radio_id=self.station.currentData(),
            station_name=self.station.currentText(),
            start=start,
            play_length=float(self.duration.value()) or None,
            artist=self.artist.text(),
            title=self.title.text(),
            album=self.album.text().strip() or None,
            label=self.label.text().strip() or None,
            isrc=self._isrc_value(),
        )

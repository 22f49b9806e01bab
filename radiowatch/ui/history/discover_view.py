"""History → Discover: audio the stations keep playing that matches nothing in the catalog.

A new song not in the catalog, a jingle, an ad campaign: the engine's archive heard each of
them again and again. The engine finds them (`/archive/discover/`, in the background, with
progress and cancel) and this view lists one row per piece: its length, how often and where it
aired, when first and last. Listen plays its longest airing; "Add to catalog…" names it (title,
artist, and whether it is a song, a jingle or an ad) and makes that airing the catalog's
reference (`/archive/discover/add/`); the engine then searches the archive for its other
airings, which enter the history marked "found later", and the piece leaves this list (its
airings are known plays now), whatever its kind.

It is a sub-view of History because what it finds becomes history; it knows only the archive
client and the clip actions, never another tab.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.errors import AudDError
from radiowatch.backend.archive_client import DiscoveredPiece, DiscoverJob, follow_job
from radiowatch.history.play import Play
from radiowatch.history.queries import StationRef
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.common.tasks import TaskSlot

COLUMNS = ("Length", "Heard", "Stations", "First heard", "Last heard", "Looks like")
KINDS = ("song", "jingle", "ad")
COLUMN_PAD = 16  # pixels beside a column's widest text
EMPTY_TEXT = (
    "<b>Discover what the stations keep playing that is not in your catalog</b><br><br>"
    "A new song, a jingle, an ad campaign: the engine kept what each station aired, and finds "
    "the pieces of audio heard again and again that match nothing in your catalog. Each one is "
    "a row: listen to it, then add it to the catalog as a song, a jingle or an ad. From then "
    "on it is recognised, and its earlier airings enter the history marked “found later”."
)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "ad" else f"a {kind}"


def _length(seconds: float) -> str:
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class AddPieceDialog(QDialog):
    """Title, artist and kind of a discovered piece."""

    def __init__(self, piece: DiscoveredPiece, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add to catalog")
        self.setMinimumWidth(380)
        layout = QVBoxLayout(self)
        about = QLabel(
            f"The piece heard {piece.count} times ({_length(piece.length_s)} long). Its longest "
            "airing becomes the catalog's reference; its other airings are then searched for."
        )
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        self.title = QLineEdit()
        self.artist = QLineEdit()
        self.kind = QComboBox()
        for kind in KINDS:
            self.kind.addItem(kind.capitalize(), kind)
        self.kind.setCurrentIndex(max(0, self.kind.findData(piece.kind_hint)))
        form.addRow("&Title", self.title)
        form.addRow("&Artist", self.artist)
        form.addRow("&Kind", self.kind)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for edit in (self.title, self.artist):
            edit.textChanged.connect(self._validate)
        self._validate()

    def _validate(self) -> None:
        named = bool(self.title.text().strip() or self.artist.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(named)


class DiscoverView(QWidget):
    def __init__(
        self,
        clips: ClipActions,
        stations: Callable[[], list[StationRef]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._clips = clips
        self._stations = stations
        self._pieces: list[DiscoveredPiece] = []
        self._job: DiscoverJob | None = None
        self._run = TaskSlot("discover", on_error=self._failed)
        self._add = TaskSlot("add a discovered piece", on_error=self._failed)
        self._cancel = TaskSlot("cancel discover")
        self.add_dialog: AddPieceDialog | None = None
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.min_count = QSpinBox()
        self.min_count.setRange(2, 100)
        self.min_count.setValue(3)
        self.min_count.setSuffix(" times")
        self.days = QSpinBox()
        self.days.setRange(1, 365)
        self.days.setValue(7)
        self.days.setSuffix(" days")
        self.find_button = QPushButton("Find unknown audio")
        self.find_button.setToolTip("Ask the engine for audio heard again and again (all stations)")
        self.find_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        controls.addWidget(QLabel("Heard at least"))
        controls.addWidget(self.min_count)
        controls.addWidget(QLabel("in the last"))
        controls.addWidget(self.days)
        controls.addWidget(self.find_button)
        controls.addWidget(self.cancel_button)
        controls.addWidget(self.progress)
        controls.addStretch(1)
        self.listen_button = QPushButton("Listen")
        self.listen_button.clicked.connect(self.listen_selected)
        self.add_button = QPushButton("Add to catalog…")
        self.add_button.clicked.connect(self.add_selected)
        controls.addWidget(self.listen_button)
        controls.addWidget(self.add_button)
        layout.addLayout(controls)

        self.stack = QStackedWidget()
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("discoverEmpty")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMaximumWidth(640)
        empty_page = QWidget()
        empty_layout = QHBoxLayout(empty_page)
        empty_layout.addWidget(self.empty)
        self.stack.addWidget(empty_page)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        # as the Plays table looks (table_model.plays_table_view)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _i: self.listen_selected())
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        self.status = QLabel()
        self.status.setObjectName("discoverStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        unavailable = self._unavailable()
        if unavailable:
            self.find_button.setEnabled(False)
            self.find_button.setToolTip(unavailable)
            self._say(unavailable, error=True)
        self._update_buttons()

    def _unavailable(self) -> str | None:
        try:
            self._clips.archive()
        except AudDError as exc:
            return str(exc)
        return None

    # -- running discover ------------------------------------------------------------------------

    def start(self) -> None:
        self._running(True)
        self._say("Asking the engine for audio heard again and again…")
        self._run.start(self._discover(self.min_count.value(), self.days.value()))

    async def _discover(self, min_count: int, days: int) -> None:
        now = datetime.now(UTC).timestamp()
        async with self._clips.archive() as client:
            job = await client.discover(start=now - days * 86400, end=now, min_count=min_count)
            self._job = job
            job = await follow_job(job, client.discover_job, client.cancel_discover, self._progress)
        self._job = job
        self._running(False)
        if job.state == "failed":
            self._say(f"The engine could not search its archive: {job.error}", error=True)
            return
        self.show_pieces(job.rows)
        if job.state == "cancelled":
            self._say(f"Cancelled; {len(job.rows)} pieces found before that.")
        elif job.rows:
            pieces = "1 piece" if len(job.rows) == 1 else f"{len(job.rows)} pieces"
            self._say(f"{pieces} heard at least {min_count} times.")
        else:
            self._say(
                f"Nothing unknown was heard {min_count} times or more in the last {days} days."
            )

    def _progress(self, job: DiscoverJob) -> None:
        self.progress.setValue(int(job.progress * 100))

    def cancel(self) -> None:
        if self._job is not None and not self._job.finished:
            self.cancel_button.setEnabled(False)
            self._say("Cancelling…")
            self._cancel.start(self._cancel_job(self._job.job_id))

    async def _cancel_job(self, job_id: str) -> None:
        async with self._clips.archive() as client:
            await client.cancel_discover(job_id)

    def _running(self, running: bool) -> None:
        self.find_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setValue(0)

    def show_pieces(self, pieces: list[DiscoveredPiece]) -> None:
        names = {s.radio_id: s.name for s in self._stations()}
        self._pieces = list(pieces)
        self.table.setRowCount(len(pieces))
        for row, piece in enumerate(pieces):
            stations = ", ".join(names.get(r, f"radio_id {r}") for r in piece.stations)
            cells = (
                _length(piece.length_s),
                f"{piece.count}×",
                stations,
                _when(piece.first_heard),
                _when(piece.last_heard),
                piece.kind_hint.capitalize(),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column in (0, 1):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column in range(self.table.columnCount()):  # room beside the text, as on Plays
            if column != 2:
                self.table.setColumnWidth(column, self.table.columnWidth(column) + COLUMN_PAD)
        self.stack.setCurrentIndex(1 if pieces else 0)
        if pieces:  # the most heard, ready for Listen and Add to catalog…
            self.table.selectRow(0)
        self._update_buttons()

    # -- a piece ---------------------------------------------------------------------------------

    def selected_piece(self) -> DiscoveredPiece | None:
        rows = self.table.selectionModel().selectedRows()
        return self._pieces[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        has = self.selected_piece() is not None
        self.listen_button.setEnabled(has and self._clips.preview.available())
        self.add_button.setEnabled(has)
        if not self._clips.preview.available():
            self.listen_button.setToolTip(self._clips.preview.unavailable_reason() or "")

    def _as_play(self, piece: DiscoveredPiece) -> Play:
        best = piece.representative
        names = {s.radio_id: s.name for s in self._stations()}
        return Play(
            radio_id=best.radio_id,
            station_name=names.get(best.radio_id, ""),
            start=datetime.fromtimestamp(best.start, UTC),
            play_length=best.end - best.start,
            title="Unknown piece",
        )

    def listen_selected(self) -> None:
        piece = self.selected_piece()
        if piece is not None:
            self._clips.listen(self._as_play(piece))

    def add_selected(self) -> AddPieceDialog | None:
        piece = self.selected_piece()
        if piece is None:
            return None
        dialog = AddPieceDialog(piece, self)
        dialog.accepted.connect(
            lambda: self._add.start(
                self._add_piece(
                    piece,
                    dialog.title.text().strip(),
                    dialog.artist.text().strip(),
                    dialog.kind.currentData(),
                )
            )
        )
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.add_dialog = dialog
        dialog.open()
        return dialog

    async def _add_piece(self, piece: DiscoveredPiece, title: str, artist: str, kind: str) -> None:
        name = title or artist
        self._say(f"Adding “{name}” to the catalog from the archive…")
        async with self._clips.archive() as client:
            added = await client.add_discovered(
                piece.representative, title=title, artist=artist, kind=kind
            )
            if piece in self._pieces:
                self._pieces.remove(piece)
                self.show_pieces(self._pieces)
            self._say(f"Added “{name}” as {_a(kind)}; searching the archive for its other airings…")
            search = await follow_job(added.search, client.job, client.cancel, lambda _j: None)
        found = search.published
        text = (
            f"Added “{name}” as {_a(kind)}. {found} airing{'s' if found != 1 else ''} "
            "found: they enter the history marked “found later”."
        )
        if search.found > found:
            text += (
                f" {search.found - found} more were heard but not added (already in the "
                "history, or their station is not monitored now)."
            )
        self._say(text)

    # -- messages --------------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020" if error else "")

    def _failed(self, exc: BaseException) -> None:
        self._running(False)
        text = str(exc) if isinstance(exc, AudDError) else "the engine could not be asked"
        self._say(f"Discover could not run: {text}", error=True)

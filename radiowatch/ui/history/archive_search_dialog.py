"""“Search the archive again…”: look for catalog tracks in what the stations aired earlier.

The engine searches its archive for tracks added to the catalog by itself; this dialog is for
the searches a person asks for: a period, some stations, all tracks or a few (after fixing a
track's audio, or for a period the automatic search did not cover). The engine does the work
(`/archive/search/`), with progress and cancel; plays it finds are published into the long
poll marked "found later", so they enter the history through the monitoring's exactly-once
path, and a play already in the history is not published again. The dialog only says what
the engine reports: how many plays are new, how many were there already.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radiowatch.audd.errors import AudDError
from radiowatch.backend.archive_client import ArchiveClient, SearchJob, follow_job
from radiowatch.history.queries import StationRef
from radiowatch.ui.common.tasks import TaskSlot

ArchiveProvider = Callable[[], ArchiveClient]
CatalogProvider = Callable[[], Any]  # a CatalogClient, or None while no engine runs
DEFAULT_DAYS = 7


def search_summary(job: SearchJob) -> str:
    """What a finished search found, in the words the dialog shows."""
    if job.state == "failed":
        return f"The search failed on the engine: {job.error or 'no reason given'}."
    new = job.published
    already = sum(1 for p in job.plays if p.status in ("already_reported", "another_song_reported"))
    waiting = sum(1 for p in job.plays if p.status == "on_air")
    if new:
        text = (
            f"Found {new} play{'s' if new != 1 else ''} later: "
            f"{'they enter' if new != 1 else 'it enters'} the history marked “found later” "
            "(Notes column)."
        )
    else:
        text = "No new plays found."
    if already:
        text += f" {already} {'were' if already != 1 else 'was'} in the history already."
    if waiting:
        text += f" {waiting} ended too recently: the live monitoring reports them."
    if job.state == "cancelled":
        text = "Cancelled. " + text
    return text


class ArchiveSearchDialog(QDialog):
    def __init__(
        self,
        archive: ArchiveProvider,
        stations: list[StationRef],
        parent: QWidget | None = None,
        *,
        catalog: CatalogProvider | None = None,
        selected_station: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._archive = archive
        self._catalog = catalog
        self._job: SearchJob | None = None
        self._slot = TaskSlot("archive search", on_error=self._failed)
        self._tracks_slot = TaskSlot("catalog tracks for the archive search")
        self._cancel_slot = TaskSlot("cancel the archive search")
        self.setWindowTitle("Search the archive again")
        self.setMinimumWidth(480)
        self._build(stations, selected_station)
        self.finished.connect(lambda _r: self._closing())
        if catalog is not None:
            self._tracks_slot.start(self._load_tracks())

    def _build(self, stations: list[StationRef], selected_station: int | None) -> None:
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Look for catalog tracks in the audio the engine kept: plays found are added to "
            "the history marked “found later”. Plays already in the history are not added twice."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        now = datetime.now()
        self.date_from = QDateTimeEdit(QDateTime(now - timedelta(days=DEFAULT_DAYS)))
        self.date_to = QDateTimeEdit(QDateTime(now))
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        period = QHBoxLayout()
        period.addWidget(self.date_from)
        period.addWidget(QLabel("to"))
        period.addWidget(self.date_to)
        form.addRow("Period", period)
        self.stations = QListWidget()
        self.stations.setMaximumHeight(120)
        for ref in stations:
            item = QListWidgetItem(ref.name)
            item.setData(Qt.ItemDataRole.UserRole, ref.radio_id)
            wanted = selected_station is None or ref.radio_id == selected_station
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)
            self.stations.addItem(item)
        form.addRow("Stations", self.stations)
        self.all_tracks = QCheckBox("All tracks in the catalog")
        self.all_tracks.setChecked(True)
        self.tracks = QListWidget()
        self.tracks.setMaximumHeight(120)
        self.tracks.setEnabled(False)
        self.all_tracks.toggled.connect(lambda on: self.tracks.setEnabled(not on))
        tracks = QVBoxLayout()
        tracks.addWidget(self.all_tracks)
        tracks.addWidget(self.tracks)
        form.addRow("Tracks", tracks)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setObjectName("searchStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel search")
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.hide()  # after addButton, which shows it
        self.buttons.addButton(self.search_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.search_button.clicked.connect(self.start_search)
        self.cancel_button.clicked.connect(self.cancel_search)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # -- choices ---------------------------------------------------------------------------------

    def chosen_stations(self) -> list[int]:
        return [
            self.stations.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.stations.count())
            if self.stations.item(i).checkState() == Qt.CheckState.Checked
        ]

    def chosen_tracks(self) -> list[str] | None:
        """None: every track; else the ticked ones."""
        if self.all_tracks.isChecked():
            return None
        return [
            self.tracks.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.tracks.count())
            if self.tracks.item(i).checkState() == Qt.CheckState.Checked
        ]

    async def _load_tracks(self) -> None:
        client = self._catalog() if self._catalog is not None else None
        if client is None:
            self.all_tracks.setToolTip("The engine is not running: every track is searched.")
            return
        try:
            tracks = await client.tracks()
        except AudDError as exc:
            self.all_tracks.setToolTip(f"Could not list the catalog: {exc}")
            return
        for track in tracks:
            label = " – ".join(t for t in (track.artist, track.title) if t) or track.track_id
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, track.track_id)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.tracks.addItem(item)

    # -- the search ------------------------------------------------------------------------------

    def start_search(self) -> None:
        stations = self.chosen_stations()
        tracks = self.chosen_tracks()
        start = self.date_from.dateTime().toSecsSinceEpoch()
        end = self.date_to.dateTime().toSecsSinceEpoch()
        problem = ""
        if not stations:
            problem = "Tick at least one station."
        elif tracks == []:
            problem = "Tick at least one track, or search for all tracks."
        elif end <= start:
            problem = "The period must end after it starts."
        if problem:
            self._say(problem, error=True)
            return
        self._running(True)
        self._say("Starting the search on the engine…")
        self._slot.start(self._search(stations, tracks, float(start), float(end)))

    async def _search(
        self, stations: list[int], tracks: list[str] | None, start: float, end: float
    ) -> None:
        async with self._archive() as client:
            job = await client.search(track_ids=tracks, radio_ids=stations, start=start, end=end)
            self._job = job
            self._show_progress(job)
            job = await follow_job(job, client.job, client.cancel, self._show_progress)
        self._job = job
        self._running(False)
        self._say(search_summary(job), error=job.state == "failed")

    def cancel_search(self) -> None:
        job = self._job
        if job is None or job.finished:
            return
        self.cancel_button.setEnabled(False)
        self._say("Cancelling…")
        self._cancel_slot.start(self._cancel(job.job_id))

    async def _cancel(self, job_id: str) -> None:
        async with self._archive() as client:
            await client.cancel(job_id)  # the search's own polling sees it end

    def _show_progress(self, job: SearchJob) -> None:
        self._job = job
        self.progress.setValue(int(job.progress * 100))
        if not job.finished:
            found = f"; {job.published} new so far" if job.published else ""
            self._say(f"Searching {len(job.stations) or 'the'} station(s)…{found}")

    def _running(self, running: bool) -> None:
        self.progress.setVisible(running or self.progress.value() > 0)
        self.search_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        for widget in (self.date_from, self.date_to, self.stations, self.all_tracks):
            widget.setEnabled(not running)
        self.tracks.setEnabled(not running and not self.all_tracks.isChecked())

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #b00020" if error else "")

    def _failed(self, exc: BaseException) -> None:
        self._running(False)
        text = str(exc) if isinstance(exc, AudDError) else "the engine could not be asked"
        self._say(f"The search could not run: {text}", error=True)

    def _closing(self) -> None:
        """Closing while a search runs stops following it, and cancels it on the engine."""
        self._slot.cancel()
        self._tracks_slot.cancel()

    def job(self) -> SearchJob | None:
        return self._job

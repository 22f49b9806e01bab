"""Settings → Archive: how long the engine keeps what it heard, and how much disk it may use.

The archive is the engine's (it may run on another machine), so these limits are the
engine's settings: read and changed over HTTP (`/archive/settings/`), which writes them into
the engine's own settings file and applies them at once; the GUI never writes the engine's
files. Next to them the box shows what they cost, measured by the engine (`/archive/usage/`):
MB per station-day of audio and of fingerprints, and what the retention means in disk space.
Nothing is shown as current until the engine has said so.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from radiowatch.audd.errors import AudDError
from radiowatch.backend.archive_client import ArchiveClient, ArchiveLimits, ArchiveUsage
from radiowatch.ui.common.tasks import TaskSlot

ArchiveProvider = Callable[[], ArchiveClient]


def cost_text(usage: ArchiveUsage, retention_days: float) -> str:
    """What keeping audio costs, from the engine's measurement."""
    audio = [s.audio_mb_per_day for s in usage.stations if s.audio_mb_per_day]
    peaks = [s.peaks_mb_per_day for s in usage.stations if s.peaks_mb_per_day]
    if not audio:
        return (
            "No audio kept yet: the cost per station-day is measured once a station has been "
            "monitored for a while."
        )
    per_day = sum(audio) / len(audio)
    stations = len(usage.stations)
    text = (
        f"Audio costs {per_day:.0f} MB per station-day (measured on {len(audio)} "
        f"station{'s' if len(audio) != 1 else ''})"
    )
    if peaks:
        text += f", fingerprints {sum(peaks) / len(peaks):.1f} MB"
    whole = per_day * retention_days
    text += (
        f". Keeping {retention_days:g} days takes about {whole / 1000:.1f} GB per station, "
        f"{whole * stations / 1000:.1f} GB for the {stations} station"
        f"{'s' if stations != 1 else ''} archived; the caps above stop it earlier."
    )
    used = usage.total.get("bytes")
    if used:
        text += f" In use now: {used / 1e9:.2f} GB."
    return text


class ArchiveSettingsBox(QGroupBox):
    def __init__(self, archive: ArchiveProvider | None, parent: QWidget | None = None) -> None:
        super().__init__("Archive (the audio each station sent)", parent)
        self._archive = archive
        self._usage: ArchiveUsage | None = None
        self._task = TaskSlot("archive settings", on_error=self._failed)
        form = QFormLayout(self)
        self.retention = self._spin(1, 3650, " days", 0)
        self.station_cap = self._spin(0, 10_000_000, " MB", 0)
        self.total_cap = self._spin(0, 100_000_000, " MB", 0)
        self.retention.setToolTip("Audio older than this is deleted, oldest first")
        self.station_cap.setToolTip("The most disk one station's audio may use")
        self.total_cap.setToolTip("The most disk all stations' audio may use together")
        form.addRow("Keep audio for", self.retention)
        form.addRow("At most per station", self.station_cap)
        form.addRow("At most in all", self.total_cap)
        self.cost = QLabel()
        self.cost.setObjectName("archiveCost")
        self.cost.setWordWrap(True)
        form.addRow(self.cost)
        row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.apply_button = QPushButton("Apply to the engine")
        self.apply_button.clicked.connect(self.apply)
        row.addWidget(self.status, 1)
        row.addWidget(self.apply_button)
        form.addRow(row)
        self.retention.valueChanged.connect(self._show_cost)
        self._editable(False)
        reason = self._unavailable()
        if reason is not None:
            self.status.setText(reason)
            self.status.setStyleSheet("color: #9a6700")
        else:
            self.status.setText("Asking the engine…")
            self._task.start(self._load())

    @staticmethod
    def _spin(low: float, high: float, suffix: str, decimals: int) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setDecimals(decimals)
        spin.setSuffix(suffix)
        spin.setSingleStep(1 if suffix == " days" else 500)
        return spin

    def _unavailable(self) -> str | None:
        if self._archive is None:
            return "The archive settings need the radiowatch engine (start monitoring first)."
        try:
            self._archive()
        except AudDError as exc:
            return str(exc)
        return None

    def _editable(self, on: bool) -> None:
        for widget in (self.retention, self.station_cap, self.total_cap, self.apply_button):
            widget.setEnabled(on)

    async def _load(self) -> None:
        assert self._archive is not None
        async with self._archive() as client:
            limits = await client.limits()
            self._usage = await client.usage()
        self._show(limits)
        self.status.setText("")

    def _show(self, limits: ArchiveLimits) -> None:
        self.retention.setValue(limits.retention_days)
        self.station_cap.setValue(limits.station_cap_mb)
        self.total_cap.setValue(limits.total_cap_mb)
        self._show_cost()
        self._editable(True)

    def _show_cost(self) -> None:
        if self._usage is not None:
            self.cost.setText(cost_text(self._usage, self.retention.value()))

    def apply(self) -> None:
        self._editable(False)
        self.status.setStyleSheet("")
        self.status.setText("Applying…")
        self._task.start(self._apply())

    async def _apply(self) -> None:
        assert self._archive is not None
        async with self._archive() as client:
            limits = await client.set_limits(
                retention_days=self.retention.value(),
                station_cap_mb=self.station_cap.value(),
                total_cap_mb=self.total_cap.value(),
            )
        self._show(limits)
        self.status.setText("Applied: the engine keeps these limits from now on.")

    def _failed(self, exc: BaseException) -> None:
        text = str(exc) if isinstance(exc, AudDError) else "the engine could not be asked"
        self.status.setText(f"Not applied: {text}")
        self.status.setStyleSheet("color: #b00020")
        self._editable(self._usage is not None)

"""Settings → Archive changes the engine's retention and caps over HTTP (the engine writes its
own settings file), shows the cost the engine measured, and says why it is off without an
engine."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QWidget

from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.ui.shell.archive_settings import ArchiveSettingsBox
from tests.support.archive_engine import archiving_engine

pytestmark = pytest.mark.qt


def test_without_the_engine_the_box_says_why(qtbot, qloop):
    cloud = SimpleNamespace(kind="audd", client=object())
    box = ArchiveSettingsBox(lambda: archive_client_for(cloud))
    qtbot.addWidget(box)
    assert box.status.text() == NEEDS_ENGINE and not box.apply_button.isEnabled()
    assert not box.retention.isEnabled()


@pytest.mark.slow
def test_the_box_shows_the_cost_and_applies_limits_to_the_engine(qtbot, qloop, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    with archiving_engine(tmp_path / "engine", seconds=8) as engine:
        box = ArchiveSettingsBox(lambda: ArchiveClient(engine.base_url, engine.token), parent)
        assert box.status.text() == "Asking the engine…" and not box.apply_button.isEnabled()
        qtbot.waitUntil(lambda: box.apply_button.isEnabled(), timeout=10_000)
        shown = (box.retention.value(), box.total_cap.value(), box.cost.text())
        box.retention.setValue(3)
        box.station_cap.setValue(800)
        box.apply()
        qtbot.waitUntil(lambda: box.status.text().startswith("Applied"), timeout=10_000)
        written = json.loads((tmp_path / "engine" / "engine-settings.json").read_text())

    assert shown[:2] == (7, 20_000)
    assert shown[2].startswith("Audio costs ") and "MB per station-day" in shown[2]
    assert "Keeping 7 days takes about" in shown[2]
    assert "Keeping 3 days" in box.cost.text()
    assert written["archive_retention_days"] == 3 and written["archive_station_cap_mb"] == 800

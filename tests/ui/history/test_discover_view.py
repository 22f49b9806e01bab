"""History → Discover: with the AudD cloud it explains what it is for and why it cannot run;
against a real engine it runs the engine's discover job with progress and says what it found."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QWidget

from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.history.queries import StationRef
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.history.discover_view import DiscoverView
from tests.support.archive_engine import archiving_engine

pytestmark = pytest.mark.qt


def _view(qtbot, archive, tmp_path) -> DiscoverView:
    parent = QWidget()
    qtbot.addWidget(parent)
    clips = ClipActions(archive, tmp_path, parent)
    view = DiscoverView(clips, lambda: [StationRef(3, "Radio Three")], parent)
    parent.show()
    return view


def test_with_the_audd_cloud_discover_explains_itself_and_says_why_it_cannot_run(
    qtbot, qloop, tmp_path
):
    cloud = SimpleNamespace(kind="audd", client=object())
    view = _view(qtbot, lambda: archive_client_for(cloud), tmp_path)
    assert view.stack.currentIndex() == 0
    assert "not in your catalog" in view.empty.text()
    assert not view.find_button.isEnabled() and view.find_button.toolTip() == NEEDS_ENGINE
    assert not view.add_button.isEnabled() and not view.listen_button.isEnabled()


@pytest.mark.slow
def test_discover_runs_on_the_engine_and_says_what_it_found(qtbot, qloop, tmp_path):
    with archiving_engine(tmp_path / "engine", seconds=8) as engine:
        view = _view(qtbot, lambda: ArchiveClient(engine.base_url, engine.token), tmp_path)
        assert view.find_button.isEnabled() and view.min_count.value() == 3
        view.start()
        assert view.cancel_button.isVisible() and not view.find_button.isEnabled()
        qtbot.waitUntil(lambda: view.find_button.isEnabled(), timeout=30_000)
        job = view._job

    assert job is not None and job.state == "done" and job.min_count == 3
    # a few seconds of one song: nothing came back three times
    assert view.status.text() == "Nothing unknown was heard 3 times or more in the last 7 days."
    assert view.stack.currentIndex() == 0 and not view.cancel_button.isVisible()

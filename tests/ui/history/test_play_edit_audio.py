"""The play edit dialog says whether the engine keeps the play's audio, from the engine's
answer (it says it is checking until then), and offers Listen and Save clip… only when it does."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QWidget

from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.history.play import Play
from radiowatch.history.queries import StationRef
from radiowatch.ui.common.clip_actions import CHECKING, ClipActions
from radiowatch.ui.history.play_edit_dialog import PlayEditDialog
from tests.support.archive_engine import archiving_engine

pytestmark = pytest.mark.qt
STATIONS = [StationRef(3, "Radio Three")]


def _play(start: float, length: float, radio_id: int | None = 3) -> Play:
    return Play(
        id=21,
        radio_id=radio_id,
        station_name="Radio Three",
        start=datetime.fromtimestamp(start, UTC),
        play_length=length,
        artist="The Paper Lanterns",
        title="Harbour Lights",
        backend="local",
    )


def _dialog(qtbot, play: Play, clips: ClipActions) -> PlayEditDialog:
    dialog = PlayEditDialog(play, STATIONS, clips.parent(), clip_actions=clips)
    qtbot.addWidget(dialog)
    dialog.open()
    return dialog


def test_with_the_audd_cloud_the_dialog_says_audio_needs_the_engine(qtbot, qloop, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    cloud = SimpleNamespace(kind="audd", client=object())
    clips = ClipActions(lambda: archive_client_for(cloud), tmp_path, parent)
    dialog = _dialog(qtbot, _play(time.time() - 600, 180), clips)
    qtbot.waitUntil(lambda: dialog.audio_kept.text() != CHECKING)
    assert dialog.audio_kept.text() == NEEDS_ENGINE
    assert not dialog.listen_button.isEnabled() and not dialog.save_clip_button.isEnabled()
    by_hand = _dialog(qtbot, _play(time.time() - 600, 180, radio_id=None), clips)
    qtbot.waitUntil(lambda: by_hand.audio_kept.text() != CHECKING)
    assert "entered by hand" in by_hand.audio_kept.text()
    dialog.reject()
    by_hand.reject()


@pytest.mark.slow
def test_the_dialog_shows_what_the_engine_keeps_of_the_play(qtbot, qloop, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    with archiving_engine(tmp_path / "engine") as engine:
        clips = ClipActions(
            lambda: ArchiveClient(engine.base_url, engine.token), tmp_path / "cache", parent
        )
        kept = _dialog(qtbot, _play(time.time() - 10, 5.0), clips)
        assert kept.audio_kept.text() == CHECKING and not kept.listen_button.isEnabled()
        gone = _dialog(qtbot, _play(time.time() - 7200, 180.0), clips)
        # half before the archive began, half kept
        half = _dialog(qtbot, _play(time.time() - 19, 14.0), clips)
        for dialog in (kept, gone, half):
            qtbot.waitUntil(lambda d=dialog: d.audio_kept.text() != CHECKING, timeout=10_000)
        answers = [
            (d.audio_kept.text(), d.save_clip_button.isEnabled()) for d in (kept, gone, half)
        ]
        for dialog in (kept, gone, half):
            dialog.reject()

    (kept_text, kept_on), (gone_text, gone_on), (half_text, half_on) = answers
    assert kept_text == "Audio kept: the whole play (0:05, MP3)." and kept_on
    assert gone_text.startswith("No audio of this play is kept") and not gone_on
    assert half_text.startswith("Audio kept for 0:") and "of the play's 0:14" in half_text
    assert half_on

"""“Listen” and “Save clip…” fetch a play's archived audio from a real engine: the saved file is
the play's audio (MP3 as asked, or as broadcast), Listen hands the clip to the preview player,
and with the AudD cloud (or a hand-entered play) the actions are off and say why."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QMenu, QWidget

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.history.play import Play
from radiowatch.ui.common.clip_actions import PAD_S, ClipActions, clip_file_name
from tests.conftest import drive
from tests.engine.archive.feed import decode
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, song_programme, songs

pytestmark = pytest.mark.qt


def _play(radio_id: int | None, start: float, length: float) -> Play:
    return Play(
        id=12,
        radio_id=radio_id,
        station_name="Radio Three",
        start=datetime.fromtimestamp(start, UTC),
        play_length=length,
        artist="The Paper Lanterns",
        title="Harbour Lights",
    )


@pytest.mark.slow
def test_save_and_listen_fetch_the_plays_audio(qtbot, qloop, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    settings = {"archive_segment_s": 3, "archive_peak_block_s": 3}
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=settings) as engine:
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(song_programme(songs(1), 30.0, 2.0))
        engine.api("addStream", url=station.url, radio_id=3)
        time.sleep(18)  # audio from well before the play's padding
        actions = ClipActions(
            lambda: ArchiveClient(engine.base_url, engine.token), tmp_path / "cache", parent
        )
        statuses: list[tuple[str, bool]] = []
        actions.status.connect(lambda text, error: statuses.append((text, error)))
        play = _play(3, time.time() - 10, 2.0)
        saved = drive(qtbot, qloop, actions.save_to(play, tmp_path / "out" / "proof", mp3=True))
        original = drive(qtbot, qloop, actions.save_to(play, tmp_path / "out" / "x.aac", mp3=False))
        drive(qtbot, qloop, actions._listen(play))

    assert saved == tmp_path / "out" / "proof.mp3"
    seconds = decode(saved.read_bytes()).size / SAMPLE_RATE
    assert seconds == pytest.approx(2.0 + 2 * PAD_S, abs=0.6)
    assert original.suffix == ".mp3"  # the station broadcasts MP3: its own bytes, so .mp3
    assert original.read_bytes() == saved.read_bytes()
    assert not list((tmp_path / "out").glob("*.part"))
    assert any(text.startswith("Saved 0:1") for text, error in statuses if not error)
    listened = tmp_path / "cache" / "clips" / "play-12.mp3"
    assert listened.exists()
    if actions.preview.available():
        assert actions.preview._player.source().toLocalFile() == str(listened)
        assert any(text.startswith("Playing") for text, _e in statuses)


def test_the_actions_say_why_there_is_no_audio(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    cloud = SimpleNamespace(kind="audd", client=object())
    actions = ClipActions(lambda: archive_client_for(cloud), Path("unused"), parent)
    menu = QMenu(parent)
    actions.add_to_menu(menu, _play(3, time.time() - 60, 30))
    listen, save = menu.actions()
    assert not listen.isEnabled() and not save.isEnabled()
    assert listen.toolTip() == NEEDS_ENGINE
    by_hand = QMenu(parent)
    actions.add_to_menu(by_hand, _play(None, time.time() - 60, 30))
    assert "entered by hand" in by_hand.actions()[0].toolTip()


def test_clip_file_names_are_safe():
    play = _play(3, 1_778_000_000, 30).model_copy(update={"title": 'What? A/B: "C"'})
    name = clip_file_name(play, ".aac")
    assert name.endswith(".aac")
    assert not any(c in name for c in '<>:"/\\|?*')
    assert name.startswith("Radio Three - The Paper Lanterns - What_ A_B_ _C_ - ")

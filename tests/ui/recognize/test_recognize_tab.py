"""The Recognize tab against the real local engine (loopback, generated songs) and against the
fake AudD cloud: what a person sees for a match, a long recording, bad input and cancels."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import render_noise
from radiowatch.ui.common.backend_messages import NO_BACKEND, NO_MATCH, TOO_LARGE_FOR_CLIP
from radiowatch.ui.recognize.recorder import wav_from_pcm
from radiowatch.ui.recognize.tab import RecognizeTab
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import unreachable_url
from tests.ui.recognize.recognition_engine import (  # noqa: F401 - `engine` is a fixture
    RATE,
    SONG_S,
    SONGS,
    collect_garbage_on_the_gui_thread,
    engine,
    engine_client,
    mix_of_three,
    silent_wav,
    song_audio,
    write_wav,
)

# QtMultimedia on a headless machine: no PipeWire, no PulseAudio server, no devices.
pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]

CLOUD_TOKEN = "cloud-token-0123456789"
SHOTS = os.environ.get("RADIOWATCH_SCREENSHOTS")


def seconds(timecode: str) -> int:
    minutes, secs = timecode.split(":")[-2:]
    return int(minutes) * 60 + int(secs)


@pytest.fixture
def client(qloop, qtbot, engine):  # noqa: F811
    c = engine_client(engine)
    yield c
    drive(qtbot, qloop, c.aclose())


@pytest.fixture
def tab(qtbot, qloop, client):
    widget = RecognizeTab(lambda: client)
    qtbot.addWidget(widget)
    widget.resize(960, 720)
    widget.show()
    yield widget
    drive(qtbot, qloop, widget.aclose())


def wait_idle(qtbot, panel, timeout=30000):
    qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)


# --- clip mode against the local engine ------------------------------------------------------


def test_catalog_clip_is_recognised_with_the_offset_it_starts_at(tab, qtbot, tmp_path):
    clip = write_wav(tmp_path / "clip.wav", song_audio(1)[14 * RATE : 24 * RATE])
    tab.clip.recognize(str(clip))
    wait_idle(qtbot, tab.clip)
    card = tab.clip.card
    assert card.state == "match", tab.clip.status.text()
    assert card.result.title == SONGS[1].title
    assert card.result.artist == SONGS[1].artist
    assert abs(seconds(card.result.timecode) - 14) <= 1
    assert SONGS[1].title in card.headline.text()
    assert "14 into the song" in card.details.text() or "00:1" in card.details.text()
    with qtbot.waitSignal(tab.save_to_history_requested) as saved:
        card.save_button.click()
    assert saved.args[0].title == SONGS[1].title
    assert SONGS[1].artist in card.copy_to_clipboard()


def test_noise_is_a_friendly_no_match_not_an_error(tab, qtbot, tmp_path):
    clip = write_wav(tmp_path / "noise.wav", render_noise(10, RATE, seed=5) * 0.3)
    tab.clip.recognize(str(clip))
    wait_idle(qtbot, tab.clip)
    assert tab.clip.card.state == "no_match"
    assert tab.clip.card.artist.text() == NO_MATCH
    assert tab.clip.status.kind == "info"


def test_corrupt_file_says_it_is_not_readable_audio(tab, qtbot, tmp_path):
    bad = tmp_path / "broken.mp3"
    bad.write_bytes(b"\x00ID3 this is not an mp3" * 200)
    tab.clip.recognize(str(bad))
    wait_idle(qtbot, tab.clip)
    assert tab.clip.status.kind == "error"
    assert "could not be read as audio (#500)" in tab.clip.status.text()
    assert tab.clip.card.state == "empty"


def test_unreachable_url_says_the_link_could_not_be_downloaded(tab, qtbot):
    tab.clip.source_edit.setText(unreachable_url())
    tab.clip.recognize_current()
    wait_idle(qtbot, tab.clip)
    assert tab.clip.status.kind == "error"
    assert "could not be downloaded (#600)" in tab.clip.status.text()


def test_missing_file_is_reported_without_sending_anything(tab, qtbot, tmp_path):
    tab.clip.recognize(str(tmp_path / "nope.wav"))
    assert not tab.clip.busy
    assert "There is no file at" in tab.clip.status.text()


def test_without_a_backend_every_mode_says_so(qtbot, qloop, tmp_path):
    widget = RecognizeTab(lambda: None)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.backend_note.isVisible()
    clip = write_wav(tmp_path / "c.wav", song_audio(0, 6))
    widget.clip.recognize(str(clip))
    assert widget.clip.status.text() == NO_BACKEND
    widget.long_file.set_source(str(clip))
    widget.long_file.scan()
    assert widget.long_file.status.text() == NO_BACKEND
    assert not widget.clip.busy and not widget.long_file.busy


# --- long-file mode against the local engine -------------------------------------------------


def test_long_file_of_three_songs_and_noise_gives_three_timeline_entries(tab, qtbot, tmp_path):
    audio, places = mix_of_three()
    mix = write_wav(tmp_path / "mix.wav", audio)
    panel = tab.long_file
    tab.modes.setCurrentWidget(panel)
    panel.set_source(str(mix))
    qtbot.waitUntil(lambda: panel.duration_s is not None, timeout=10000)
    assert panel.estimated_requests() == 17  # 204 s → 17 chunks of 12 s
    assert "≈ 17 requests" in panel.cost_label.text()
    panel.scan()
    wait_idle(qtbot, panel, timeout=60000)
    assert [c.title for c in panel.cues] == [s.title for s in SONGS], panel.status.text()
    for cue, (start, end) in zip(panel.cues, places, strict=True):
        assert abs(cue.start_s - start) <= 3, (cue, start)
        assert abs(cue.end_s - end) <= 4, (cue, end)
        assert cue.score and cue.score > 0
    assert panel.table.rowCount() == 3
    assert panel.table.item(1, 3).text() == SONGS[1].title
    assert "Found 3 songs" in panel.status.text()

    # clicking the bar in the middle of the second song plays the file from there
    bar = panel.timeline
    middle = (panel.cues[1].start_s + panel.cues[1].end_s) / 2
    from PySide6.QtCore import QPoint, Qt

    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_for(middle)), 15))
    assert abs(panel.last_seek_s - middle) <= panel.duration_s / bar.width() * 2
    assert bar.cue_at(panel.last_seek_s).title == SONGS[1].title
    if panel.preview.available():
        assert panel.preview.source().toLocalFile() == str(mix)
        qtbot.waitUntil(panel.preview.settled, timeout=10000)

    exported = panel.export(tmp_path / "cues.csv")
    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    assert [r["title"] for r in rows] == [s.title for s in SONGS]
    body = json.loads(panel.export(tmp_path / "cues.json").read_text())
    assert body["source"] == "mix.wav" and len(body["cues"]) == 3
    assert abs(body["cues"][2]["start_seconds"] - places[2][0]) <= 3
    panel.preview.release()
    if SHOTS:
        tab.grab().save(str(Path(SHOTS) / "recognize_tab_long_file.png"))
    qtbot.wait(200)


@pytest.mark.slow  # the engine decodes all 3 hours: ~25-45 s on this shared machine
def test_three_hour_silent_file_is_too_large_for_a_clip_and_has_no_songs(tab, qtbot, tmp_path):
    silent = silent_wav(tmp_path / "three-hours-of-silence.wav", 3 * 3600)
    tab.clip.recognize(str(silent))
    assert tab.clip.status.text() == TOO_LARGE_FOR_CLIP
    panel = tab.long_file
    panel.set_source(str(silent))
    qtbot.waitUntil(lambda: panel.duration_s is not None, timeout=10000)
    assert round(panel.duration_s) == 3 * 3600
    assert "≈ 900 requests" in panel.cost_label.text()
    panel.skip.setValue(4)  # 12 s of every minute: the estimate follows at once
    assert "≈ 180 requests" in panel.cost_label.text()
    panel.scan()
    wait_idle(qtbot, panel, timeout=90000)
    assert panel.cues == []
    assert "No songs found in the 36:00 scanned of this 3:00:00 recording" in panel.status.text(), (
        panel.status.text()
    )
    assert panel.status.kind == "info"


def test_cancelling_a_long_scan_stops_promptly_and_the_tab_stays_usable(tab, qtbot, tmp_path):
    long_audio = np.concatenate([render_noise(600, 8000, seed=3) * 0.2]).astype(np.float32)
    recording = write_wav(tmp_path / "ten-minutes.wav", long_audio, 8000)
    panel = tab.long_file
    panel.set_source(str(recording))
    panel.scan()
    assert panel.busy and panel.cancel_button.isEnabled()
    qtbot.wait(300)
    started = time.monotonic()
    panel.cancel_button.click()
    wait_idle(qtbot, panel, timeout=3000)
    assert time.monotonic() - started < 3
    assert "cancelled" in panel.status.text().lower()
    assert panel.scan_button.isEnabled() and not panel.cancel_button.isEnabled()
    # and the app still recognises
    clip = write_wav(tmp_path / "after.wav", song_audio(2)[5 * RATE : 15 * RATE])
    tab.clip.recognize(str(clip))
    wait_idle(qtbot, tab.clip)
    assert tab.clip.card.state == "match" and tab.clip.card.result.title == SONGS[2].title


# --- listen and batch modes over the WebSocket session ---------------------------------------


class GeneratedInput:
    """Stands in for a microphone: the song as if heard live, four times faster than real
    time so the test does not wait 25 s."""

    rate = RATE

    def __init__(self, audio: np.ndarray, speed: float = 4.0) -> None:
        self.audio, self.speed, self.started = audio, speed, None

    def start(self) -> None:
        self.started = time.monotonic()

    def stop(self) -> None:
        pass

    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return min(len(self.audio) / RATE, (time.monotonic() - self.started) * self.speed)

    def wav(self) -> bytes:
        n = int(self.seconds() * RATE)
        pcm = (np.clip(self.audio[:n], -1, 1) * 32767).astype("<i2").tobytes()
        return wav_from_pcm(pcm, RATE)


def test_listen_mode_stops_at_the_first_match(qtbot, qloop, client, tmp_path):
    heard = song_audio(0)[8 * RATE :]
    widget = RecognizeTab(lambda: client, recorder_factory=lambda: GeneratedInput(heard))
    qtbot.addWidget(widget)
    widget.show()
    panel = widget.listen
    assert panel.listen_button.isEnabled()
    panel.start_listening()
    wait_idle(qtbot, panel, timeout=30000)
    assert panel.card.state == "match", panel.status.text()
    assert panel.card.result.title == SONGS[0].title
    assert 1 <= panel.recordings_sent < 6  # stopped before the 25 s limit
    assert "Found after" in panel.status.text()
    drive(qtbot, qloop, widget.aclose())


def test_record_buttons_are_disabled_with_a_reason_when_there_is_no_input_device(tab):
    from radiowatch.ui.recognize.recorder import input_device_problem

    problem = input_device_problem()
    if problem is None:
        pytest.skip("this machine has an audio input")
    assert not tab.clip.record_button.isEnabled()
    assert tab.clip.record_button.toolTip() == problem
    assert not tab.listen.listen_button.isEnabled()


def test_batch_mode_recognises_a_folder_and_exports_the_table(tab, qtbot, tmp_path):
    folder = tmp_path / "recorder"
    folder.mkdir()
    write_wav(folder / "a.wav", song_audio(0)[3 * RATE : 13 * RATE])
    write_wav(folder / "b.wav", render_noise(8, RATE, seed=2) * 0.3)
    write_wav(folder / "c.wav", song_audio(2)[20 * RATE : 30 * RATE])
    (folder / "d.mp3").write_bytes(b"not audio at all" * 100)
    (folder / "notes.txt").write_text("ignored")
    panel = tab.batch
    panel.run_folder(folder)
    wait_idle(qtbot, panel)
    statuses = [r["status"] for r in panel.rows]
    assert [r["file"] for r in panel.rows] == ["a.wav", "b.wav", "c.wav", "d.mp3"]
    assert statuses[:3] == ["match", "no match", "match"], panel.rows
    assert "#500" in statuses[3]
    assert panel.rows[2]["title"] == SONGS[2].title
    assert "2 of 4 clips recognised" in panel.status.text()
    assert panel.progress.value() == 4
    out = panel.export_csv(tmp_path / "batch.csv")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows[0]["title"] == SONGS[0].title and rows[1]["status"] == "no match"


# --- against the fake AudD cloud -------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_cloud():
    with FakeAudD(tokens=[CLOUD_TOKEN]) as fake:
        yield fake


@pytest.fixture
def cloud_tab(qtbot, qloop, fake_cloud):
    fake_cloud.reset()
    clients = []

    def make(token=CLOUD_TOKEN):
        c = AudDClient(
            token,
            base_url=fake_cloud.base_url,
            enterprise_url=fake_cloud.enterprise_url,
            backoff_factor=0.01,
            max_retries=1,
        )
        clients.append(c)
        widget = RecognizeTab(lambda: c)
        qtbot.addWidget(widget)
        widget.resize(960, 720)
        widget.show()
        return widget

    yield make
    for c in clients:
        drive(qtbot, qloop, c.aclose())


def clip_file(tmp_path: Path) -> Path:
    path = tmp_path / "phone.m4a"
    path.write_bytes(b"some recorded audio bytes")
    return path


def test_provider_links_and_market_from_the_cloud(cloud_tab, fake_cloud, qtbot, tmp_path):
    tab = cloud_tab()
    for box in tab.options.boxes.values():
        box.setChecked(True)
    tab.options.market.setCurrentText("gb")
    tab.clip.recognize(str(clip_file(tmp_path)))
    wait_idle(qtbot, tab.clip, 10000)
    card = tab.clip.card
    assert card.state == "match", tab.clip.status.text()
    sent = fake_cloud.received("/")[-1].params
    assert sent["return"] == "apple_music,spotify,deezer,napster,musicbrainz"
    assert sent["market"] == "gb"
    links = card.links.text()
    assert "https://lis.tn/NbkVb" in links
    assert "music.apple.com" in links and ">Apple Music<" in links
    assert ">Spotify<" in links and "spotify" in links
    assert "musicbrainz.org/recording/" in links
    assert card.result.album and card.result.release_date and card.result.label
    for text in (card.result.album, card.result.release_date, card.result.label):
        assert text in card.details.text()
    if SHOTS:
        tab.grab().save(str(Path(SHOTS) / "recognize_tab.png"))


def test_invalid_token_is_explained(cloud_tab, qtbot, tmp_path):
    tab = cloud_tab("not-a-real-token-xyz")
    tab.clip.recognize(str(clip_file(tmp_path)))
    wait_idle(qtbot, tab.clip, 10000)
    assert tab.clip.status.kind == "error"
    assert "token was refused (#900)" in tab.clip.status.text()
    assert "not-a-real-token-xyz" not in tab.clip.status.text()


def _error_body(code: int, message: str) -> dict:
    return {
        "status": "error",
        "error": {"error_code": code, "error_message": message},
        "request_params": {},
        "request_api_method": "recognize",
        "request_http_method": "POST",
        "see api documentation": "https://docs.audd.io",
        "contact us": "api@audd.io",
    }


def test_quota_reached_is_explained(cloud_tab, fake_cloud, qtbot, tmp_path):
    tab = cloud_tab()
    fake_cloud.next_reply(
        "/", _error_body(902, "Recognition failed: authorization failed: the limit was reached.")
    )
    tab.clip.recognize(str(clip_file(tmp_path)))
    wait_idle(qtbot, tab.clip, 10000)
    assert "request limit for this token was reached (#902)" in tab.clip.status.text()


def test_file_too_large_for_the_standard_endpoint_points_to_long_file_mode(
    cloud_tab, fake_cloud, qtbot, tmp_path
):
    tab = cloud_tab()
    fake_cloud.next_reply(
        "/",
        _error_body(
            400, "Recognition failed: file is too large for the standard endpoint, use enterprise."
        ),
    )
    tab.clip.recognize(str(clip_file(tmp_path)))
    wait_idle(qtbot, tab.clip, 10000)
    assert tab.clip.status.text().startswith(TOO_LARGE_FOR_CLIP)
    assert "Long file mode" in tab.clip.status.text()


def test_enterprise_by_url_without_a_paid_plan_is_explained(cloud_tab, qtbot):
    tab = cloud_tab()
    tab.long_file.set_source("https://example.com/mix.mp3")
    tab.long_file.scan()
    wait_idle(qtbot, tab.long_file, 10000)
    assert "does not include this (#904)" in tab.long_file.status.text()


def test_dropping_a_file_on_clip_mode_recognises_it(tab, qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    clip = write_wav(tmp_path / "dropped.wav", song_audio(2)[10 * RATE : 20 * RATE])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    tab.clip.dropEvent(event)
    assert tab.clip.source_edit.text() == str(clip)
    wait_idle(qtbot, tab.clip)
    assert tab.clip.card.result.title == SONGS[2].title


def test_recording_a_clip_recognises_what_was_heard(qtbot, qloop, client):
    heard = song_audio(1)[12 * RATE :]
    widget = RecognizeTab(lambda: client, recorder_factory=lambda: GeneratedInput(heard))
    qtbot.addWidget(widget)
    panel = widget.clip
    assert panel.record_button.isEnabled()
    panel.record_button.click()
    assert "Stop" in panel.record_button.text()
    qtbot.waitUntil(
        lambda: panel._recorder is not None and panel._recorder.seconds() >= 8, timeout=10000
    )
    panel.record_button.click()
    wait_idle(qtbot, panel)
    assert panel.card.state == "match", panel.status.text()
    assert panel.card.result.title == SONGS[1].title
    assert abs(seconds(panel.card.result.timecode) - 12) <= 1
    drive(qtbot, qloop, widget.aclose())

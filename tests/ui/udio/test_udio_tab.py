"""The Udio tab against the loopback fake reseller: paste ids, watch statuses, read lyrics,
download, preview and add to the catalog."""

from __future__ import annotations

import json

import av
import pytest
from PySide6.QtCore import Qt

from radiowatch.config.secrets import UDIO_API_KEY, MemoryTokenStore
from radiowatch.config.settings import Settings
from radiowatch.udio.client import PollPolicy
from radiowatch.ui.common.preview_player import PreviewPlayer
from radiowatch.ui.udio.detail_pane import NO_CATALOG_TIP
from radiowatch.ui.udio.tab import UdioTab
from tests.conftest import drive
from tests.fakes.fake_udio import SEED_SONG_IDS, TEST_KEY, FakeUdio
from tests.support.qt_noise import AUDIO_BACKEND_NOISE

pytestmark = pytest.mark.qt

FIRST, SECOND = SEED_SONG_IDS
UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def fake_udio():
    with FakeUdio() as fake:
        yield fake


@pytest.fixture
def catalog_calls():
    return []


@pytest.fixture
def make_tab(qtbot, qloop, tmp_path, fake_udio, catalog_calls):
    tabs = []

    def make(*, base_url=None, key=TEST_KEY, with_catalog=True):
        settings = Settings(udio_base_url=fake_udio.base_url if base_url is None else base_url)
        store = MemoryTokenStore({UDIO_API_KEY: key} if key else {})

        async def add_to_catalog(path, metadata):
            catalog_calls.append((path, metadata))

        tab = UdioTab(
            lambda: settings,
            lambda: store.get(UDIO_API_KEY),
            tmp_path / "downloads",
            add_to_catalog if with_catalog else None,
        )
        tab.poll_policy = PollPolicy(first_delay_s=0.05, factor=1.5, max_delay_s=0.2, deadline_s=30)
        qtbot.addWidget(tab)
        tab.resize(1100, 680)
        tab.show()
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        drive(qtbot, qloop, tab.aclose())


def _status(tab, song_id):
    row = tab.model.row_for(song_id)
    return row.result.status.value if row else None


def _fetch(qtbot, tab, text):
    tab.ids_edit.setPlainText(text)
    qtbot.mouseClick(tab.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: tab.fetch_button.isEnabled() and tab.model.rowCount() > 0, timeout=10000
    )


def test_pasted_ids_fill_the_table_with_finished_failed_and_pending_statuses(
    qtbot, make_tab, fake_udio
):
    fake_udio.finish_after(SECOND, polls=2)
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}, https://www.udio.com/songs/{SECOND}\n{UNKNOWN}")
    assert tab.model.ids() == [FIRST, SECOND, UNKNOWN]
    assert [_status(tab, i) for i in (FIRST, SECOND, UNKNOWN)] == ["finished", "finished", "failed"]
    row = [tab.model.index(0, c).data() for c in range(5)]
    assert row == [
        "finished",
        "Final Echoes",
        "IntenseOud7926",
        "0:33",
        "female vocalist, rock, pop, indie pop, alternative rock, twee pop, melodic, uplifting",
    ]
    assert tab.model.index(2, 0).data().startswith("failed: Udio does not know this id")
    assert len(fake_udio.api_requests()) == 3  # one batch, then two polls for the pending song
    assert "2 finished" in tab.status_label.text() and "1 failed" in tab.status_label.text()


def test_selecting_a_song_shows_its_cover_prompt_tags_and_lyrics_as_sections(qtbot, make_tab):
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}\n{SECOND}")
    tab.select_song(SECOND)
    qtbot.waitUntil(lambda: tab.cover_loaded(SECOND), timeout=5000)
    assert tab.detail.title_label.text() == "Echoes of Tomorrow"
    assert (
        "EYST HINE" in tab.detail.creator_label.text() and "2:11" in tab.detail.creator_label.text()
    )
    assert tab.detail.provenance_label.text() == f"Catalog provenance: udio:{SECOND}"
    assert "The last song ever sung" in tab.detail.prompt_label.text()
    assert "dance-punk" in tab.detail.tags_label.text()
    lyrics = tab.detail.lyrics_view.toPlainText()
    assert "VERSE 1" in lyrics and "BRIDGE" in lyrics and "-verse 1-" not in lyrics
    assert lyrics.index("VERSE 1") < lyrics.index("Last light fading") < lyrics.index("CHORUS")
    assert not tab.detail.cover_label.pixmap().isNull()
    tab.select_song(FIRST)
    assert (
        "[Verse]" not in tab.detail.lyrics_view.toPlainText()
        and "VERSE" in tab.detail.lyrics_view.toPlainText()
    )


def test_download_writes_an_mp3_that_decodes(qtbot, qloop, make_tab, tmp_path):
    tab = make_tab()
    _fetch(qtbot, tab, FIRST)
    tab.select_song(FIRST)
    qtbot.mouseClick(tab.detail.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.model.row_for(FIRST).audio_path is not None, timeout=10000)
    path = tab.model.row_for(FIRST).audio_path
    assert path.parent == tmp_path / "downloads"
    with av.open(str(path)) as container:
        assert sum(f.samples for f in container.decode(audio=0)) > 44100
    assert tab.detail.download_button.text() == "Downloaded ✓"


def test_add_to_catalog_calls_the_apps_coroutine_with_provenance(qtbot, make_tab, catalog_calls):
    tab = make_tab()
    _fetch(qtbot, tab, FIRST)
    tab.select_song(FIRST)
    assert tab.detail.catalog_button.isEnabled()
    qtbot.mouseClick(tab.detail.catalog_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(catalog_calls) == 1, timeout=10000)
    path, metadata = catalog_calls[0]
    assert metadata == {
        "title": "Final Echoes",
        "artist": "IntenseOud7926",
        "provenance": f"udio:{FIRST}",
        "kind": "song",
    }
    assert path.is_file() and path.read_bytes()[:3] == b"ID3"
    qtbot.waitUntil(lambda: "in catalog" in tab.model.index(0, 0).data(), timeout=5000)
    assert not tab.detail.catalog_button.isEnabled()


def test_without_a_catalog_the_button_is_disabled_and_says_why(qtbot, make_tab):
    tab = make_tab(with_catalog=False)
    _fetch(qtbot, tab, FIRST)
    tab.select_song(FIRST)
    assert not tab.detail.catalog_button.isEnabled()
    assert tab.detail.catalog_button.toolTip() == NO_CATALOG_TIP


def test_an_expired_audio_link_keeps_the_metadata_and_explains_per_song(
    qtbot, qloop, make_tab, fake_udio
):
    fake_udio.expire_audio(FIRST, status=410)
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}\n{SECOND}")
    tab.select_song(FIRST)
    assert drive(qtbot, qloop, tab.download_selected()) is None
    assert "expired" in tab.detail.song_message.text()
    assert tab.detail.title_label.text() == "Final Echoes"  # metadata kept
    assert tab.model.index(0, 0).data() == "finished · no audio"
    assert drive(qtbot, qloop, tab.download(SECOND)) is not None  # other songs unaffected


def test_missing_base_url_or_key_says_where_to_set_them(qtbot, make_tab, fake_udio):
    tab = make_tab(base_url="")
    assert tab.config_banner.isVisible()
    assert (
        "base URL" in tab.config_banner.text() and "Accounts & tokens" in tab.config_banner.text()
    )
    no_key = make_tab(key=None)
    assert (
        "API key" in no_key.config_banner.text()
        and "Accounts & tokens" in no_key.config_banner.text()
    )
    no_key.ids_edit.setPlainText(FIRST)
    qtbot.mouseClick(no_key.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Accounts & tokens" in no_key.status_label.text(), timeout=5000)
    assert fake_udio.requests == []


def test_a_rejected_key_fails_the_rows_with_a_message_that_hides_the_key(
    qtbot, make_tab, fake_udio
):
    wrong = "sk-not-the-right-key-42"
    tab = make_tab(key=wrong)
    _fetch(qtbot, tab, FIRST)
    assert _status(tab, FIRST) == "failed"
    assert "401" in tab.status_label.text() and wrong not in tab.status_label.text()
    assert wrong not in tab.model.index(0, 0).data()


def test_rate_limit_is_ridden_out_and_the_table_still_fills(qtbot, make_tab, fake_udio):
    fake_udio.rate_limit(times=1, retry_after="0")
    tab = make_tab()
    _fetch(qtbot, tab, FIRST)
    assert _status(tab, FIRST) == "finished"


def test_ids_load_from_a_file_and_bad_input_gets_a_clear_message(qtbot, make_tab, tmp_path):
    tab = make_tab()
    ids_file = tmp_path / "ids.csv"
    ids_file.write_text(f"id,title\n{FIRST},Final Echoes\n{SECOND},Echoes of Tomorrow\n")
    assert tab.load_ids_file(ids_file) == 2
    assert tab.ids_edit.toPlainText().split() == [FIRST, SECOND]
    assert tab.load_ids_file(tmp_path / "missing.txt") == 0
    assert "Could not read missing.txt" in tab.status_label.text()
    tab.ids_edit.setPlainText("hello 1234-5678-90")
    qtbot.mouseClick(tab.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Paste at least one Udio id" in tab.status_label.text(), timeout=5000)


def test_export_leaves_personal_data_out_unless_ticked(qtbot, make_tab, tmp_path):
    tab = make_tab()
    _fetch(qtbot, tab, FIRST)
    tab.export_json(tmp_path / "out.json")
    record = json.loads((tmp_path / "out.json").read_text())["songs"][0]
    assert "artist_image" not in record and "user_id" not in record
    tab.include_personal.setChecked(True)
    tab.export_json(tmp_path / "out2.json")
    assert "user_id" in json.loads((tmp_path / "out2.json").read_text())["songs"][0]


@pytest.mark.skipif(PreviewPlayer.unavailable_reason() is not None, reason="no QtMultimedia")
@AUDIO_BACKEND_NOISE  # headless machine
def test_preview_plays_the_downloaded_mp3_and_moves_the_slider(qtbot, qloop, make_tab):
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}\n{SECOND}")
    tab.select_song(FIRST)
    assert tab.detail.time_label.text() == "0:00 / 0:33"  # the song's own duration before playing
    qtbot.mouseClick(tab.detail.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.detail.position_slider.maximum() > 1500, timeout=10000)
    assert tab.model.row_for(FIRST).audio_path is not None
    assert tab.detail.time_label.text().endswith("/ 0:02")  # the (short) file actually served
    qtbot.waitUntil(lambda: tab.detail.position_slider.value() > 0, timeout=10000)
    qtbot.mouseClick(tab.detail.play_button, Qt.MouseButton.LeftButton)  # pause
    qtbot.waitUntil(lambda: tab.detail.play_button.text() == "▶ Preview", timeout=5000)
    tab.select_song(SECOND)  # another song: the preview stops and the slider resets
    assert tab.detail.preview.is_stopped() and tab.detail.playing_id is None
    assert (
        tab.detail.time_label.text() == "0:00 / 2:11" and tab.detail.position_slider.maximum() == 0
    )


def test_search_box_filters_by_lyrics_tags_and_prompt(qtbot, make_tab):
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}\n{SECOND}")
    tab.search_edit.setText("urban jungle")  # only in the second song's lyrics
    assert tab.proxy.rowCount() == 1
    assert tab.proxy.index(0, 1).data() == "Echoes of Tomorrow"
    tab.search_edit.setText("TWEE")  # a tag of the first song
    assert [tab.proxy.index(r, 1).data() for r in range(tab.proxy.rowCount())] == ["Final Echoes"]
    tab.search_edit.setText("planet earth")  # both prompts
    assert tab.proxy.rowCount() == 2
    tab.search_edit.setText("twee")
    tab.select_song(SECOND)  # a hidden song is shown again by clearing the search
    assert tab.search_edit.text() == "" and tab.current_id() == SECOND


def test_a_long_generation_shows_progress_and_can_be_cancelled(qtbot, make_tab, fake_udio):
    fake_udio.finish_after(SECOND, polls=10_000)
    tab = make_tab()
    tab.ids_edit.setPlainText(f"{FIRST}\n{SECOND}")
    qtbot.mouseClick(tab.fetch_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _status(tab, FIRST) == "finished", timeout=10000)
    assert tab.progress.isVisible() and tab.progress.value() == 1 and tab.progress.maximum() == 2
    assert "1 of 2 ready" in tab.status_label.text()
    assert tab.cancel_button.isEnabled() and not tab.fetch_button.isEnabled()
    qtbot.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(tab.fetch_button.isEnabled, timeout=5000)
    assert _status(tab, SECOND) == "pending"
    assert "Cancelled" in tab.model.row_for(SECOND).result.message
    assert not tab.progress.isVisible() and tab.status_label.text() == "Fetch cancelled."


@pytest.mark.skipif(PreviewPlayer.unavailable_reason() is not None, reason="no QtMultimedia")
@AUDIO_BACKEND_NOISE  # headless machine
def test_a_preview_asked_for_a_song_no_longer_on_show_never_plays(qtbot, make_tab, monkeypatch):
    tab = make_tab()
    _fetch(qtbot, tab, f"{FIRST}\n{SECOND}")
    played: list[str] = []
    play_file = tab.detail.play_file
    monkeypatch.setattr(
        tab.detail,
        "play_file",
        lambda song_id, path: (played.append(song_id), play_file(song_id, path)),
    )
    tab.select_song(FIRST)
    qtbot.mouseClick(tab.detail.play_button, Qt.MouseButton.LeftButton)  # FIRST: download, play
    tab.select_song(SECOND)  # ... but the user moved on before it was downloaded
    qtbot.mouseClick(tab.detail.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.detail.preview.is_playing(), timeout=10000)
    assert played == [SECOND] and tab.detail.playing_id == SECOND

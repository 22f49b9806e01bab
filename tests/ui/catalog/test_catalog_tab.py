"""The Catalog tab against a real engine process (adds, edits, removes, search over the engine's
catalog routes) and the fake AudD cloud (pushing to the custom catalog, with and without
access)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from radiowatch.audd import AudDClient
from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.ui.catalog.tab import NO_CLOUD, NO_ENGINE, CatalogTab
from radiowatch.ui.recognize.tab import RecognizeTab
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.ui.recognize.recognition_engine import (  # noqa: F401 - fixtures
    RATE,
    SONGS,
    CatalogEngine,
    collect_garbage_on_the_gui_thread,
    engine_client,
    song_audio,
    write_wav,
)

pytestmark = [
    pytest.mark.qt,
    AUDIO_BACKEND_NOISE,
]

WITH_ACCESS = "catalog-token-0123456789"
WITHOUT_ACCESS = "plain-token-0123456789"
SHOTS = os.environ.get("RADIOWATCH_SCREENSHOTS")


@pytest.fixture
def engine(tmp_path):
    """A fresh engine per test: each test passes alone and in any order."""
    proc = CatalogEngine(tmp_path / "engine")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def cloud():
    with FakeAudD(tokens=[WITH_ACCESS, WITHOUT_ACCESS], catalog_tokens={WITH_ACCESS}) as fake:
        yield fake


@pytest.fixture(scope="module")
def songs_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("songs")
    for i, recipe in enumerate(SONGS[:2]):
        write_wav(folder / f"{recipe.title.replace(' ', '_')}.wav", song_audio(i))
    (folder / "sub").mkdir()
    (folder / "sub" / "broken.mp3").write_bytes(b"this is not an mp3" * 50)
    (folder / "cover.jpg").write_bytes(b"\xff\xd8 not audio")
    return folder


@pytest.fixture
def catalog(qtbot, qloop, engine):
    client = CatalogClient(engine.base_url, engine.token)
    yield client
    drive(qtbot, qloop, client.aclose())


@pytest.fixture
def two_songs(qtbot, qloop, catalog, songs_folder):
    """The engine's catalog holds SONGS[0] and SONGS[1] (catalog ids 1 and 2), added in order."""
    for recipe in SONGS[:2]:
        path = songs_folder / f"{recipe.title.replace(' ', '_')}.wav"
        drive(qtbot, qloop, catalog.add_file(path, title=recipe.title), timeout=60000)
    return SONGS[:2]


@pytest.fixture
def make_tab(qtbot, qloop, catalog, cloud):
    clouds, tabs = [], []

    def make(cloud_token: str | None = WITH_ACCESS) -> CatalogTab:
        audd = None
        if cloud_token:
            audd = AudDClient(cloud_token, base_url=cloud.base_url, max_retries=1)
            clouds.append(audd)
        tab = CatalogTab(lambda: catalog, lambda: audd)
        tab.confirm = lambda _text: True
        qtbot.addWidget(tab)
        tab.resize(1000, 600)
        tab.show()
        qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        drive(qtbot, qloop, tab.aclose())
    for audd in clouds:
        drive(qtbot, qloop, audd.aclose())


def wait_idle(qtbot, tab, timeout=60000):
    qtbot.waitUntil(lambda: not tab.busy, timeout=timeout)


def select(tab: CatalogTab, title: str) -> None:
    row = next(i for i, t in enumerate(tab.tracks) if t.title == title)
    tab.table.clearSelection()
    tab.table.selectRow(row)


def test_adding_a_folder_shows_progress_and_lists_per_file_errors(make_tab, qtbot, songs_folder):
    tab = make_tab()
    tab.add_paths([songs_folder])
    assert tab.busy and tab.cancel_button.isEnabled()
    assert tab.progress.maximum() == 3  # two songs and the broken mp3; the .jpg is skipped
    wait_idle(qtbot, tab)
    titles = sorted(t.title for t in tab.tracks)
    assert titles == sorted(r.title for r in SONGS[:2])
    assert tab.table.rowCount() == 2
    assert [t.audio_id for t in tab.tracks] == [1, 2]
    assert len(tab.problems_seen) == 1
    assert tab.problems_seen[0].startswith("broken.mp3: This file could not be read as audio")
    assert tab.problems.isVisible()
    assert "Added 2 of 3 files" in tab.status.text() and tab.status.kind == "warning"


def test_search_edit_and_kind_are_saved_in_the_engine(two_songs, make_tab, qtbot, catalog, qloop):
    tab = make_tab()
    tab.search.setText(SONGS[1].title.split()[0].lower())
    qtbot.waitUntil(lambda: len(tab.tracks) == 1, timeout=5000)
    select(tab, SONGS[1].title)
    assert tab.title_edit.text() == SONGS[1].title and tab.save_button.isEnabled()
    tab.artist_edit.setText("Deltawave")
    tab.album_edit.setText("Signal Trees")
    tab.isrc_edit.setText("gb-abc-26-00001")
    tab.kind_combo.setCurrentText("jingle")
    tab.save_selected()
    wait_idle(qtbot, tab)
    stored = {t.title: t for t in drive(qtbot, qloop, catalog.tracks())}[SONGS[1].title]
    assert (stored.artist, stored.album, stored.isrc, stored.kind) == (
        "Deltawave",
        "Signal Trees",
        "GBABC2600001",
        "jingle",
    )
    assert "Saved" in tab.status.text()
    tab.search.clear()
    qtbot.waitUntil(lambda: len(tab.tracks) == 2, timeout=5000)


def test_an_added_song_is_recognised_in_the_recognize_tab(
    two_songs, qtbot, qloop, engine, tmp_path
):
    client = engine_client(engine)
    recognize = RecognizeTab(lambda: client)
    qtbot.addWidget(recognize)
    clip = write_wav(tmp_path / "clip.wav", song_audio(0)[6 * RATE : 16 * RATE])
    recognize.clip.recognize(str(clip))
    qtbot.waitUntil(lambda: not recognize.clip.busy, timeout=30000)
    assert recognize.clip.card.state == "match", recognize.clip.status.text()
    assert recognize.clip.card.result.title == SONGS[0].title
    drive(qtbot, qloop, client.aclose())


def test_push_to_audd_uploads_under_the_same_catalog_ids(two_songs, make_tab, qtbot, cloud):
    cloud.reset()
    tab = make_tab(WITH_ACCESS)
    tab.table.selectAll()
    tab.push_selected()
    wait_idle(qtbot, tab)
    assert tab.status.kind == "ok", tab.status.text()
    uploads = cloud.received("/upload/")
    assert sorted(int(r.params["audio_id"]) for r in uploads) == [1, 2]
    assert all(r.file_size and r.file_size > 1000 for r in uploads)
    assert "Pushed 2 of 2" in tab.status.text()
    if SHOTS:
        tab.grab().save(str(Path(SHOTS) / "catalog_tab.png"))


def test_push_without_custom_catalog_access_says_so(two_songs, make_tab, qtbot):
    tab = make_tab(WITHOUT_ACCESS)
    tab.table.selectRow(0)
    tab.push_selected()
    wait_idle(qtbot, tab)
    assert tab.status.kind == "error"
    assert "no access to the custom catalog (#904)" in tab.status.text()


def test_push_without_an_audd_token_says_where_to_add_one(two_songs, make_tab):
    tab = make_tab(None)
    tab.table.selectRow(0)
    tab.push_selected()
    assert tab.status.text() == NO_CLOUD and not tab.busy


def test_remove_takes_the_track_out_of_the_engine(two_songs, make_tab, qtbot, qloop, catalog):
    tab = make_tab()
    select(tab, SONGS[1].title)
    tab.remove_selected()
    wait_idle(qtbot, tab)
    assert [t.title for t in drive(qtbot, qloop, catalog.tracks())] == [SONGS[0].title]
    assert tab.table.rowCount() == 1


def test_cancelling_an_add_keeps_what_was_added(two_songs, make_tab, qtbot, tmp_path):
    tab = make_tab()
    files = [write_wav(tmp_path / f"t{i}.wav", song_audio(2, 12 + i)) for i in range(6)]
    tab.add_paths(files)
    qtbot.waitUntil(lambda: tab.progress.value() >= 1, timeout=30000)
    tab.cancel_button.click()
    wait_idle(qtbot, tab)
    assert "Stopped" in tab.status.text() or "tracks" in tab.status.text()
    qtbot.waitUntil(lambda: not tab.busy and len(tab.tracks) >= 2, timeout=10000)
    assert len(tab.tracks) < 1 + len(files)
    assert tab.add_files_button.isEnabled()


def test_without_the_engine_the_tab_says_what_to_do(qtbot, qloop):
    tab = CatalogTab(lambda: None)
    qtbot.addWidget(tab)
    tab.reload()
    assert tab.status.text() == NO_ENGINE and not tab.busy

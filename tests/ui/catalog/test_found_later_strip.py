"""The Catalog tab's "found later" strip against a real engine that archives a loopback station:
a track added in the tab after it aired makes the engine search its archive by itself; the strip
shows that search with its progress, then how many past plays it found, and the play enters the
history (through the app's monitoring) once, marked found later. Cancel cancels the engine's
job, and the strip says "cancelled" only once the engine does. Against the AudD cloud the strip
asks nothing and shows nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import NamedTuple

import pytest
from PySide6.QtWidgets import QStatusBar

from radiowatch.audd import AudDClient
from radiowatch.backend.archive_client import ArchiveClient, SearchJob, archive_client_for
from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.backend.found_later_watch import FoundLaterView, FoundLaterWatch
from radiowatch.backend.session import BackendSession
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.config.settings import Settings
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song, render_talk
from radiowatch.engine.demo.station import Segment
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore
from radiowatch.ui.catalog.tab import CatalogTab
from radiowatch.ui.common.found_later_strip import FoundLaterBadge
from tests.conftest import drive
from tests.engine.archive.test_engine_archive import SONG_S, _wav
from tests.fakes.fake_audd import FakeAudD
from tests.support.archive_engine import archiving_engine
from tests.support.engine_process import EngineProcess
from tests.support.stations import songs

pytestmark = [pytest.mark.qt, pytest.mark.slow]

RADIO_ID = 3
# Searching 30 s of archive for one song takes the engine a few milliseconds, less than a poll;
# long songs that never aired make a search last long enough to be seen (and cancelled), as a
# station-day's search does in real use.
DECOYS, DECOY_S = 6, 300.0


def _programme(song):
    def programme():
        yield Segment("station - talk", render_talk(3.0, STATION_RATE, seed=1))
        yield Segment(f"{song.artist} - {song.title}", render_song(song, SONG_S, STATION_RATE))
        yield Segment("station - talk", render_talk(60.0, STATION_RATE, seed=2))

    return programme


def _song_file(folder: Path, song, seconds: float = SONG_S) -> Path:
    path = folder / f"{song.artist} - {song.title}.wav"
    path.write_bytes(_wav(render_song(song, seconds, 16000), 16000))
    return path


@pytest.fixture(scope="module")
def decoys(tmp_path_factory) -> list[Path]:
    """Files of long songs that the station never plays (read only)."""
    folder = tmp_path_factory.mktemp("decoys")
    return [_song_file(folder, recipe, DECOY_S) for recipe in songs(DECOYS + 1)[1:]]


class Views:
    """Every view the watch announced, in order."""

    def __init__(self, watch: FoundLaterWatch) -> None:
        self.seen: list[FoundLaterView] = []
        watch.changed.connect(self.seen.append)

    def states(self) -> list[str]:
        return [v.state for v in self.seen]

    def last(self) -> FoundLaterView:
        return self.seen[-1] if self.seen else FoundLaterView()


@pytest.fixture
def watching(qtbot, qloop):
    """Runs a FoundLaterWatch on the test's loop; stops and closes it afterwards."""
    started: list[tuple[FoundLaterWatch, asyncio.Task]] = []

    def start(provider, **options) -> FoundLaterWatch:
        watch = FoundLaterWatch(provider, **options)
        started.append((watch, qloop.create_task(watch.run())))
        return watch

    yield start
    for watch, task in started:
        task.cancel()
        drive(qtbot, qloop, asyncio.wait([task]))
        drive(qtbot, qloop, watch.aclose())


def _monitoring(engine, db) -> tuple[AudDClient, MonitoringService]:
    (stream,) = engine.api("getStreams")["result"]
    station = MonitoredStation(radio_id=RADIO_ID, name="Radio Three", source=stream["url"])
    client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
    service = MonitoringService(
        client=client,
        play_store=PlayStore(db),
        stations=StaticStations([station]),
        state=StreamStateStore(db, "local"),
        watchlist=WatchlistStore(db),
        notifier=RecordingNotifier(),
        longpoll_timeout=2,
        retry_first_delay=0.2,
    )
    return client, service


def _plays(db) -> list[tuple[str, bool]]:
    rows = db.execute("SELECT title, raw_json FROM plays WHERE deleted = 0").fetchall()
    return [(title, json.loads(raw or "{}").get("found_later") is True) for title, raw in rows]


def test_adding_tracks_shows_the_search_then_the_past_play_which_enters_history_once(
    qtbot, qloop, tmp_path, watching, decoys
):
    (song,) = songs(1)
    folder = tmp_path / "import"
    folder.mkdir()
    _song_file(folder, song)
    for decoy in decoys:
        (folder / decoy.name).symlink_to(decoy)
    db = open_database(tmp_path / "history.db")
    settings = {"archive_settle_s": 1}
    with archiving_engine(
        tmp_path / "engine", seconds=30, settings=settings, programme=_programme(song)
    ) as engine:
        client, service = _monitoring(engine, db)
        drive(qtbot, qloop, service.start(), timeout=20_000)
        catalog = CatalogClient(engine.base_url, engine.token)
        watch = watching(
            lambda: ArchiveClient(engine.base_url, engine.token), idle_s=0.5, active_s=0.05
        )
        views = Views(watch)
        tab = CatalogTab(lambda: catalog, found_later=watch)
        qtbot.addWidget(tab)
        bar = QStatusBar()  # the window's, for when another tab hides the strip
        badge = FoundLaterBadge(watch)
        bar.addPermanentWidget(badge)
        qtbot.addWidget(bar)
        bar.show()
        tab.resize(1000, 600)
        tab.show()
        strip = tab.found_later_strip
        assert strip is not None
        bars: list[tuple[bool, int]] = []  # the strip's progress bar, each time a search showed
        watch.changed.connect(
            lambda v: (
                bars.append((strip.progress.isVisible(), strip.progress.value()))
                if v.state == "searching"
                else None
            )
        )
        qtbot.waitUntil(lambda: not tab.busy, timeout=10_000)
        assert strip.isHidden(), "nothing is searched before a track is added"

        tab.add_paths([folder])
        qtbot.waitUntil(lambda: views.last().state == "outcome", timeout=90_000)
        searching = [v for v in views.seen if v.state == "searching"]
        outcome = views.last()
        shown = (strip.isVisible(), strip.text.text(), strip.dismiss_button.isVisible())
        in_status_bar = (badge.isVisible(), badge.text())
        badge.set_covered(True)  # the Catalog tab is on screen: the strip says it
        assert badge.isHidden()
        qtbot.waitUntil(lambda: _plays(db) == [(song.title, True)], timeout=30_000)
        qtbot.wait(2000)  # room for a duplicate, if one were coming
        plays = _plays(db)
        strip.dismiss_button.click()
        assert strip.isHidden()
        drive(qtbot, qloop, service.aclose(), timeout=20_000)
        drive(qtbot, qloop, client.aclose())
        drive(qtbot, qloop, catalog.aclose())
    db.conn.close()

    assert searching, views.states()
    assert (
        searching[-1].text == f"Looking for past plays of {DECOYS + 1} new tracks in the archive…"
    )
    assert bars and all(shown for shown, _value in bars), bars
    assert [round((v.progress or 0) * 100) for v in searching] == [value for _s, value in bars]
    assert outcome.text == "Found 1 past play: it enters History, marked “found later”."
    assert outcome.kind == "ok"
    assert shown == (True, outcome.text, True)
    assert in_status_bar == (True, "Found 1 past play in the archive")
    assert plays == [(song.title, True)], "the past play is in the history once"


class Busy(NamedTuple):
    engine: EngineProcess
    archive: ArchiveClient
    jobs: list[SearchJob]  # the searches the test started
    views: Views
    tab: CatalogTab


@contextlib.contextmanager
def _busy_engine(qtbot, qloop, tmp_path, watching, tracks: list[Path], *, seconds: float):
    """A Catalog tab watching an archiving engine (`seconds` of the programme archived) that is
    searching for `tracks`. The engine's own search of new tracks is off: the test starts the
    searches itself, five in a row over every track, so that they are still running (and
    waiting) when the test acts."""
    (song,) = songs(1)
    settings = {"archive_settle_s": 1, "archive_search_new_tracks": False}
    with archiving_engine(
        tmp_path / "engine", seconds=seconds, settings=settings, programme=_programme(song)
    ) as engine:
        catalog = CatalogClient(engine.base_url, engine.token)
        archive = ArchiveClient(engine.base_url, engine.token)
        for path in tracks:
            drive(qtbot, qloop, catalog.add_file(path), timeout=60_000)
        watch = watching(
            lambda: ArchiveClient(engine.base_url, engine.token), idle_s=0.2, active_s=0.05
        )
        views = Views(watch)
        tab = CatalogTab(lambda: catalog, found_later=watch)
        qtbot.addWidget(tab)
        tab.show()
        jobs = [drive(qtbot, qloop, archive.search()) for _ in range(5)]
        yield Busy(engine, archive, jobs, views, tab)
        drive(qtbot, qloop, archive.aclose())
        drive(qtbot, qloop, catalog.aclose())


def test_cancel_cancels_the_engines_job_and_says_so_once_the_engine_does(
    qtbot, qloop, tmp_path, watching, decoys
):
    (song,) = songs(1)
    tracks = [_song_file(tmp_path, song), *decoys]
    with _busy_engine(qtbot, qloop, tmp_path, watching, tracks, seconds=30) as busy:
        strip = busy.tab.found_later_strip
        assert strip is not None
        qtbot.waitUntil(lambda: strip.cancel_button.isVisible(), timeout=20_000)
        assert "Looking for past plays" in strip.text.text() or "Waiting" in strip.text.text()
        strip.cancel_button.click()
        assert not strip.cancel_button.isEnabled()
        qtbot.waitUntil(lambda: busy.views.last().state == "outcome", timeout=30_000)
        ended = [drive(qtbot, qloop, busy.archive.job(j.job_id)) for j in busy.jobs]
        cancelling = [v for v in busy.views.seen if v.text == "Cancelling the archive search…"]
        outcome = busy.views.last()

    assert cancelling, busy.views.states()
    assert any(j.state == "cancelled" for j in ended), [j.state for j in ended]
    assert outcome.text.startswith("Search cancelled."), outcome.text
    assert outcome.kind == "warning"
    assert strip.text.text() == outcome.text


def test_an_engine_gone_mid_search_is_said_and_its_lost_search_too(
    qtbot, qloop, tmp_path, watching, decoys
):
    with _busy_engine(qtbot, qloop, tmp_path, watching, decoys, seconds=20) as busy:
        views = busy.views
        qtbot.waitUntil(lambda: views.last().state == "searching", timeout=20_000)
        busy.engine.kill()
        qtbot.waitUntil(lambda: views.last().state == "unreachable", timeout=20_000)
        unreachable = views.last()
        cancel_shown = busy.tab.found_later_strip.cancel_button.isVisible()
        busy.engine.restart()  # same port: the same engine to the app, which forgot its jobs
        qtbot.waitUntil(lambda: views.last().state == "outcome", timeout=30_000)
        outcome = views.last()

    assert unreachable.text.startswith("The archive search's progress is unknown:")
    assert unreachable.progress is None and not cancel_shown, "no percentage it cannot check"
    assert outcome.text.startswith("The engine stopped before the search for past plays ended")
    assert outcome.kind == "warning"


def test_nothing_is_asked_or_shown_with_the_audd_cloud(qtbot, qloop, watching):
    with FakeAudD(tokens={"cloud-token-1234"}) as cloud:
        session = BackendSession(
            profile_dirs().ensure(),
            Settings(backend="audd"),
            MemoryTokenStore({"audd_api_token": "cloud-token-1234"}),
            cloud_url=cloud.base_url,
        )
        drive(qtbot, qloop, session.start(), timeout=10_000)
        assert session.client is not None, "the cloud session is up"
        watch = watching(lambda: archive_client_for(session), idle_s=0.05)
        views = Views(watch)
        tab = CatalogTab(lambda: None, found_later=watch)
        qtbot.addWidget(tab)
        tab.show()
        watch.poke()
        qtbot.wait(600)
        asked = [r.path for r in cloud.requests if "archive" in r.path]
        drive(qtbot, qloop, session.aclose(), timeout=10_000)

    assert asked == []
    assert views.seen == [] and watch.view.state == "hidden"
    assert tab.found_later_strip is not None and tab.found_later_strip.isHidden()

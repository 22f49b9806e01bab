"""A "found later" search that an engine crash cuts short is run again by the restarted engine,
and every past play it finds reaches the long poll exactly once, with the real engine process.

The archive holds 30 hours of one station (past_airings.py): a song that is not in the catalog
aired at the start of them and another near the end. Both songs are added to the catalog through
the route the app uses; the engine searches its archive for them by itself, earliest hours
first, so it reports the first song's play and is still searching when it is killed (SIGKILL).
The engine restarted on the same folder must search again by itself, report the second song's
play, and not report the first again; a second crash and restart after that search ended finds
nothing to search and reports nothing.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from radiowatch.audd import AudDClient
from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.backend.archive_client import ArchiveClient
from radiowatch.backend.catalog_client import CatalogClient
from radiowatch.backend.found_later_watch import FoundLaterView, FoundLaterWatch
from radiowatch.engine.archive.service import _NEW_TRACKS_KEY, NEW_TRACKS_POLL_S
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song
from radiowatch.engine.demo.station import Segment
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore
from tests.engine.archive.feed import babble
from tests.engine.archive.past_airings import Airing, past_archive
from tests.engine.archive.test_engine_archive import SONG_S, UPLOAD_RATE, _epoch, _wav
from tests.monitoring.conftest import until
from tests.support.engine_process import EngineProcess, running_engine
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, songs

RADIO_ID = 21
HOUR = 3600.0
PAST_H = 30.0  # six of the search's 6-hour stretches: seconds of work


def early_and_late_airings(data_dir: Path, early_song, late_song) -> list[Airing]:
    """An archive where `early_song` aired PAST_H hours ago and `late_song` 1.5 hours ago, the
    filler programme's peaks in between: a search of both tracks has PAST_H hours to read."""
    now = time.time()
    return past_archive(
        data_dir,
        RADIO_ID,
        [(early_song, now - PAST_H * HOUR), (late_song, now - 1.5 * HOUR)],
        filler=(now - PAST_H * HOUR + 60, now - 2 * HOUR),
        song_s=SONG_S,
    )


def song_files(folder: Path, recipes) -> list[Path]:
    """The songs as WAV files named "artist - title", as a user's import folder holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for recipe in recipes:
        files.append(folder / f"{recipe.artist} - {recipe.title}.wav")
        files[-1].write_bytes(_wav(render_song(recipe, SONG_S, UPLOAD_RATE), UPLOAD_RATE))
    return files


SETTINGS = {
    "window_s": 4,
    "hop_s": 2,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
    "archive_settle_s": 1,
}

pytestmark = pytest.mark.slow


def _talk_station(bg: BackgroundLoop):
    """The station as it sounds now (monitored, so found plays can be published on it)."""
    return bg.start_station(lambda: iter([Segment("station - talk", babble(60, 5, STATION_RATE))]))


def _add_tracks(engine: EngineProcess, recipes) -> list[str]:
    """Add songs to the catalog at once, through the route the app's Catalog tab uses."""

    def add(recipe) -> str:
        audio = _wav(render_song(recipe, SONG_S, UPLOAD_RATE), UPLOAD_RATE)
        response = httpx.post(
            engine.base_url + "/catalog/tracks/",
            data={"api_token": engine.token, "title": recipe.title, "artist": recipe.artist},
            files={"file": (f"{recipe.title}.wav", audio)},
            timeout=120,
        )
        body = response.json()
        assert body["status"] == "success", body
        return body["result"]["track_id"]

    with ThreadPoolExecutor(len(recipes)) as pool:
        return list(pool.map(add, recipes))


def _jobs(engine: EngineProcess) -> list[dict]:
    response = httpx.get(
        engine.base_url + "/archive/search/", params={"api_token": engine.token}, timeout=30
    )
    body = response.json()
    assert body["status"] == "success", body
    return body["result"]


def _wait_for(what: str, find, engine: EngineProcess, timeout: float, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}:\n{engine.stderr_text()[-4000:]}"
        time.sleep(every)


def _searched_until(engine: EngineProcess) -> float:
    """The archive's mark of the catalog additions it has searched for (read-only)."""
    path = engine.data_dir / "archive" / "archive.sqlite"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (_NEW_TRACKS_KEY,)).fetchone()
    return float(row[0]) if row else 0.0


def _added_at(engine: EngineProcess, track_ids: list[str]) -> float:
    response = httpx.get(
        engine.base_url + "/catalog/tracks/", params={"api_token": engine.token}, timeout=10
    )
    return max(t["added_at"] for t in response.json()["result"] if t["track_id"] in track_ids)


@pytest.mark.timeout(180)
def test_a_search_cut_short_by_a_crash_runs_again_and_reports_each_past_play_once(tmp_path):
    early_song, late_song = songs(2)
    early, late = early_and_late_airings(tmp_path / "engine", early_song, late_song)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = _talk_station(bg)
        assert engine.api("addStream", url=station.url, radio_id=RADIO_ID)["status"] == "success"
        category = engine.api("getStreams")["result"][0]["longpoll_category"]
        with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
            track_ids = _add_tracks(engine, (early_song, late_song))

            def midway() -> dict | None:
                """The engine's search once it has reported a play (and the play arrived)."""
                if not events.matches():
                    return None
                return next((j for j in _jobs(engine) if j["published"] >= 1), None)

            caught = _wait_for("the search reporting its first play", midway, engine, 60)
            engine.kill()
            reported_before = [p for p in events.matches() if p.get("found_later")]

            engine.restart()
            resumed = _wait_for(
                "the restarted engine searching again by itself",
                lambda: [j for j in _jobs(engine) if j["state"] in ("done", "failed")],
                engine,
                60,
                every=0.5,
            )
            assert events.wait_for(lambda e: len(e.matches()) >= 2, timeout=20), events.matches()
            plays = events.matches()

            # Once the restarted engine has noted that search as done, another crash leaves
            # nothing to search: the next engine starts no search (it would have started one
            # at its first look for new tracks), and nothing more is reported.
            added_at = _added_at(engine, track_ids)
            _wait_for(
                "the search's end noted",
                lambda: _searched_until(engine) >= added_at,
                engine,
                3 * NEW_TRACKS_POLL_S,
                every=0.5,
            )
            engine.kill()
            engine.restart()
            time.sleep(NEW_TRACKS_POLL_S + 2.0)
            jobs_after_second_restart = _jobs(engine)
            plays_after = events.matches()

    # killed mid-way: the early song's play was reported, the late song's stretch not reached
    assert caught["state"] == "running" and caught["done"] < caught["total"] - 1, caught
    assert sorted(caught["tracks"]) == sorted(track_ids)
    assert [p["results"][0]["title"] for p in reported_before] == [early_song.title]

    (search,) = resumed
    assert search["state"] == "done" and search["reason"] == "new tracks"
    assert sorted(search["tracks"]) == sorted(track_ids)
    statuses = sorted((p["title"], p["status"]) for p in search["plays"])
    assert statuses == sorted(
        [(early_song.title, "already_reported"), (late_song.title, "published")]
    )

    assert len(plays) == 2, plays
    assert all(p.get("found_later") is True for p in plays)
    by_title = {p["results"][0]["title"]: p for p in plays}
    assert set(by_title) == {early_song.title, late_song.title}
    for airing in (early, late):
        play = by_title[airing.recipe.title]
        assert _epoch(play["timestamp"]) == pytest.approx(airing.start, abs=3)
        assert play["play_length"] == pytest.approx(SONG_S, abs=3)

    assert jobs_after_second_restart == [], jobs_after_second_restart
    assert plays_after == plays


def _history(db) -> list[tuple[str, float, bool]]:
    rows = db.execute(
        "SELECT title, start_ts, raw_json FROM plays WHERE deleted = 0 ORDER BY start_ts"
    ).fetchall()
    return [(t, float(s), json.loads(raw or "{}").get("found_later") is True) for t, s, raw in rows]


@pytest.mark.asyncio
@pytest.mark.timeout(180)
async def test_the_apps_history_gets_each_past_play_once_across_the_crash(tmp_path):
    """The app's side of the same crash: its monitoring (long poll into a real SQLite history)
    and its found-later watch follow the engine through the kill and the restart; each past
    play is in the history once, marked found later, and the watch tells what the searches
    before and after the crash found together. (The engine restarts on the same port here, as
    a remote engine does; the app's own supervisor gives a restarted local engine a new port:
    tests/ui/shell/test_wiring_found_later_crash.py.)"""
    early_song, late_song = songs(2)
    early, late = await asyncio.to_thread(
        early_and_late_airings, tmp_path / "engine", early_song, late_song
    )
    files = song_files(tmp_path / "import", (early_song, late_song))
    db = open_database(tmp_path / "history.db")
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        station = _talk_station(bg)
        client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
        service = MonitoringService(
            client=client,
            play_store=PlayStore(db),
            stations=StaticStations(
                [MonitoredStation(radio_id=RADIO_ID, name="Archive FM", source=station.url)]
            ),
            state=StreamStateStore(db, "local"),
            watchlist=WatchlistStore(db),
            notifier=RecordingNotifier(),
            longpoll_timeout=2,
            retry_first_delay=0.2,
        )
        catalog = CatalogClient(engine.base_url, engine.token)
        watch = FoundLaterWatch(
            lambda: ArchiveClient(engine.base_url, engine.token), idle_s=0.3, active_s=0.1
        )
        views: list[FoundLaterView] = []
        watch.changed.connect(views.append)
        watching = asyncio.create_task(watch.run())
        try:
            await service.start()
            await asyncio.gather(*(catalog.add_file(path) for path in files))
            watch.poke()  # what the Catalog tab does after adding

            def reported_and_seen() -> bool:
                """The first play is in the history and the watch saw the search past it."""
                view = views[-1] if views else None
                return (
                    len(_history(db)) == 1
                    and view is not None
                    and view.state == "searching"
                    and (view.progress or 0) > 0
                )

            await until(reported_and_seen, timeout=60, what="the search's first play recorded")
            before_kill = _history(db)
            await asyncio.to_thread(engine.kill)
            await until(lambda: views[-1].state == "unreachable", timeout=20, what="the outage")
            await asyncio.to_thread(engine.restart)
            await until(lambda: len(_history(db)) == 2, timeout=60, what="the second play")

            def settled() -> bool:
                return views[-1].state == "outcome" and watch.view.short.startswith("Found")

            await until(settled, timeout=30, what="the watch's outcome")
            await asyncio.sleep(2.0)  # room for a duplicate, if one were coming
            after = _history(db)
            outcome = watch.view
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            await watch.aclose()
            await service.aclose()
            await client.aclose()
            await catalog.aclose()
            db.conn.close()

    assert [(title, found) for title, _start, found in before_kill] == [(early_song.title, True)]
    assert [(title, found) for title, _start, found in after] == [
        (early_song.title, True),
        (late_song.title, True),
    ]
    for (_title, start, _found), airing in zip(after, (early, late), strict=True):
        assert start == pytest.approx(airing.start, abs=3)
    # between the restart and the engine's new search, the watch says the engine looks again;
    # at the end it tells what both searches found, each play once
    interrupted = [v for v in views if v.short == "Archive search interrupted"]
    assert interrupted, [v.text for v in views]
    assert interrupted[-1].text.endswith("It searches for the new tracks again by itself.")
    assert outcome.text == (
        "Found 2 past plays: they enter History, marked “found later”. "
        "The engine restarted during the search and searched again by itself."
    )
    assert outcome.kind == "ok"

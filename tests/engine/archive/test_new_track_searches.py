"""The engine's own search of new catalog additions when it fails, with the real engine process
on an archive that is really damaged: one stored block of a station's peaks no longer decodes.

The search fails on it, says where the archive is damaged, and is tried again by itself later
and later (here 1 s, then 2 s, the cap); tracks added meanwhile start a new search at once,
counted afresh; once the archive is mended the next try finds the past play and publishes it
once, and nothing is searched again. The app's found-later watch, following the engine all the
while, tells the user what is wrong and when the engine tries again, then what was found.
A search of new tracks that a user cancelled is not run again. (That an engine killed mid-search
searches the same additions again after its restart, and reports each play once, is
test_found_later_crash.py.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.backend.archive_client import ArchiveClient
from radiowatch.backend.found_later_watch import FoundLaterView, FoundLaterWatch
from radiowatch.engine.archive.service import NEW_TRACKS_POLL_S
from tests.engine.archive.past_airings import past_archive
from tests.engine.archive.test_engine_archive import SONG_S
from tests.engine.archive.test_found_later_crash import (
    HOUR,
    PAST_H,
    RADIO_ID,
    SETTINGS,
    _add_tracks,
    _added_at,
    _jobs,
    _searched_until,
    _talk_station,
    _wait_for,
)
from tests.support.engine_process import EngineProcess, running_engine
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, songs

RETRY = {"archive_search_retry_s": 1, "archive_search_retry_max_s": 2}

pytestmark = pytest.mark.slow


def _damage_a_block(data_dir: Path, start: float) -> tuple[int, bytes]:
    """Overwrite the stored peaks of the station's block around `start` with bytes that do not
    decode, as a damaged disk would; returns the row and its peaks, to mend it later."""
    with sqlite3.connect(data_dir / "archive" / "archive.sqlite", timeout=10) as db:
        rowid, peaks = db.execute(
            "SELECT rowid, peaks FROM peak_blocks WHERE radio_id = ? AND start_s >= ? "
            "ORDER BY start_s LIMIT 1",
            (RADIO_ID, start),
        ).fetchone()
        db.execute("UPDATE peak_blocks SET peaks = ? WHERE rowid = ?", (b"\x07" * 64, rowid))
    return rowid, peaks


def _mend(data_dir: Path, rowid: int, peaks: bytes) -> None:
    with sqlite3.connect(data_dir / "archive" / "archive.sqlite", timeout=10) as db:
        db.execute("UPDATE peak_blocks SET peaks = ? WHERE rowid = ?", (peaks, rowid))


async def _jobs_when(engine: EngineProcess, condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        jobs = await asyncio.to_thread(_jobs, engine)
        if condition(jobs):
            return jobs
        assert time.monotonic() < deadline, f"{what}: {jobs}\n{engine.stderr_text()[-3000:]}"
        await asyncio.sleep(0.2)


def _failed(jobs: list[dict]) -> list[dict]:
    return [j for j in jobs if j["state"] == "failed"]


async def _told(watch: FoundLaterWatch, engine: EngineProcess) -> tuple[FoundLaterView, dict]:
    """What the watch shows once it has caught up with the engine's newest failed search (the
    engine fails again every 2 s: the watch may be a poll behind), and that search."""
    deadline = time.monotonic() + 10
    while True:
        jobs = await asyncio.to_thread(_jobs, engine)
        view = watch.view
        newest = jobs[-1]
        if newest["state"] == "failed" and newest["error"] in view.text:
            when = time.strftime("%H:%M:%S", time.localtime(newest["retry_at"]))
            if f" at {when}," in view.text:
                return view, newest
        assert time.monotonic() < deadline, (view, jobs)
        await asyncio.sleep(0.05)


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_a_failing_search_is_tried_again_later_and_later_and_the_app_is_told(tmp_path):
    first, *_filler, second = songs(6)  # the filler programme plays songs 2-5: 6 never aired
    now = time.time()
    data_dir = tmp_path / "engine"
    (aired,) = await asyncio.to_thread(
        past_archive,
        data_dir,
        RADIO_ID,
        [(first, now - 1.5 * HOUR)],
        filler=(now - 4 * HOUR, now - 2 * HOUR),
        song_s=SONG_S,
    )
    damaged = _damage_a_block(data_dir, now - 3 * HOUR)
    with (
        BackgroundLoop() as bg,
        running_engine(data_dir, settings={**SETTINGS, **RETRY}) as engine,
    ):
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = _talk_station(bg)
        assert engine.api("addStream", url=station.url, radio_id=RADIO_ID)["status"] == "success"
        category = engine.api("getStreams")["result"][0]["longpoll_category"]
        watch = FoundLaterWatch(
            lambda: ArchiveClient(engine.base_url, engine.token), idle_s=0.2, active_s=0.1
        )
        views: list[FoundLaterView] = []
        watch.changed.connect(views.append)
        watching = asyncio.create_task(watch.run())
        try:
            with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
                await asyncio.sleep(0.5)  # the watch's first look: nothing was searched yet
                (first_id,) = await asyncio.to_thread(_add_tracks, engine, [first])
                failing = await _jobs_when(
                    engine, lambda jobs: len(_failed(jobs)) >= 3, "three failed searches"
                )
                told, newest = await _told(watch, engine)

                (second_id,) = await asyncio.to_thread(_add_tracks, engine, [second])
                both = {first_id, second_id}
                jobs = await _jobs_when(
                    engine,
                    lambda jobs: any(set(j["tracks"]) == both for j in _failed(jobs)),
                    "the search of both tracks failing",
                )
                with_both = next(j for j in _failed(jobs) if set(j["tracks"]) == both)

                await asyncio.to_thread(_mend, data_dir, *damaged)
                jobs = await _jobs_when(
                    engine,
                    lambda jobs: any(j["state"] == "done" for j in jobs),
                    "the search once the archive is mended",
                )
                await asyncio.sleep(3.0)  # more than the longest wait: nothing is tried again
                jobs_after = await asyncio.to_thread(_jobs, engine)
                assert events.wait_for(lambda e: len(e.matches()) >= 1, timeout=10)
                await asyncio.sleep(1.0)  # room for a duplicate, if one were coming
                plays = events.matches()
                outcome = watch.view
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            await watch.aclose()

    # each failure says where the archive is damaged, and the next try comes later and later
    failed = _failed(failing)[:3]
    assert all(j["reason"] == "new tracks" and j["tracks"] == [first_id] for j in failed)
    damage = "the archive of station 21 is damaged at "
    assert all(j["error"].startswith(damage) for j in failed), failed[0]["error"]
    waits = [round(j["retry_at"] - j["finished_at"], 3) for j in failed]
    assert waits == [1.0, 2.0, 2.0]
    for before, after in zip(failed, failed[1:], strict=False):
        assert after["created_at"] >= before["retry_at"]
    assert told.state == "outcome" and told.kind == "error", told
    when = time.strftime("%H:%M:%S", time.localtime(newest["retry_at"]))
    assert told.text == (
        f"The search for past plays failed on the engine ({newest['error']}). "
        f"The engine tries again by itself at {when}, and less often while it keeps failing."
    )
    assert told.short == f"Archive search failed; trying again at {when}"

    # a track added meanwhile: searched with the others at once, its failures counted afresh
    assert round(with_both["retry_at"] - with_both["finished_at"], 3) == 1.0

    # mended: the next try publishes the past play, once, and no search follows
    (done,) = [j for j in jobs_after if j["state"] == "done"]
    assert set(done["tracks"]) == both and done["error"] is None and done["retry_at"] is None
    assert [(p["title"], p["status"]) for p in done["plays"]] == [(first.title, "published")]
    assert jobs_after[-1]["job_id"] == done["job_id"]
    assert len(plays) == 1 and plays[0]["results"][0]["title"] == first.title
    assert plays[0]["found_later"] is True
    assert abs(plays[0]["play_length"] - (aired.end - aired.start)) <= 3
    assert outcome.state == "outcome" and outcome.kind == "ok", outcome
    assert outcome.text.startswith("Found 1 past play: it enters History"), outcome.text


@pytest.mark.timeout(120)
def test_a_search_of_new_tracks_a_user_cancelled_is_not_run_again(tmp_path):
    """Cancel is the user's word: the additions count as searched, and no search follows (a
    search still running is never started twice either)."""
    (song,) = songs(1)
    now = time.time()
    past_archive(
        tmp_path / "engine",
        RADIO_ID,
        [(song, now - PAST_H * HOUR)],
        filler=(now - PAST_H * HOUR + 60, now - 2 * HOUR),
        song_s=SONG_S,
    )
    with running_engine(tmp_path / "engine", settings={**SETTINGS, **RETRY}) as engine:
        (track_id,) = _add_tracks(engine, [song])
        running = _wait_for(
            "the engine's search of the new track",
            lambda: [j for j in _jobs(engine) if j["state"] == "running"],
            engine,
            30,
        )
        response = httpx.post(
            f"{engine.base_url}/archive/search/{running[0]['job_id']}/cancel/",
            data={"api_token": engine.token},
            timeout=10,
        )
        assert response.json()["status"] == "success", response.text
        added_at = _added_at(engine, [track_id])
        _wait_for(
            "the cancelled search's end noted",
            lambda: _searched_until(engine) >= added_at,
            engine,
            3 * NEW_TRACKS_POLL_S,
            every=0.5,
        )
        time.sleep(NEW_TRACKS_POLL_S + 1.0)  # a look for new tracks, and more than any retry
        jobs = _jobs(engine)

    assert len(running) == 1 and running[0]["reason"] == "new tracks"
    assert running[0]["tracks"] == [track_id]
    assert [(j["job_id"], j["state"]) for j in jobs] == [(running[0]["job_id"], "cancelled")]

"""The Play log mode's core against the real engine: a recording's plays come over HTTP as the
engine finds them (the file read in place by a local engine, or uploaded), with progress; a
bad file gets a reason; the log exports like the history and imports into it once."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import numpy as np
import pytest

from radiowatch.engine.demo.music_synthesis import render_song, render_talk
from radiowatch.history.database import open_database
from radiowatch.recordings.history_import import export_log, history_plays, import_plays
from radiowatch.recordings.scan_client import PlayLogScanError, scan_play_log
from tests.engine.conftest import write_wav
from tests.support.engine_process import running_engine
from tests.support.stations import songs, wav_bytes

RATE = 16000
SONG_S = 40.0

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with running_engine(tmp_path_factory.mktemp("engine")) as engine:
        for audio_id, recipe in enumerate(songs(2), start=1):
            audio = wav_bytes(render_song(recipe, SONG_S, RATE), RATE)
            reply = engine.upload(audio_id, audio, title=recipe.title, artist=recipe.artist)
            assert reply["status"] == "success", reply
        yield engine


@pytest.fixture
def aircheck(tmp_path):
    """Talk, song 1, talk, song 2, talk: 100 s."""
    a, b = songs(2)
    parts = [
        render_talk(6, RATE, seed=1),
        render_song(a, SONG_S, RATE),
        render_talk(8, RATE, seed=2),
        render_song(b, SONG_S, RATE),
        render_talk(6, RATE, seed=3),
    ]
    return write_wav(tmp_path / "aircheck.wav", np.concatenate(parts), RATE)


@pytest.mark.parametrize("upload", [False, True], ids=["read-in-place", "uploaded"])
async def test_the_plays_of_a_recording_arrive_with_progress(engine, aircheck, upload):
    progress, seen = [], []
    result = await scan_play_log(
        engine.base_url,
        engine.token,
        aircheck,
        upload=upload,
        on_progress=lambda position, duration: progress.append((position, duration)),
        on_play=seen.append,
    )
    a, b = songs(2)
    assert [(p.artist, p.title) for p in result.plays] == [(a.artist, a.title), (b.artist, b.title)]
    assert seen == result.plays
    assert result.plays[0].start_s == pytest.approx(6, abs=1)
    assert result.plays[1].end_s == pytest.approx(94, abs=3)
    assert result.error is None and result.seconds == pytest.approx(100, abs=1)
    assert progress and progress[-1][1] == pytest.approx(100, abs=1)  # the recording's length


async def test_a_file_that_is_not_audio_is_refused_with_its_reason(engine, tmp_path):
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("these are not sounds")
    with pytest.raises(PlayLogScanError, match="notes.mp3: not a readable audio or video file"):
        await scan_play_log(engine.base_url, engine.token, bogus, upload=True)


async def test_a_wrong_token_is_refused(engine, aircheck):
    with pytest.raises(PlayLogScanError, match="token"):
        await scan_play_log(engine.base_url, "not-the-token", aircheck)


async def test_the_log_exports_like_the_history_and_imports_once(engine, aircheck, tmp_path):
    result = await scan_play_log(engine.base_url, engine.token, aircheck)
    start = datetime(2026, 3, 1, 18, 0, 0, tzinfo=UTC)
    plays = history_plays(
        result.plays,
        recording_start=start,
        recording_name="aircheck.wav",
        radio_id=4,
        station_name="Loopback FM",
    )
    history = tmp_path / "history.db"
    assert import_plays(history, plays).added == 2
    again = import_plays(history, plays)
    assert (again.added, again.already) == (0, 2)  # imported twice: stored once
    db = open_database(history)
    rows = db.execute("SELECT radio_id, station_name, start_ts, title FROM plays").fetchall()
    assert [r[0:2] for r in rows] == [(4, "Loopback FM")] * 2
    assert rows[0][2] == int(start.timestamp()) + round(result.plays[0].start_s)
    db.conn.close()

    exported = export_log(plays, tmp_path / "log.csv")
    assert exported.rows == 2
    with open(exported.path, newline="", encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert len(table) == 3 and songs(2)[0].title in table[1]

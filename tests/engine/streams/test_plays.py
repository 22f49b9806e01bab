"""A monitored radio stream becomes plays: each song on air is reported exactly once, with the
right artist and title and a plausible play_length — even when the engine is killed in the
middle of a song and restarted (the play in progress is neither lost nor doubled)."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.music_synthesis import (
    STATION_RATE,
    render_noise,
    render_song,
    render_talk,
)
from radiowatch.engine.demo.station import Segment
from tests.support.engine_process import running_engine
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, songs, wav_bytes

# Short songs and windows keep the test quick; the second song is long enough that the engine
# is killed, and back, while it is still on air.
FIRST_S = 6.0
SECOND_S = 10.0
GAP_S = 2.0
RATE = 16000
RADIO_ID = 7
SETTINGS = {
    "min_play_s": 2,
    "window_s": 3,
    "hop_s": 1.5,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
}


@pytest.mark.slow
def test_each_play_is_reported_once_even_across_an_engine_kill(tmp_path):
    first, second = songs(2)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        for audio_id, (recipe, seconds) in enumerate(
            ((first, FIRST_S), (second, SECOND_S)), start=1
        ):
            reply = engine.upload(
                audio_id,
                wav_bytes(render_song(recipe, seconds, RATE), RATE),
                title=recipe.title,
                artist=recipe.artist,
            )
            assert reply["status"] == "success", reply
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(
            _programme((first, FIRST_S), (second, SECOND_S)), loop_programme=False
        )
        assert engine.api("addStream", url=station.url, radio_id=RADIO_ID)["status"] == "success"
        category = engine.api("getStreams")["result"][0]["longpoll_category"]

        with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
            # Kill the engine once it has the second song's play in progress on disk ...
            deadline = time.monotonic() + 60
            while _open_play_title(engine.data_dir) != second.title:
                assert time.monotonic() < deadline, engine.stderr_text()[-3000:]
                time.sleep(0.2)
            engine.kill()
            engine.restart()
            # ... and expect both plays, each once, after the second song ended.
            done = events.wait_for(lambda e: len(e.matches()) >= 2, timeout=45)
            time.sleep(1.5)  # time for a duplicate to show up, if the engine sent one
            plays = events.matches()

    assert done, engine.stderr_text()[-4000:]
    titles = [(p["results"][0]["artist"], p["results"][0]["title"]) for p in plays]
    assert titles == [(first.artist, first.title), (second.artist, second.title)]
    assert all(p["radio_id"] == RADIO_ID for p in plays)
    assert plays[0]["play_length"] == pytest.approx(FIRST_S, abs=3)
    assert SECOND_S / 2 <= plays[1]["play_length"] <= SECOND_S + 3
    assert plays[0]["results"][0]["score"] > 0
    assert plays[0]["stream_title"] == f"{first.artist} - {first.title}"
    first_start = next(a.start for a in station.schedule if a.title.endswith(first.title))
    assert abs(_epoch(plays[0]["timestamp"]) - first_start) <= 3


def _programme(*songs_and_lengths):
    """Noise, then each song followed by talk, then talk long enough for the last play to end."""

    def programme():
        yield Segment("station - lead in", render_noise(1, STATION_RATE, seed=99))
        for i, (recipe, seconds) in enumerate(songs_and_lengths):
            yield Segment(
                f"{recipe.artist} - {recipe.title}", render_song(recipe, seconds, STATION_RATE)
            )
            yield Segment("station - talk", render_talk(GAP_S, STATION_RATE, seed=i))
        yield Segment("station - talk", render_talk(6, STATION_RATE, seed=98))

    return programme


def _open_play_title(data_dir) -> str | None:
    """The title of the play the engine has in progress, read from its state file."""
    db = sqlite3.connect(f"file:{data_dir / 'engine.sqlite3'}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT state FROM open_plays WHERE radio_id=?", (RADIO_ID,)).fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    return json.loads(row[0])["song"].get("title") if row else None


def _epoch(timestamp: str) -> float:
    """Our timestamps are UTC+3 wall time, like AudD's."""
    import calendar

    return calendar.timegm(time.strptime(timestamp, "%Y-%m-%d %H:%M:%S")) - 3 * 3600

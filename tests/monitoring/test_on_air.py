"""The song on air reaches the now-playing board long before it ends, without a history row:
against the real local engine, the service registers streams with `callbacks=both` (switching
one registered in another mode); the engine's early event becomes the board's current song
(no id, nothing in `plays`), and the final event records the play once and takes its place."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import render_song
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.now_playing import NowPlayingBoard
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from tests.monitoring.conftest import until
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, song_programme, songs, wav_bytes

SONG_S = 24.0
RATE = 16000
RADIO_ID = 9
SETTINGS = {"reconnect_initial_s": 0.3, "connect_timeout_s": 2, "end_after_s": 6}

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def test_the_song_on_air_shows_before_it_ends_and_is_recorded_once(tmp_path):
    [recipe] = songs(1)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        audio = wav_bytes(render_song(recipe, SONG_S, RATE), RATE)
        reply = await asyncio.to_thread(
            engine.upload, 1, audio, title=recipe.title, artist=recipe.artist
        )
        assert reply["status"] == "success", reply
        radio = bg.start_station(
            song_programme((recipe,), SONG_S, 10, lead_in_s=3), loop_programme=False
        )
        station = MonitoredStation(radio_id=RADIO_ID, name="Loopback FM", source=radio.url)
        # registered earlier in AudD's default mode (an older app): the service switches it
        assert engine.api("addStream", url=radio.url, radio_id=RADIO_ID)["status"] == "success"
        db = open_database(tmp_path / "history.db")
        client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
        service = MonitoringService(
            client=client,
            play_store=PlayStore(db),
            stations=StaticStations([station]),
            state=StreamStateStore(db, "local"),
            longpoll_timeout=3,
            retry_first_delay=0.2,
            announce_starts=True,
        )
        board = NowPlayingBoard()
        board.set_stations([station])
        board.attach(service)
        on_air = []
        service.play_on_air.connect(on_air.append)
        await service.start()
        try:
            await until(lambda: on_air, timeout=60, what="the early event")
            [stream] = engine.api("getStreams")["result"]
            assert stream["callbacks"] == "both"
            panel = board.panel(RADIO_ID)
            assert panel.current is not None and panel.current.id is None
            assert (panel.current.artist, panel.current.title) == (recipe.artist, recipe.title)
            assert panel.current.play_length is None
            rows = db.execute("SELECT COUNT(*) FROM plays").fetchone()[0]
            assert rows == 0, "nothing enters the history while the song is on air"
            song_started = radio.schedule[1].start
            assert on_air[0].play.start.timestamp() == pytest.approx(song_started, abs=2)

            await until(
                lambda: db.execute("SELECT COUNT(*) FROM plays").fetchone()[0] == 1,
                timeout=60,
                what="the recorded play",
            )
            await asyncio.sleep(3)  # room for a duplicate, if one were coming
            [(start, length)] = db.execute("SELECT start_ts, play_length FROM plays").fetchall()
            assert start == int(on_air[0].play.start.timestamp())  # the same start as announced
            assert length == pytest.approx(SONG_S, abs=3)
            assert panel.announced is None and panel.current.id is not None
            assert len(on_air) == 1
        finally:
            await service.aclose()
            await client.aclose()
            db.conn.close()

"""End to end on loopback with the real local engine: the engine monitors a served stream,
the app's long-poll engine records the plays; the engine is killed and the app restarted
mid-stream, and every play is still in the history exactly once."""

from __future__ import annotations

import asyncio
import time

import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import render_song
from radiowatch.history.database import open_database
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore, WatchRule
from tests.monitoring.conftest import until
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, song_programme, songs, wav_bytes

SONG_S = 16.0
GAP_S = 8.0  # long enough for the engine to restart between the songs
RATE = 16000
RADIO_ID = 7
SETTINGS = {
    "min_play_s": 2,
    "window_s": 4,
    "hop_s": 2,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
}

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def build(db_path, engine, station: MonitoredStation):
    db = open_database(db_path)
    notifier = RecordingNotifier()
    watchlist = WatchlistStore(db)
    client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
    service = MonitoringService(
        client=client,
        play_store=PlayStore(db),
        stations=StaticStations([station]),
        state=StreamStateStore(db, "local"),
        watchlist=watchlist,
        notifier=notifier,
        longpoll_timeout=3,
        retry_first_delay=0.2,
    )
    return db, client, service, watchlist, notifier


async def test_plays_from_the_local_engine_survive_an_app_restart_and_an_engine_kill(tmp_path):
    first, second = songs(2)
    db_path = tmp_path / "history.db"
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        for audio_id, recipe in enumerate((first, second), start=1):
            audio = wav_bytes(render_song(recipe, SONG_S, RATE), RATE)
            reply = await asyncio.to_thread(
                engine.upload, audio_id, audio, title=recipe.title, artist=recipe.artist
            )
            assert reply["status"] == "success", reply
        radio = bg.start_station(
            song_programme((first, second), SONG_S, GAP_S, lead_in_s=2), loop_programme=False
        )
        station = MonitoredStation(radio_id=RADIO_ID, name="Loopback FM", source=radio.url)

        db, client, service, watchlist, notifier = build(db_path, engine, station)
        watchlist.save(WatchRule(field="catalog"))
        await service.start()

        def plays(database) -> list[tuple[str, str]]:
            rows = database.execute("SELECT artist, title FROM plays ORDER BY start_ts").fetchall()
            return [tuple(r) for r in rows]

        await until(lambda: len(plays(db)) == 1, timeout=60, what="the first song's play")
        assert len(notifier.sent) == 1, "a catalog rule fires for the user's own track"

        # In the talk after the first song the engine is killed and comes back; the app,
        # still running, sees the outage and resumes from where it was.
        await asyncio.to_thread(engine.kill)
        await until(lambda: service.status(RADIO_ID).state == "down", what="the outage")
        await asyncio.to_thread(engine.restart)

        # A few seconds into the second song the app itself is restarted.
        second_title = f"{second.artist} - {second.title}"
        await until(lambda: radio.schedule and radio.schedule[-1].title == second_title, timeout=60)
        await asyncio.sleep(max(0.0, radio.schedule[-1].start + 5 - time.time()))
        await service.aclose()
        await client.aclose()
        db.conn.close()

        db, client, service, watchlist, notifier = build(db_path, engine, station)
        await service.start()
        try:
            await until(lambda: len(plays(db)) == 2, timeout=60, what="the second play")
            await asyncio.sleep(3)  # room for a duplicate to show up, if one were coming
            assert plays(db) == [(first.artist, first.title), (second.artist, second.title)]
            row = db.execute("SELECT backend, station_name, icy_title FROM plays").fetchone()
            assert row == ("local", "Loopback FM", f"{first.artist} - {first.title}")
            streams = engine.api("getStreams")["result"]
            assert [s["radio_id"] for s in streams] == [RADIO_ID], "registered once"
        finally:
            await service.aclose()
            await client.aclose()
            db.conn.close()

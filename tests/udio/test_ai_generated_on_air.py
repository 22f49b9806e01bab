"""Issue 9 end to end: an Udio song added to the local catalog is flagged AI-generated when a
monitored station plays it.

Everything is real except the outside world: a generated song is encoded as MP3 and served by
the fake Udio reseller, fetched and downloaded with our Udio client, uploaded to a real local
engine with its `udio:<id>` provenance, played by a loopback Icecast station, recognised by
the engine's stream monitor and recorded by the real MonitoringService in a tmp SQLite.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json

import av
import httpx
import numpy as np
import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import (
    SongRecipe,
    render_noise,
    render_song,
    render_talk,
)
from radiowatch.engine.demo.station import Segment
from radiowatch.history.database import open_database
from radiowatch.history.play_log_export import export_plays
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter, PlayQueries
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.service import MonitoringService
from radiowatch.monitoring.stations_source import MonitoredStation, StaticStations
from radiowatch.monitoring.stream_state import StreamStateStore
from radiowatch.monitoring.watchlist import WatchlistStore
from radiowatch.udio.catalog_import import import_to_catalog
from radiowatch.udio.media import download_audio
from radiowatch.udio.models import SongStatus
from tests.fakes.fake_udio import SEED_SONG_IDS, FakeUdio
from tests.monitoring.conftest import until
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop
from tests.udio.conftest import make_client

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

RATE = 22050
SONG_S = 14.0
RADIO_ID = 9
SONG_ID = SEED_SONG_IDS[0]
SETTINGS = {
    "min_play_s": 2,
    "window_s": 4,
    "hop_s": 2,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
}
RECIPE = SongRecipe(
    "Prompted Skyline",
    "udio-user",
    "Latent",
    58,
    "dorian",
    112,
    "bell",
    "strings",
    (0, 5, 2, 4),
    211,
)


def encode_mp3(samples: np.ndarray, rate: int) -> bytes:
    """Mono MP3 with PyAV's libmp3lame, as Udio serves its songs."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate)
        stream.layout = "mono"
        stream.bit_rate = 128_000
        for start in range(0, len(samples), 1152):
            chunk = np.ascontiguousarray(samples[start : start + 1152], np.float32).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def decode_mp3(path) -> np.ndarray:
    """The downloaded file's audio (mono float32 at RATE): what the station will broadcast."""
    with av.open(str(path)) as container:
        parts = [frame.to_ndarray()[0] for frame in container.decode(audio=0)]
    return np.concatenate(parts).astype(np.float32)


def programme(song: np.ndarray):
    def segments():
        yield Segment("station - lead in", render_noise(2.0, RATE, seed=5))
        yield Segment("udio-user - Prompted Skyline", song)
        yield Segment("station - talk", render_talk(8.0, RATE, seed=6))

    return segments


async def test_an_udio_song_added_to_the_catalog_is_flagged_ai_generated_on_air(tmp_path):
    mp3 = encode_mp3(render_song(RECIPE, SONG_S, RATE), RATE)
    with (
        FakeUdio() as fake,
        BackgroundLoop() as bg,
        running_engine(tmp_path / "engine", settings=SETTINGS) as engine,
    ):
        fake.audio_bytes = mp3

        # Fetch the song by id and download its MP3, as the Udio tab does.
        async with make_client(fake) as udio:
            [result] = await udio.fetch([SONG_ID])
        assert result.status == SongStatus.FINISHED and result.song is not None
        song = result.song
        async with httpx.AsyncClient(timeout=30) as http:
            path = await download_audio(http, song, tmp_path / "downloads")
        assert path.read_bytes() == mp3

        # "Add to catalog": title, artist and provenance udio:<id> go to the engine's /upload/.
        async def upload(file, metadata):
            return await asyncio.to_thread(
                engine.upload, 1, file.read_bytes(), filename=file.name, **metadata
            )

        reply = await import_to_catalog(path, song, upload)
        assert reply["status"] == "success", reply

        radio = bg.start_station(
            programme(decode_mp3(path)), sample_rate=RATE, loop_programme=False
        )
        station = MonitoredStation(radio_id=RADIO_ID, name="Loopback FM", source=radio.url)
        db = open_database(tmp_path / "history.sqlite3")
        client = AudDClient(engine.token, base_url=engine.base_url, backoff_factor=0.05)
        service = MonitoringService(
            client=client,
            play_store=PlayStore(db),
            stations=StaticStations([station]),
            state=StreamStateStore(db, "local"),
            watchlist=WatchlistStore(db),
            notifier=RecordingNotifier(),
            longpoll_timeout=3,
            retry_first_delay=0.2,
        )
        await service.start()
        try:
            queries = PlayQueries(db.conn)
            await until(
                lambda: queries.count(PlayFilter()) >= 1, timeout=45, what="the Udio song's play"
            )
        finally:
            await service.aclose()
            await client.aclose()

        # The recorded play: flagged, with where it came from.
        ai_only = PlayFilter(ai_generated_only=True)
        [row] = queries.page(ai_only, limit=10)
        [play] = queries.plays([row.id])
        assert play.ai_generated is True
        assert play.provenance == f"udio:{SONG_ID}"
        assert play.title == song.title and play.station_name == "Loopback FM"
        assert queries.count(ai_only) == 1

        # Exports carry the flag and the provenance.
        export_plays(db.conn, PlayFilter(), tmp_path / "log.csv")
        [line] = csv.DictReader(io.StringIO((tmp_path / "log.csv").read_text("utf-8-sig")))
        assert line["AI-generated"] == "1" and line["Provenance"] == f"udio:{SONG_ID}"
        export_plays(db.conn, ai_only, tmp_path / "log.json")
        [entry] = json.loads((tmp_path / "log.json").read_text())["plays"]
        assert entry["ai_generated"] is True and entry["provenance"] == f"udio:{SONG_ID}"
        db.conn.close()

"""`radiowatch-engine demo`, started by the launcher as the GUI does on first run, builds the
demo catalog, puts its station on air and registers it: the long poll soon reports the first
demo song with the right artist and title, offline."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo import DEMO_RADIO_ID
from radiowatch.engine.launcher import EngineLauncher
from radiowatch.engine.music_synthesis import DEMO_SONGS

SETTINGS = {"demo_song_s": 8, "demo_gap_s": 2, "window_s": 4, "hop_s": 2}


@pytest.mark.asyncio
@pytest.mark.slow
async def test_demo_station_is_monitored_and_its_first_song_is_reported(tmp_path):
    data_dir = tmp_path / "engine"
    data_dir.mkdir()
    (data_dir / "engine-settings.json").write_text(json.dumps(SETTINGS))
    token = "demo-token"
    async with EngineLauncher(mode="demo", data_dir=data_dir, token=token) as engine, \
            httpx.AsyncClient(base_url=engine.base_url, timeout=30) as client:

        async def api(method: str) -> dict:
            return (await client.post(f"/{method}/", data={"api_token": token})).json()

        streams: list = []
        for _ in range(150):
            streams = (await api("getStreams"))["result"]
            if streams:
                break
            await asyncio.sleep(0.2)
        [stream] = streams
        assert stream["radio_id"] == DEMO_RADIO_ID
        assert stream["url"].startswith("http://127.0.0.1:")
        assert (await api("getCallbackUrl"))["result"] == PLACEHOLDER_CALLBACK_URL

        play = None
        for _ in range(30):
            reply = (await client.get("/longpoll/", params={
                "category": stream["longpoll_category"], "timeout": 2, "since_time": 0})).json()
            if "result" in reply:
                play = reply["result"]
                break
        assert play is not None, engine.stderr_tail()
    first = DEMO_SONGS[0]
    song = play["results"][0]
    assert (song["artist"], song["title"], song["album"]) == (first.artist, first.title, first.album)
    assert play["stream_title"] == f"{first.artist} - {first.title}"
    assert 5 <= play["play_length"] <= 10

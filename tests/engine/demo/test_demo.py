"""`radiowatch-engine demo`, started by the launcher as the GUI does on first run, builds the
demo catalog, puts its station on air and registers it: the long poll soon reports the first
demo song with the right artist and title, offline. The demo songs in the user's catalog are
marked as the demo's, so they can be listed and removed without touching the user's own."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import httpx
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.backend.engine_launcher import EngineLauncher
from radiowatch.engine.demo.music_synthesis import DEMO_SONGS, render_song
from radiowatch.engine.demo.startup import (
    DEMO_PROVENANCE,
    DEMO_RADIO_ID,
    demo_tracks,
    ensure_demo_catalog,
    remove_demo_catalog,
)
from radiowatch.engine.fingerprint.catalog import Catalog

# Short demo songs and windows keep the test quick (the real demo plays 30 s songs).
SONG_S = 6
SETTINGS = {"min_play_s": 2, "demo_song_s": SONG_S, "demo_gap_s": 1.5, "window_s": 3, "hop_s": 1.5}


@pytest.mark.asyncio
@pytest.mark.slow
async def test_demo_station_is_monitored_and_its_first_song_is_reported(tmp_path):
    data_dir = tmp_path / "engine"
    data_dir.mkdir()
    (data_dir / "engine-settings.json").write_text(json.dumps(SETTINGS))
    token = "demo-token"
    async with (
        EngineLauncher(mode="demo", data_dir=data_dir, token=token) as engine,
        httpx.AsyncClient(base_url=engine.base_url, timeout=30) as client,
    ):

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
            reply = (
                await client.get(
                    "/longpoll/",
                    params={"category": stream["longpoll_category"], "timeout": 2, "since_time": 0},
                )
            ).json()
            if "result" in reply:
                play = reply["result"]
                break
        assert play is not None, engine.stderr_tail()
    first = DEMO_SONGS[0]
    song = play["results"][0]
    assert (song["artist"], song["title"], song["album"]) == (
        first.artist,
        first.title,
        first.album,
    )
    assert play["stream_title"] == f"{first.artist} - {first.title}"
    assert SONG_S - 2 <= play["play_length"] <= SONG_S + 2
    with Catalog.open(data_dir) as catalog:
        marked = demo_tracks(catalog)
    assert sorted((t.artist, t.title) for t in marked) == sorted(
        (recipe.artist, recipe.title) for recipe in DEMO_SONGS
    )
    assert {t.kind for t in marked} == {"song"}


def test_demo_songs_are_listed_as_the_demos_and_removed_without_the_users_own(tmp_path):
    with Catalog.open(tmp_path) as catalog:
        own = catalog.add_samples(
            render_song(DEMO_SONGS[0], 4, 8000), title="My Own Song", artist="Me"
        )
        assert ensure_demo_catalog(catalog, song_s=3) == len(DEMO_SONGS)
        assert ensure_demo_catalog(catalog, song_s=3) == 0  # added once only
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "radiowatch.engine.cli",
            "catalog",
            "--data-dir",
            str(tmp_path),
            "list",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tracks = [json.loads(line) for line in listed.splitlines()]
    demo = [t for t in tracks if t["provenance"] == DEMO_PROVENANCE]
    assert len(demo) == len(DEMO_SONGS) and {t["kind"] for t in demo} == {"song"}
    assert [t["title"] for t in tracks if t not in demo] == ["My Own Song"]

    with Catalog.open(tmp_path) as catalog:
        assert remove_demo_catalog(catalog) == len(DEMO_SONGS)
        assert [t.track_id for t in catalog.tracks()] == [own.track_id]


def test_demo_songs_an_index_upgrade_could_not_rebuild_are_rendered_again(tmp_path):
    with Catalog.open(tmp_path) as catalog:
        ensure_demo_catalog(catalog, song_s=12)
        lost = demo_tracks(catalog)[0]
        # what upgrade.py records for a track without a source file, after dropping its keys
        catalog._db.execute(
            "INSERT INTO unindexed VALUES (?, 'no source file is recorded for it')",
            (lost.track_id,),
        )
        assert lost.track_id in catalog.unindexed()
        assert ensure_demo_catalog(catalog, song_s=12) == 1
        assert not catalog.unindexed()
        again = [t for t in demo_tracks(catalog) if t.title == lost.title]
        assert len(again) == 1 and again[0].added_at > lost.added_at  # added anew
        recipe = next(r for r in DEMO_SONGS if r.title == lost.title)
        clip = render_song(recipe, 12, 8000)[2 * 8000 : 10 * 8000]
        assert catalog.identify(clip).track.track_id == again[0].track_id

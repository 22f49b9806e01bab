"""The engine's catalog routes (engine/api/catalog_routes.py) over real loopback HTTP: the same token
and envelopes as the AudD methods, and clear errors for bad requests."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from radiowatch.audd.errors import AudDAuthenticationError, AudDError, AudDInvalidRequestError
from radiowatch.backend.catalog_client import CatalogClient
from tests.ui.recognize.recognition_engine import CatalogEngine, song_audio, write_wav


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    proc = CatalogEngine(tmp_path_factory.mktemp("catalog-api") / "engine")
    proc.start()
    yield proc
    proc.stop()


def test_tracks_need_the_engine_token(engine):
    body = httpx.get(engine.base_url + "/catalog/tracks/").json()
    assert body["status"] == "error" and body["error"]["error_code"] == 901
    body = httpx.get(
        engine.base_url + "/catalog/tracks/", params={"api_token": "wrong-token-value"}
    ).json()
    assert body["error"]["error_code"] == 900
    assert "wrong-token-value" not in str(body)


def test_add_search_update_and_remove_round_trip(engine, tmp_path):
    song = write_wav(tmp_path / "Night_Bus.wav", song_audio(0))

    async def scenario():
        async with CatalogClient(engine.base_url, engine.token) as catalog:
            track = await catalog.add_file(song, artist="Ola", kind="ad")
            assert (track.title, track.artist, track.kind) == ("Night Bus", "Ola", "ad")
            assert track.audio_id == 1 and track.source_file == str(song.resolve())
            assert [t.track_id for t in await catalog.tracks("night OLA")] == [track.track_id]
            assert await catalog.tracks("nothing like this") == []
            changed = await catalog.update(track.track_id, album="Late", isrc="")
            assert changed.album == "Late" and changed.isrc is None
            with pytest.raises(AudDInvalidRequestError, match="song, jingle or ad"):
                await catalog.update(track.track_id, kind="podcast")
            with pytest.raises(AudDInvalidRequestError, match="no track"):
                await catalog.update("missing-track", title="x")
            assert await catalog.remove(track.track_id) is True
            assert await catalog.remove(track.track_id) is False
            assert await catalog.tracks() == []

    asyncio.run(scenario())


def test_a_wrong_token_is_a_typed_error_without_the_token(engine):
    async def scenario():
        async with CatalogClient(engine.base_url, "not-the-engine-token") as catalog:
            with pytest.raises(AudDAuthenticationError) as err:
                await catalog.tracks()
            assert "not-the-engine-token" not in str(err.value)

    asyncio.run(scenario())


def test_adding_without_a_file_says_what_to_send(engine):
    body = httpx.post(
        engine.base_url + "/catalog/tracks/", data={"api_token": engine.token, "title": "x"}
    ).json()
    assert body["error"]["error_code"] == 700
    assert "multipart `file`" in body["error"]["error_message"]


def test_adds_in_flight_together_are_each_stored_once_under_their_own_catalog_id(tmp_path):
    """The Catalog tab keeps one upload per add worker (plus one) in flight: each file is
    fingerprinted on a worker process and stored by the engine's one writer, exactly once,
    and a bad file fails alone."""
    engine = CatalogEngine(tmp_path / "engine")
    engine.start()
    songs = [
        write_wav(tmp_path / f"Ola - Song {i}.wav", song_audio(i % 3, 12 + i)) for i in range(4)
    ]
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"this is not an mp3" * 50)

    async def scenario():
        async with CatalogClient(engine.base_url, engine.token) as catalog:
            assert await catalog.add_workers() == (os.cpu_count() or 1)
            results = await asyncio.gather(
                *(catalog.add_file(p) for p in [*songs, broken]), return_exceptions=True
            )
            assert isinstance(results[-1], AudDError)
            assert "could not be decoded" in str(results[-1])
            added = results[:-1]
            assert sorted(t.audio_id for t in added) == [1, 2, 3, 4]
            assert [t.title for t in added] == [f"Song {i}" for i in range(4)]
            listed = await catalog.tracks()
            assert sorted(t.track_id for t in listed) == sorted(t.track_id for t in added)

    try:
        asyncio.run(scenario())
    finally:
        engine.stop()

"""Stations are often given as something other than the audio stream itself: a live HLS playlist
of AAC segments (tests/support/hls_station.py), or a .pls/.m3u file pointing at the Icecast stream. The engine follows each to
the audio and reports the song on air as a play, exactly as for a direct stream."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.music_synthesis import (
    STATION_RATE,
    render_noise,
    render_song,
    render_talk,
)
from tests.support.engine_process import running_engine
from tests.support.hls_station import PLAYLIST, LiveHlsServer, hls_media
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, song_programme, songs, wav_bytes

SONG_S = 6.0
SEGMENT_S = 2
RATE = 16000
SETTINGS = {
    "min_play_s": 2,
    "window_s": 3,
    "hop_s": 1.5,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
}
HLS_ID, PLS_ID, M3U_ID = 21, 22, 23


@pytest.mark.slow
def test_hls_pls_and_m3u_stations_each_produce_their_play(tmp_path):
    hls_song, pls_song, m3u_song = songs(3)
    hls_audio = np.concatenate(
        [
            render_noise(2, STATION_RATE, seed=5),
            render_song(hls_song, SONG_S, STATION_RATE),
            render_talk(14, STATION_RATE, seed=6),
        ]
    )
    media = hls_media(hls_audio, tmp_path / "hls", segment_s=SEGMENT_S, bitrate=96_000)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        for audio_id, recipe in enumerate((hls_song, pls_song, m3u_song), start=1):
            reply = engine.upload(
                audio_id,
                wav_bytes(render_song(recipe, SONG_S, RATE), RATE),
                title=recipe.title,
                artist=recipe.artist,
            )
            assert reply["status"] == "success", reply
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        pls_station, m3u_station = (
            bg.start_station(
                song_programme((recipe,), SONG_S, 2, lead_in_s=1, tail_s=10), loop_programme=False
            )
            for recipe in (pls_song, m3u_song)
        )
        with LiveHlsServer(
            media, _playlist_files(pls_target=pls_station.url, m3u_target=m3u_station.url)
        ) as web:
            for radio_id, path in (
                (HLS_ID, PLAYLIST),
                (PLS_ID, "/radio.pls"),
                (M3U_ID, "/radio.m3u"),
            ):
                reply = engine.api("addStream", url=web.url + path, radio_id=radio_id)
                assert reply["status"] == "success", reply
            categories = {
                s["radio_id"]: s["longpoll_category"] for s in engine.api("getStreams")["result"]
            }
            with contextlib.ExitStack() as stack:
                collectors = {
                    radio_id: stack.enter_context(
                        LongpollCollector(engine.base_url, category, poll_timeout=1)
                    )
                    for radio_id, category in categories.items()
                }
                deadline = time.monotonic() + 60
                for collector in collectors.values():
                    collector.wait_for(
                        lambda e: len(e.matches()) >= 1,
                        timeout=max(0.0, deadline - time.monotonic()),
                    )
                time.sleep(1.5)  # time for a duplicate to show up, if the engine sent one
                plays = {radio_id: c.matches() for radio_id, c in collectors.items()}
            served = set(web.requests)

    log = engine.stderr_text()[-4000:]
    for radio_id, recipe in ((HLS_ID, hls_song), (PLS_ID, pls_song), (M3U_ID, m3u_song)):
        assert len(plays[radio_id]) == 1, (radio_id, plays[radio_id], log)
        play = plays[radio_id][0]
        song = play["results"][0]
        assert (song["artist"], song["title"]) == (recipe.artist, recipe.title)
        assert play["radio_id"] == radio_id
        assert play["play_length"] == pytest.approx(SONG_S, abs=3), (play, log)
    # The Icecast stations behind the playlists send ICY titles; those reached the plays too.
    assert plays[PLS_ID][0]["stream_title"] == f"{pls_song.artist} - {pls_song.title}"
    assert plays[M3U_ID][0]["stream_title"] == f"{m3u_song.artist} - {m3u_song.title}"
    # The HLS audio really came segment by segment from the live playlist.
    assert {"/live/seg000.ts", "/live/seg004.ts"} <= served


def _playlist_files(*, pls_target: str, m3u_target: str) -> dict[str, tuple[str, bytes]]:
    """A .pls and an .m3u file pointing at Icecast stations."""
    return {
        "/radio.pls": (
            "audio/x-scpls",
            (
                f"[playlist]\nNumberOfEntries=1\nFile1={pls_target}\nTitle1=Test FM\n"
                "Length1=-1\nVersion=2\n"
            ).encode(),
        ),
        "/radio.m3u": (
            "audio/x-mpegurl",
            f"#EXTM3U\n#EXTINF:-1,Test FM\n{m3u_target}\n".encode(),
        ),
    }

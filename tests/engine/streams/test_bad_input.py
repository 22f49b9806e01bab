"""Broken streams are reported, not fatal: an unreachable server, a web page, garbage bytes and
a silent station each produce AudD's notification with a reason a user can act on, while the
engine keeps monitoring and answering everything else."""

from __future__ import annotations

import time

import httpx
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.music_synthesis import render_song
from tests.support.engine_process import running_engine
from tests.support.stations import (
    BackgroundLoop,
    silence_programme,
    songs,
    unreachable_url,
    wav_bytes,
)

SETTINGS = {
    "window_s": 4,
    "hop_s": 2,
    "silence_notify_s": 4,
    "reconnect_initial_s": 0.5,
    "connect_timeout_s": 2,
    "read_timeout_s": 4,
}
RATE = 16000


def first_notification(engine, radio_id: int) -> dict | None:
    [stream] = [s for s in engine.api("getStreams")["result"] if s["radio_id"] == radio_id]
    body = engine_longpoll(engine, stream["longpoll_category"])
    return body.get("notification")


def engine_longpoll(engine, category: str) -> dict:
    return httpx.get(
        engine.base_url + "/longpoll/",
        timeout=10,
        params={"category": category, "timeout": 1, "since_time": 0},
    ).json()


@pytest.mark.slow
def test_broken_streams_notify_and_the_engine_keeps_serving(tmp_path):
    song = songs(1)[0]
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        engine.upload(1, wav_bytes(render_song(song, 12, RATE), RATE), title=song.title)
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        silent = bg.start_station(silence_programme(60))
        urls = {
            11: unreachable_url(),
            12: bg.html_page_url(),
            13: bg.garbage_stream_url(),
            14: silent.url,
        }
        for radio_id, url in urls.items():
            assert engine.api("addStream", url=url, radio_id=radio_id)["status"] == "success"

        notes: dict[int, dict] = {}
        deadline = time.monotonic() + 40
        while len(notes) < len(urls) and time.monotonic() < deadline:
            for radio_id in urls:
                if radio_id not in notes and (note := first_notification(engine, radio_id)):
                    notes[radio_id] = note
            time.sleep(0.3)

        clip = wav_bytes(render_song(song, 12, RATE)[2 * RATE : 10 * RATE], RATE)
        recognised = httpx.post(
            engine.base_url + "/",
            data={"api_token": engine.token},
            files={"file": ("c.wav", clip)},
            timeout=30,
        ).json()
        streams = {s["radio_id"]: s for s in engine.api("getStreams")["result"]}

    assert set(notes) == set(urls), (notes, engine.stderr_text()[-3000:])
    for radio_id in (11, 12, 13):
        assert notes[radio_id]["notification_code"] == 650
        assert notes[radio_id]["stream_running"] is False
        assert notes[radio_id]["notification_message"].startswith(
            "Recognition failed: can't connect to the audiostream"
        )
    assert "connect" in notes[11]["notification_message"].lower()
    assert "web page" in notes[12]["notification_message"]
    assert "audio" in notes[13]["notification_message"].split("audiostream", 1)[1]
    assert notes[14]["notification_code"] == 651
    assert "silent" in notes[14]["notification_message"]
    assert recognised["result"]["title"] == song.title
    assert [streams[r]["stream_running"] for r in (11, 12, 13)] == [False] * 3
    assert streams[14]["stream_running"] is True

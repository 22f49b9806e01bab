"""Live monitoring and `radiowatch-engine playlog` are one play-detection path: a generated
program streamed in real time over a loopback Icecast station gives the same plays, with the
same figures, as the play log of the program's file.

The stream is added with `callbacks=both`: every play is published once when the engine is
sure of it (no play_length, for the now-playing card) and once when it has ended (with its
length, for the history), and both carry the same start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

import numpy as np
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song, render_talk
from radiowatch.engine.demo.station import Segment
from tests.engine.conftest import write_wav
from tests.support.engine_process import running_engine
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, songs, wav_bytes

RADIO_ID = 17
CATALOG_RATE = 16000
SONG_S = 30.0


def mixed_program() -> tuple[np.ndarray, dict[str, str]]:
    """Talk, song A, song B crossfaded in, a jingle (music not in the catalog), A again, talk:
    four airings in about 97 s. Returns the samples at STATION_RATE and title -> artist."""
    a, b, jingle = songs(3)
    r = STATION_RATE
    parts = [
        (0.0, render_talk(4, r, seed=1)),
        (4.0, render_song(a, SONG_S, r)),
        (32.0, render_song(b, SONG_S, r)),  # a 2 s crossfade
        (62.0, render_song(jingle, 5, r)),
        (67.0, render_song(a, 25, r)),
        (92.0, render_talk(5, r, seed=2)),
    ]
    out = np.zeros(int(97.5 * r), np.float32)
    for at, x in parts:
        i = int(at * r)
        out[i : i + x.size] += x[: out.size - i]
    return 0.8 * out / np.max(np.abs(out)), {a.title: a.artist, b.title: b.artist}


@pytest.mark.slow
@pytest.mark.timeout(300)  # the program airs in real time: about 100 s
def test_live_plays_equal_the_play_log_of_the_same_audio(tmp_path):
    audio, titles = mixed_program()
    program_file = write_wav(tmp_path / "program.wav", audio, STATION_RATE)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine") as engine:
        for audio_id, recipe in enumerate(songs(2), start=1):
            reply = engine.upload(
                audio_id,
                wav_bytes(render_song(recipe, SONG_S, CATALOG_RATE), CATALOG_RATE),
                title=recipe.title,
                artist=recipe.artist,
            )
            assert reply["status"] == "success", reply
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(
            lambda: iter([Segment("radiowatch test - program", audio)]), loop_programme=False
        )
        reply = engine.api("addStream", url=station.url, radio_id=RADIO_ID, callbacks="both")
        assert reply["status"] == "success", reply
        [stream] = engine.api("getStreams")["result"]
        assert stream["callbacks"] == "both"
        with LongpollCollector(engine.base_url, stream["longpoll_category"], poll_timeout=2) as ev:
            done = ev.wait_for(
                lambda e: sum("play_length" in m for m in e.matches()) >= 3, timeout=240
            )
            events = ev.matches()
        logged = subprocess.run(
            [
                sys.executable,
                "-m",
                "radiowatch.engine.cli",
                "playlog",
                str(engine.data_dir),
                str(program_file),
            ],  # fmt: skip
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done, engine.stderr_text()[-4000:]
    on_air = station.schedule[0].start  # wall time of the program's second 0
    early = [live_play(e, on_air) for e in events if "play_length" not in e]
    final = [live_play(e, on_air) for e in events if "play_length" in e]
    played = [json.loads(line) for line in logged.stdout.splitlines()]
    assert logged.returncode == 0, logged.stderr

    # the same plays: song A, song B, song A again (the jingle's music is not a play)
    assert (
        [p["title"] for p in played]
        == [f["title"] for f in final]
        == [
            songs(2)[0].title,
            songs(2)[1].title,
            songs(2)[0].title,
        ]
    )
    assert all(titles[f["title"]] == f["artist"] for f in final)
    # ... each announced once, before it ended, with the start it is recorded with
    assert [(e["title"], e["start"]) for e in early] == [(f["title"], f["start"]) for f in final]
    for log, live in zip(played, final, strict=True):
        # live times are whole seconds on the stream clock (AudD's timestamp format)
        assert live["start"] == pytest.approx(log["start_s"], abs=1.5), (log, live)
        assert live["length"] == pytest.approx(log["end_s"] - log["start_s"], abs=1.5), (log, live)


def live_play(event: dict, on_air: float) -> dict:
    song = event["results"][0]
    at = datetime.strptime(event["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=AUDD_CALLBACK_TZ)
    return {
        "title": song["title"],
        "artist": song["artist"],
        "start": at.timestamp() - on_air,
        "length": event.get("play_length"),
    }

"""The archive in the running engine, end to end over HTTP: a play's clip holds the play's
audio, for an MP3 station, for chained Ogg Vorbis and Opus stations (kept as Ogg, not
re-encoded), for a native FLAC station (kept as FLAC) and for an HLS station (its AAC kept as
ADTS); an engine killed mid-segment leaves an archive that reads back; a track added to the
catalog finds its past play once, as a play marked `found_later` in the long poll, and adding
(searching) it again finds nothing new, nor duplicates the live play of a known track."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import time
import wave
from datetime import datetime

import httpx
import numpy as np
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.engine.demo.music_synthesis import STATION_RATE, render_song, render_talk
from radiowatch.engine.demo.station import Segment
from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from tests.engine.archive.feed import babble, decode
from tests.support.engine_process import running_engine
from tests.support.hls_station import PLAYLIST, LiveHlsServer, hls_media
from tests.support.longpoll_collector import LongpollCollector
from tests.support.stations import BackgroundLoop, songs

SONG_S = 20.0
UPLOAD_RATE = 16000
RADIO_ID = 11
SETTINGS = {
    "window_s": 4,
    "hop_s": 2,
    "reconnect_initial_s": 0.3,
    "connect_timeout_s": 2,
    "archive_segment_s": 5,
    "archive_peak_block_s": 5,
    "archive_settle_s": 1,
}

pytestmark = pytest.mark.slow


def _wav(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def _programme(*items):
    def programme():
        for index, recipe in enumerate(items):
            yield Segment("station - talk", render_talk(4.0, STATION_RATE, seed=index))
            yield Segment(
                f"{recipe.artist} - {recipe.title}", render_song(recipe, SONG_S, STATION_RATE)
            )
        yield Segment("station - talk", render_talk(12.0, STATION_RATE, seed=9))

    return programme


def _epoch(timestamp: str) -> float:
    naive = datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S")
    return naive.replace(tzinfo=AUDD_CALLBACK_TZ).timestamp()


def _archive(engine, route: str, *, get: bool = False, **params) -> dict:
    url = f"{engine.base_url}/archive/{route}/"
    fields = {"api_token": engine.token, **{k: str(v) for k, v in params.items()}}
    if get:
        response = httpx.get(url, params=fields, timeout=60)
    else:
        response = httpx.post(url, data=fields, timeout=60)
    body = response.json()
    assert body["status"] == "success", body
    return body["result"]


def _clip(engine, **params) -> httpx.Response:
    return httpx.post(
        f"{engine.base_url}/archive/clip/",
        data={"api_token": engine.token, **{k: str(v) for k, v in params.items()}},
        timeout=60,
    )


def _upload(engine, audio_id: int, recipe) -> None:
    reply = engine.upload(
        audio_id,
        _wav(render_song(recipe, SONG_S, UPLOAD_RATE), UPLOAD_RATE),
        title=recipe.title,
        artist=recipe.artist,
    )
    assert reply["status"] == "success", reply


def _wait(condition, timeout: float, engine) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, engine.stderr_text()[-4000:]
        time.sleep(0.25)


MIME = {
    "mp3": "audio/mpeg",
    "vorbis": "audio/ogg",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "hls": "audio/aac",
}
FORMAT = {"mp3": "mp3", "vorbis": "ogg", "opus": "ogg", "flac": "flac", "hls": "aac"}
MAGIC = {"vorbis": b"OggS", "opus": b"OggS", "flac": b"fLaC", "hls": b"\xff\xf1"}


class _Station:
    """The programme on air: an Icecast station (MP3, Ogg or FLAC), or an HLS one (AAC in
    MPEG-TS behind a live playlist); `bytes_per_s` is what it sends a second of audio."""

    def __init__(self, stack: contextlib.ExitStack, bg, programme, codec: str, folder) -> None:
        if codec != "hls":
            icecast = bg.start_station(programme, loop_programme=False, codec=codec)
            self.url = icecast.url
            self.bytes_per_s = lambda: icecast.bytes_aired / icecast.aired_s
            return
        samples = np.concatenate([segment.samples for segment in programme()])
        media = hls_media(samples, folder / "hls", segment_s=1, bitrate=128_000)
        web = stack.enter_context(LiveHlsServer(media))
        self.url = web.url + PLAYLIST
        self.bytes_per_s = lambda: media.audio_bytes / media.seconds


@pytest.mark.parametrize("codec", ["mp3", "vorbis", "opus", "flac", "hls"])
def test_a_plays_clip_holds_the_plays_audio(tmp_path, codec):
    first, second = songs(2)
    with (
        BackgroundLoop() as bg,
        contextlib.ExitStack() as stack,
        running_engine(tmp_path / "engine", settings=SETTINGS) as engine,
    ):
        _upload(engine, 1, first)
        _upload(engine, 2, second)
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = _Station(stack, bg, _programme(first, second), codec, tmp_path)
        assert engine.api("addStream", url=station.url, radio_id=RADIO_ID)["status"] == "success"
        category = engine.api("getStreams")["result"][0]["longpoll_category"]
        with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
            assert events.wait_for(lambda e: len(e.matches()) >= 2, timeout=90), (
                engine.stderr_text()[-4000:]
            )
            plays = events.matches()[:2]
        clips = []
        for play in plays:
            start = _epoch(play["timestamp"])
            end = start + play["play_length"]
            original = _clip(engine, radio_id=RADIO_ID, start=start, end=end, pad=2)
            as_mp3 = _clip(engine, radio_id=RADIO_ID, start=start, end=end, pad=2, format="mp3")
            clips.append((play, start, end, original, as_mp3))
        kept = _archive(engine, "kept", radio_id=RADIO_ID, start=start, end=end)
        usage = _archive(engine, "usage")

    catalog = Catalog.open(tmp_path / "check")
    for recipe in (first, second):
        catalog.add_samples(render_song(recipe, SONG_S, SAMPLE_RATE), title=recipe.title)
    try:
        for play, start, end, original, as_mp3 in clips:
            assert original.status_code == 200
            assert original.headers["content-type"] == MIME[codec]
            assert float(original.headers["x-radiowatch-clip-start"]) == pytest.approx(
                start - 2, abs=0.5
            )
            assert float(original.headers["x-radiowatch-clip-end"]) == pytest.approx(
                end + 2, abs=0.5
            )
            assert as_mp3.status_code == 200
            assert as_mp3.headers["content-type"] == "audio/mpeg"
            if codec == "mp3":
                assert as_mp3.content == original.content  # nothing re-encoded
            else:
                assert original.content.startswith(MAGIC[codec])
                extension = FORMAT[codec]
                assert original.headers["content-disposition"].endswith(f'.{extension}"')
            for content in (original.content, as_mp3.content):
                audio = decode(content)
                assert audio.size / SAMPLE_RATE == pytest.approx(end - start + 4, abs=1.0)
                # the clip's middle is the played song, where the play says it was
                middle = audio[int(2 * SAMPLE_RATE) : int((2 + min(10, end - start)) * SAMPLE_RATE)]
                match = catalog.identify(middle)
                assert match is not None
                assert match.track.title == play["results"][0]["title"]
                assert match.offset_s == pytest.approx(0.0, abs=2.0)
    finally:
        catalog.close()
    assert kept["complete"] and kept["formats"] == [FORMAT[codec]]
    (station_usage,) = usage["stations"]
    assert station_usage["radio_id"] == RADIO_ID
    # what a station-day costs is what the station sends in a day (MP3: 128 kbit/s; FFmpeg's
    # Vorbis and FLAC encoders choose their own bitrate)
    sent_per_s = station.bytes_per_s()
    if codec == "mp3":
        assert sent_per_s == pytest.approx(128_000 / 8, rel=0.02)
    assert station_usage["audio_mb_per_day"] == pytest.approx(sent_per_s * 86400 / 1e6, rel=0.1)


@pytest.mark.parametrize("codec", ["mp3", "vorbis", "flac", "hls"])
def test_a_killed_engine_leaves_a_readable_archive(tmp_path, codec):
    (recipe,) = songs(1)
    with (
        BackgroundLoop() as bg,
        contextlib.ExitStack() as stack,
        running_engine(tmp_path / "engine", settings=SETTINGS) as engine,
    ):
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = _Station(stack, bg, _programme(recipe, recipe), codec, tmp_path)
        engine.api("addStream", url=station.url, radio_id=RADIO_ID)
        db = engine.data_dir / "archive" / "archive.sqlite"

        def rows() -> list[tuple]:
            if not db.exists():
                return []
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT id, start_s, end_s FROM segments").fetchall()

        # kill while a segment is being written, with some closed before it
        _wait(lambda: sum(r[2] is not None for r in rows()) >= 2, 60, engine)
        time.sleep(2.0)
        killed_at = time.time()
        engine.kill()
        open_at_kill = [r for r in rows() if r[2] is None]
        assert len(open_at_kill) == 1
        engine.restart()
        after = {r[0]: r for r in rows()}
        recovered = after[open_at_kill[0][0]]
        assert recovered[2] is not None  # closed by the restart, with its measured length
        # an HLS player starts three media segments (here 1 s each) back, received at once:
        # its plays and its archive alike are timed from the first, so they run that much
        # ahead of the wall clock (recorder.py)
        lead = 3.0 if codec == "hls" else 0.0
        assert recovered[2] == pytest.approx(killed_at + lead, abs=2.0)
        first_start = min(r[1] for r in after.values())
        clip = _clip(engine, radio_id=RADIO_ID, start=first_start, end=recovered[2] - 0.5, pad=0)
        usage = _archive(engine, "usage")
    assert clip.status_code == 200, clip.text
    assert clip.headers["content-type"] == MIME[codec]
    audio = decode(clip.content)
    assert audio.size / SAMPLE_RATE == pytest.approx(recovered[2] - 0.5 - first_start, abs=1.0)
    assert usage["stations"][0]["segments"] >= 3


def test_an_added_track_finds_its_past_play_once(tmp_path):
    known, new = songs(2)
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        _upload(engine, 1, known)
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(_programme(known, new), loop_programme=False)
        engine.api("addStream", url=station.url, radio_id=RADIO_ID)
        category = engine.api("getStreams")["result"][0]["longpoll_category"]
        with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
            assert events.wait_for(lambda e: len(e.matches()) >= 1, timeout=90)
            # the programme is over (and settled): only now is the new song added
            _wait(lambda: station.schedule[-1].end is not None, 90, engine)
            time.sleep(3.0)
            response = httpx.post(
                engine.base_url + "/catalog/tracks/",
                data={"api_token": engine.token, "title": new.title, "artist": new.artist},
                files={"file": ("new.wav", _wav(render_song(new, SONG_S, UPLOAD_RATE), 16000))},
                timeout=120,
            )
            new_id = response.json()["result"]["track_id"]
            # the engine searches its archive for the new track by itself ...
            assert events.wait_for(lambda e: len(e.matches()) >= 2, timeout=60), (
                engine.stderr_text()[-4000:]
            )
            jobs = _archive(engine, "search", get=True)
            # ... and searching again, for it and for the known song, finds nothing new
            again = _archive(engine, "search", track_ids=f"{new_id},{_known_id(engine)}")
            _wait(lambda: _job(engine, again["job_id"])["state"] == "done", 60, engine)
            again = _job(engine, again["job_id"])
            time.sleep(2.0)  # time for a duplicate to show up, if the engine sent one
            plays = events.matches()

    live, found = plays
    assert live["results"][0]["title"] == known.title and "found_later" not in live
    assert found["results"][0]["title"] == new.title
    assert found["found_later"] is True
    aired = next(a for a in station.schedule if a.title.endswith(new.title))
    assert _epoch(found["timestamp"]) == pytest.approx(aired.start, abs=3)
    assert found["play_length"] == pytest.approx(SONG_S, abs=3)
    assert found["results"][0]["score"] >= 50
    (auto,) = [j for j in jobs if j["reason"] == "new tracks" and j["found"]]
    assert auto["published"] == 1 and auto["state"] == "done"
    assert again["published"] == 0
    assert sorted(p["status"] for p in again["plays"]) == ["already_reported", "already_reported"]


def _known_id(engine) -> str:
    tracks = httpx.get(
        engine.base_url + "/catalog/tracks/", params={"api_token": engine.token}, timeout=10
    ).json()["result"]
    return next(t["track_id"] for t in tracks if t["audio_id"] == 1)


def _job(engine, job_id: str) -> dict:
    return _archive(engine, f"search/{job_id}", get=True)


@pytest.mark.timeout(360)  # the station's programme alone takes two minutes
def test_a_repeated_unknown_piece_is_discovered_and_once_added_its_past_plays_appear(tmp_path):
    known, unknown = songs(2)

    def programme():
        for index, recipe in enumerate((unknown, known, unknown, unknown)):
            yield Segment("station - talk", babble(6.0, index, STATION_RATE))
            yield Segment(recipe.title, render_song(recipe, SONG_S, STATION_RATE))
        yield Segment("station - talk", babble(12.0, 9, STATION_RATE))

    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        _upload(engine, 1, known)
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(programme, loop_programme=False)
        engine.api("addStream", url=station.url, radio_id=RADIO_ID)
        category = engine.api("getStreams")["result"][0]["longpoll_category"]
        with LongpollCollector(engine.base_url, category, poll_timeout=1) as events:
            assert events.wait_for(lambda e: len(e.matches()) >= 1, timeout=120)
            _wait(lambda: station.schedule[-1].end is not None, 120, engine)
            time.sleep(3.0)
            job = _archive(engine, "discover", min_count=3, same_airing_s=20)
            _wait(lambda: _discovered(engine, job["job_id"])["state"] == "done", 60, engine)
            (row,) = _discovered(engine, job["job_id"])["rows"]
            best = row["representative"]
            added = _archive(
                engine,
                "discover/add",
                radio_id=best["radio_id"],
                start=best["start"],
                end=best["end"],
                title="Found Tune",
                artist="Nobody Yet",
                kind="song",
            )
            search = added["search"]["job_id"]
            _wait(lambda: _job(engine, search)["state"] == "done", 60, engine)
            assert events.wait_for(lambda e: len(e.matches()) >= 4, timeout=30)
            time.sleep(2.0)  # time for a duplicate to show up, if the engine sent one
            plays = events.matches()
            again = _archive(engine, "discover", min_count=3, same_airing_s=20)
            _wait(lambda: _discovered(engine, again["job_id"])["state"] == "done", 60, engine)
            again = _discovered(engine, again["job_id"])

    assert row["count"] == 3 and row["stations"] == [RADIO_ID]
    assert row["length_s"] == pytest.approx(SONG_S, abs=4)
    aired = [a.start for a in station.schedule if a.title == unknown.title]
    assert [a["start"] for a in row["airings"]] == pytest.approx(aired, abs=3)
    assert added["track"]["title"] == "Found Tune" and added["track"]["audio_id"] == 2
    found = [p for p in plays if p.get("found_later")]
    assert len(plays) == 4 and len(found) == 3
    assert all(p["results"][0]["title"] == "Found Tune" for p in found)
    assert sorted(_epoch(p["timestamp"]) for p in found) == pytest.approx(aired, abs=3)
    assert again["rows"] == []  # its airings are plays now


def _discovered(engine, job_id: str) -> dict:
    return _archive(engine, f"discover/{job_id}", get=True)

"""The official AudD Python SDK (`audd` on PyPI, written by AudD, not by us) works against the
local engine unchanged: pointed at it with a host-rewriting transport (docs/protocols/audd.md §12), it runs
recognition, enterprise, every stream method, the custom-catalog upload and long poll."""

from __future__ import annotations

import threading

import audd
import httpx
import numpy as np
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.demo.music_synthesis import render_noise, render_song, render_talk
from tests.support.audd_redirect import RedirectTransport
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, songs, unreachable_url, wav_bytes

RATE = 16000
SONG_S = 14.0
TITLED, UNTITLED = songs(2)


def _first(iterable, timeout: float):
    """The first item of a blocking iterator, or None after `timeout` seconds."""
    box: list = []
    thread = threading.Thread(target=lambda: box.append(next(iter(iterable), None)), daemon=True)
    thread.start()
    thread.join(timeout)
    return box[0] if box else None


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    settings = {"reconnect_initial_s": 0.5, "connect_timeout_s": 2}
    with running_engine(tmp_path_factory.mktemp("sdk") / "engine", settings=settings) as e:
        yield e


@pytest.fixture(scope="module")
def sdk(engine):
    client = httpx.Client(transport=RedirectTransport(engine.base_url), timeout=30)
    with audd.AudD(engine.token, httpx_client=client, max_retries=1) as s:
        yield s
    client.close()


@pytest.fixture(scope="module")
def catalog(engine, sdk):
    """One song uploaded with our title/artist extension, one through the SDK (bare audio_id)."""
    titled = wav_bytes(render_song(TITLED, SONG_S, RATE), RATE)
    reply = httpx.post(
        engine.base_url + "/upload/",
        timeout=60,
        data={
            "api_token": engine.token,
            "audio_id": "1",
            "title": TITLED.title,
            "artist": TITLED.artist,
        },
        files={"file": ("song.wav", titled, "audio/wav")},
    ).json()
    assert reply == {"status": "success", "result": None}
    sdk.custom_catalog.add(2, wav_bytes(render_song(UNTITLED, SONG_S, RATE), RATE))


def _clip(recipe, start_s: float, end_s: float) -> bytes:
    samples = render_song(recipe, SONG_S, RATE)
    return wav_bytes(samples[int(start_s * RATE) : int(end_s * RATE)], RATE)


def test_sdk_recognizes_an_uploaded_clip_with_artist_and_title(sdk, catalog):
    result = sdk.recognize(_clip(TITLED, 3, 11))
    assert result is not None
    assert (result.artist, result.title) == (TITLED.artist, TITLED.title)
    assert result.audio_id == 1
    assert result.timecode in ("00:02", "00:03", "00:04")


def test_sdk_recognizes_a_song_added_through_its_custom_catalog(sdk, catalog):
    result = sdk.recognize(_clip(UNTITLED, 4, 12))
    assert result is not None and result.is_custom_match
    assert result.audio_id == 2
    assert result.artist is None  # AudD's custom-match shape: timecode + audio_id only


def test_sdk_recognizes_by_url_and_gets_null_for_unknown_audio(sdk, catalog):
    with BackgroundLoop() as bg:
        url = bg.file_url(_clip(TITLED, 1, 9))
        result = sdk.recognize(url)
    assert result is not None and result.title == TITLED.title
    assert sdk.recognize(wav_bytes(render_noise(8, RATE), RATE)) is None


def test_sdk_enterprise_finds_both_songs_of_a_long_recording_with_offsets(sdk, catalog):
    # talk 0-12 s, the titled song 12-22 s, the other song 22-36 s; chunks start at 0, 12, 24
    recording = np.concatenate(
        [
            render_talk(12, RATE),
            render_song(TITLED, SONG_S, RATE)[: 10 * RATE],
            render_song(UNTITLED, SONG_S, RATE),
        ]
    )
    matches = sdk.recognize_enterprise(wav_bytes(recording, RATE), accurate_offsets=True)
    assert [m.audio_id for m in matches] == [1, 2]
    assert matches[0].title == TITLED.title
    assert matches[0].start_seconds == pytest.approx(12, abs=1.5)
    assert matches[1].start_seconds == pytest.approx(24, abs=1.5)
    assert all(0 < m.score <= 100 for m in matches)


def test_sdk_enterprise_scan_pattern_and_limit(sdk, catalog):
    recording = np.concatenate(
        [
            render_song(TITLED, SONG_S, RATE)[: 12 * RATE],
            render_song(UNTITLED, SONG_S, RATE)[: 12 * RATE],
        ]
    )
    only_second = sdk.recognize_enterprise(wav_bytes(recording, RATE), skip_first_seconds=13)
    assert [m.audio_id for m in only_second] == [2]
    first_only = sdk.recognize_enterprise(wav_bytes(recording, RATE), limit=1)
    assert [m.audio_id for m in first_only] == [1]


def test_sdk_runs_every_stream_method_and_receives_a_notification_by_longpoll(sdk, engine):
    sdk.streams.set_callback_url(PLACEHOLDER_CALLBACK_URL)
    assert sdk.streams.get_callback_url() == PLACEHOLDER_CALLBACK_URL
    dead = unreachable_url()
    sdk.streams.add(dead, 5)
    with sdk.streams.longpoll(radio_id=5, timeout=5, since_time=0) as poll:
        note = _first(poll.notifications, timeout=30)
    assert note is not None, engine.stderr_text()
    assert (note.radio_id, note.notification_code, note.stream_running) == (5, 650, False)
    assert "can't connect" in note.notification_message

    [stream] = [s for s in sdk.streams.list() if s.radio_id == 5]
    assert stream.url == dead
    assert stream.longpoll_category == sdk.streams.derive_longpoll_category(5)
    assert stream.stream_running is False
    sdk.streams.set_url(5, dead + "?v=2")
    assert [s.url for s in sdk.streams.list() if s.radio_id == 5] == [dead + "?v=2"]
    sdk.streams.delete(5)
    assert all(s.radio_id != 5 for s in sdk.streams.list())


def test_sdk_sees_a_wrong_token_as_an_authentication_error(engine):
    client = httpx.Client(transport=RedirectTransport(engine.base_url), timeout=30)
    with (
        audd.AudD("not-the-token", httpx_client=client, max_retries=1) as wrong,
        pytest.raises(audd.errors.AudDAuthenticationError) as caught,
    ):
        wrong.recognize(b"\0" * 1000)
    assert caught.value.error_code == 900
    assert "not-the-token" not in str(caught.value.raw_response)

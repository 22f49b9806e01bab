"""The engine answers like AudD on the wire (docs/protocols/audd.md §1-§4, §10, §13): envelopes, error codes,
masked tokens, Host and path routing, parameter merging, and recognition over HTTP and
WebSocket — against a real engine process over loopback."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from radiowatch.engine.demo.music_synthesis import render_noise, render_song
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, songs, unreachable_url, wav_bytes

RATE = 16000
SONG = songs(1)[0]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with running_engine(
        tmp_path_factory.mktemp("protocol") / "engine", settings={"recognize_mb": 1}
    ) as e:
        assert (
            e.upload(
                1,
                wav_bytes(render_song(SONG, 14, RATE), RATE),
                title=SONG.title,
                artist=SONG.artist,
                album=SONG.album,
            )["status"]
            == "success"
        )
        yield e


def clip(start_s: float = 2, end_s: float = 10) -> bytes:
    return wav_bytes(render_song(SONG, 14, RATE)[int(start_s * RATE) : int(end_s * RATE)], RATE)


def post(engine, path: str = "/", *, host: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Host": host} if host else {}
    return httpx.post(engine.base_url + path, headers=headers, timeout=30, **kwargs)


def test_wrong_token_is_900_with_the_token_masked_in_the_echo(engine):
    response = post(engine, data={"api_token": "definitelynotvalid_aaa", "url": "https://x/y.mp3"})
    body = response.json()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"]
    assert body["status"] == "error"
    assert body["error"]["error_code"] == 900
    assert body["error"]["error_message"].startswith("Recognition failed: authorization failed:")
    assert body["request_params"] == {"api_token": "d***a", "url": "https://x/y.mp3"}
    assert body["request_api_method"] == "recognize"
    assert body["request_http_method"] == "POST"
    assert "definitelynotvalid_aaa" not in response.text


def test_missing_token_is_901_and_names_the_method_it_failed(engine):
    body = post(engine, "/getStreams/").json()
    assert body["error"]["error_code"] == 901
    assert body["error"]["error_message"].startswith("Getting the streams failed:")
    assert body["request_api_method"] == "getStreams"


def test_recognition_answers_the_song_object_or_null(engine):
    body = post(engine, data={"api_token": engine.token}, files={"file": ("c.wav", clip())}).json()
    assert body["status"] == "success"
    result = body["result"]
    assert (result["artist"], result["title"], result["album"]) == (
        SONG.artist,
        SONG.title,
        SONG.album,
    )
    assert result["audio_id"] == 1
    assert result["timecode"] in ("00:01", "00:02", "00:03")
    noise = wav_bytes(render_noise(8, RATE), RATE)
    body = post(engine, data={"api_token": engine.token}, files={"file": ("n.wav", noise)}).json()
    assert body == {"status": "success", "result": None}


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("nothing", 700),
        ("unreachable url", 600),
        ("file url", 600),
        ("not audio", 500),
        ("too short", 300),
        ("too large", 400),
    ],
)
def test_bad_recognition_input_gets_audds_error_code(engine, case, code):
    data = {"api_token": engine.token}
    files = None
    if case == "unreachable url":
        data["url"] = unreachable_url()
    elif case == "file url":
        data["url"] = "file:///etc/passwd"
    elif case == "not audio":
        files = {"file": ("x.mp3", b"this is not audio at all" * 100)}
    elif case == "too short":
        files = {"file": ("s.wav", clip(2, 2.5))}
    elif case == "too large":  # this engine's standard limit is 1 MB (settings)
        files = {"file": ("big.wav", wav_bytes(render_noise(40, RATE), RATE))}
    response = post(engine, data=data, files=files)
    body = response.json()
    assert body["status"] == "error", body
    assert body["error"]["error_code"] == code
    assert body["error"]["error_message"].startswith("Recognition failed: ")
    assert "passwd" not in body["error"]["error_message"] or case == "file url"


def test_enterprise_host_and_path_prefix_route_to_enterprise(engine):
    long_clip = wav_bytes(render_song(SONG, 14, RATE), RATE)
    by_host = post(
        engine,
        host="enterprise.audd.io",
        data={"api_token": engine.token},
        files={"file": ("l.wav", long_clip)},
    ).json()
    by_path = post(
        engine,
        "/enterprise",
        data={"api_token": engine.token},
        files={"file": ("l.wav", long_clip)},
    ).json()
    for body in (by_host, by_path):
        assert body["status"] == "success"
        assert body["execution_time"].endswith(("ms", "s", "µs"))
        [chunk] = body["result"]
        assert chunk["offset"] == "00:00"
        assert chunk["songs"][0]["title"] == SONG.title
        assert "start_offset" not in chunk["songs"][0]  # only with accurate_offsets=true
    standard = post(
        engine,
        host="api.audd.io",
        data={"api_token": engine.token},
        files={"file": ("l.wav", long_clip)},
    ).json()
    assert standard["result"]["title"] == SONG.title  # api host: the standard object


def test_enterprise_errors_use_the_enterprise_envelope(engine):
    body = post(engine, host="enterprise.audd.io", data={"api_token": "zz-wrong"}).json()
    assert body["error"]["error_code"] == 900
    assert body["requested_params"] == {"api_token": "z***g", "method": "recognize"}
    assert "execution_time" in body and "request_api_method" not in body


def test_enterprise_accurate_offsets_are_ms_inside_the_chunk(engine):
    recording = np.concatenate([render_noise(5, RATE), render_song(SONG, 14, RATE)[: 7 * RATE]])
    body = post(
        engine,
        "/enterprise/",
        data={"api_token": engine.token, "accurate_offsets": "true"},
        files={"file": ("r.wav", wav_bytes(recording, RATE))},
    ).json()
    [chunk] = body["result"]
    song = chunk["songs"][0]
    assert song["start_offset"] == pytest.approx(5000, abs=1000)
    assert song["end_offset"] == pytest.approx(12000, abs=500)


def test_parameters_merge_query_and_body_and_the_body_wins(engine):
    response = httpx.post(
        engine.base_url + "/getCallbackUrl?api_token=wrong",
        timeout=10,
        data={"api_token": engine.token},
    )
    assert response.json()["error"]["error_code"] == 19  # authorised by the body's token
    by_query = httpx.get(engine.base_url + f"/getStreams/?api_token={engine.token}", timeout=10)
    assert by_query.json()["status"] == "success"


def test_paths_work_with_and_without_trailing_slash(engine):
    for path in ("/getStreams", "/getStreams/"):
        response = httpx.post(engine.base_url + path, data={"api_token": engine.token}, timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "success"


def test_unknown_method_and_lyrics_are_clear_errors(engine):
    assert engine.api("noSuchMethod")["error"]["error_code"] == 50
    lyrics = engine.api("findLyrics", q="anything")
    assert lyrics["error"]["error_code"] == 904


def test_recognition_by_url_downloads_over_http(engine):
    with BackgroundLoop() as bg:
        url = bg.file_url(clip(), name="clip.wav")
        body = engine.api("", url=url)
        page = bg.html_page_url()
        html = engine.api("", url=page)
    assert body["result"]["title"] == SONG.title
    assert html["error"]["error_code"] == 600
    assert "web page" in html["error"]["error_message"]


def test_websocket_answers_each_binary_message_in_order(engine):
    ws_url = engine.base_url.replace("http://", "ws://") + f"/ws/?api_token={engine.token}"
    with connect(ws_url, max_size=None) as ws:
        ws.send(clip())
        ws.send(wav_bytes(render_noise(6, RATE), RATE))
        ws.send(b"garbage, not audio" * 50)
        replies = [json.loads(ws.recv(timeout=30)) for _ in range(3)]
    assert replies[0]["result"]["title"] == SONG.title
    assert replies[1] == {"status": "success", "result": None}
    assert replies[2]["error"]["error_code"] == 500


def test_websocket_with_a_wrong_token_replies_900(engine):
    ws_url = engine.base_url.replace("http://", "ws://") + "/ws/?api_token=nope"
    with connect(ws_url) as ws:
        ws.send(clip())
        reply = json.loads(ws.recv(timeout=30))
    assert reply["error"]["error_code"] == 900
    assert reply["request_params"]["api_token"] == "n***e"


def test_health_needs_no_token_and_reveals_nothing(engine):
    body = httpx.get(engine.base_url + "/health/", timeout=5).json()
    assert body["status"] == "ok"
    assert engine.token not in json.dumps(body)

"""Stream methods, the long poll and callbacks behave like AudD's (docs/protocols/audd.md §5-§7): categories from
the token, AudD's error codes, the hybrid long-poll envelope, strictly increasing timestamps,
`since_time` replay that survives an engine restart, no events without a callback URL, and
callbacks POSTed as JSON."""

from __future__ import annotations

import hashlib
import time

import httpx
import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, CallbackReceiver, unreachable_url

SETTINGS = {"max_streams": 3, "reconnect_initial_s": 0.3, "connect_timeout_s": 2}


def category(token: str, radio_id: int) -> str:
    inner = hashlib.md5(token.encode()).hexdigest()
    return hashlib.md5(f"{inner}{radio_id}".encode()).hexdigest()[:9]


def longpoll(engine, cat: str, *, since: int | None = None, timeout: int = 1) -> httpx.Response:
    params = {"category": cat, "timeout": timeout}
    if since is not None:
        params["since_time"] = since
    return httpx.get(engine.base_url + "/longpoll/", params=params, timeout=timeout + 10)


def wait_event(engine, cat: str, since: int = 0, within: float = 20.0) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        body = longpoll(engine, cat, since=since, timeout=2).json()
        if "timeout" not in body:
            return body
    raise AssertionError(f"no event in {within} s:\n{engine.stderr_text()[-3000:]}")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """One engine for the module; the first test relies on no callback URL being set yet."""
    with running_engine(tmp_path_factory.mktemp("streams") / "engine", settings=SETTINGS) as e:
        yield e


def test_without_a_callback_url_there_is_error_19_and_no_events(engine):
    body = engine.api("getCallbackUrl")
    assert body["error"]["error_code"] == 19
    assert body["error"]["error_message"] == "Getting the URL for callbacks failed: Internal error."
    engine.api("addStream", url=unreachable_url(), radio_id=5)
    time.sleep(2)  # the stream has failed (and would have notified) by now
    assert "timeout" in longpoll(engine, category(engine.token, 5), since=0).json()

    assert engine.api("setCallbackUrl", url="ftp://nope")["error"]["error_code"] == 50
    assert engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL) == {
        "status": "success",
        "result": None,
    }
    assert engine.api("getCallbackUrl") == {"status": "success", "result": PLACEHOLDER_CALLBACK_URL}
    engine.api("deleteStream", radio_id=5)
    engine.api("addStream", url=unreachable_url(), radio_id=5)
    event = wait_event(engine, category(engine.token, 5))
    assert event["notification"]["notification_code"] == 650
    engine.api("deleteStream", radio_id=5)


def test_stream_methods_follow_audds_rules(engine):
    dead = unreachable_url()
    assert engine.api("addStream", url=dead, radio_id=1)["status"] == "success"
    assert engine.api("addStream", url=dead, radio_id=1)["status"] == "success"  # retry-safe
    assert engine.api("addStream", url=dead + "?x", radio_id=1)["error"]["error_code"] == 50
    assert engine.api("addStream", url=dead, radio_id="one")["error"]["error_code"] == 50
    assert (
        engine.api("addStream", url="twitch:somechannel", radio_id=2)["error"]["error_code"] == 50
    )
    assert engine.api("addStream", url=dead, radio_id=2, callbacks="before")["status"] == "success"
    assert engine.api("addStream", url=dead, radio_id=3)["status"] == "success"
    limit = engine.api("addStream", url=dead, radio_id=4)
    assert limit["error"]["error_code"] == 902
    assert limit["error"]["error_message"].startswith(
        "Adding a stream stream failed: authorization failed: the limit was reached."
    )
    assert engine.api("setStreamUrl", radio_id=9, url=dead)["error"]["error_code"] == 50
    assert engine.api("deleteStream", radio_id=9)["error"]["error_code"] == 50

    streams = engine.api("getStreams")["result"]
    assert [s["radio_id"] for s in streams] == [1, 2, 3]
    assert all(s["longpoll_category"] == category(engine.token, s["radio_id"]) for s in streams)
    assert all(s["stream_running"] is False and s["url"] == dead for s in streams)

    assert engine.api("setStreamUrl", radio_id=1, url=dead + "?v2")["status"] == "success"
    assert engine.api("deleteStream", radio_id=3)["status"] == "success"
    streams = engine.api("getStreams")["result"]
    assert [(s["radio_id"], s["url"]) for s in streams] == [(1, dead + "?v2"), (2, dead)]
    for radio_id in (1, 2):
        engine.api("deleteStream", radio_id=radio_id)


def test_longpoll_timeout_and_bad_arguments(engine):
    body = longpoll(engine, "abcdef123", timeout=1).json()
    assert set(body) == {"timeout", "timestamp"}
    assert body["timeout"] == "no events before timeout"
    assert abs(body["timestamp"] - time.time() * 1000) < 60_000
    bad = longpoll(engine, "abcdef123", timeout=121)
    assert bad.status_code == 400
    assert bad.json() == {"error": "Invalid timeout arg.  Must be 1-120."}
    assert httpx.get(engine.base_url + "/longpoll/?timeout=5", timeout=10).status_code == 400


def test_events_replay_from_since_time_in_order_and_survive_a_restart(engine):
    engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
    cat = category(engine.token, 7)
    engine.api("addStream", url=unreachable_url(), radio_id=7)
    first = wait_event(engine, cat)
    engine.api("setStreamUrl", radio_id=7, url=unreachable_url())
    second = wait_event(engine, cat, since=first["timestamp"])

    for event in (first, second):  # the hybrid envelope (docs/protocols/audd.md §7.4 C)
        [inner] = event["events"]
        assert inner["category"] == cat
        assert inner["timestamp"] == event["timestamp"]
        assert inner["data"] == {k: event[k] for k in ("status", "notification", "time")}
        assert event["status"] == "-"
        assert event["notification"]["radio_id"] == 7
        assert event["notification"]["stream_running"] is False
    assert second["timestamp"] > first["timestamp"]
    after = longpoll(engine, cat, since=second["timestamp"]).json()
    assert "timeout" in after and after["timestamp"] > second["timestamp"]
    assert "timeout" in longpoll(engine, cat).json()  # no since_time: only newer events

    engine.restart()
    assert longpoll(engine, cat, since=0).json() == first
    assert longpoll(engine, cat, since=first["timestamp"]).json() == second
    engine.api("deleteStream", radio_id=7)


def test_callbacks_are_posted_as_json_to_the_callback_url(engine):
    with BackgroundLoop() as bg:
        receiver = CallbackReceiver(bg)
        url = receiver.url + "?return=apple_music%2Cdeezer"
        engine.api("setCallbackUrl", url=url)
        engine.api("addStream", url=unreachable_url(), radio_id=8)
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert receiver.received, engine.stderr_text()[-3000:]
    headers, body = receiver.received[0]
    assert headers["content-type"] == "application/json"
    assert body["status"] == "-"
    assert body["notification"]["radio_id"] == 8
    assert body["notification"]["notification_code"] == 650
    assert isinstance(body["time"], int)
    event = wait_event(engine, category(engine.token, 8))
    assert event["notification"] == body["notification"]  # the long poll has the same event
    engine.api("deleteStream", radio_id=8)

"""An enterprise scan whose client has gone stops between chunks instead of recognising the
rest of a long recording for nobody — checked against a real engine process over loopback,
through the scan counters its `/health/` reports."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import httpx
import numpy as np
import pytest

from radiowatch.audd import AudDClient
from radiowatch.engine.demo.music_synthesis import render_song
from tests.support.engine_process import running_engine
from tests.support.stations import songs, wav_bytes

RATE = 8000
SONG = songs(1)[0]
CHUNK_S = 12


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with running_engine(tmp_path_factory.mktemp("enterprise-cancel") / "engine") as e:
        assert (
            e.upload(
                1,
                wav_bytes(render_song(SONG, 14, RATE), RATE),
                title=SONG.title,
                artist=SONG.artist,
            )["status"]
            == "success"
        )
        yield e


def recording(minutes: float) -> bytes:
    """A long recording: the catalog song over and over (every chunk is real matching work)."""
    song = render_song(SONG, 14, RATE)
    repeats = int(minutes * 60 / 14) + 1
    return wav_bytes(np.tile(song, repeats)[: int(minutes * 60 * RATE)], RATE)


def counters(engine) -> dict[str, int]:
    return httpx.get(engine.base_url + "/health/", timeout=10).json()["recognition"]


def enterprise_request(engine, audio: bytes) -> tuple[bytes, dict[str, str]]:
    """The bytes of a multipart enterprise request, as httpx would send them."""
    request = httpx.Request(
        "POST",
        engine.base_url + "/enterprise/",
        data={"api_token": engine.token},
        files={"file": ("long.wav", audio, "audio/wav")},
    )
    return request.read(), dict(request.headers)


def wait_for(predicate, what: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_scan_whose_client_disconnects_stops_before_the_end_of_the_file(engine):
    minutes = 40
    total_chunks = minutes * 60 // CHUNK_S
    before = counters(engine)
    body, headers = enterprise_request(engine, recording(minutes))
    host, port = engine.base_url.removeprefix("http://").rsplit(":", 1)
    client = socket.create_connection((host, int(port)))
    head = (
        f"POST /enterprise/ HTTP/1.1\r\nHost: {host}:{port}\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items() if k.lower() != "host")
        + "\r\n"
    )
    client.sendall(head.encode() + body)

    # The scan has started: chunks are being recognised for this request.
    wait_for(
        lambda: counters(engine)["enterprise_chunks"] > before["enterprise_chunks"],
        "the scan to start",
    )
    client.close()  # what the Recognize tab's Cancel does to its connection

    after = wait_for(
        lambda: (
            (c := counters(engine))["enterprise_abandoned"] > before["enterprise_abandoned"] and c
        ),
        "the engine to notice the client left",
    )
    scanned = after["enterprise_chunks"] - before["enterprise_chunks"]
    assert after["enterprise_scans"] == before["enterprise_scans"] + 1
    assert 0 < scanned < total_chunks
    # Once abandoned, the scan is over: no chunk of it is recognised afterwards.
    assert counters(engine)["enterprise_chunks"] == after["enterprise_chunks"]

    # The engine is free for the next request, which is answered in full.
    short = wav_bytes(render_song(SONG, 14, RATE), RATE)
    reply = httpx.post(
        engine.base_url + "/enterprise/",
        data={"api_token": engine.token},
        files={"file": ("short.wav", short, "audio/wav")},
        timeout=60,
    ).json()
    assert reply["status"] == "success"
    assert reply["result"] and reply["result"][0]["songs"][0]["title"] == SONG.title


def test_cancelling_the_audd_client_call_stops_the_engine_scan(engine, tmp_path):
    """The Recognize tab's Cancel: the task running our own client is cancelled."""
    path = tmp_path / "long.wav"
    path.write_bytes(recording(40))
    before = counters(engine)

    async def start_then_cancel() -> None:
        async with AudDClient(
            engine.token, base_url=engine.base_url, enterprise_url=engine.base_url + "/enterprise"
        ) as client:
            scan = asyncio.create_task(client.recognize_enterprise(path))
            while counters(engine)["enterprise_chunks"] == before["enterprise_chunks"]:
                assert not scan.done(), scan
                await asyncio.sleep(0.05)
            scan.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scan

    asyncio.run(start_then_cancel())
    after = wait_for(
        lambda: (
            (c := counters(engine))["enterprise_abandoned"] > before["enterprise_abandoned"] and c
        ),
        "the engine to notice the cancelled call",
    )
    assert 0 < after["enterprise_chunks"] - before["enterprise_chunks"] < 40 * 60 // CHUNK_S


def test_a_scan_with_its_client_still_waiting_counts_every_chunk(engine):
    before = counters(engine)
    audio = recording(1)  # 5 chunks
    reply = httpx.post(
        engine.base_url + "/enterprise/",
        data={"api_token": engine.token},
        files={"file": ("minute.wav", audio, "audio/wav")},
        timeout=120,
    ).json()
    assert reply["status"] == "success"
    after = counters(engine)
    assert after["enterprise_chunks"] - before["enterprise_chunks"] == 5
    assert after["enterprise_abandoned"] == before["enterprise_abandoned"]

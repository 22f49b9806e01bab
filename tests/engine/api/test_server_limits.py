"""Oversized requests are refused early — announced or streamed, a 2 GB upload is cut off long
before it is read — and the engine keeps serving everyone else."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from tests.support.engine_process import running_engine

GB = 1024**3
MB = 1024**2


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with running_engine(tmp_path_factory.mktemp("limits") / "engine") as e:
        yield e


def _raw_request(engine, head: str, body_prefix: bytes) -> bytes:
    host, port = engine.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + body_prefix)
        reply = b""
        while True:
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not data:
                break
            reply += data
    return reply


@pytest.mark.parametrize("path", ["/", "/enterprise/", "/upload/"])
def test_an_announced_2_gb_upload_gets_a_413_audd_error_at_once(engine, path):
    boundary = "rwboundary"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {2 * GB}\r\n\r\n"
    )
    prefix = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.mp3"\r\n\r\n'
    ).encode() + b"\xff" * 4096
    reply = _raw_request(engine, head, prefix)
    status_line, _, rest = reply.partition(b"\r\n")
    assert b" 413 " in status_line
    body = json.loads(rest.split(b"\r\n\r\n", 1)[1])
    assert body["status"] == "error"
    assert body["error"]["error_code"] == 400
    assert "larger than this endpoint accepts" in body["error"]["error_message"]


def test_a_streamed_2_gb_upload_without_length_is_cut_off_early(engine):
    sent = 0

    def two_gigabytes():
        nonlocal sent
        chunk = b"\0" * MB
        for _ in range(2048):
            sent += len(chunk)
            yield chunk

    try:
        response = httpx.post(
            engine.base_url + "/",
            content=two_gigabytes(),
            timeout=30,
            headers={"Content-Type": "application/octet-stream"},
            params={"api_token": engine.token},
        )
    except httpx.TransportError:
        pass  # the engine closed the connection while we were still sending
    else:
        assert response.status_code == 413
        assert response.json()["error"]["error_code"] == 400
    assert sent < 200 * MB


def test_small_methods_refuse_megabyte_bodies(engine):
    response = httpx.post(
        engine.base_url + "/getStreams/",
        timeout=30,
        data={"api_token": engine.token, "padding": "x" * (2 * MB)},
    )
    assert response.status_code == 413
    assert response.json()["request_api_method"] == "getStreams"


def test_the_engine_keeps_serving_after_refusing_huge_uploads(engine):
    assert httpx.get(engine.base_url + "/health/", timeout=5).status_code == 200
    assert engine.api("getStreams") == {"status": "success", "result": []}

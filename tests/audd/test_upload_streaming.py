"""Long recordings are streamed from disk to the enterprise endpoint, never read into memory.

A real loopback HTTP server counts the bytes it receives (and keeps none of them); the client
uploads a 200 MB file while tracemalloc watches the process's Python allocations.
"""

from __future__ import annotations

import json
import os
import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from radiowatch.audd import AudDClient

TOKEN = "stream-test-token-42"
MB = 1024 * 1024
BIG = 200 * MB
PIECE = 256 * 1024


class CountingServer(ThreadingHTTPServer):
    """Answers every POST with an empty enterprise success, after reading the whole body in
    small pieces; `fail_first` requests are answered 503 (after reading them) to force retries."""

    daemon_threads = True

    def __init__(self, fail_first: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.fail_first = fail_first
        self.bodies: list[int] = []  # body bytes received, per request
        self.heads: list[bytes] = []  # the first bytes of each body (the multipart part header)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:
        received, head = 0, b""
        for piece in self._body():
            if len(head) < 1024:
                head += piece[: 1024 - len(head)]
            received += len(piece)
        with self.server.lock:
            self.server.bodies.append(received)
            self.server.heads.append(head)
            failing = self.server.fail_first > 0
            self.server.fail_first -= 1
        status, body = (
            (503, b"busy")
            if failing
            else (200, json.dumps({"status": "success", "result": []}).encode())
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> Iterator[bytes]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                yield from self._read(size)
                self.rfile.readline()
            self.rfile.readline()
            return
        yield from self._read(int(self.headers.get("Content-Length", "0")))

    def _read(self, size: int) -> Iterator[bytes]:
        while size > 0:
            piece = self.rfile.read(min(PIECE, size))
            if not piece:
                return
            size -= len(piece)
            yield piece


@pytest.fixture
def counting_server() -> Iterator[CountingServer]:
    server = CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def big_file(tmp_path) -> Path:
    """A 200 MB recording that costs no disk space (sparse) and no time to make."""
    path = tmp_path / "night-shift.wav"
    with path.open("wb") as file:
        file.write(b"RIFF")
        file.truncate(BIG)
    return path


def open_files_for(path: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                found.append(fd)
        except OSError:
            pass
    return found


async def upload(server: CountingServer, source) -> None:
    async with AudDClient(
        TOKEN, base_url=server.url, enterprise_url=server.url, backoff_factor=0.01
    ) as client:
        await client.recognize_enterprise(source)


@pytest.mark.asyncio
async def test_a_200_mb_recording_is_streamed_without_growing_memory(counting_server, big_file):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        await upload(counting_server, big_file)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    body = counting_server.bodies[0]
    assert BIG < body < BIG + 4096  # the whole file plus the multipart framing
    assert b'name="file"; filename="night-shift.wav"' in counting_server.heads[0]
    assert peak < 20 * MB, f"uploading held {peak / MB:.0f} MB of Python objects"
    assert open_files_for(big_file) == []  # the attempt closed what it opened


@pytest.mark.asyncio
async def test_a_retried_upload_reopens_the_file_and_sends_all_of_it_again(
    counting_server, big_file
):
    counting_server.fail_first = 1
    await upload(counting_server, big_file)
    assert len(counting_server.bodies) == 2
    assert counting_server.bodies[0] == counting_server.bodies[1] > BIG
    assert open_files_for(big_file) == []


@pytest.mark.asyncio
async def test_an_open_file_object_is_streamed_and_rewound_for_a_retry(counting_server, tmp_path):
    path = tmp_path / "clip.bin"
    path.write_bytes(os.urandom(3 * MB))
    counting_server.fail_first = 1
    with path.open("rb") as file:
        file.seek(MB)  # wherever the caller left it, the whole file is sent, every attempt
        await upload(counting_server, file)
    assert len(counting_server.bodies) == 2
    assert counting_server.bodies[0] == counting_server.bodies[1] > 3 * MB

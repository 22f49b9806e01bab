"""A real loopback HTTP server that plays a radio station's web server: playlists, a stream.

Routes are set per test: `server.route("/listen.pls", body, content_type)`. `/stream.mp3`
sends audio forever (as Icecast does) so the size cap and content-type checks are exercised,
and `/slow.pls` answers only after a delay so timeouts are real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PlaylistServer:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[str] = []
        self.slow_seconds = 3.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                server.requests.append(self.path)
                if self.path.startswith("/stream"):
                    self._endless(self.headers.get("X-Content-Type") or "audio/mpeg")
                    return
                if self.path.startswith("/endless-text"):
                    self._endless("audio/x-mpegurl")
                    return
                if self.path.startswith("/slow"):
                    time.sleep(server.slow_seconds)
                status, ctype, body = server.routes.get(
                    self.path, (404, "text/plain", b"not found")
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _endless(self, ctype: str) -> None:
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", ctype)
                    self.end_headers()
                    chunk = b"\xff\xfb\x90\x00" * 1024
                    for _ in range(2000):  # ~8 MB, then give up: a client must stop far sooner
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(
        self, path: str, body: str | bytes, content_type: str = "audio/x-scpls", status: int = 200
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = (status, content_type, data)
        return self.base + path

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def running_playlist_server() -> Iterator[PlaylistServer]:
    server = PlaylistServer()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)

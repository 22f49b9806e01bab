"""Point the official AudD SDK (or any httpx client) at a local engine (docs/protocols/audd.md §12).

    client = httpx.Client(transport=RedirectTransport(engine.base_url), timeout=30)
    sdk = audd.AudD(engine.token, httpx_client=client)

The transport rewrites scheme/host/port of every request to the engine and keeps the path,
query, body and the original Host header (`api.audd.io` / `enterprise.audd.io`), which the
engine routes on.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


def _target(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


class RedirectTransport(httpx.HTTPTransport):
    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._host, self._port = _target(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host=self._host, port=self._port)
        return super().handle_request(request)


class AsyncRedirectTransport(httpx.AsyncHTTPTransport):
    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._host, self._port = _target(base_url)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host=self._host, port=self._port)
        return await super().handle_async_request(request)

"""HTTP connections for many long polls at once.

Each followed stream holds one HTTP request open for up to `timeout` seconds. Put 100 of them
in one httpx client and every request start and reply makes httpcore walk all 100 pooled
connections (the pool is scanned per event), so a burst of replies costs O(n^2) on the GUI
thread: in bench/monitoring/gui_stall.py that alone stalled the window for over a second.
Small clients of a few streams each keep that scan short. They share one TLS context, since
building one per client is slow and the certificates are the same.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping

import certifi
import httpx

STREAMS_PER_CLIENT = 8


class LongpollConnections:
    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        per_client: int = STREAMS_PER_CLIENT,
        prewarm: bool = False,
    ) -> None:
        """`prewarm` builds the first client now: construct this in a worker thread
        (`asyncio.to_thread`) and the slow first-time set-up stays off the event loop."""
        self._headers = dict(headers or {})
        self._per_client = per_client
        self._tls = ssl.create_default_context(cafile=certifi.where())
        self._clients: list[httpx.AsyncClient] = []
        self._load: list[int] = []
        self._assigned: dict[int, int] = {}
        if prewarm:
            self._add_client()

    def client_for(self, radio_id: int) -> httpx.AsyncClient:
        """The client this stream's polls go through (stable until `release`)."""
        index = self._assigned.get(radio_id)
        if index is None:
            index = next((i for i, n in enumerate(self._load) if n < self._per_client), None)
            if index is None:
                index = self._add_client()
            self._assigned[radio_id] = index
            self._load[index] += 1
        return self._clients[index]

    def _add_client(self) -> int:
        self._clients.append(
            httpx.AsyncClient(
                headers=self._headers,
                verify=self._tls,
                limits=httpx.Limits(
                    max_connections=self._per_client + 2,
                    max_keepalive_connections=self._per_client + 2,
                ),
            )
        )
        self._load.append(0)
        return len(self._clients) - 1

    def release(self, radio_id: int) -> None:
        index = self._assigned.pop(radio_id, None)
        if index is not None:
            self._load[index] -= 1

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        self._load, self._assigned = [], {}
        for client in clients:
            await client.aclose()

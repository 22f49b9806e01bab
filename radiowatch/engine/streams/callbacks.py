"""Where a stream's plays and notifications go: the long-poll log and the callback URL (docs/protocols/audd.md §6).

AudD publishes stream events only while the account has a callback URL (docs/protocols/audd.md §7.6); without one
they are dropped, and long polls time out forever. Events go to the long-poll log and are POSTed
to the callback URL alike. `https://audd.tech/empty/` is AudD's do-nothing receiver for accounts
that only long-poll: the engine recognises it and never POSTs there, so it works offline.

Delivery is best effort, as AudD's is: a few retries with backoff on network errors and 5xx, in
a background task so a slow receiver never stalls recognition. The long-poll log is the
durable record (it survives restarts); callbacks are a notification.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from radiowatch import __version__
from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.engine.store import KEEP, EngineStore, StoredStream
from radiowatch.engine.streams.event_log import EventLog

log = logging.getLogger(__name__)

CALLBACK_URL_KEY = "callback_url"
_RETRY_DELAYS = (1.0, 4.0, 15.0)
_QUEUE_LIMIT = 10_000


def is_placeholder(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.hostname == urlsplit(PLACEHOLDER_CALLBACK_URL).hostname
        and parts.path.rstrip("/") == "/empty"
    )


def requested_providers(callback_url: str | None) -> list[str]:
    """The `return=` list inside the callback URL (`%2C` arrives decoded as a comma)."""
    if not callback_url:
        return []
    values = parse_qs(urlsplit(callback_url).query).get("return", [])
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


class CallbackSender:
    """POSTs JSON bodies to callback URLs from one background task."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(10.0),
            follow_redirects=False,
            headers={"User-Agent": f"radiowatch-engine/{__version__}"},
        )
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(_QUEUE_LIMIT)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="callbacks")

    def send(self, url: str, body: dict[str, Any]) -> None:
        if is_placeholder(url):
            return
        try:
            self._queue.put_nowait((url, body))
        except asyncio.QueueFull:
            log.warning("callback queue full; dropping a callback (the long poll still has it)")

    async def _run(self) -> None:
        while True:
            url, body = await self._queue.get()
            await self._deliver(url, body)

    async def _deliver(self, url: str, body: dict[str, Any]) -> None:
        for attempt, delay in enumerate((0.0, *_RETRY_DELAYS)):
            if delay:
                await asyncio.sleep(delay)
            try:
                response = await self._client.post(url, json=body)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500:
                    return
                problem = f"HTTP {response.status_code}"
            log.info("callback to %s failed (attempt %d): %s", _host(url), attempt + 1, problem)
        log.warning("giving up on a callback to %s", _host(url))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()


def _host(url: str) -> str:
    # Callback URLs can carry secrets in their query; log only where they point.
    return urlsplit(url).netloc or "?"


class StreamEvents:
    """Publishes one stream's events to the long-poll log and the callback URL."""

    def __init__(self, store: EngineStore, event_log: EventLog, sender: CallbackSender) -> None:
        self._store = store
        self._log = event_log
        self._sender = sender

    @property
    def callback_url(self) -> str | None:
        return self._store.get_setting(CALLBACK_URL_KEY)

    def set_callback_url(self, url: str) -> None:
        self._store.set_setting(CALLBACK_URL_KEY, url)

    def providers(self) -> list[str]:
        return requested_providers(self.callback_url)

    def emit(self, stream: StoredStream, data: dict[str, Any], *, open_play: Any = KEEP) -> bool:
        """Publish `data`; returns False when it was dropped because no callback URL is set.

        `open_play` is recorded with the event in one transaction (see EngineStore)."""
        url = self.callback_url
        if not url:
            if open_play is not KEEP:
                self._store.save_open_play(stream.radio_id, open_play)
            return False
        self._log.publish(stream.longpoll_category, stream.radio_id, data, open_play=open_play)
        self._sender.send(url, data)
        return True

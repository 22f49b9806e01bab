"""The long-poll event log (docs/protocols/audd.md §7): persisted events, strictly increasing ms timestamps,
`since_time` replay and waiting long-poll requests.

Every timestamp the engine hands out — on an event or on a timeout reply — is unique and larger
than every earlier one (bumped by 1 ms on collision), and they are issued on the event-loop
thread, which is what golongpoll's "under the same lock" rule asks: a client that resumes with
`since_time = <last timestamp it saw>` can neither miss an event nor receive one twice. Events
are in SQLite, so that promise holds across an engine restart too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from radiowatch.audd.codes import longpoll_event_reply, timeout_reply
from radiowatch.engine.store import KEEP, EngineStore, StoredEvent

KEEP_PER_CATEGORY = 1000
KEEP_DAYS = 7
_PRUNE_EVERY = 200


@dataclass(frozen=True)
class LongpollReply:
    body: dict[str, Any]
    event: StoredEvent | None


class EventLog:
    def __init__(self, store: EngineStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._last_ts = store.last_event_ts()
        self._signals: dict[str, asyncio.Event] = {}
        self._closing = asyncio.Event()
        self._published = 0

    def _issue_ts(self) -> int:
        ts = max(int(self._clock() * 1000), self._last_ts + 1)
        self._last_ts = ts
        return ts

    def publish(
        self, category: str, radio_id: int | None, data: dict[str, Any], *, open_play: Any = KEEP
    ) -> int:
        """Persist `data` as the next event of `category`, wake its waiters, return its ts."""
        ts = self._issue_ts()
        self._store.append_event(ts, category, radio_id, data, open_play=open_play)
        signal = self._signals.pop(category, None)
        if signal is not None:
            signal.set()
        self._published += 1
        if self._published % _PRUNE_EVERY == 0:
            self._store.prune_events(
                keep_per_category=KEEP_PER_CATEGORY,
                older_than_ms=int((self._clock() - KEEP_DAYS * 86400) * 1000),
            )
        return ts

    async def wait(self, category: str, since_ms: int | None, timeout_s: float) -> LongpollReply:
        """The next event of `category` newer than `since_ms` (or, without it, published after
        this call), or the timeout reply after `timeout_s`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        since = self._last_ts if since_ms is None else since_ms
        while True:
            event = self._store.first_event_after(category, since)
            if event is not None:
                return LongpollReply(longpoll_event_reply(event.ts_ms, category, event.data), event)
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing.is_set():
                return LongpollReply(timeout_reply(self._issue_ts()), None)
            signal = self._signals.setdefault(category, asyncio.Event())
            closing = asyncio.ensure_future(self._closing.wait())
            woken = asyncio.ensure_future(signal.wait())
            try:
                await asyncio.wait(
                    {closing, woken}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                closing.cancel()
                woken.cancel()

    def close(self) -> None:
        """Answer every waiting long poll now (with a timeout reply) so shutdown is quick."""
        self._closing.set()

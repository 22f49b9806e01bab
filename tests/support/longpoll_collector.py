"""A plain long-poll consumer for tests: records every reply that carries an event, resumes
with `since_time` across engine restarts, and never de-duplicates (so tests can prove the
engine sends each play exactly once).

    with LongpollCollector(engine.base_url, category) as events:
        ...
        events.wait_for(lambda evs: len(evs.matches()) >= 2, timeout=60)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx


class LongpollCollector:
    def __init__(self, base_url: str, category: str, *, poll_timeout: int = 5) -> None:
        self.base_url = base_url
        self.category = category
        self.poll_timeout = poll_timeout
        self.events: list[dict] = []
        self.arrived: list[float] = []  # wall time each event arrived (time.time())
        self.errors = 0
        self.since: int | None = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LongpollCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(self.poll_timeout + 5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.poll_timeout + 10) as client:
            while not self._stop.is_set():
                params = {"category": self.category, "timeout": self.poll_timeout}
                if self.since is not None:
                    params["since_time"] = self.since
                try:
                    body = client.get(self.base_url + "/longpoll/", params=params).json()
                except (httpx.HTTPError, ValueError):
                    self.errors += 1  # the engine is down or restarting: try again
                    self._stop.wait(0.2)
                    continue
                if "timestamp" in body:
                    self.since = body["timestamp"]
                if "result" in body or "notification" in body:
                    with self._lock:
                        self.events.append(body)
                        self.arrived.append(time.time())

    def matches(self) -> list[dict]:
        with self._lock:
            return [e["result"] for e in self.events if "result" in e]

    def notifications(self) -> list[dict]:
        with self._lock:
            return [e["notification"] for e in self.events if "notification" in e]

    def wait_for(self, condition: Callable[[LongpollCollector], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self):
                return True
            time.sleep(0.1)
        return condition(self)

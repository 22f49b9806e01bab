"""Is the recognition backend there right now? Cheap checks, repeated, so the status bar shows
what was last seen and never what was last assumed. No Qt.

- An engine (ours on loopback, or a radiowatch engine elsewhere) answers `GET /health/` with
  `{"status": "ok", ...}` without a token (docs/protocols/audd.md, "Beyond AudD"): anything
  else, or no answer within the timeout, means it is not serving.
- The AudD cloud has no health route, and a real request would cost the user's quota, so it
  only has to answer HTTP at all: any status counts as reachable, a connection error or a
  timeout does not.

`HealthWatch` runs one of these probes every `interval` seconds on the running loop and tells
its listener when the answer changes (and once for the first answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import httpx

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0

# None means healthy; otherwise a short reason in words ("connection refused", "HTTP 502").
Probe = Callable[[httpx.AsyncClient], Awaitable[str | None]]


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return type(exc).__name__


def engine_probe(base_url: str) -> Probe:
    """A radiowatch engine serves: `GET /health/` answers 200 with status ok."""
    url = base_url.rstrip("/") + "/health/"

    async def probe(http: httpx.AsyncClient) -> str | None:
        try:
            response = await http.get(url)
        except httpx.HTTPError as exc:
            return _reason(exc)
        if response.status_code != 200:
            return f"HTTP {response.status_code} from /health/"
        try:
            status = response.json().get("status")
        except ValueError:
            status = None
        return None if status == "ok" else "/health/ does not say ok"

    return probe


def reachability_probe(base_url: str) -> Probe:
    """A service we may not spend requests on (the AudD cloud) answers HTTP at all."""
    url = base_url.rstrip("/") + "/health/"

    async def probe(http: httpx.AsyncClient) -> str | None:
        try:
            await http.get(url)
        except httpx.HTTPError as exc:
            return _reason(exc)
        return None

    return probe


async def probe_once(probe: Probe, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Run `probe` once with a client of its own (for callers that check only now and then)."""
    async with httpx.AsyncClient(timeout=timeout) as http:
        return await probe(http)


class HealthWatch:
    """Runs `probe` now and every `interval` seconds; `on_change(problem)` with None (healthy) or
    the reason, on the first answer and whenever it changes. `on_check` sees every answer."""

    def __init__(
        self,
        probe: Probe,
        *,
        interval: float,
        on_change: Callable[[str | None], object] | None = None,
        on_check: Callable[[str | None], object] | None = None,
        timeout: float = PROBE_TIMEOUT,
        name: str = "health-watch",
    ) -> None:
        self._probe = probe
        self.interval = interval
        self._on_change = on_change
        self._on_check = on_check
        self._timeout = timeout
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self.checked = False
        self.problem: str | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout) as http:
            while True:
                problem = await self._probe(http)
                changed = not self.checked or problem != self.problem
                self.checked, self.problem = True, problem
                if self._on_check is not None:
                    self._on_check(problem)
                if changed and self._on_change is not None:
                    self._on_change(problem)
                await asyncio.sleep(self.interval)

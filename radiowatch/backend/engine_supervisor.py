"""Keeps the local engine running: notices when its process ends, starts a new one on the same
data folder and token, and gives up with a clear message when it keeps crashing. No Qt.

Why here and like this: the engine is a child process, and a child can die (a crash in native
code, the OOM killer, a `kill -9`). Until this existed the app went on long-polling a dead port
and every song that aired was lost until the user restarted the app. So:

- The exit is seen from the process itself (`EngineLauncher.wait()`, which asyncio's child
  watcher resolves within milliseconds), not inferred from failed polls.
- A new engine starts on the same data folder and token after a short, growing delay
  (`RestartPolicy`: 1 s, 2 s, 4 s, ... capped). It restores its streams, its long-poll event
  log and its plays in progress from `engine.sqlite3` (docs/architecture.md, "Data that must
  never be lost"), and it listens on a new port: whoever talks to it takes the new base URL
  from `came_back` (the backend session hands a new client to the tabs and the monitoring,
  whose long polls resume from their saved `since_time`).
- If it ends `max_crashes` times within `window_s` (a failed restart counts), restarting again
  would only hide the problem: the supervisor stops and says so with the engine's last log
  lines, where its log is, and what to do (`EngineFailure.message`). Tokens never appear.
- The process being alive is not enough: `/health/` is asked every few seconds. An engine
  that stays alive without answering for `hang_after_s` is killed, which the exit watch then
  treats as any other crash.

Everything the supervisor sees goes out through plain signals, for the session (which maps it
to the status bar) and for anyone who needs the outage's times (coverage of the history).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from radiowatch.backend.engine_launcher import EngineLauncher, EngineStartError
from radiowatch.backend.health import HealthWatch, engine_probe
from radiowatch.config.redaction import redact, register_secret
from radiowatch.signals import Signal

log = logging.getLogger(__name__)

LOG_LINES_SHOWN = 12


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_crashes: int = 3  # this many ends within window_s: stop restarting
    window_s: float = 300.0
    start_timeout_s: float = 90.0
    stop_timeout_s: float = 10.0
    health_interval_s: float = 5.0
    hang_after_s: float = 60.0  # alive but not answering /health/ for this long: kill it


class CrashHistory:
    """When the engine ended, and so how long to wait before the next start (or to give up)."""

    def __init__(self, policy: RestartPolicy) -> None:
        self.policy = policy
        self._ends: list[float] = []

    def record(self, now: float) -> float | None:
        """One more end at `now` (monotonic seconds): the delay before restarting, or None
        when it ended `max_crashes` times within the window."""
        self._ends = [t for t in self._ends if now - t < self.policy.window_s]
        self._ends.append(now)
        count = len(self._ends)
        if count >= self.policy.max_crashes:
            return None
        return min(self.policy.max_delay_s, self.policy.first_delay_s * 2 ** (count - 1))

    @property
    def recent(self) -> int:
        return len(self._ends)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "did not start"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit code {code}"


@dataclass(frozen=True)
class EngineOutage:
    """The engine was down from `down_at` (its exit seen) to `up_at` (a new one answering)."""

    down_at: datetime
    exit_code: int | None
    up_at: datetime | None = None
    base_url: str | None = None  # the new engine's, once it is up

    @property
    def seconds(self) -> float | None:
        return None if self.up_at is None else (self.up_at - self.down_at).total_seconds()


@dataclass(frozen=True)
class EngineFailure:
    """The supervisor gave up; `message` is for the user, `log_tail` already redacted."""

    crashes: int
    window_s: float
    exit_code: int | None
    log_tail: str
    log_path: Path | None
    down_at: datetime

    @property
    def message(self) -> str:
        minutes = max(1, round(self.window_s / 60))
        lines = [
            f"The local engine stopped {self.crashes} times within {minutes} minutes "
            f"(last: {describe_exit(self.exit_code)}), so radiowatch stopped restarting it. "
            "Monitoring and recognition are off until it runs again.",
            "",
        ]
        if self.log_tail.strip():
            lines += ["Its last log lines:", *("  " + line for line in self.log_tail.splitlines())]
        else:
            lines.append("It wrote nothing to its log before it stopped.")
        lines.append("")
        if self.log_path is not None:
            lines += [f"The full log is {self.log_path}.", ""]
        lines.append(
            "What to do: look at the end of the log for the cause (a full disk, a damaged file "
            "in the engine's data folder, too little memory), fix it, then choose Restart "
            "engine. Plays the engine had already detected are fetched once it is back. "
            "Meanwhile you can switch to the AudD cloud in Settings."
        )
        return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(UTC)


class EngineSupervisor:
    """Owns the running engine: `await start()`, then it restarts by itself; `await stop()`.

    `make_launcher()` builds a fresh, unstarted `EngineLauncher` (same data folder, token and log
    file each time). Signals, all emitted on the loop that called `start()`:
    - `state_changed(state, detail)`: state is "starting", "running", "not_answering",
      "restarting", "failed" or "stopped";
    - `went_down(EngineOutage)` when the process ended unexpectedly (up_at is None);
    - `came_back(EngineOutage)` when a new engine answers (up_at and base_url set);
    - `gave_up(EngineFailure)` when it stops restarting.
    """

    def __init__(
        self,
        make_launcher: Callable[[], EngineLauncher],
        *,
        policy: RestartPolicy | None = None,
        token: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make_launcher = make_launcher
        self.policy = policy or RestartPolicy()
        self._token = token
        register_secret(token)
        self._clock = clock
        self.crashes = CrashHistory(self.policy)
        self.launcher: EngineLauncher | None = None
        self.state = "stopped"
        self.detail = ""
        self.failure: EngineFailure | None = None
        self.outages: list[EngineOutage] = []  # every outage of this run, oldest first
        self._task: asyncio.Task[None] | None = None
        self._health: HealthWatch | None = None
        self._silent_since: float | None = None
        self._hung = False
        self._stopping = False
        self.state_changed: Signal[[str, str]] = Signal("state_changed")
        self.went_down: Signal[[EngineOutage]] = Signal("went_down")
        self.came_back: Signal[[EngineOutage]] = Signal("came_back")
        self.gave_up: Signal[[EngineFailure]] = Signal("gave_up")

    @property
    def base_url(self) -> str | None:
        return self.launcher.base_url if self.launcher is not None else None

    @property
    def running(self) -> bool:
        return self.launcher is not None and self.launcher.running

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> str:
        """Start the engine and watch it; raises EngineStartError if the first start fails
        (nothing to restart yet: the caller shows why)."""
        self._stopping = False
        self.failure = None
        self._set_state("starting", "Starting the local engine…")
        launcher = self._make_launcher()
        await self._start(launcher)
        self.launcher = launcher
        self._running(launcher, "")
        self._task = asyncio.get_running_loop().create_task(
            self._supervise(), name="engine-supervisor"
        )
        assert launcher.base_url is not None
        return launcher.base_url

    async def stop(self) -> int | None:
        """Stop watching and stop the engine (it saves its state); its exit code."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._stop_health()
        launcher = self.launcher
        code = await launcher.stop(self.policy.stop_timeout_s) if launcher is not None else None
        self._set_state("stopped", "The local engine is stopped.")
        return code

    # -- watching -------------------------------------------------------------------------------
    async def _supervise(self) -> None:
        while True:
            launcher = self.launcher
            assert launcher is not None
            code = await launcher.wait()
            if self._stopping:
                return
            outage = EngineOutage(down_at=_now(), exit_code=code)
            self.outages.append(outage)
            hung, self._hung = self._hung, False
            why = "it stopped answering" if hung else describe_exit(code)
            log.warning("the local engine ended (%s); pid was %s", why, launcher.pid)
            self._set_state("restarting", f"The local engine ended: {why}.")
            self.went_down.emit(outage)
            await self._stop_health()
            await launcher.stop(self.policy.stop_timeout_s)  # drains its log pumps
            new = await self._restart(outage, launcher, why)
            if new is None:
                return
            self.launcher = new
            back = replace(outage, up_at=_now(), base_url=new.base_url)
            self.outages[-1] = back
            log.info("a new local engine answers at %s (%.1f s down)", new.base_url, back.seconds)
            self._running(new, f"restarted (the previous one ended: {why})")
            self.came_back.emit(back)

    async def _restart(
        self, outage: EngineOutage, last: EngineLauncher, why: str
    ) -> EngineLauncher | None:
        """Start new engines with backoff until one answers, or give up (None)."""
        code = outage.exit_code
        while True:
            delay = self.crashes.record(self._clock())
            if delay is None:
                self._give_up(outage, last, code)
                return None
            ended = f"The local engine ended: {why}."
            self._set_state("restarting", f"{ended} Starting it again in {delay:g} s…")
            await asyncio.sleep(delay)
            self._set_state("restarting", f"{ended} Starting it again…")
            launcher = self._make_launcher()
            try:
                await self._start(launcher)
                return launcher
            except EngineStartError as exc:
                log.warning("the local engine did not start again: %s", self._redacted(str(exc)))
                last, code = launcher, launcher.returncode
                why = f"a new one did not start ({describe_exit(code)})"

    async def _start(self, launcher: EngineLauncher) -> None:
        try:
            await launcher.start(timeout=self.policy.start_timeout_s)
        except asyncio.CancelledError:
            # Stopped while it starts: never leave an orphan engine behind.
            await asyncio.shield(launcher.stop(self.policy.stop_timeout_s))
            raise

    def _give_up(self, outage: EngineOutage, last: EngineLauncher, code: int | None) -> None:
        tail = self._redacted(last.stderr_tail(LOG_LINES_SHOWN))
        failure = EngineFailure(
            crashes=self.crashes.recent,
            window_s=self.policy.window_s,
            exit_code=code,
            log_tail=tail,
            log_path=last.log_path,
            down_at=outage.down_at,
        )
        self.failure = failure
        log.error("the local engine keeps ending; not restarting it again")
        self._set_state("failed", failure.message)
        self.gave_up.emit(failure)

    def _redacted(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "***")
        return redact(text)

    # -- health ---------------------------------------------------------------------------------
    def _running(self, launcher: EngineLauncher, note: str) -> None:
        self._silent_since = None
        detail = f"Local engine at {launcher.base_url}" + (f"; {note}" if note else "")
        self._set_state("running", detail)
        assert launcher.base_url is not None
        self._health = HealthWatch(
            engine_probe(launcher.base_url),
            interval=self.policy.health_interval_s,
            on_check=lambda problem: self._on_health(launcher, problem, detail),
            name="engine-health",
        )
        self._health.start()

    def _on_health(self, launcher: EngineLauncher, problem: str | None, detail: str) -> None:
        if launcher is not self.launcher or not launcher.running or self._stopping:
            return  # its exit is being handled by _supervise
        if problem is None:
            self._silent_since = None
            self._set_state("running", detail)
            return
        now = self._clock()
        if self._silent_since is None:
            self._silent_since = now
        silent = now - self._silent_since
        self._set_state(
            "not_answering",
            f"The local engine at {launcher.base_url} is running but does not answer ({problem}).",
        )
        if silent >= self.policy.hang_after_s and not self._hung:
            log.error("the local engine has not answered for %.0f s; stopping it", silent)
            self._hung = True
            launcher.kill()

    async def _stop_health(self) -> None:
        health, self._health = self._health, None
        if health is not None:
            await health.aclose()

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self.detail):
            return
        self.state, self.detail = state, detail
        self.state_changed.emit(state, detail)

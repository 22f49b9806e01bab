"""Start and stop the local engine as a child process from asyncio (no Qt; the GUI uses this).

    launcher = EngineLauncher(mode="demo", token=token)      # token: None = the stored one
    base_url = await launcher.start()                         # waits until /health/ answers
    ...
    await launcher.stop()                                     # terminate, wait, kill

The engine is `python -m radiowatch.engine.cli serve|demo` (in the frozen bundle, where
sys.executable is the app itself, `radiowatch --engine serve|demo`: see `engine_command`), a
separate process because fingerprinting is CPU work that must never stall the GUI's event loop.
It follows this process into death, even a SIGKILL (engine/parent_watch.py). Its first stdout
line is the base URL; its stderr (logs) is kept as a rolling tail for error messages and, with
`log_path`, appended to a file. The token travels in the environment, never on the command line
(other users can read command lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import deque
from pathlib import Path

import httpx

from radiowatch.engine.api.auth import ENV_TOKEN
from radiowatch.engine.parent_watch import parent_env

_STDERR_TAIL = 60


class EngineStartError(RuntimeError):
    """The engine did not come up; the message includes its last log lines."""


def engine_command(
    mode: str,
    *,
    host: str,
    port: int,
    data_dir: Path | None,
    python: str = sys.executable,
    frozen: bool | None = None,
) -> list[str]:
    """The engine's command line. In a frozen bundle there is no `-m`: the bundle's entry point
    (packaging/launch.py) runs the engine's command line when its first argument is `--engine`."""
    if frozen is None:
        frozen = bool(getattr(sys, "frozen", False))
    cmd = [python, "--engine"] if frozen else [python, "-m", "radiowatch.engine.cli"]
    cmd += [mode, "--host", host, "--port", str(port)]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    return cmd


class EngineLauncher:
    def __init__(
        self,
        *,
        mode: str = "serve",
        data_dir: Path | str | None = None,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | str | None = None,
        python: str = sys.executable,
        env: dict[str, str] | None = None,
    ) -> None:
        if mode not in ("serve", "demo"):
            raise ValueError("mode must be 'serve' or 'demo'")
        self.mode = mode
        self.data_dir = Path(data_dir) if data_dir else None
        self._token = token
        self.host = host
        self.port = port
        self.log_path = Path(log_path) if log_path else None
        self._python = python
        self._env = env or {}
        self.base_url: str | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._stderr_tail: deque[str] = deque(maxlen=_STDERR_TAIL)
        self._pumps: list[asyncio.Task] = []

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    def stderr_tail(self, lines: int | None = None) -> str:
        """The engine's last log lines (all that are kept, or the last `lines`)."""
        kept = list(self._stderr_tail)
        return "\n".join(kept if lines is None else kept[-lines:])

    async def wait(self) -> int | None:
        """Until the engine process exits, however it ends (a crash, a kill, `stop()`); its
        exit code, negative for a signal. None if it was never started."""
        if self._process is None:
            return None
        return await self._process.wait()

    async def start(self, timeout: float = 60.0) -> str:
        """Spawn the engine and return its base URL once it answers /health/."""
        if self.running:
            assert self.base_url is not None
            return self.base_url
        cmd = engine_command(
            self.mode, host=self.host, port=self.port, data_dir=self.data_dir, python=self._python
        )
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **parent_env(), **self._env}
        if self._token:
            env[ENV_TOKEN] = self._token
        self._process = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        self._pumps = [asyncio.ensure_future(self._pump_stderr())]
        try:
            self.base_url = await asyncio.wait_for(self._first_line(), timeout)
            await self.wait_healthy(timeout)
        except (TimeoutError, EngineStartError) as exc:
            await self.stop()
            raise EngineStartError(
                f"the local engine did not start ({exc or 'timed out'}).\n{self.stderr_tail()}"
            ) from None
        self._pumps.append(asyncio.ensure_future(self._drain_stdout()))
        return self.base_url

    async def _first_line(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        line = (await self._process.stdout.readline()).decode(errors="replace").strip()
        if not line.startswith("http"):
            await self._process.wait()
            raise EngineStartError(f"exit code {self._process.returncode}")
        return line

    async def wait_healthy(self, timeout: float = 30.0) -> None:
        assert self.base_url is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.base_url + "/health/")).status_code == 200:
                        return
                if not self.running:
                    raise EngineStartError(f"exit code {self.returncode}")
                if loop.time() > deadline:
                    raise EngineStartError("no answer from /health/")
                await asyncio.sleep(0.1)

    async def _drain_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while await self._process.stdout.readline():
            pass

    async def _pump_stderr(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        log = open(self.log_path, "a", encoding="utf-8") if self.log_path else None  # noqa: SIM115
        try:
            while line := await self._process.stderr.readline():
                text = line.decode(errors="replace").rstrip()
                self._stderr_tail.append(text)
                if log is not None:
                    log.write(text + "\n")
                    log.flush()
        finally:
            if log is not None:
                log.close()

    def kill(self) -> None:
        """SIGKILL, for an engine that no longer answers (a clean stop would wait on it)."""
        if self._process is not None and self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()

    async def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate (the engine saves its state and answers long polls), wait, then kill."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        for pump in self._pumps:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(pump, 2)
        self._pumps = []
        return process.returncode if process else None

    async def __aenter__(self) -> EngineLauncher:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

"""Start a real `radiowatch-engine` process for tests (any engineer's tests may use this).

    from tests.support.engine_process import EngineProcess, running_engine

    with running_engine(tmp_path / "engine", token="t0ken") as engine:
        httpx.post(engine.base_url + "/", data={"api_token": engine.token, ...})

    # or as a fixture
    @pytest.fixture
    def engine(tmp_path):
        with running_engine(tmp_path / "engine") as e:
            yield e

The process is `python -m radiowatch.engine.cli serve|demo --port P --data-dir D`, with the token
passed through RADIOWATCH_ENGINE_TOKEN (never argv). Its first stdout line is the base URL;
stderr goes to `<data dir>/../engine-<n>.stderr.log` for post-mortems (`engine.stderr_text()`).
`settings` are written to `<data dir>/engine-settings.json` (see engine_runtime.EngineSettings),
e.g. `{"window_s": 4, "hop_s": 2}` for fast stream tests. `kill()` is SIGKILL (a crash);
`restart()` starts again on the same port and data dir. The engine stops by itself when the
process that started it dies (RADIOWATCH_ENGINE_PARENT_PID), so a killed test run leaks none.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from radiowatch.engine.parent_watch import parent_env

DEFAULT_TOKEN = "test-engine-token"
_counter = itertools.count(1)


class EngineStartError(RuntimeError):
    pass


class EngineProcess:
    def __init__(
        self,
        data_dir: Path,
        *,
        token: str = DEFAULT_TOKEN,
        mode: str = "serve",
        port: int = 0,
        settings: dict | None = None,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.token = token
        self.mode = mode
        self.port = port
        self.host = host
        self.settings = settings
        self.env = env or {}
        self.base_url = ""
        self.process: subprocess.Popen | None = None
        self._stderr_path: Path | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> EngineProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.settings is not None:
            (self.data_dir / "engine-settings.json").write_text(json.dumps(self.settings))
        self._stderr_path = self.data_dir.parent / f"engine-{next(_counter)}.stderr.log"
        env = {
            **os.environ,
            "RADIOWATCH_ENGINE_TOKEN": self.token,
            "PYTHONUNBUFFERED": "1",
            **parent_env(),
            **self.env,
        }
        cmd = [
            sys.executable,
            "-m",
            "radiowatch.engine.cli",
            self.mode,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        with open(self._stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, env=env
            )
        self.base_url = self._read_url(timeout)
        self.port = int(self.base_url.rsplit(":", 1)[1])
        return self

    def _read_url(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        stdout = self.process.stdout

        def pump() -> None:  # keep draining so the engine never blocks on a full pipe
            for line in iter(stdout.readline, b""):
                lines.put(line)
            lines.put(b"")

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=timeout).decode().strip()
        except queue.Empty:
            self.stop()
            raise EngineStartError(
                f"engine printed no URL in {timeout} s:\n{self.stderr_text()}"
            ) from None
        if not first.startswith("http"):
            self.stop()
            raise EngineStartError(f"engine failed to start ({first!r}):\n{self.stderr_text()}")
        return first

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, wait, then SIGKILL if it does not stop."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: the engine gets no chance to clean up, like a crash or power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def restart(self, timeout: float = 60.0) -> EngineProcess:
        """Start again with the same data dir and port (clients keep their base URL)."""
        self.stop()
        for _ in range(50):
            try:
                return self.start(timeout)
            except EngineStartError as exc:
                if "cannot listen" not in str(exc):
                    raise
                time.sleep(0.1)
        return self.start(timeout)

    def stderr_text(self) -> str:
        if self._stderr_path and self._stderr_path.exists():
            return self._stderr_path.read_text(errors="replace")
        return ""

    # -- convenience -----------------------------------------------------------------------------
    def api(self, method: str, timeout: float = 30.0, **params) -> dict:
        """POST an AudD method (`""` is recognize) with the token; returns the JSON body."""
        path = f"/{method}/" if method else "/"
        data = {k: str(v) for k, v in params.items()}
        data.setdefault("api_token", self.token)
        response = httpx.post(self.base_url + path, data=data, timeout=timeout)
        return response.json()

    def upload(self, audio_id: int, audio: bytes, filename: str = "song.wav", **fields) -> dict:
        """Add a song to the engine's catalog through /upload/ (title=, artist=... optional)."""
        data = {
            "api_token": self.token,
            "audio_id": str(audio_id),
            **{k: str(v) for k, v in fields.items()},
        }
        response = httpx.post(
            self.base_url + "/upload/",
            data=data,
            timeout=120,
            files={"file": (filename, audio, "application/octet-stream")},
        )
        return response.json()

    def wait_healthy(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/health/", timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise EngineStartError(f"engine not healthy:\n{self.stderr_text()}")
            time.sleep(0.1)

    def __enter__(self) -> EngineProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def open_play_title(data_dir: Path, radio_id: int) -> str | None:
    """The title of the play an engine has in progress on `radio_id`, read from its state file
    (what a restarted engine resumes): None before the engine is sure of a play."""
    db = sqlite3.connect(f"file:{Path(data_dir) / 'engine.sqlite3'}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT state FROM open_plays WHERE radio_id=?", (radio_id,)).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return None
    finally:
        db.close()
    return json.loads(row[0])["song"].get("title") if row else None


@contextlib.contextmanager
def running_engine(data_dir: Path, **kwargs) -> Iterator[EngineProcess]:
    engine = EngineProcess(data_dir, **kwargs).start()
    try:
        yield engine
    finally:
        engine.stop()

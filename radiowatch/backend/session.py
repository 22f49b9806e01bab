"""The active recognition backend: an `AudDClient` for the tabs, and the local engine child.

The GUI always speaks the AudD protocol; only where it points changes with the settings:
- "local": radiowatch starts its own engine as a child process on 127.0.0.1 (`demo` mode while
  the demo station is wanted, else `serve`) and stops it at shutdown. In a frozen bundle the
  child is the same executable in its engine role (`radiowatch --engine ...`).
- "audd": the AudD cloud with the token from $AUDD_API_TOKEN or the token store.
- "remote_engine": a radiowatch engine elsewhere, with the stored engine token.

No Qt here: the app turns `on_state` calls into the status bar and tabs ask `client_provider()`.
The engine child is started by backend/engine_launcher.py (the token travels in the environment,
never on the command line; its stderr goes to `logs/engine.log`) and kept running by
backend/engine_supervisor.py: when it ends, a new one starts on the same data and token, and
`engine_up` hands its client on (the port changes). The state shown is always one checked: the
local engine's process and `/health/`, a remote engine's `/health/`, the AudD cloud answering
HTTP at all (backend/health.py), each re-checked on a timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from radiowatch.audd import AudDClient, AudDError
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.backend.engine_launcher import EngineLauncher, EngineStartError
from radiowatch.backend.engine_supervisor import (
    EngineFailure,
    EngineOutage,
    EngineSupervisor,
    RestartPolicy,
)
from radiowatch.backend.health import HealthWatch, Probe, engine_probe, reachability_probe
from radiowatch.config.paths import ProfileDirs
from radiowatch.config.secrets import (
    ENGINE_TOKEN,
    TokenStore,
    TokenStoreError,
    resolve_audd_token,
)
from radiowatch.config.settings import Settings
from radiowatch.signals import Signal

log = logging.getLogger(__name__)

ENGINE_START_TIMEOUT = 90.0
ENGINE_STOP_TIMEOUT = 10.0
# A remote engine or the AudD cloud is asked this often whether it still answers (one small
# GET; the local engine is watched more closely by its supervisor).
REACHABILITY_INTERVAL = 30.0
DEMO_RADIO_ID = (
    990001  # radiowatch.engine.demo.startup.DEMO_RADIO_ID (not imported: keeps numpy out)
)
DEMO_STATION_NAME = "radiowatch demo FM"

StateListener = Callable[[str, str], None]

# What the supervisor's state means on the status bar (ui/shell/status_bar.py's states).
_ENGINE_STATES = {
    "starting": "connecting",
    "running": "connected",
    "not_answering": "error",
    "restarting": "restarting",
    "failed": "failed",
    "stopped": "offline",
}


def engine_argv(*args: str) -> list[str]:
    """`radiowatch-engine ARGS`: the bundle's own executable when frozen, else this Python.

    (The engine server itself is started by backend/engine_launcher.py as `python -m
    radiowatch.engine.cli ...`; the frozen entry, packaging/launch.py, accepts that form too.)"""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--engine", *args]
    return [sys.executable, "-m", "radiowatch.engine.cli", *args]


def engine_command(
    mode: str, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0
) -> list[str]:
    """The engine server child's argv (`serve` or `demo`)."""
    return engine_argv(mode, "--host", host, "--port", str(port), "--data-dir", str(data_dir))


async def index_catalog_folder(folder: Path, data_dir: Path, log_path: Path) -> int:
    """Fingerprint a folder into the engine's catalog (`catalog add`), before the server runs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as err:
        process = await asyncio.create_subprocess_exec(
            *engine_argv("catalog", "--data-dir", str(data_dir), "add", str(folder)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=err,
            stderr=err,
        )
        try:
            return await process.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            raise


class BackendSession:
    """Owns the current backend: `start()`, `client_provider()`, `aclose()`; restart on change.

    Signals (plain Python, emitted on the loop that ran `start()`), for the local engine:
    `engine_down(EngineOutage)` the moment its process ended; `engine_up(EngineOutage)` once a
    new one answers and `client` points at it (the outage then has both times);
    `engine_failed(EngineFailure)` when it kept crashing and is no longer restarted.
    """

    def __init__(
        self,
        dirs: ProfileDirs,
        settings: Settings,
        tokens: TokenStore,
        *,
        on_state: StateListener | None = None,
        cloud_url: str | None = None,
        restart_policy: RestartPolicy | None = None,
        check_interval: float = REACHABILITY_INTERVAL,
    ) -> None:
        self.dirs = dirs
        self.cloud_url = cloud_url  # tests point "the AudD cloud" at a loopback fake
        self.settings = settings
        self.tokens = tokens
        self.on_state = on_state
        self.kind = settings.backend
        self.client: AudDClient | None = None
        self.supervisor: EngineSupervisor | None = None
        self.reason = "The recognition backend has not started yet."
        self.state = "offline"
        self.detail = ""
        self.started = False
        self.catalog_indexed: str | None = None  # set once a first-run folder is indexed
        self._catalog = None  # engine CatalogClient, made on first use
        self._cloud: AudDClient | None = None  # AudD cloud client for catalog pushes
        self._restart_policy = restart_policy or RestartPolicy(
            start_timeout_s=ENGINE_START_TIMEOUT, stop_timeout_s=ENGINE_STOP_TIMEOUT
        )
        self._check_interval = check_interval
        self._watch: HealthWatch | None = None
        self._engine_token: str | None = None
        self._retiring: set[asyncio.Task] = set()  # clients of a dead engine being closed
        self._closing = False
        self.engine_down: Signal[[EngineOutage]] = Signal("engine_down")
        self.engine_up: Signal[[EngineOutage]] = Signal("engine_up")
        self.engine_failed: Signal[[EngineFailure]] = Signal("engine_failed")

    @property
    def engine_failure(self) -> EngineFailure | None:
        """Why the local engine is no longer restarted, while that is so."""
        if self.supervisor is None or self.state != "failed":
            return None
        return self.supervisor.failure

    @property
    def engine(self) -> EngineLauncher | None:
        """The local engine child running now (a new one after each restart), or None."""
        return self.supervisor.launcher if self.supervisor is not None else None

    # -- what the tabs use ----------------------------------------------------------------------
    def client_provider(self) -> AudDClient | None:
        """The live client, or None (then `reason` says why, in words for the user)."""
        return self.client

    def catalog_client(self):
        """The engine's catalog API (local or remote engine), or None (no engine running)."""
        if self.client is None or self.kind == "audd":
            return None
        if self._catalog is None:
            from radiowatch.backend.catalog_client import CatalogClient

            self._catalog = CatalogClient(str(self.client.base_url), self.client.api_token())
        return self._catalog

    def cloud_client(self) -> AudDClient | None:
        """An AudD cloud client when a token is known (whatever the monitoring backend)."""
        if self.kind == "audd":
            return self.client
        if self._cloud is None and resolve_audd_token(None, self.tokens):
            options = {"base_url": self.cloud_url} if self.cloud_url else {}
            self._cloud = AudDClient(
                token_provider=lambda: resolve_audd_token(None, self.tokens), **options
            )
        return self._cloud

    @property
    def state_key(self) -> str:
        """Names the account/clock whose stream state (resume points) is kept apart."""
        if self.kind == "remote_engine":
            return f"remote:{self.settings.remote_engine_url}"
        return self.kind

    @property
    def timestamp_tz(self) -> tzinfo:
        """The zone of event times: UTC+3 on every backend (radiowatch's engine writes its
        event times the way AudD's callbacks do, docs/protocols/audd.md §6.1)."""
        return AUDD_CALLBACK_TZ

    @property
    def runs_demo(self) -> bool:
        return self.kind == "local" and self.settings.engine_demo

    # -- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> AudDClient | None:
        self.started = True
        try:
            if self.kind == "local":
                await self._start_local()
            elif self.kind == "audd":
                self._start_cloud()
            else:
                self._start_remote()
        except (EngineStartError, TokenStoreError) as exc:
            self._set_state("error", str(exc))
        return self.client

    async def aclose(self) -> None:
        self._closing = True  # what the stopping engine reports now is no news for anyone
        client, supervisor, watch = self.client, self.supervisor, self._watch
        self.client, self._watch = None, None
        if watch is not None:
            await watch.aclose()
        for extra in (self._catalog, self._cloud):
            if extra is not None:
                with contextlib.suppress(Exception):
                    await extra.aclose()
        self._catalog, self._cloud = None, None
        if client is not None:
            await client.aclose()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        if supervisor is not None:
            code = await supervisor.stop()
            log.info("local engine stopped (exit code %s)", code)
        self.reason = "The recognition backend is stopped."

    async def demo_stream_url(self, timeout: float = ENGINE_START_TIMEOUT) -> str | None:
        """The demo station's stream URL once the demo engine has registered it (it changes
        each run: the demo station listens on a free port)."""
        if not self.runs_demo or self.client is None:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and self.client is not None:
            with contextlib.suppress(AudDError):
                for stream in await self.client.streams.list():
                    if stream.radio_id == DEMO_RADIO_ID and stream.url:
                        return stream.url
            await asyncio.sleep(0.5)
        return None

    # -- backends -------------------------------------------------------------------------------
    async def _start_local(self) -> None:
        token = self.engine_token()
        mode = "demo" if self.settings.engine_demo else "serve"
        folder = self.settings.catalog_folder
        if folder and self.settings.extras.get("catalog_indexed") != folder:
            self._set_state("connecting", f"Adding {folder} to your catalog…")
            code = await index_catalog_folder(
                Path(folder), self.dirs.engine_data, self.dirs.logs / "engine.log"
            )
            if code != 0:
                log.warning("indexing %s failed (exit %s); see the engine log", folder, code)
            self.catalog_indexed = folder
        self._set_state("connecting", f"Starting the local engine ({mode})…")
        self._engine_token = token
        supervisor = EngineSupervisor(
            lambda: EngineLauncher(
                mode=mode,
                data_dir=self.dirs.engine_data,
                token=token,
                log_path=self.dirs.logs / "engine.log",
            ),
            policy=self._restart_policy,
            token=token,
        )
        self.supervisor = supervisor
        try:
            base_url = await supervisor.start()
        except EngineStartError:
            self.supervisor = None
            raise
        self.client = AudDClient(token, base_url=base_url, backoff_factor=0.2)
        log.info("local engine (%s) listening at %s", mode, base_url)
        supervisor.state_changed.connect(self._engine_state)
        supervisor.went_down.connect(self._engine_went_down)
        supervisor.came_back.connect(self._engine_came_back)
        supervisor.gave_up.connect(self._engine_gave_up)
        self._engine_state(supervisor.state, supervisor.detail)

    def _engine_state(self, state: str, detail: str) -> None:
        if self._closing:
            return
        self._set_state(_ENGINE_STATES[state], detail)

    def _engine_went_down(self, outage: EngineOutage) -> None:
        """The tabs get no client while there is no engine: they say why instead of failing
        on a dead port."""
        self._retire_client()
        self.reason = "The local engine stopped; radiowatch is starting it again."
        self.engine_down.emit(outage)

    def _engine_came_back(self, outage: EngineOutage) -> None:
        self._retire_client()
        assert outage.base_url is not None
        self.client = AudDClient(self._engine_token, base_url=outage.base_url, backoff_factor=0.2)
        self.engine_up.emit(outage)

    def _engine_gave_up(self, failure: EngineFailure) -> None:
        self.reason = (
            "The local engine kept crashing and was not restarted; the status bar says why."
        )
        self.engine_failed.emit(failure)

    def _retire_client(self) -> None:
        old, catalog = self.client, self._catalog
        self.client, self._catalog = None, None
        for closable in (old, catalog):
            if closable is not None:
                task = asyncio.get_running_loop().create_task(closable.aclose())
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)

    def _start_cloud(self) -> None:
        token = resolve_audd_token(None, self.tokens)
        if not token:
            self.reason = "Add your AudD API token in File → Accounts & tokens."
            self._set_state("needs_token", self.reason)
            return
        options = {"base_url": self.cloud_url} if self.cloud_url else {}
        self.client = AudDClient(
            token_provider=lambda: resolve_audd_token(None, self.tokens), **options
        )
        self._watch_reachability(reachability_probe(self.client.base_url), "the AudD cloud")

    def _start_remote(self) -> None:
        url = self.settings.remote_engine_url
        if not url:
            self.reason = "Set the remote engine's URL in Settings."
            self._set_state("error", self.reason)
            return
        token = self.tokens.get(ENGINE_TOKEN)
        if not token:
            self.reason = (
                "Enter the remote engine's token (engine token) in File → Accounts & tokens."
            )
            self._set_state("needs_token", self.reason)
            return
        self.client = AudDClient(token, base_url=url)
        self._watch_reachability(engine_probe(url), f"the remote engine at {url}")

    def _watch_reachability(self, probe: Probe, where: str) -> None:
        """Show "connecting" until the first answer, then what each check found."""
        every = f"checked every {self._check_interval:.0f} s"

        def changed(problem: str | None) -> None:
            if problem is None:
                self._set_state("connected", f"{where[0].upper()}{where[1:]} answers ({every}).")
            else:
                self._set_state(
                    "error",
                    f"Cannot reach {where}: {problem}. Monitoring keeps retrying; {every}.",
                )

        self._set_state("connecting", f"Checking {where}…")
        self._watch = HealthWatch(
            probe, interval=self._check_interval, on_change=changed, name="backend-reachability"
        )
        self._watch.start()

    def engine_token(self) -> str:
        """The per-install token the local engine accepts, generated on first use."""
        token = self.tokens.get(ENGINE_TOKEN)
        if not token:
            token = secrets.token_urlsafe(24)
            self.tokens.set(ENGINE_TOKEN, token)
        return token

    def _set_state(self, state: str, detail: str) -> None:
        self.state, self.detail = state, detail
        if state in ("error", "needs_token") and self.client is None:
            self.reason = detail
        if self.on_state is not None:
            self.on_state(state, detail)

"""`radiowatch-engine serve` and `radiowatch-engine demo`: run the AudD-compatible server.

Contract with launchers (backend/engine_launcher.py, tests/support/engine_process.py): the FIRST line on
stdout is the base URL the server listens on (`http://127.0.0.1:PORT`), printed and flushed only
once the port accepts connections. Logs go to stderr. SIGTERM/SIGINT stop it cleanly: waiting
long polls are answered at once, plays in progress are saved to resume after a restart. A
launcher that sets RADIOWATCH_ENGINE_PARENT_PID gets the same clean stop when it dies, even by
SIGKILL (engine/parent_watch.py).

The port is bound before uvicorn starts (`--port 0` picks a free one), so the printed URL is
always the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvicorn

from radiowatch.engine.api.auth import resolve_engine_token
from radiowatch.engine.api.request import MB
from radiowatch.engine.api.server import create_app
from radiowatch.engine.parent_watch import take_parent_pid, watch_parent
from radiowatch.engine.runtime import EngineRuntime

log = logging.getLogger(__name__)

# Extra work started once the server listens (the demo's catalog, station and stream).
Companion = Callable[[EngineRuntime, str], Awaitable[None]]


def default_data_dir() -> Path:
    from radiowatch.config.paths import profile_dirs

    return profile_dirs().engine_data


def run_serve(args) -> int:
    return _run(args, companion=None)


def run_demo(args) -> int:
    from radiowatch.engine.demo.startup import start_demo

    return _run(args, companion=start_demo)


def _run(args, companion: Companion | None) -> int:
    _configure_logging()
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    token = resolve_engine_token(args.token)
    _register_secret(token)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(
            f"radiowatch-engine: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}."
            " Choose another --port (0 picks a free one).",
            file=sys.stderr,
        )
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_engine(sock, args.host, data_dir, token, companion=companion))
    return 0


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def base_url(host: str, sock: socket.socket) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server with our own signal handling: a stop first releases waiting long polls
    (uvicorn otherwise waits for in-flight requests, and a long poll can last two minutes), and
    the process then returns from serve() to save its state, instead of uvicorn re-raising the
    signal, which would kill it before the runtime could stop cleanly."""

    def __init__(self, config: uvicorn.Config, runtime: EngineRuntime) -> None:
        super().__init__(config)
        self._runtime = runtime

    @contextlib.contextmanager
    def capture_signals(self):
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self._on_signal)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    def request_stop(self) -> None:
        self._on_signal()

    def _on_signal(self) -> None:
        self._runtime.begin_shutdown()
        if self.should_exit:
            self.force_exit = True  # a second Ctrl-C: stop waiting for connections
        self.should_exit = True


async def serve_engine(
    sock: socket.socket,
    host: str,
    data_dir: Path,
    token: str,
    *,
    companion: Companion | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    runtime = EngineRuntime(data_dir, token)
    url = base_url(host, sock)
    config = uvicorn.Config(
        create_app(runtime),
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=3,
        ws_max_size=runtime.limits.recognize_file + MB,
        server_header=False,
        proxy_headers=False,
    )
    server = _Server(config, runtime)
    parent_pid = take_parent_pid()
    if parent_pid is not None:
        runtime.run_in_background(
            watch_parent(parent_pid, server.request_stop), name="parent-watch"
        )
    await runtime.start()
    try:
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started:
            (on_ready or _print_url)(url)
            if companion is not None:
                runtime.run_in_background(companion(runtime, url), name="companion")
        await serving
    finally:
        with contextlib.suppress(Exception):
            await runtime.stop()


def _print_url(url: str) -> None:
    print(url, flush=True)


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    with contextlib.suppress(ImportError):
        from radiowatch.config.logging_setup import SecretRedactingFilter

        handler.addFilter(SecretRedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _register_secret(token: str) -> None:
    with contextlib.suppress(ImportError):
        from radiowatch.config.redaction import register_secret

        register_secret(token)

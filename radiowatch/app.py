"""The composition root: builds the services and the main window, runs the loop, shuts down.

One QApplication, one qasync event loop started with `asyncio.Runner(loop_factory=...)` (the
3.11 way; `asyncio.run(loop_factory=)` is 3.12+). Every way out (Quit, closing the window when no
tray keeps the app alive, the tray's Quit, SIGINT/SIGTERM, Ctrl-C, `RADIOWATCH_EXIT_AFTER_MS`)
only *requests* shutdown; `RadiowatchApp.run` then returns through the one `shutdown()`
coroutine, which saves the layout, cancels background tasks, runs the services' closers and
closes the database. Nothing calls `app.quit()` (see ../shared/notes/qt-recipes.md, pitfall E).

Where things plug in:
- `choose_backend` is the one place the recognition backend is picked from the settings.
- `AppServices.add_closer` registers async clean-ups (engine process, HTTP clients, long-polls).
- `PANEL_FACTORIES` maps a tab key to "module:function"; `function(app)` returns the tab widget.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import sqlite_utils
from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from radiowatch import __version__
from radiowatch.config.logging_setup import configure_logging, shutdown_logging
from radiowatch.config.paths import ProfileDirs, profile_dirs
from radiowatch.config.secrets import (
    TokenStore,
    TokenStoreError,
    default_token_store,
    resolve_audd_token,
)
from radiowatch.config.settings import Settings, SettingsStore, load_settings
from radiowatch.history.database import DatabaseError, open_database
from radiowatch.stations.store import StationStore
from radiowatch.ui.artwork import app_icon, stylesheet
from radiowatch.ui.main_window import MainWindow

log = logging.getLogger(__name__)

EXIT_AFTER_ENV = "RADIOWATCH_EXIT_AFTER_MS"
CLOSER_TIMEOUT = 10.0
APP_ID = "org.radiowatch.Radiowatch"

# tab key -> "module:function"; function(app: RadiowatchApp) -> QWidget. A module that is not
# there yet leaves the tab's placeholder in place.
PANEL_FACTORIES: dict[str, str] = {}


@dataclass
class AppServices:
    """Everything Qt-free the app is made of, built once, closed once."""

    dirs: ProfileDirs
    settings: SettingsStore
    tokens: TokenStore
    db: sqlite_utils.Database
    stations: StationStore
    closers: list[tuple[str, Callable[[], Awaitable[None] | None]]] = field(default_factory=list)
    closed: bool = False

    def add_closer(self, name: str, closer: Callable[[], Awaitable[None] | None]) -> None:
        """Run `closer` at shutdown (last added, first run), before the database closes."""
        self.closers.append((name, closer))

    async def aclose(self) -> None:
        if self.closed:
            return
        for name, closer in reversed(self.closers):
            try:
                result = closer()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, CLOSER_TIMEOUT)
            except Exception:
                log.exception("shutdown step %r failed; continuing", name)
        self.closers.clear()
        self.db.conn.close()
        self.closed = True


def build_services(dirs: ProfileDirs | None = None, *, tokens: TokenStore | None = None) -> AppServices:
    """Open the profile: settings, token store, database, stations. Raises DatabaseError."""
    dirs = (dirs or profile_dirs()).ensure()
    settings = SettingsStore(dirs.settings_file)
    tokens = tokens or default_token_store(dirs)
    db = open_database(dirs.database)
    return AppServices(dirs=dirs, settings=settings, tokens=tokens, db=db,
                       stations=StationStore(db))


@dataclass(frozen=True)
class BackendChoice:
    kind: str  # "local" | "audd" | "remote_engine"
    description: str  # status-bar text
    state: str  # a BackendIndicator state
    detail: str = ""


def choose_backend(settings: Settings, tokens: TokenStore) -> BackendChoice:
    """Which recognition backend the settings ask for, and whether it can be used as is.

    The monitoring (and the local engine launcher) start from this choice; nothing is
    started here.
    """
    description = settings.backend_description()
    if settings.backend == "audd":
        try:
            token = resolve_audd_token(None, tokens)
        except TokenStoreError as exc:
            return BackendChoice("audd", description, "error", str(exc))
        if not token:
            return BackendChoice("audd", description, "needs_token",
                                 "Add your AudD API token in File → Accounts & tokens.")
        return BackendChoice("audd", description, "idle", "api.audd.io")
    if settings.backend == "remote_engine":
        if not settings.remote_engine_url:
            return BackendChoice("remote_engine", description, "error",
                                 "Set the remote engine's URL in Settings.")
        return BackendChoice("remote_engine", description, "idle", settings.remote_engine_url)
    return BackendChoice("local", description, "offline",
                         "The local engine starts when monitoring starts.")


class RadiowatchApp:
    """The running app: window, tray, background tasks, and the one shutdown."""

    def __init__(self, qapp: QApplication, services: AppServices, *,
                 exit_after_ms: int | None = None) -> None:
        self.qapp = qapp
        self.services = services
        self.exit_after_ms = exit_after_ms
        self.exit_code = 0
        self.shutdown_reason: str | None = None
        self.closed = False
        self.tray: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._old_handlers: dict[int, Any] = {}
        self._old_wakeup_fd: int | None = None
        self._signal_sockets: tuple[socket.socket, socket.socket] | None = None
        self._notifier: QSocketNotifier | None = None
        self.window = MainWindow(dirs=services.dirs, settings=services.settings,
                                 stations=services.stations, tokens=services.tokens)
        self.window.quit_requested.connect(lambda: self.request_shutdown("quit"))
        self.window.tokens_changed.connect(lambda _names: self.apply_backend())
        self._unsubscribe_settings = services.settings.subscribe(self._on_settings_changed)
        self.backend = self.apply_backend()
        self._install_panels()

    # -- services -------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Start a background coroutine that shutdown cancels (monitoring, long-polls, ...)."""
        task = asyncio.get_event_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def apply_backend(self) -> BackendChoice:
        self.backend = choose_backend(self.services.settings.current, self.services.tokens)
        self.window.set_backend(self.backend.description)
        self.window.set_backend_state(self.backend.state, self.backend.detail)
        return self.backend

    def _install_panels(self) -> None:
        for key, target in PANEL_FACTORIES.items():
            module_name, func_name = target.split(":")
            try:
                factory = getattr(import_module(module_name), func_name)
            except (ImportError, AttributeError) as exc:
                log.info("tab %s keeps its placeholder (%s)", key, exc)
                continue
            widget: QWidget = factory(self)
            self.window.set_tab(key, widget)

    # -- lifecycle ------------------------------------------------------------------------------
    def request_shutdown(self, reason: str = "quit") -> None:
        """Ask the app to stop; safe to call any number of times, from any exit path."""
        if self.shutdown_reason is None:
            self.shutdown_reason = reason
            log.info("shutdown requested (%s)", reason)
        if self._stop is not None:
            self._stop.set()

    async def run(self, *, handle_signals: bool = True) -> int:
        """Show the window and wait for a shutdown request; returns the exit code."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        if self.shutdown_reason is not None:
            self._stop.set()
        try:
            self._setup_tray()
            settings = self.services.settings.current
            if not (settings.start_minimised and self.window.hides_on_close):
                self.window.show()
            if handle_signals:
                self._install_signal_handlers()
            if self.exit_after_ms is not None:
                self._loop.call_later(self.exit_after_ms / 1000, self.request_shutdown, "timer")
            log.info("radiowatch %s started; profile %s", __version__, self.services.dirs.data)
            await self._stop.wait()
        finally:
            await self.shutdown()
        return self.exit_code

    async def shutdown(self) -> None:
        """The single way out: save, cancel, close. Runs once."""
        if self.closed:
            return
        self.closed = True
        try:
            self.window.save_layout()
        except Exception:
            log.exception("could not save the window layout")
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=CLOSER_TIMEOUT)
        await self.services.aclose()
        self._unsubscribe_settings()
        self._remove_signal_handlers()
        if self.tray is not None:
            self.tray.hide()
        self.window.allow_close()
        self.window.close()
        log.info("radiowatch stopped (%s)", self.shutdown_reason or "shutdown")

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    # -- tray -----------------------------------------------------------------------------------
    def _setup_tray(self) -> None:
        try:
            from radiowatch.ui.tray import TrayController
        except ImportError:
            return
        tray = TrayController(self.window, icon=app_icon())
        if not tray.available:
            return
        tray.quit_requested.connect(lambda: self.request_shutdown("tray"))
        tray.show()
        self.tray = tray
        self._sync_close_behaviour()

    def _sync_close_behaviour(self) -> None:
        self.window.hides_on_close = bool(
            self.tray is not None and self.services.settings.current.close_to_tray)

    def _on_settings_changed(self, _settings: Settings) -> None:
        self.apply_backend()
        self._sync_close_behaviour()

    # -- signals --------------------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM request the shutdown.

        Python runs signal handlers only between bytecodes, and Qt's C++ loop may sleep for
        long; the wakeup fd + socket notifier wakes the loop so the handler runs at once.
        """
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._signal_sockets = (reader, writer)
        self._old_wakeup_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain_signal_socket)
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.request_shutdown, name)

    def _drain_signal_socket(self) -> None:
        if self._signal_sockets is None:
            return
        try:
            while self._signal_sockets[0].recv(512):
                pass
        except OSError:
            pass

    def _remove_signal_handlers(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)
        self._old_handlers.clear()
        if self._signal_sockets is not None:
            signal.set_wakeup_fd(self._old_wakeup_fd if self._old_wakeup_fd is not None else -1)
            if self._notifier is not None:
                self._notifier.setEnabled(False)
                self._notifier = None
            for sock in self._signal_sockets:
                sock.close()
            self._signal_sockets = None


def _exit_after_ms() -> int | None:
    value = os.environ.get(EXIT_AFTER_ENV, "").strip()
    if not value:
        return None
    try:
        return max(0, int(value))
    except ValueError:
        log.warning("%s=%r is not a number of milliseconds; ignored", EXIT_AFTER_ENV, value)
        return None


def _log_uncaught(exc_type, exc, tb) -> None:
    """Uncaught errors (in Qt slots too) go to the redacted log, never raw to the terminal."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unexpected error", exc_info=(exc_type, exc, tb))


def create_qapplication(qt_args: list[str] | None = None) -> QApplication:
    QApplication.setApplicationName("radiowatch")
    QApplication.setApplicationVersion(__version__)
    QApplication.setOrganizationName("radiowatch")
    QApplication.setDesktopFileName(APP_ID)
    qapp = QApplication.instance() or QApplication([sys.argv[0] or "radiowatch", *(qt_args or [])])
    qapp.setQuitOnLastWindowClosed(False)  # the shutdown decides, not Qt (pitfall E)
    qapp.setStyle("Fusion")
    qapp.setWindowIcon(app_icon())
    qapp.setStyleSheet(stylesheet())
    return qapp


def run_app(qt_args: list[str] | None = None) -> int:
    """Start the GUI and block until it has shut down; returns the process exit code."""
    import qasync

    dirs = profile_dirs().ensure()
    configure_logging(dirs, load_settings(dirs.settings_file).log_level)
    sys.excepthook = _log_uncaught
    exit_after = _exit_after_ms()
    qapp = create_qapplication(qt_args)
    try:
        services = build_services(dirs)
    except (DatabaseError, TokenStoreError, OSError) as exc:
        log.error("cannot start: %s", exc)
        if exit_after is None:
            QMessageBox.critical(None, "radiowatch cannot start", str(exc))
        shutdown_logging()
        return 1
    app = RadiowatchApp(qapp, services, exit_after_ms=exit_after)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        code = runner.run(app.run())
    shutdown_logging()
    return code

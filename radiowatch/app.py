"""The composition root: builds the services and the main window, runs the loop, shuts down.

One QApplication, one qasync event loop started with `asyncio.Runner(loop_factory=...)` (the
3.11 way; `asyncio.run(loop_factory=)` is 3.12+). Every way out (Quit, closing the window when no
tray keeps the app alive, the tray's Quit, SIGINT/SIGTERM, Ctrl-C, `RADIOWATCH_EXIT_AFTER_MS`)
only *requests* shutdown; `RadiowatchApp.run` then returns through the one `shutdown()`
coroutine, which saves the layout, cancels background tasks, runs the services' closers and
closes the database. Nothing calls `app.quit()` (docs/qt-and-asyncio.md, rule A).

Where things plug in:
- `backend.choice.choose_backend` is the one place the recognition backend is picked from the settings.
- The backend session keeps the local engine running (backend/engine_supervisor.py); when it
  comes back after a crash the monitoring is restarted on the new engine's client, and when it
  is given up on the user is told why (`_on_engine_failed`).
- `AppServices.add_closer` registers async clean-ups (engine process, HTTP clients, long-polls);
  the services themselves are in app_services.py (`build_services` is importable from here).
- SIGINT/SIGTERM only request the shutdown (ui/shell/termination_signals.py).
- `PANEL_FACTORIES` maps a tab key to "module:function"; `function(app)` returns the tab widget.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Coroutine
from importlib import import_module
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon, QWidget

from radiowatch import __version__
from radiowatch.app_services import CLOSER_TIMEOUT, AppServices, build_services
from radiowatch.backend.archive_client import archive_client_for
from radiowatch.backend.choice import BackendChoice, choose_backend
from radiowatch.backend.session import DEMO_RADIO_ID, DEMO_STATION_NAME, BackendSession
from radiowatch.config.autostart import autostart_supported, is_autostart_enabled, set_autostart
from radiowatch.config.logging_setup import configure_logging, shutdown_logging
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import (
    TokenStoreError,
)
from radiowatch.config.settings import Settings, load_settings
from radiowatch.history.database import DatabaseError
from radiowatch.monitoring.plays_from_results import play_from_recognition
from radiowatch.stations.errors import StationError
from radiowatch.ui.common import tasks
from radiowatch.ui.common.artwork import app_icon
from radiowatch.ui.common.palette import follow_system_palette
from radiowatch.ui.monitor.live_monitoring import LiveMonitoring
from radiowatch.ui.shell.engine_failure import EngineFailureBox
from radiowatch.ui.shell.main_window import MainWindow
from radiowatch.ui.shell.termination_signals import TerminationSignals

log = logging.getLogger(__name__)

EXIT_AFTER_ENV = "RADIOWATCH_EXIT_AFTER_MS"
# Once the monitoring and its cards are up, what exists then is frozen out of the cyclic
# collector's reach (gc.freeze): the GUI-thread collector then no longer walks every widget
# wrapper of 100 now-playing cards (30-90 ms per walk, bench/monitoring/RESULTS.md).
GC_FREEZE_DELAY_S = 5.0
APP_ID = "org.radiowatch.Radiowatch"

# tab key -> "module:function"; function(app: RadiowatchApp) -> QWidget. A module that is not
# there yet leaves the tab's placeholder in place (see radiowatch/ui/shell/tab_factories.py).
PANEL_FACTORIES: dict[str, str] = {
    "monitor": "radiowatch.ui.shell.tab_factories:monitor_tab",
    "history": "radiowatch.ui.shell.tab_factories:history_tab",
    "recognize": "radiowatch.ui.shell.tab_factories:recognize_tab",
    "catalog": "radiowatch.ui.shell.tab_factories:catalog_tab",
    "resize": "radiowatch.ui.shell.tab_factories:resize_tab",
    "udio": "radiowatch.ui.shell.tab_factories:udio_tab",
}
# Settings whose change means another backend: the session and the monitoring restart.
BACKEND_FIELDS = ("backend", "remote_engine_url", "engine_demo")


class RadiowatchApp:
    """The running app: window, tray, backend, monitoring, background tasks, one shutdown.

    `start_backend=False` keeps the backend (and the local engine child) stopped: tests of the
    window plumbing use it. `first_run` shows the first-run assistant when the settings say it
    has not been completed.
    """

    def __init__(
        self,
        qapp: QApplication,
        services: AppServices,
        *,
        exit_after_ms: int | None = None,
        start_backend: bool = True,
        first_run: bool = False,
        start_minimised: bool = False,
        audd_url: str | None = None,
    ) -> None:
        self.qapp = qapp
        self.services = services
        self.exit_after_ms = exit_after_ms
        self.start_backend = start_backend
        self.first_run = first_run
        self.start_minimised = start_minimised
        self.audd_url = audd_url
        self.exit_code = 0
        self.freeze_gc_after_start = False  # run_app sets it: the app owns the collector
        self.shutdown_reason: str | None = None
        self.closed = False
        self.tray: Any = None  # the TrayController while a system tray shows it
        self.notifier: Any = None  # TrayNotifier, set by the Monitor tab's factory
        self.assistant: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._signals = TerminationSignals(self.request_shutdown)
        self._backend_task = tasks.TaskSlot("backend")  # start or restart: one at a time
        self._resume_task = tasks.TaskSlot("monitoring after an engine restart")
        self.engine_failure_box: EngineFailureBox | None = None
        self._backend_fields = self._backend_key(services.settings.current)
        self._autostart = services.settings.current.autostart
        self.window = MainWindow(
            dirs=services.dirs,
            settings=services.settings,
            stations=services.stations,
            tokens=services.tokens,
        )
        self.window.about_rows = self.about_rows
        # Settings → Archive asks the session's engine, whichever tabs were built
        self.window.archive_provider = lambda: archive_client_for(self.session)
        self.window.quit_requested.connect(lambda: self.request_shutdown("quit"))
        self.window.tokens_changed.connect(lambda _names: self._on_tokens_changed())
        self._unsubscribe_settings = services.settings.subscribe(self._on_settings_changed)
        self.session = self._new_session()
        # The monitoring runs on its own thread with its own connection to this file.
        self.monitoring = LiveMonitoring(
            services.db,
            services.stations,
            services.settings,
            on_station_status=self.window.set_station_status,
            database_path=services.dirs.database,
        )
        self.tray_controller = self._make_tray_controller()
        self.window.status.backend.details_requested.connect(self.show_engine_failure)
        # Closers run last-added first: the tabs, then the monitoring, then the backend.
        services.add_closer("backend", lambda: self.session.aclose())
        services.add_closer("monitoring", self.monitoring.aclose)
        self.backend = self.apply_backend()
        self._install_panels()
        self._link_play_log_import()

    # -- services -------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> asyncio.Task[Any]:
        """Start a background coroutine that shutdown cancels (monitoring, long-polls, ...)."""
        return tasks.spawn(coro, name)

    def client_provider(self):
        """The AudDClient of the active backend (cloud or engine), or None: see backend_reason."""
        return self.session.client_provider()

    def catalog_provider(self):
        """The engine's catalog API for the Catalog tab, or None while no engine runs."""
        return self.session.catalog_client()

    def cloud_client_provider(self):
        return self.session.cloud_client()

    def backend_reason(self) -> str:
        return self.session.reason

    def apply_backend(self) -> BackendChoice:
        self.backend = choose_backend(self.services.settings.current, self.services.tokens)
        self.window.set_backend(self.backend.description)
        if self.session.started and self.session.kind == self.backend.kind:
            # The running session knows better than the settings: it checked.
            self._show_backend_state(self.session.state, self.session.detail)
        else:
            self._show_backend_state(self.backend.state, self.backend.detail)
        return self.backend

    def _new_session(self) -> BackendSession:
        session = BackendSession(
            self.services.dirs,
            self.services.settings.current,
            self.services.tokens,
            on_state=self._show_backend_state,
            cloud_url=self.audd_url,
        )
        session.engine_up.connect(lambda _outage: self._on_engine_back(session))
        session.engine_failed.connect(lambda _failure: self._on_engine_failed(session))
        return session

    def _show_backend_state(self, state: str, detail: str) -> None:
        self.window.set_backend_state(state, detail)
        indicator = self.window.status.backend
        self.tray_controller.set_backend_state(
            state, f"{indicator.backend} — {indicator.state_label()}"
        )

    def _on_engine_back(self, session: BackendSession) -> None:
        """A new engine runs after a crash: the monitoring follows it to its new port."""
        if session is self.session and not self.closed:
            self._resume_task.start(self._resume_monitoring(session))

    async def _resume_monitoring(self, session: BackendSession) -> None:
        starting = self._backend_task.task
        if starting is not None and not starting.done():
            await asyncio.wait({starting})  # its monitoring start must not race this one
        client = session.client
        if client is None or session is not self.session:
            return
        await self.monitoring.start(
            client, state_key=session.state_key, timestamp_tz=session.timestamp_tz
        )
        if session.runs_demo:
            await self.ensure_demo_station()  # the demo station moved to a new port too

    def _on_engine_failed(self, session: BackendSession) -> None:
        if session is not self.session or self.closed:
            return
        self.show_engine_failure()
        if self.tray is not None and self.window.isHidden():
            self.tray.icon.showMessage(
                "radiowatch: the local engine stopped",
                "It kept crashing and is not restarted. Open radiowatch to see why.",
                QSystemTrayIcon.MessageIcon.Warning,
                15000,
            )

    def show_engine_failure(self) -> EngineFailureBox | None:
        """Why the local engine is no longer restarted (None while it is not in that state)."""
        failure = self.session.engine_failure
        if failure is None:
            return None
        if self.engine_failure_box is None:
            self.engine_failure_box = EngineFailureBox(self.window)
            self.engine_failure_box.restart_requested.connect(self._restart_after_failure)
        self.engine_failure_box.show_failure(failure.message)
        return self.engine_failure_box

    def _restart_after_failure(self) -> None:
        if self.start_backend and not self.closed:
            self._backend_task.start(self.restart_backend())

    async def start_backend_and_monitoring(self) -> None:
        """Start the backend (the local engine child, if chosen) and monitor every station."""
        client = await self.session.start()
        if self.session.catalog_indexed:
            extras = dict(self.services.settings.current.extras)
            extras["catalog_indexed"] = self.session.catalog_indexed
            self.services.settings.update(extras=extras)
        if client is None:
            log.info("monitoring not started: %s", self.session.reason)
            return
        await self.monitoring.start(
            client,
            state_key=self.session.state_key,
            timestamp_tz=self.session.timestamp_tz,
            # radiowatch engines say which song is on air long before it ends (callbacks=both)
            announce_starts=self.session.kind != "audd",
        )
        if self.session.runs_demo:
            await self.ensure_demo_station()
        if self.freeze_gc_after_start and self._loop is not None:
            self._loop.call_later(GC_FREEZE_DELAY_S, gc.freeze)

    async def restart_backend(self) -> None:
        await self._resume_task.cancel_and_wait()
        await self.monitoring.stop()
        await self.session.aclose()
        self.session = self._new_session()
        self.apply_backend()
        await self.start_backend_and_monitoring()

    async def ensure_demo_station(self) -> None:
        """Keep the demo station in the stations list, pointed at this run's demo stream."""
        url = await self.session.demo_stream_url()
        if url is None:
            log.warning("the demo engine did not register its station")
            return
        stations = self.services.stations
        try:
            station = stations.by_radio_id(DEMO_RADIO_ID)
            if station is None:
                station = stations.add(name=DEMO_STATION_NAME, source=url, radio_id=DEMO_RADIO_ID)
                self.window.sidebar.select_station(station.id)
            elif station.source != url:
                stations.update(station.id, source=url)
        except StationError as exc:
            log.warning("could not add the demo station: %s", exc)

    def _restart_backend_soon(self) -> None:
        if self._loop is None or self.closed or not self.start_backend:
            return
        self._backend_task.start(self.restart_backend())

    def _install_panels(self) -> None:
        for key, target in PANEL_FACTORIES.items():
            module_name, func_name = target.split(":")
            try:
                factory = getattr(import_module(module_name), func_name)
                widget: QWidget = factory(self)
            except (ImportError, AttributeError) as exc:
                log.info("tab %s keeps its placeholder (%s)", key, exc)
                continue
            except Exception:
                log.exception("tab %s could not be built; it keeps its placeholder", key)
                continue
            self.window.set_tab(key, widget)

    # -- links between tabs ---------------------------------------------------------------------
    def _link_play_log_import(self) -> None:
        """Recognize → Long file → Play log imports into this profile's history."""
        attach = getattr(self.window.tab("recognize"), "attach_history", None)
        if attach is not None:
            attach(self.services.dirs.database, self.services.stations.list, self._plays_imported)

    def _plays_imported(self, _count: int) -> None:
        history = self.window.tab("history")
        if hasattr(history, "refresh"):
            history.refresh()

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def open_play(self, play_id: int) -> bool:
        """Show one play in the History tab (from a notification or a now-playing card)."""
        self.show_window()
        self.window.show_tab("history")
        tab = self.window.tab("history")
        show = getattr(tab, "show_play", None)
        return bool(show(int(play_id))) if show is not None else False

    def make_cut_down(self, item: Any) -> Any:
        """Open a track in the Resize tab: a path, or a Play (then the user picks its file)."""
        tab = self.window.tab("resize")
        open_track = getattr(tab, "open_track", None)
        if open_track is None:
            return None
        path = item if isinstance(item, str | os.PathLike) else self._choose_audio_for(item)
        if not path:
            return None
        self.window.show_tab("resize")
        return open_track(path)

    def _choose_audio_for(self, play: Any) -> str:
        from PySide6.QtWidgets import QFileDialog

        what = " – ".join(p for p in (getattr(play, "artist", ""), getattr(play, "title", "")) if p)
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            f"Choose the audio file of {what or 'this track'}",
            self.services.settings.current.last_open_dir,
            "Audio files (*.mp3 *.wav *.flac *.ogg *.m4a *.aac *.opus);;All files (*)",
        )
        return path

    def save_to_history(self, play: Any) -> Any:
        """Recognize → "save to history": a manual play, recorded once like any other."""
        from radiowatch.history.plays import PlayStore

        recorded = PlayStore(self.services.db).add(play)
        history = self.window.tab("history")
        if hasattr(history, "refresh"):
            history.refresh()
        self.window.show_message("Saved to the history.")
        return recorded

    def save_recognition_to_history(self, result: Any) -> Any:
        return self.save_to_history(play_from_recognition(result, self.session.kind))

    def about_rows(self) -> list[tuple[str, str]]:
        """Extra lines for the About box: notifications and engine in use."""
        mode = getattr(self.notifier, "mode", None) or "none"
        notifier = {
            "tray": "system tray balloons",
            "banner": "in-window banner (no system tray)",
            "none": "log only",
        }.get(mode, mode)
        rows = [("Notifications", notifier)]
        engine = self.session.engine
        if engine is not None:
            rows.append(("Engine", f"{engine.base_url} (log: {engine.log_path})"))
        return rows

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
            minimised = self.start_minimised or settings.start_minimised
            if not (minimised and self.window.hides_on_close):
                self.window.show()
            if handle_signals:
                self._signals.install(self._loop)
            if self.exit_after_ms is not None:
                self._loop.call_later(self.exit_after_ms / 1000, self.request_shutdown, "timer")
            log.info("radiowatch %s started; profile %s", __version__, self.services.dirs.data)
            if self.first_run and not settings.first_run_done and self.exit_after_ms is None:
                self.open_first_run()
            elif self.start_backend:
                self._backend_task.start(self.start_backend_and_monitoring())
            await self._stop.wait()
        finally:
            await self.shutdown()
        return self.exit_code

    def open_first_run(self):
        """The first-run assistant; the backend starts when it closes (finished or skipped)."""
        from radiowatch.ui.shell.first_run import FirstRunAssistant

        assistant = FirstRunAssistant(
            self.services.settings, self.services.tokens, self.services.stations, self.window
        )
        assistant.finished.connect(lambda _result: self._first_run_closed())
        self.assistant = assistant
        self.window.show_first_run(assistant)
        return assistant

    def _first_run_closed(self) -> None:
        self.services.settings.update(first_run_done=True)
        self.window.refresh_stations()
        self.window.show_tab("monitor")
        if self.start_backend and not self.closed:
            self._backend_task.start(self.restart_backend())

    async def shutdown(self) -> None:
        """The single way out: save, cancel, close. Runs once."""
        if self.closed:
            return
        self.closed = True
        try:
            self.window.save_layout()
        except Exception:
            log.exception("could not save the window layout")
        # Background work (the backend start, an analysis warm-up, a cover download) must end
        # before the closers stop what it talks to.
        current, loop = asyncio.current_task(), asyncio.get_running_loop()
        pending = [t for t in tasks.running() if t is not current and t.get_loop() is loop]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=CLOSER_TIMEOUT)
        await self.services.aclose()
        self._unsubscribe_settings()
        self._signals.remove()
        if self.tray is not None:
            self.tray.hide()
        self.window.allow_close()
        self.window.close()
        log.info("radiowatch stopped (%s)", self.shutdown_reason or "shutdown")

    # -- tray -----------------------------------------------------------------------------------
    def _make_tray_controller(self):
        from radiowatch.ui.shell.tray import TrayController

        tray = TrayController(self.window, icon=app_icon())
        tray.quit_requested.connect(lambda: self.request_shutdown("tray"))
        tray.open_play_requested.connect(self.open_play)
        tray.pause_toggled.connect(
            lambda paused: self.spawn(self.monitoring.set_paused(paused), "pause")
        )
        tray.mute_rule_requested.connect(self._mute_rule)
        self.monitoring.paused_changed.connect(tray.set_paused)
        return tray

    def _mute_rule(self, rule_id: int) -> None:
        from datetime import UTC, datetime

        from radiowatch.ui.shell.tray import DEFAULT_MUTE

        self.monitoring.watchlist.mute(rule_id, datetime.now(UTC) + DEFAULT_MUTE)
        self.window.show_message("Muted the watchlist rule for 24 hours.")

    def _setup_tray(self) -> None:
        tray = self.tray_controller
        if not tray.available:
            return
        tray.show()
        self.tray = tray
        self._sync_close_behaviour()

    def _sync_close_behaviour(self) -> None:
        self.window.hides_on_close = bool(
            self.tray is not None and self.services.settings.current.close_to_tray
        )

    @staticmethod
    def _backend_key(settings: Settings) -> tuple:
        return tuple(getattr(settings, name) for name in BACKEND_FIELDS)

    def _on_settings_changed(self, settings: Settings) -> None:
        self.apply_backend()
        self._sync_close_behaviour()
        if settings.autostart != self._autostart:
            self._autostart = settings.autostart
            self._apply_autostart(settings.autostart)
        key = self._backend_key(settings)
        if key != self._backend_fields:
            self._backend_fields = key
            if self.session.started or self._backend_task.task is not None:
                self._restart_backend_soon()

    def _apply_autostart(self, enabled: bool) -> None:
        if not autostart_supported():
            return
        try:
            path = set_autostart(enabled)
        except OSError as exc:
            self.window.show_message(f"Could not change the autostart entry: {exc}")
            return
        if enabled and path is not None:
            self.window.show_message(f"radiowatch will start at login ({path}).")
        elif not enabled and not is_autostart_enabled():
            self.window.show_message("radiowatch will no longer start at login.")

    def _on_tokens_changed(self) -> None:
        self.apply_backend()
        if self.session.kind in ("audd", "remote_engine") and self.session.started:
            self._restart_backend_soon()


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
    follow_system_palette(qapp)
    return qapp


def run_app(qt_args: list[str] | None = None, *, start_minimised: bool = False) -> int:
    """Start the GUI and block until it has shut down; returns the process exit code.

    A second launch with the same profile only raises the running window and returns 0.
    """
    import qasync

    from radiowatch.ui.common.gui_thread_gc import GuiThreadGarbageCollector
    from radiowatch.ui.shell.single_instance import SingleInstance

    dirs = profile_dirs().ensure()
    configure_logging(dirs, load_settings(dirs.settings_file).log_level)
    sys.excepthook = _log_uncaught
    exit_after = _exit_after_ms()
    qapp = create_qapplication(qt_args)
    collector = GuiThreadGarbageCollector(qapp)
    instance = SingleInstance(dirs.data)
    if not instance.claim():
        shutdown_logging()
        return 0
    try:
        services = build_services(dirs)
    except (DatabaseError, TokenStoreError, OSError) as exc:
        log.error("cannot start: %s", exc)
        if exit_after is None:
            QMessageBox.critical(None, "radiowatch cannot start", str(exc))
        instance.release()
        shutdown_logging()
        return 1
    app = RadiowatchApp(
        qapp, services, exit_after_ms=exit_after, first_run=True, start_minimised=start_minimised
    )
    app.freeze_gc_after_start = True
    instance.activation_requested.connect(app.show_window)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(qapp)) as runner:
        code = runner.run(app.run())
    collector.stop()
    instance.release()
    shutdown_logging()
    return code

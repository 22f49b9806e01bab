"""Tab factories: each builds one real tab from the running app and wires it to the others.

`radiowatch.app.PANEL_FACTORIES` names these as "module:function"; `function(app)` returns the
tab widget and registers its clean-up with `app.services.add_closer`. A tab whose module is
missing keeps its placeholder. Cross-tab links go through the app (`app.open_play`,
`app.make_cut_down`), so no tab knows another.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from radiowatch.backend.catalog_upload import upload_to_catalog
from radiowatch.config.secrets import AUDJUST_API_KEY, UDIO_API_KEY

if TYPE_CHECKING:
    from radiowatch.app import RadiowatchApp

log = logging.getLogger(__name__)


def monitor_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.monitoring.cover_art import CoverArtCache
    from radiowatch.ui.monitor.tab import MonitorTab
    from radiowatch.ui.shell.tray import TrayNotifier

    live = app.monitoring
    covers = CoverArtCache(app.services.dirs.cache / "covers")
    tab = MonitorTab(live.board, cover_cache=covers)
    tab.pause_toggled.connect(lambda paused: app.spawn(live.set_paused(paused), "pause"))
    live.paused_changed.connect(tab.set_paused)
    tab.watchlist_requested.connect(lambda: open_watchlist(app))
    tab.play_activated.connect(app.open_play)
    tab.add_station_requested.connect(lambda: app.window.open_station_dialog())
    tab.set_clip_actions(_clip_actions(app, tab))
    app.notifier = TrayNotifier(app.tray_controller, tab.banner)
    live.notifier.target = app.notifier
    app.services.add_closer("monitor tab", tab.shutdown)
    if hasattr(covers, "aclose"):
        app.services.add_closer("cover art", covers.aclose)
    return tab


def open_watchlist(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.monitor.watchlist_dialog import WatchlistDialog

    dialog = WatchlistDialog(app.monitoring.watchlist, app.monitoring.source.stations(), app.window)
    dialog.setModal(True)
    dialog.open()
    app.window._dialogs["watchlist"] = dialog
    return dialog


def history_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.history.tab import HistoryTab

    tab = HistoryTab(app.services.dirs.database)
    tab.cut_down_requested.connect(app.make_cut_down)
    tab.set_clip_actions(_clip_actions(app, tab))
    tab.catalog_provider = app.catalog_provider
    app.services.add_closer("history tab", tab.close_database)
    return tab


def _clip_actions(app: RadiowatchApp, parent: QWidget):
    from radiowatch.backend.archive_client import archive_client_for
    from radiowatch.ui.common.clip_actions import ClipActions

    return ClipActions(lambda: archive_client_for(app.session), app.services.dirs.cache, parent)


def resize_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.resize.tab import ResizeTab

    tab = ResizeTab(app.services.dirs.cache, lambda: app.services.tokens.get(AUDJUST_API_KEY))
    app.services.add_closer("resize tab", tab.shutdown)
    return tab


def udio_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.udio.tab import UdioTab

    tab = UdioTab(
        lambda: app.services.settings.current,
        lambda: app.services.tokens.get(UDIO_API_KEY),
        app.services.dirs.data / "udio",
        add_to_catalog=lambda path, meta: upload_to_catalog(
            app.client_provider(), path, meta, unavailable=app.backend_reason()
        ),
    )
    app.window.tokens_changed.connect(lambda _names: tab.refresh_configuration())
    app.services.settings.subscribe(lambda _s: tab.refresh_configuration())
    app.services.add_closer("udio tab", tab.aclose)
    return tab


def recognize_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.recognize.tab import RecognizeTab

    tab = RecognizeTab(app.client_provider)
    tab.save_to_history_requested.connect(app.save_recognition_to_history)
    app.services.add_closer("recognize tab", tab.aclose)
    return tab


def catalog_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.backend.archive_client import archive_client_for
    from radiowatch.backend.found_later_watch import FoundLaterWatch
    from radiowatch.ui.catalog.tab import CatalogTab

    # Follows the engine's "found later" searches (whoever started them) for as long as the
    # app runs; it asks nothing while the backend is the AudD cloud. Tabs are built before the
    # qasync loop runs: the watch starts on it, from its first pass.
    watch = FoundLaterWatch(lambda: archive_client_for(app.session))
    QTimer.singleShot(0, lambda: app.spawn(watch.run(), "found-later watch"))
    app.services.add_closer("found-later watch", watch.aclose)
    tab = CatalogTab(app.catalog_provider, app.cloud_client_provider, found_later=watch)
    _found_later_badge(app, watch, tab)
    if hasattr(tab, "cut_down_requested"):
        tab.cut_down_requested.connect(app.make_cut_down)
    if hasattr(tab, "aclose"):
        app.services.add_closer("catalog tab", tab.aclose)
    return tab


def _found_later_badge(app: RadiowatchApp, watch, catalog: QWidget) -> None:
    """The found-later search in the status bar while another tab hides the Catalog tab's strip."""
    from radiowatch.ui.common.found_later_strip import FoundLaterBadge

    tabs = app.window.tabs
    badge = FoundLaterBadge(watch)
    app.window.status.insertPermanentWidget(0, badge)
    badge.clicked.connect(lambda: tabs.setCurrentWidget(catalog))

    def follow() -> None:
        badge.set_covered(tabs.currentWidget() is catalog)

    tabs.currentChanged.connect(lambda _i: follow())
    QTimer.singleShot(0, follow)  # once the tab is in place

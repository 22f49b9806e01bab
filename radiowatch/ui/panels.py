"""Tab factories: each builds one real tab from the running app and wires it to the others.

`radiowatch.app.PANEL_FACTORIES` names these as "module:function"; `function(app)` returns the
tab widget and registers its clean-up with `app.services.add_closer`. A tab whose module is
missing keeps its placeholder. Cross-tab links go through the app (`app.open_play`,
`app.make_cut_down`), so no tab knows another.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from radiowatch.config.secrets import AUDJUST_API_KEY, UDIO_API_KEY

if TYPE_CHECKING:
    from radiowatch.app import RadiowatchApp

log = logging.getLogger(__name__)


def monitor_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.monitoring.cover_art import CoverArtCache
    from radiowatch.ui.monitor_tab import MonitorTab
    from radiowatch.ui.tray import TrayNotifier

    live = app.monitoring
    covers = CoverArtCache(app.services.dirs.cache / "covers")
    tab = MonitorTab(live.board, cover_cache=covers)
    tab.pause_toggled.connect(lambda paused: app.spawn(live.set_paused(paused), "pause"))
    live.paused_changed.connect(tab.set_paused)
    tab.watchlist_requested.connect(lambda: open_watchlist(app))
    tab.play_activated.connect(app.open_play)
    app.notifier = TrayNotifier(app.tray_controller, tab.banner)
    live.notifier.target = app.notifier
    app.services.add_closer("monitor tab", tab.shutdown)
    if hasattr(covers, "aclose"):
        app.services.add_closer("cover art", covers.aclose)
    return tab


def open_watchlist(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.watchlist_dialog import WatchlistDialog

    dialog = WatchlistDialog(app.monitoring.watchlist, app.monitoring.source.stations(),
                             app.window)
    dialog.setModal(True)
    dialog.open()
    app.window._dialogs["watchlist"] = dialog
    return dialog


def history_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.history_tab import HistoryTab

    tab = HistoryTab(app.services.dirs.database)
    tab.cut_down_requested.connect(app.make_cut_down)
    app.services.add_closer("history tab", tab.close_database)
    return tab


def resize_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.resize_tab import ResizeTab

    tab = ResizeTab(app.services.dirs.cache,
                    lambda: app.services.tokens.get(AUDJUST_API_KEY))
    app.services.add_closer("resize tab", tab.shutdown)
    return tab


def udio_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.udio_tab import UdioTab

    tab = UdioTab(lambda: app.services.settings.current,
                  lambda: app.services.tokens.get(UDIO_API_KEY),
                  app.services.dirs.data / "udio",
                  add_to_catalog=lambda path, meta: upload_to_catalog(app, path, meta))
    app.window.tokens_changed.connect(lambda _names: tab.refresh_configuration())
    app.services.settings.subscribe(lambda _s: tab.refresh_configuration())
    app.services.add_closer("udio tab", tab.aclose)
    return tab


def recognize_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.recognize_tab import RecognizeTab

    tab = RecognizeTab(app.client_provider)
    tab.save_to_history_requested.connect(app.save_recognition_to_history)
    app.services.add_closer("recognize tab", tab.aclose)
    return tab


def catalog_tab(app: RadiowatchApp) -> QWidget:
    from radiowatch.ui.catalog_tab import CatalogTab

    tab = CatalogTab(app.catalog_provider, app.cloud_client_provider)
    if hasattr(tab, "cut_down_requested"):
        tab.cut_down_requested.connect(app.make_cut_down)
    if hasattr(tab, "aclose"):
        app.services.add_closer("catalog tab", tab.aclose)
    return tab


def play_from_recognition(result, backend: str):
    """A manual history entry for a clip recognised in the Recognize tab, aired now."""
    from datetime import UTC, datetime

    from radiowatch.history.play import Play

    return Play(start=datetime.now(UTC), artist=result.artist or "", title=result.title or "",
                album=result.album, label=result.label, release_date=result.release_date,
                isrc=result.isrc, upc=result.upc, score=result.score,
                song_link=result.song_link, backend=backend, origin="manual")


def catalog_audio_id(provenance: str) -> int:
    """A stable custom-catalog id for a provenance ("udio:<id>"): re-adding replaces, not
    duplicates. AudD ids are positive 32-bit integers."""
    return zlib.crc32(provenance.encode()) % (2**31 - 2) + 1


async def upload_to_catalog(app: RadiowatchApp, path: Path, metadata: dict) -> None:
    """Add a file to the backend's catalog (the engine's `/upload/`), keeping its provenance.

    The local engine stores title/artist/kind/provenance with the track, and its recognitions
    echo the provenance, so plays of e.g. an Udio song are flagged AI-generated in the history.
    """
    from radiowatch.audd.audio_source import prepare_source
    from radiowatch.audd.retry import RetryClass

    client = app.client_provider()
    if client is None:
        raise RuntimeError(app.backend_reason())
    provenance = str(metadata.get("provenance") or Path(path).name)
    fields = {k: str(v) for k, v in metadata.items() if v not in (None, "")}
    fields["audio_id"] = str(catalog_audio_id(provenance))
    source = await asyncio.to_thread(prepare_source, Path(path))
    await client.call("upload", fields, retry=RetryClass.UPLOAD, source=source,
                      path_method="upload", decode="method")
    log.info("added %s to the catalog (%s)", Path(path).name, provenance)

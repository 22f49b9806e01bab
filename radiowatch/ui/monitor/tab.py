"""The Monitor tab: a grid of now-playing cards, one per monitored station.

It never repaints per network event. The monitoring (on its own thread) sends its events to
the GUI thread, where they update a Qt-free `NowPlayingBoard`; a fixed-rate QTimer here pulls
the panels that changed since the last tick
and updates only their cards, and a slower timer rewrites the "how long ago" texts. Cover art
is fetched asynchronously on the qasync loop and cached (CoverArtCache), and applied on the
next tick as well. This is what keeps the window responsive with 100 stations (see
bench/monitoring/RESULTS.md).

The cards fill the width of the page, roomier when there are only one or two, and an "Add a
station" tile follows the last one (card_grid.py says why and how).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime, tzinfo

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from radiowatch.history.play import Play
from radiowatch.monitoring.cover_art import CoverArtCache
from radiowatch.monitoring.now_playing import NowPlayingBoard, StationPanel, cover_art_url
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.common.tasks import spawn
from radiowatch.ui.monitor.add_station_tile import AddStationTile
from radiowatch.ui.monitor.card_grid import (
    CARD_SPACING,
    ROOMY,
    CardStyle,
    GridShape,
    card_style,
    grid_shape,
)
from radiowatch.ui.monitor.now_playing_card import NowPlayingCard, card_style_sheet, rounded
from radiowatch.ui.shell.tray import NotificationBanner

log = logging.getLogger(__name__)

REFRESH_BUDGET_S = 0.004
COVERS_KEPT = 400


def _trim(cache: OrderedDict) -> None:
    while len(cache) > COVERS_KEPT:
        cache.popitem(last=False)


class MonitorTab(QWidget):
    """Give it the board the monitoring feeds (LiveMonitoring does, on the GUI thread).

    Signals: `pause_toggled(bool)` from the Pause button, `watchlist_requested()` from the
    Watchlist button, `play_activated(play_id)` when a card's current play is double-clicked,
    `add_station_requested()` from the "Add a station" tile and the empty page.
    A right-click on a card offers its play in History, Listen and Save clip… (with
    `set_clip_actions`).
    `banner` is the in-app alert strip a `TrayNotifier` falls back to when there is no tray.
    """

    pause_toggled = Signal(bool)
    watchlist_requested = Signal()
    play_activated = Signal(int)
    add_station_requested = Signal()

    def __init__(
        self,
        board: NowPlayingBoard,
        *,
        cover_cache: CoverArtCache | None = None,
        refresh_interval_ms: int = 250,
        age_interval_ms: int = 10_000,
        local_tz: tzinfo | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.board = board
        self._covers = cover_cache
        self._local_tz = local_tz
        self._version = -1
        self._order: list[int] = []
        self._shape: GridShape | None = None
        self._style: CardStyle | None = None
        self.cards: dict[int, NowPlayingCard] = {}
        # Downloaded covers (at most the largest card's size), and those rounded per size: the
        # most recent ones only, a day of 100 stations plays thousands of songs.
        self._pixmaps: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._rounded: OrderedDict[tuple[str, int], QPixmap] = OrderedDict()
        self._fetching: dict[str, asyncio.Task[None]] = {}
        self._ready_urls: set[str] = set()
        self._pending: dict[int, StationPanel] = {}
        self._placed: set[int] = set()
        self.clip_actions: ClipActions | None = None
        self.card_menu: QMenu | None = None
        self.setup_ui()

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(refresh_interval_ms)
        self.refresh_timer.timeout.connect(self.refresh)
        self.refresh_timer.start()
        self.age_timer = QTimer(self)
        self.age_timer.setInterval(age_interval_ms)
        self.age_timer.timeout.connect(self.refresh_ages)
        self.age_timer.start()
        self._sync_cards()
        self.refresh()

    def setup_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)

        header = QHBoxLayout()
        title = QLabel("Now playing")
        title.setStyleSheet("font-size: 13pt; font-weight: 600;")
        self.summary_label = QLabel()
        self.summary_label.setStyleSheet("color: #6b7484;")
        self.pause_button = QPushButton("Pause monitoring")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip(
            "Stop listening for now; plays that air meanwhile are caught up on resume"
        )
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.watchlist_button = QPushButton("Watchlist…")
        self.watchlist_button.setToolTip("Rules that raise an alert when a track plays")
        self.watchlist_button.clicked.connect(self.watchlist_requested)
        header.addWidget(title)
        header.addSpacing(12)
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.watchlist_button)
        header.addWidget(self.pause_button)
        layout.addLayout(header)
        # what Listen / Save clip… on a card is doing, or why it could not
        self.clip_status = QLabel()
        self.clip_status.setObjectName("clipStatus")
        self.clip_status.setWordWrap(True)
        self.clip_status.hide()
        layout.addWidget(self.clip_status)

        self.banner = NotificationBanner(self)
        layout.addWidget(self.banner)

        self.empty_state = QWidget()
        empty = QVBoxLayout(self.empty_state)
        self.empty_label = QLabel("No stations are being monitored yet.")
        self.empty_label.setStyleSheet("font-size: 12pt; font-weight: 600;")
        hint = QLabel(
            "Add a radio stream and its now-playing card appears here: the song on air, "
            "its cover and the songs before it."
        )
        hint.setWordWrap(True)
        hint.setMaximumWidth(420)
        hint.setStyleSheet("color: #6b7484;")
        self.empty_add_button = QPushButton("Add a station…")
        self.empty_add_button.clicked.connect(self.add_station_requested)
        empty.addStretch(1)
        for widget in (self.empty_label, hint, self.empty_add_button):
            empty.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
            if isinstance(widget, QLabel):
                widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.addStretch(2)
        layout.addWidget(self.empty_state, 1)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # The cards sit on the page itself, not on a grey box the size of the view.
        self.scroll.setStyleSheet("QScrollArea { background: transparent; }")
        self.scroll.viewport().setAutoFillBackground(False)
        self.scroll.viewport().installEventFilter(self)
        self.container = QWidget()
        self.container.setObjectName("cardContainer")
        self.container.setAutoFillBackground(False)
        self._scheme = ""
        self._apply_scheme()
        self.grid = QGridLayout(self.container)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(CARD_SPACING)
        self._stretch_at = (0, 0)  # the empty row and column after the grid take spare room
        self.add_tile = AddStationTile(self.container)
        self.add_tile.clicked.connect(self.add_station_requested)
        self.scroll.setWidget(self.container)
        layout.addWidget(self.scroll, 1)

    # -- pulling from the board ------------------------------------------------------------

    def refresh(self) -> None:
        """One tick: rebuild cards if stations changed, update the cards that changed.

        Work per tick is capped at `REFRESH_BUDGET_S`; cards left over are updated on the next
        tick, so a burst of events on every station never freezes the window.
        """
        if self.board.station_ids() != self._order or len(self.cards) < len(self._order):
            self._sync_cards()
            if len(self.cards) < len(self._order):
                # More cards to create: carry on in the next event-loop pass, not next tick.
                QTimer.singleShot(0, self, self.refresh)
        if self._ready_urls:
            self._apply_ready_covers()
        if self.board.version != self._version:
            for panel in self.board.changed_since(self._version):
                self._pending[panel.radio_id] = panel
            self._version = self.board.version
        if not self._pending:
            return
        now = datetime.now(UTC)
        deadline = time.perf_counter() + REFRESH_BUDGET_S
        while self._pending and time.perf_counter() < deadline:
            radio_id = next(iter(self._pending))
            panel = self._pending.pop(radio_id)
            card = self.cards.get(radio_id)
            if card is not None:
                card.show_panel(panel, now, self._local_tz)
                self._update_cover(card, panel)
        self._update_summary()

    def refresh_ages(self) -> None:
        now = datetime.now(UTC)
        for card in self.cards.values():
            card.refresh_age(now)

    def _sync_cards(self) -> None:
        """Match the cards to the board's stations. Creating a card costs a few ms, so at most
        a budget's worth is created per tick: 100 new stations appear over a few ticks instead
        of freezing the window for half a second."""
        order = self.board.station_ids()
        if order != self._order:
            self._order = order
            for radio_id in set(self.cards) - set(order):
                card = self.cards.pop(radio_id)
                self.grid.removeWidget(card)
                card.deleteLater()
                self._pending.pop(radio_id, None)
            self._placed.clear()
            self._shape = None
        deadline = time.perf_counter() + REFRESH_BUDGET_S
        created = False
        for radio_id in order:
            if radio_id in self.cards:
                continue
            if created and time.perf_counter() > deadline:
                break
            card = NowPlayingCard(radio_id, self.container)
            card.play_activated.connect(self.play_activated)
            card.menu_requested.connect(self.show_card_menu)
            self.cards[radio_id] = card
            panel = self.board.panel(radio_id)
            if panel is not None:
                self._pending[radio_id] = panel
            created = True
        self._place_cards()
        has_cards = bool(order)
        self.empty_state.setVisible(not has_cards)
        self.scroll.setVisible(has_cards)
        self._update_summary()

    def _available_width(self) -> int:
        if self.scroll.isVisible():
            return self.scroll.viewport().width()
        margins = self.layout().contentsMargins()
        return max(1, self.width() - margins.left() - margins.right())

    def _place_cards(self) -> None:
        """Put the cards in a grid as wide as the view; re-place and re-size all of them only
        when the grid's shape or the station order changed, else just add the new ones."""
        style = card_style(len(self._order))
        shape = grid_shape(self._available_width(), len(self._order) + 1, style)
        relayout = shape != self._shape or style != self._style
        self._shape, self._style = shape, style
        columns = shape.columns
        for index, radio_id in enumerate(self._order):
            card = self.cards.get(radio_id)
            if card is None or (not relayout and radio_id in self._placed):
                continue
            cover_before = card.cover_size()
            card.apply_style(shape.card_width, style)
            if card.cover_size() != cover_before and card.cover_url() in self._pixmaps:
                card.set_cover(self._cover(card.cover_url(), card.cover_size()))
            self.grid.removeWidget(card)  # no-op for a new card; a moved one is re-added
            self.grid.addWidget(card, index // columns, index % columns, Qt.AlignmentFlag.AlignTop)
            self._placed.add(radio_id)
        # The tile follows the last card created so far (all of them, once they all exist).
        tile_at = len([r for r in self._order if r in self.cards])
        self.add_tile.setFixedWidth(shape.card_width)
        self.grid.removeWidget(self.add_tile)
        self.grid.addWidget(self.add_tile, tile_at // columns, tile_at % columns)
        # Spare room goes to an empty row below and an empty column to the right: rows stay as
        # tall as their tallest card (the tile matches it), cards stay side by side.
        stretch_at = (tile_at // columns + 1, columns)
        if stretch_at != self._stretch_at:
            self.grid.setRowStretch(self._stretch_at[0], 0)
            self.grid.setColumnStretch(self._stretch_at[1], 0)
            self.grid.setRowStretch(stretch_at[0], 1)
            self.grid.setColumnStretch(stretch_at[1], 1)
            self._stretch_at = stretch_at

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._place_cards()
        return super().eventFilter(watched, event)

    def _apply_scheme(self) -> None:
        """Card colours for the light or dark scheme the app applied (ui/common/palette.py)."""
        app = QApplication.instance()
        scheme = str(app.property("radiowatch_scheme") or "light") if app else "light"
        if scheme != self._scheme:
            self._scheme = scheme
            self.container.setStyleSheet(card_style_sheet(scheme))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the desktop switched light/dark
            self._apply_scheme()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._place_cards()  # sizes settled while the tab was hidden

    def _update_summary(self) -> None:
        counts: dict[str, int] = {}
        for radio_id in self._order:
            panel = self.board.panel(radio_id)
            state = panel.status.state if panel and panel.status else "connecting"
            counts[state] = counts.get(state, 0) + 1
        total = len(self._order)
        parts = [f"{total} station{'s' if total != 1 else ''}"]
        for state in ("live", "connecting", "silent", "down", "paused"):
            if counts.get(state):
                parts.append(f"{counts[state]} {state}")
        self.summary_label.setText(" · ".join(parts))

    # -- pause -----------------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Reflect a pause made elsewhere (tray menu) without re-emitting `pause_toggled`."""
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(paused)
        self.pause_button.blockSignals(False)
        self.pause_button.setText("Resume monitoring" if paused else "Pause monitoring")

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume monitoring" if paused else "Pause monitoring")
        self.pause_toggled.emit(paused)

    # -- cover art -------------------------------------------------------------------------

    def _update_cover(self, card: NowPlayingCard, panel: StationPanel) -> None:
        url = cover_art_url(panel.current) if panel.current else None
        if url == card.cover_url() and url is not None:
            return
        card.set_cover_url(url)
        if url is None:
            card.set_cover(None)
        elif url in self._pixmaps:
            card.set_cover(self._cover(url, card.cover_size()))
        else:
            card.set_cover(None)
            self._fetch_cover(url)

    def _cover(self, url: str | None, size: int) -> QPixmap | None:
        """The downloaded cover, rounded at this size once and shared by every card."""
        pixmap = self._pixmaps.get(url) if url is not None else None
        if url is None or pixmap is None:
            return None
        key = (url, size)
        if key not in self._rounded:
            self._rounded[key] = rounded(pixmap, size)
            _trim(self._rounded)
        self._rounded.move_to_end(key)
        return self._rounded[key]

    def _fetch_cover(self, url: str) -> None:
        if self._covers is None or url in self._fetching:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no qasync loop (a plain widget test): keep the placeholder
        self._fetching[url] = spawn(self._load_cover(url), "monitor-cover")

    async def _load_cover(self, url: str) -> None:
        try:
            data = await self._covers.get(url) if self._covers else None
            pixmap = QPixmap()
            if data and pixmap.loadFromData(data):
                side = ROOMY.cover
                self._pixmaps[url] = pixmap.scaled(
                    side,
                    side,
                    Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                    Qt.TransformationMode.SmoothTransformation,
                )
            else:
                self._pixmaps[url] = None
            _trim(self._pixmaps)
            self._ready_urls.add(url)
        finally:
            self._fetching.pop(url, None)

    def _apply_ready_covers(self) -> None:
        ready, self._ready_urls = self._ready_urls, set()
        for card in self.cards.values():
            url = card.cover_url()
            if url in ready:
                card.set_cover(self._cover(url, card.cover_size()))

    # -- a card's menu ------------------------------------------------------------------------

    def set_clip_actions(self, actions: ClipActions) -> None:
        """Offer "Listen" and "Save clip…" on a card's play (the engine's archived audio)."""
        self.clip_actions = actions
        actions.status.connect(self._show_clip_status)

    def show_card_menu(self, play: Play, position: QPoint) -> QMenu:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if play.id is not None:
            menu.addAction("Open in History", lambda: self.play_activated.emit(play.id))
        else:
            opened = menu.addAction("Open in History")
            opened.setEnabled(False)
            opened.setToolTip("The song is still on air: it enters the history when it ends.")
            menu.setToolTipsVisible(True)
        if self.clip_actions is not None:
            menu.addSeparator()
            self.clip_actions.add_to_menu(menu, play)
        self.card_menu = menu
        menu.popup(position)
        return menu

    def _show_clip_status(self, text: str, error: bool) -> None:
        self.clip_status.setText(text)
        self.clip_status.setStyleSheet("color: #b00020" if error else "color: #3b4556")
        self.clip_status.setVisible(bool(text))

    def shutdown(self) -> None:
        """Stop timers and cancel cover downloads (part of the app's shutdown path)."""
        self.refresh_timer.stop()
        self.age_timer.stop()
        for task in list(self._fetching.values()):
            task.cancel()

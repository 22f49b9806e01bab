"""LiveMonitoring runs the monitoring on its own thread and feeds the window on the GUI thread:
the board, the sidebar callback and the notifier are only ever called on the GUI thread, a
station added while monitoring runs shows as connecting, a watchlist edit in the GUI reaches
the thread, and stopping joins the thread. The AudD cloud is the fake on loopback."""

from __future__ import annotations

import threading

import pytest

from radiowatch.audd import AudDClient
from radiowatch.audd.models import AUDD_CALLBACK_TZ
from radiowatch.config.settings import SettingsStore
from radiowatch.history.database import open_database
from radiowatch.monitoring.notifier import RecordingNotifier
from radiowatch.monitoring.watchlist import WatchRule
from radiowatch.stations.store import StationStore
from radiowatch.ui.monitor.live_monitoring import LiveMonitoring
from tests.conftest import drive
from tests.fakes.fake_audd import FakeAudD

pytestmark = pytest.mark.qt
TOKEN = "live-monitoring-token"


class OnWhichThread:
    """Records each call and the thread it came on."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.threads: set[threading.Thread] = set()

    def __call__(self, *args) -> None:
        self.threads.add(threading.current_thread())
        self.calls.append(args)


class ThreadCheckingNotifier(RecordingNotifier):
    def __init__(self) -> None:
        super().__init__()
        self.threads: set[threading.Thread] = set()

    def notify(self, title, body, play_id, rule_id) -> None:
        self.threads.add(threading.current_thread())
        super().notify(title, body, play_id, rule_id)


@pytest.fixture
def fake_audd():
    with FakeAudD(tokens={TOKEN}) as fake:
        yield fake


def test_the_monitoring_works_on_its_thread_and_feeds_the_gui_thread(
    qtbot, qloop, tmp_path, fake_audd
):
    db = open_database(tmp_path / "history.db")
    stations = StationStore(db)
    one = stations.add(name="Radio One", source="https://s.example/1", radio_id=1)
    sidebar = OnWhichThread()
    live = LiveMonitoring(
        db, stations, SettingsStore(tmp_path / "settings.json"), on_station_status=sidebar
    )
    notifier = ThreadCheckingNotifier()
    live.notifier.target = notifier
    plays = OnWhichThread()
    live.play_recorded.connect(plays)
    client = AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.02)
    try:
        service = drive(
            qtbot,
            qloop,
            live.start(
                client,
                state_key="audd",
                timestamp_tz=AUDD_CALLBACK_TZ,
                longpoll_timeout=2,
                retry_first_delay=0.05,
            ),
        )
        worker = service.thread
        assert worker is not threading.main_thread() and worker.is_alive()
        qtbot.waitUntil(lambda: 1 in fake_audd.account().streams, timeout=10000)

        live.watchlist.save(WatchRule(field="artist", pattern="Tears For Fears"))  # GUI's db
        fake_audd.push_match(1, artist="Tears For Fears", title="Mad World")
        qtbot.waitUntil(lambda: bool(notifier.sent and plays.calls), timeout=10000)
        assert notifier.sent[0].title == "Tears For Fears — Mad World on Radio One"
        panel = live.board.panel(1)
        assert panel.current.title == "Mad World" and panel.status.state == "live"
        assert (one.id, "live", "") in sidebar.calls

        # A station added while monitoring runs: the service says "connecting" by itself.
        two = stations.add(name="Radio Two", source="https://s.example/2", radio_id=2)
        qtbot.waitUntil(lambda: any(c[0] == two.id for c in sidebar.calls), timeout=10000)
        assert next(c for c in sidebar.calls if c[0] == two.id)[1] == "connecting"
        qtbot.waitUntil(lambda: 2 in fake_audd.account().streams, timeout=10000)

        # Everything that touches the window ran on the GUI thread, none of it on the worker.
        gui = {threading.main_thread()}
        assert sidebar.threads == gui and plays.threads == gui and notifier.threads == gui

        drive(qtbot, qloop, live.set_paused(True))
        assert service.paused
        qtbot.waitUntil(lambda: live.board.panel(1).status.state == "paused", timeout=5000)
    finally:
        drive(qtbot, qloop, live.aclose(), timeout=15000)
        drive(qtbot, qloop, client.aclose())
    assert not worker.is_alive(), "stopping joins the monitoring thread"
    assert live.service is None and live.bridge is None
    db.conn.close()


def test_a_restarted_monitoring_resumes_without_doubling_plays(qtbot, qloop, tmp_path, fake_audd):
    db = open_database(tmp_path / "history.db")
    stations = StationStore(db)
    stations.add(name="Radio One", source="https://s.example/1", radio_id=1)
    live = LiveMonitoring(db, stations, SettingsStore(tmp_path / "settings.json"))
    client = AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.02)
    options = dict(
        state_key="audd", timestamp_tz=AUDD_CALLBACK_TZ, longpoll_timeout=2, retry_first_delay=0.05
    )

    def count() -> int:
        return db.execute("SELECT COUNT(*) FROM plays").fetchone()[0]

    try:
        drive(qtbot, qloop, live.start(client, **options))
        qtbot.waitUntil(lambda: 1 in fake_audd.account().streams, timeout=10000)
        fake_audd.push_match(1, title="First", timestamp="2026-05-04 10:00:00")
        qtbot.waitUntil(lambda: count() == 1, timeout=10000)
        first_thread = live.service.thread
        drive(qtbot, qloop, live.stop(), timeout=15000)
        assert not first_thread.is_alive()

        fake_audd.push_match(1, title="While stopped", timestamp="2026-05-04 10:04:00")
        drive(qtbot, qloop, live.start(client, **options))
        qtbot.waitUntil(lambda: count() == 2, timeout=10000)
        qtbot.wait(300)
        titles = [r[0] for r in db.execute("SELECT title FROM plays ORDER BY start_ts")]
        assert titles == ["First", "While stopped"]
        assert live.board.panel(1).current.title == "While stopped"
    finally:
        drive(qtbot, qloop, live.aclose(), timeout=15000)
        drive(qtbot, qloop, client.aclose())
        db.conn.close()

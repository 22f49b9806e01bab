"""A found-later search cut short by a crash of the app's own engine, end to end: the real app on
its local engine, whose archive holds 30 hours of a station (two songs aired in them, one at
the start and one near the end, neither in the catalog). The two songs are added in the Catalog
tab; the engine searches its archive for them by itself, and is SIGKILLed once it has reported
the first song's play and is still searching. The app's supervisor starts a new engine on the
same data, on another port; that engine searches again by itself and reports the second play.
The history holds each play once, marked found later, and the Catalog tab's found-later strip
follows the search through the restart: it says the engine searches again by itself, and at
the end that two past plays were found, none of them "in History already".

(tests/engine/archive/test_found_later_crash.py proves the engine's side, and the app's
monitoring and watch against an engine restarted on the same address, as a remote engine is.)
"""

from __future__ import annotations

import json
import os
import signal

import httpx
import pytest

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from radiowatch.ui.catalog.tab import CatalogTab
from tests.engine.archive.test_found_later_crash import (
    RADIO_ID,
    SETTINGS,
    _history,
    _talk_station,
    early_and_late_airings,
    song_files,
)
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import BackgroundLoop, songs

pytestmark = [
    pytest.mark.qt,
    pytest.mark.slow,
    pytest.mark.timeout(240),
    AUDIO_BACKEND_NOISE,
]


def _monitored(app) -> bool:
    """The engine follows the station (a play found later is published only on one it does)."""
    engine = app.session.engine
    reply = httpx.post(
        engine.base_url + "/getStreams/", data={"api_token": app.session.engine_token()}, timeout=10
    ).json()
    return [s["radio_id"] for s in reply.get("result") or []] == [RADIO_ID]


def test_a_search_cut_short_by_the_apps_engine_restart_is_told_whole(qtbot, qapp, qloop, tmp_path):
    early_song, late_song = songs(2)
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(backend="local", engine_demo=False, first_run_done=True)
    data_dir = services.dirs.engine_data
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "engine-settings.json").write_text(json.dumps(SETTINGS))
    early, late = early_and_late_airings(data_dir, early_song, late_song)
    folder = tmp_path / "import"
    song_files(folder, (early_song, late_song))

    app = RadiowatchApp(qapp, services)
    run = qloop.create_task(app.run(handle_signals=False))
    with BackgroundLoop() as bg:
        try:
            qtbot.waitUntil(lambda: app.client_provider() is not None, timeout=90_000)
            station = _talk_station(bg)
            services.stations.add(name="Archive FM", source=station.url, radio_id=RADIO_ID)
            qtbot.waitUntil(lambda: _monitored(app), timeout=30_000)
            tab = app.window.tab("catalog")
            assert isinstance(tab, CatalogTab) and tab.found_later_strip is not None
            strip = tab.found_later_strip
            views = []
            strip.watch.changed.connect(views.append)
            app.window.show_tab("catalog")
            qtbot.waitUntil(lambda: not tab.busy, timeout=30_000)
            tab.add_paths([folder])  # the tab pokes the watch, as when a user adds files

            def reported_and_seen() -> bool:
                """The first play is in the history, and the strip shows the search past it."""
                return (
                    len(_history(services.db)) == 1
                    and strip.view.state == "searching"
                    and (strip.view.progress or 0) > 0
                )

            qtbot.waitUntil(reported_and_seen, timeout=90_000)
            before_kill = _history(services.db)
            old_engine = app.session.engine
            assert old_engine is not None
            old_pid, old_url = old_engine.pid, old_engine.base_url
            os.kill(old_pid, signal.SIGKILL)

            qtbot.waitUntil(lambda: len(_history(services.db)) == 2, timeout=90_000)
            new_engine = app.session.engine
            assert new_engine is not None and new_engine.pid != old_pid
            assert new_engine.base_url != old_url, "the supervisor's engine has a new port"
            qtbot.waitUntil(
                lambda: strip.view.state == "outcome" and strip.view.short.startswith("Found"),
                timeout=30_000,
            )
            qtbot.wait(2000)  # room for a duplicate, if one were coming
            after = _history(services.db)
            outcome = strip.view
            shown = strip.text.text()
        finally:
            app.request_shutdown("test")
            qtbot.waitUntil(run.done, timeout=30_000)
    assert run.result() == 0

    assert [(title, found) for title, _start, found in before_kill] == [(early_song.title, True)]
    assert [(title, found) for title, _start, found in after] == [
        (early_song.title, True),
        (late_song.title, True),
    ]
    for (_title, start, _found), airing in zip(after, (early, late), strict=True):
        assert start == pytest.approx(airing.start, abs=3)
    # through the restart the strip kept the search: the engine was away, then the search it
    # had been running was cut short and is run again by the new engine, which ends it
    states = [v.state for v in views]
    assert "searching" in states and "outcome" in states, states
    interrupted = [v for v in views if v.short == "Archive search interrupted"]
    assert interrupted, [v.text for v in views]
    assert interrupted[-1].text.endswith("It searches for the new tracks again by itself.")
    assert outcome.text == (
        "Found 2 past plays: they enter History, marked “found later”. "
        "The engine restarted during the search and searched again by itself."
    )
    assert outcome.kind == "ok" and shown == outcome.text

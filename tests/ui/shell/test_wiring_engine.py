"""With the local backend the app runs the real engine as its child process, hands its client
to the tabs, uploads to its catalog with provenance, and stops it at shutdown."""

from __future__ import annotations

import pytest

from radiowatch.app import RadiowatchApp, build_services
from radiowatch.backend.catalog_upload import catalog_audio_id, upload_to_catalog
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import MemoryTokenStore
from tests.conftest import drive
from tests.support.qt_noise import AUDIO_BACKEND_NOISE
from tests.support.stations import song_wav, songs

pytestmark = [
    pytest.mark.qt,
    pytest.mark.slow,
    AUDIO_BACKEND_NOISE,
]


def test_local_engine_child_serves_the_tabs_and_stops_with_the_app(qtbot, qapp, qloop, tmp_path):
    services = build_services(profile_dirs(), tokens=MemoryTokenStore())
    services.settings.update(backend="local", engine_demo=False)
    app = RadiowatchApp(qapp, services)
    run = qloop.create_task(app.run(handle_signals=False))
    qtbot.waitUntil(lambda: app.client_provider() is not None, timeout=90000)
    engine = app.session.engine
    assert engine is not None and engine.running
    assert engine.base_url.startswith("http://127.0.0.1:")
    assert app.window.status.backend.text() == "Local engine  —  Connected"
    assert app.monitoring.service is not None

    # Udio → "add to catalog": the upload keeps title, artist and provenance.
    recipe = songs(1)[0]
    song = tmp_path / "udio-song.wav"
    song.write_bytes(song_wav(recipe, 12.0))
    metadata = {
        "title": "Neon Tide",
        "artist": "Udio Dreams",
        "provenance": "udio:abc123",
        "kind": "song",
    }
    drive(qtbot, qloop, upload_to_catalog(app.client_provider(), song, metadata), timeout=60000)
    result = drive(qtbot, qloop, app.client_provider().recognize(song), timeout=60000)
    assert result is not None
    assert (result.artist, result.title) == ("Udio Dreams", "Neon Tide")
    extra = result.model_dump()
    assert extra.get("audio_id") in (None, catalog_audio_id("udio:abc123"))
    if "provenance" in extra:
        assert extra["provenance"] == "udio:abc123"

    app.request_shutdown("test")
    qtbot.waitUntil(run.done, timeout=30000)
    assert run.result() == 0
    assert not engine.running and engine.returncode == 0
    assert (services.dirs.logs / "engine.log").exists(), "the engine logs beside the app"

"""The GUI's archive client against a real engine process over loopback: usage and coverage of
a monitored station, a clip of what it just played (audio, in the stream's format or as MP3),
a search job's lifecycle, clear errors for what is not kept, and a plain "needs the engine"
answer when the backend is the AudD cloud."""

from __future__ import annotations

import json
import time
from types import SimpleNamespace

import pytest

from radiowatch.audd.codes import PLACEHOLDER_CALLBACK_URL
from radiowatch.audd.errors import AudDAPIError
from radiowatch.backend.archive_client import (
    NEEDS_ENGINE,
    ArchiveClient,
    ArchiveUnavailable,
    EngineAway,
    archive_client_for,
)
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from tests.engine.archive.feed import decode
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, song_programme, songs

SETTINGS = {"archive_segment_s": 3, "archive_peak_block_s": 3, "reconnect_initial_s": 0.3}


@pytest.fixture
def monitored(tmp_path):
    """An engine archiving one loopback station for a dozen seconds."""
    with BackgroundLoop() as bg, running_engine(tmp_path / "engine", settings=SETTINGS) as engine:
        engine.api("setCallbackUrl", url=PLACEHOLDER_CALLBACK_URL)
        station = bg.start_station(song_programme(songs(1), 30.0, 2.0))
        engine.api("addStream", url=station.url, radio_id=3)
        time.sleep(12)
        yield engine


@pytest.mark.slow
@pytest.mark.asyncio
async def test_the_client_reads_what_the_engine_kept(monitored):
    engine = monitored
    now = time.time()
    async with ArchiveClient(engine.base_url, engine.token) as client:
        usage = await client.usage()
        coverage = await client.coverage(now - 60, now, [3])
        clip = await client.clip(3, now - 8, now - 4, pad=1)
        as_mp3 = await client.clip(3, now - 8, now - 4, pad=1, mp3=True)
        kept = await client.kept(3, now - 8, now - 4)
        job = await client.search(radio_ids=[3])
        for _ in range(100):
            job = await client.job(job.job_id)
            if job.finished:
                break
            time.sleep(0.1)
        listed = await client.jobs()
        with pytest.raises(AudDAPIError, match="no audio of station 3 is kept"):
            await client.clip(3, now - 3600, now - 3590)
        with pytest.raises(AudDAPIError, match="must not be before"):
            await client.kept(3, now, now - 5)

    (station,) = usage.stations
    assert station.radio_id == 3 and station.segments >= 2
    assert station.audio_mb_per_day == pytest.approx(16000 * 86400 / 1e6, rel=0.15)
    assert coverage[0].seconds["archived"] >= 8
    assert [i.state for i in coverage[0].intervals][-1] in ("archived", "down")
    assert clip.mime == "audio/mpeg" and clip.file_name.endswith(".mp3")
    assert clip.start == pytest.approx(now - 9, abs=0.5) and clip.gaps == []
    assert decode(clip.data).size / SAMPLE_RATE == pytest.approx(6.0, abs=0.5)
    assert as_mp3.data == clip.data
    assert kept.complete and kept.formats == ["mp3"]
    assert job.state == "done" and job.stations == [3]
    assert job.job_id in {j.job_id for j in listed}


def test_the_audd_cloud_has_no_archive():
    cloud = SimpleNamespace(kind="audd", client=object())
    with pytest.raises(ArchiveUnavailable) as raised:
        archive_client_for(cloud)
    assert str(raised.value) == NEEDS_ENGINE
    assert "AudD cloud does not keep the audio" in NEEDS_ENGINE
    not_started = SimpleNamespace(kind="local", client=None)
    with pytest.raises(ArchiveUnavailable, match="not running"):
        archive_client_for(not_started)


def test_the_apps_own_engine_away_is_told_apart_from_no_archive():
    """While the app's local engine restarts (on a new port, in the same data folder) the
    found-later watch must keep the searches it follows: the session's reason comes as
    EngineAway. No remote engine yet is no archive at all."""
    restarting = SimpleNamespace(
        kind="local",
        client=None,
        reason="The local engine stopped; radiowatch is starting it again.",
    )
    with pytest.raises(EngineAway, match="^The local engine stopped; radiowatch is starting"):
        archive_client_for(restarting)
    with pytest.raises(ArchiveUnavailable) as raised:
        archive_client_for(SimpleNamespace(kind="remote_engine", client=None))
    assert not isinstance(raised.value, EngineAway)


@pytest.mark.asyncio
async def test_archive_limits_are_changed_through_the_engine_and_kept(tmp_path):
    data = tmp_path / "engine"
    with running_engine(data, settings={**SETTINGS, "archive_retention_days": 7}) as engine:
        async with ArchiveClient(engine.base_url, engine.token) as client:
            before = await client.limits()
            changed = await client.set_limits(retention_days=3, total_cap_mb=500)
            with pytest.raises(AudDAPIError, match="retention_days"):
                await client.set_limits(retention_days=0)
            usage = await client.usage()
        engine.settings = None  # restart on the file as the engine left it
        engine.restart()
        async with ArchiveClient(engine.base_url, engine.token) as client:
            after_restart = await client.limits()

    assert before.retention_days == 7 and before.total_cap_mb == 20_000
    assert changed.retention_days == 3 and changed.total_cap_mb == 500
    assert changed.station_cap_mb == before.station_cap_mb
    assert usage.settings["retention_days"] == 3 and usage.settings["total_cap_mb"] == 500
    assert after_restart == changed  # the refused change left nothing behind
    written = json.loads((data / "engine-settings.json").read_text())
    assert written["archive_retention_days"] == 3 and written["archive_total_cap_mb"] == 500
    assert written["archive_segment_s"] == SETTINGS["archive_segment_s"]  # other keys kept

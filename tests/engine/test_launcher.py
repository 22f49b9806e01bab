"""The launcher the GUI uses starts a real engine child process from asyncio, finds its URL,
waits until it is healthy, and stops it cleanly; a broken start is a clear error."""

from __future__ import annotations

import httpx
import pytest

from radiowatch.engine.launcher import EngineLauncher, EngineStartError


@pytest.mark.asyncio
async def test_launcher_starts_a_healthy_engine_and_stops_it_cleanly(tmp_path):
    launcher = EngineLauncher(data_dir=tmp_path / "engine", token="launcher-token",
                              log_path=tmp_path / "engine.log")
    url = await launcher.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=10) as client:
            body = (await client.post(url + "/getStreams/",
                                      data={"api_token": "launcher-token"})).json()
        assert body == {"status": "success", "result": []}
        assert launcher.running
    finally:
        code = await launcher.stop()
    assert code == 0
    assert not launcher.running
    assert "launcher-token" not in (tmp_path / "engine.log").read_text()


@pytest.mark.asyncio
async def test_a_broken_engine_start_is_reported_with_its_reason(tmp_path):
    data_dir = tmp_path / "engine"
    data_dir.mkdir()
    (data_dir / "engine-settings.json").write_text("{not json")
    launcher = EngineLauncher(data_dir=data_dir, token="t")
    with pytest.raises(EngineStartError) as caught:
        await launcher.start(timeout=30)
    assert "engine-settings.json" in str(caught.value)
    assert not launcher.running

"""The launcher the GUI uses starts a real engine child process from asyncio, finds its URL,
waits until it is healthy, and stops it cleanly; a broken start is a clear error. The engine
never outlives the program that started it, and the frozen bundle starts it its own way."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from radiowatch.backend.engine_launcher import EngineLauncher, EngineStartError, engine_command
from radiowatch.engine.cli import build_parser
from radiowatch.engine.parent_watch import process_alive


@pytest.mark.asyncio
async def test_launcher_starts_a_healthy_engine_and_stops_it_cleanly(tmp_path):
    launcher = EngineLauncher(
        data_dir=tmp_path / "engine", token="launcher-token", log_path=tmp_path / "engine.log"
    )
    url = await launcher.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(timeout=10) as client:
            body = (
                await client.post(url + "/getStreams/", data={"api_token": "launcher-token"})
            ).json()
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


# A stand-in for the GUI: starts an engine with the real launcher, says its pid, then waits.
_INTERMEDIATE = """
import asyncio, sys
from radiowatch.backend.engine_launcher import EngineLauncher

async def main():
    launcher = EngineLauncher(data_dir=sys.argv[1], token="orphan-token")
    await launcher.start()
    print(launcher.pid, flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def test_the_engine_stops_when_the_program_that_started_it_is_killed(tmp_path):
    starter = subprocess.Popen(
        [sys.executable, "-c", _INTERMEDIATE, str(tmp_path / "engine")],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    engine_pid = None
    try:
        assert starter.stdout is not None
        engine_pid = int(starter.stdout.readline())
        assert process_alive(engine_pid)
        starter.kill()  # SIGKILL: the starter gets no chance to stop its engine
        starter.wait(10)
        deadline = time.monotonic() + 20
        while process_alive(engine_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not process_alive(engine_pid), "the engine outlived the program that started it"
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait(10)
        if engine_pid is not None and process_alive(engine_pid):
            os.kill(engine_pid, signal.SIGKILL)


def test_the_frozen_bundle_starts_the_engine_through_its_engine_switch(tmp_path):
    bundle = "/opt/radiowatch/radiowatch"
    cmd = engine_command(
        "demo", host="127.0.0.1", port=0, data_dir=tmp_path, python=bundle, frozen=True
    )
    assert cmd[:2] == [bundle, "--engine"]
    # The bundle's entry point hands exactly the engine's own arguments to the engine CLI.
    engine_args = _bundle_entry_point().engine_args(cmd)
    assert engine_args == [
        "demo",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        str(tmp_path),
    ]
    parsed = build_parser().parse_args(engine_args)
    assert (parsed.command, parsed.port, parsed.data_dir) == ("demo", 0, str(tmp_path))


def test_from_source_the_engine_runs_as_a_python_module(tmp_path):
    cmd = engine_command("serve", host="127.0.0.1", port=8765, data_dir=None, frozen=False)
    assert cmd == [
        sys.executable,
        "-m",
        "radiowatch.engine.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "8765",
    ]


def _bundle_entry_point():
    # packaging/ is not a package (and its name is taken by the PyPI "packaging"), so load the
    # entry point from its file.
    path = Path(__file__).resolve().parents[2] / "packaging" / "launch.py"
    spec = importlib.util.spec_from_file_location("radiowatch_bundle_launch", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

"""The local engine is supervised: a killed engine is noticed from its process exit and replaced
on the same data and token, the tabs and the monitoring get the new engine's client, and an
engine that keeps crashing is given up on with a message that says why, where the log is and
what to do. Real engine processes, real SQLite, loopback only.

The deadlines asserted here (noticed within 2 s, back within 10 s) are the requirement, not a
speed figure: bench/backend/engine_restart.py measures how fast it really is.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
import pytest

from radiowatch.audd import AudDClient
from radiowatch.backend.engine_supervisor import CrashHistory, RestartPolicy
from radiowatch.backend.session import BackendSession
from radiowatch.config.paths import profile_dirs
from radiowatch.config.secrets import ENGINE_TOKEN, MemoryTokenStore
from radiowatch.config.settings import Settings
from tests.support.stations import unreachable_url

pytestmark = pytest.mark.slow

ENGINE_TOKEN_VALUE = "supervised-engine-token-8d1f"
FAST = RestartPolicy(first_delay_s=0.2, health_interval_s=0.5, start_timeout_s=60)


class Recorder:
    """Everything the session announces, with the monotonic time it arrived."""

    def __init__(self, session: BackendSession) -> None:
        self.states: list[tuple[float, str, str]] = []
        self.events: list[tuple[float, str, object]] = []
        session.on_state = lambda state, detail: self.states.append(
            (time.monotonic(), state, detail)
        )
        for name in ("engine_down", "engine_up", "engine_failed"):
            getattr(session, name).connect(
                lambda value, name=name: self.events.append((time.monotonic(), name, value))
            )

    def first(self, name: str):
        return next(((t, v) for t, n, v in self.events if n == name), None)

    def state_names(self) -> list[str]:
        return [state for _, state, _ in self.states]


def local_session(policy: RestartPolicy = FAST) -> BackendSession:
    dirs = profile_dirs().ensure()
    tokens = MemoryTokenStore({ENGINE_TOKEN: ENGINE_TOKEN_VALUE})
    return BackendSession(
        dirs, Settings(backend="local", engine_demo=False), tokens, restart_policy=policy
    )


async def until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


@pytest.mark.asyncio
async def test_a_killed_engine_is_noticed_at_once_and_replaced_on_the_same_data():
    session = local_session()
    seen = Recorder(session)
    try:
        first_client = await session.start()
        assert first_client is not None and session.state == "connected"
        first_pid, first_url = session.engine.pid, first_client.base_url
        # Something only this engine's data folder knows, to find again in the new engine.
        await first_client.streams.set_callback_url("https://audd.tech/empty/")
        await first_client.streams.add(unreachable_url(), 5)

        killed_at = time.monotonic()
        os.kill(first_pid, signal.SIGKILL)
        await until(lambda: seen.first("engine_down"), 5, "the engine's exit to be noticed")
        noticed_at, outage = seen.first("engine_down")
        assert noticed_at - killed_at < 2.0, "noticed from the process exit, not from polls"
        assert outage.exit_code == -signal.SIGKILL and outage.up_at is None
        assert session.state == "restarting", "never 'connected' while the engine is dead"
        assert session.client_provider() is None
        assert "starting it again" in session.reason

        await until(lambda: seen.first("engine_up"), 15, "a new engine")
        back_at, back = seen.first("engine_up")
        assert back_at - killed_at < 10.0
        assert back.down_at == outage.down_at and back.up_at > back.down_at
        assert session.state == "connected"
        client = session.client_provider()
        assert client is not None and client is not first_client
        assert str(client.base_url) == back.base_url != first_url
        assert session.engine.pid != first_pid and session.engine.running
        # Same data folder and same token: the stream registered before the crash is there.
        streams = await client.streams.list()
        assert [s.radio_id for s in streams] == [5]
        assert seen.state_names()[-2:] == ["restarting", "connected"]
        assert session.supervisor.outages == [back]
    finally:
        await session.aclose()
    assert session.engine is not None and not session.engine.running


@pytest.mark.asyncio
async def test_an_engine_that_keeps_crashing_is_given_up_with_its_log_and_what_to_do():
    session = local_session(RestartPolicy(first_delay_s=0.1, max_crashes=3, window_s=300))
    seen = Recorder(session)
    try:
        await session.start()
        # The engine's settings file gets damaged: every new engine dies at start.
        (session.dirs.engine_data / "engine-settings.json").write_text("{not json")
        os.kill(session.engine.pid, signal.SIGKILL)
        await until(lambda: seen.first("engine_failed"), 60, "the supervisor to give up")
        _, failure = seen.first("engine_failed")

        assert [n for _, n, _ in seen.events] == ["engine_down", "engine_failed"]
        assert failure.crashes == 3
        assert session.state == "failed" and session.client_provider() is None
        message = failure.message
        assert "stopped 3 times within 5 minutes" in message
        assert "engine-settings.json" in message, "its last log lines say why"
        assert str(session.dirs.logs / "engine.log") in message, "where the log is"
        assert "What to do" in message and "Restart engine" in message
        assert ENGINE_TOKEN_VALUE not in message
        assert session.detail == message, "the status bar's detail is the whole story"
        assert "kept crashing" in session.reason
        log_text = (session.dirs.logs / "engine.log").read_text()
        assert ENGINE_TOKEN_VALUE not in log_text
        # It really stopped: no engine process is left and none is started any more.
        await asyncio.sleep(1.0)
        assert not session.engine.running
        assert seen.state_names()[-1] == "failed"
    finally:
        await session.aclose()


@pytest.mark.asyncio
async def test_an_engine_that_stops_answering_is_replaced():
    session = local_session(
        RestartPolicy(first_delay_s=0.2, health_interval_s=0.3, hang_after_s=1.5)
    )
    seen = Recorder(session)
    try:
        await session.start()
        hung_pid = session.engine.pid
        os.kill(hung_pid, signal.SIGSTOP)  # alive, but answers nothing
        await until(lambda: "error" in seen.state_names(), 10, "the engine shown as not answering")
        assert "does not answer" in session.detail
        await until(lambda: seen.first("engine_up"), 30, "a new engine after the hang")
        assert session.engine.pid != hung_pid and session.state == "connected"
        _, outage = seen.first("engine_down")
        assert outage.exit_code == -signal.SIGKILL
        async with httpx.AsyncClient() as http:
            assert (await http.get(session.client.base_url + "/health/")).status_code == 200
    finally:
        await session.aclose()


@pytest.mark.asyncio
async def test_the_engine_stops_with_the_session_and_is_not_restarted():
    session = local_session()
    seen = Recorder(session)
    await session.start()
    engine = session.engine
    await session.aclose()
    assert not engine.running and engine.returncode == 0
    await asyncio.sleep(1.0)
    assert seen.events == [] and session.engine is engine, "a clean stop is not a crash"


def test_restarts_back_off_and_stop_after_repeated_crashes_within_the_window():
    history = CrashHistory(RestartPolicy(first_delay_s=1, max_delay_s=30, max_crashes=4))
    assert [history.record(t) for t in (0, 10, 20)] == [1, 2, 4]
    assert history.record(30) is None, "the fourth end within five minutes: give up"

    spaced = CrashHistory(RestartPolicy(first_delay_s=1, max_crashes=3, window_s=300))
    # Crashes further apart than the window are each a first crash again.
    assert [spaced.record(t) for t in (0, 400, 800, 1200)] == [1, 1, 1, 1]
    capped = CrashHistory(RestartPolicy(first_delay_s=10, max_delay_s=25, max_crashes=9))
    assert [capped.record(t) for t in range(4)] == [10, 20, 25, 25]


@pytest.mark.asyncio
async def test_a_remote_engine_or_the_cloud_going_away_shows_on_the_status(tmp_path):
    from tests.fakes.fake_audd import FakeAudD
    from tests.support.engine_process import running_engine

    dirs = profile_dirs().ensure()
    with running_engine(tmp_path / "remote", token=ENGINE_TOKEN_VALUE) as engine:
        session = BackendSession(
            dirs,
            Settings(backend="remote_engine", remote_engine_url=engine.base_url),
            MemoryTokenStore({ENGINE_TOKEN: ENGINE_TOKEN_VALUE}),
            check_interval=0.2,
        )
        seen = Recorder(session)
        try:
            assert isinstance(await session.start(), AudDClient)
            assert session.state == "connecting", "not 'connected' before anything was checked"
            await until(lambda: session.state == "connected", 10, "the first check")
            await asyncio.to_thread(engine.kill)
            await until(lambda: session.state == "error", 10, "the remote engine seen gone")
            assert f"Cannot reach the remote engine at {engine.base_url}" in session.detail
            await asyncio.to_thread(engine.restart)
            await until(lambda: session.state == "connected", 10, "the remote engine back")
            assert seen.state_names() == ["connecting", "connected", "error", "connected"]
        finally:
            await session.aclose()

    with FakeAudD(tokens={"cloud-token-1234"}) as cloud:
        session = BackendSession(
            dirs,
            Settings(backend="audd"),
            MemoryTokenStore({"audd_api_token": "cloud-token-1234"}),
            cloud_url=cloud.base_url,
            check_interval=0.2,
        )
        try:
            await session.start()
            await until(lambda: session.state == "connected", 10, "the cloud answering")
            await asyncio.to_thread(cloud.stop)
            await until(lambda: session.state == "error", 10, "the cloud seen unreachable")
            assert "Cannot reach the AudD cloud" in session.detail
            await asyncio.to_thread(cloud.start)
            await until(lambda: session.state == "connected", 10, "the cloud back")
            recognize_calls = [r for r in cloud.requests if r.path == "/"]
            assert recognize_calls == [], "the check never spends a recognition request"
        finally:
            await session.aclose()

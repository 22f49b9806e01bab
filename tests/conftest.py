"""Shared fixtures.

Every test runs with an isolated profile (RADIOWATCH_HOME in tmp_path) and an in-memory
keyring, so nothing a test does reaches the user's real data or secrets.

GUI tests use pytest-qt's one QApplication plus `qloop`, a qasync loop per test, following
docs/qt-and-asyncio.md (sync tests + qtbot.waitUntil; never loop.stop()).
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import os
import signal

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# A deadlock that holds the GIL also stops pytest-timeout's thread. The Makefile's outer
# `timeout` sends SIGUSR1 first: every thread's stack is written (from C, no GIL needed) to the
# file it names, which it prints when the suite is killed, so a hang on CI says where it is.
# (Not to stderr: pytest's capture holds that, and a killed run never shows it.)
# Under pytest-xdist every worker process gets the signal too and writes its own file
# (`<name>.gw0`, ...): one shared file would have the workers overwrite each other's stacks.
if os.environ.get("RADIOWATCH_TEST_STACKS"):
    _stacks_path = os.environ["RADIOWATCH_TEST_STACKS"]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _stacks_path += "." + os.environ["PYTEST_XDIST_WORKER"]
    _stacks_file = open(_stacks_path, "w")  # noqa: SIM115 - lives as long as the run
    faulthandler.register(signal.SIGUSR1, file=_stacks_file, all_threads=True)


def pytest_collection_modifyitems(config, items):
    """Tests marked `slow` run first, those given the longest time limit (`timeout` mark) first
    of all. They are mostly wall-clock time (a loopback station airs its programme in real time
    while an engine listens), so with `make test`'s parallel workers (pytest-xdist) they
    overlap each other and the quick tests instead of being the tail of the run. The order
    changes nothing a test sees: every test passes alone and in any order."""

    def order(item: pytest.Item) -> tuple[bool, float]:
        limit = item.get_closest_marker("timeout")
        return item.get_closest_marker("slow") is None, -(limit.args[0] if limit else 0)

    items.sort(key=order)


# Python's cyclic garbage collector runs in whichever thread happens to allocate: a loopback
# server's thread, an engine pump thread, a worker. When the garbage holds QObjects (a widget
# captured in a lambda cycle, a QMediaPlayer), Qt then destroys them off the GUI thread, and the
# next event loop turn can crash ("Timers cannot be stopped from another thread", then SIGSEGV).
# So the suite never collects automatically: it collects on the main thread after each test,
# once pytest-qt has closed that test's widgets.
gc.disable()


@pytest.fixture(autouse=True)
def collect_garbage_on_the_main_thread():
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_profile(tmp_path, monkeypatch):
    home = tmp_path / "profile"
    home.mkdir()
    monkeypatch.setenv("RADIOWATCH_HOME", str(home))
    monkeypatch.delenv("AUDD_API_TOKEN", raising=False)
    monkeypatch.delenv("RADIOWATCH_ENGINE_TOKEN", raising=False)
    # keyring must never touch the developer's real keychain from a test.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    return home


@pytest.fixture
def qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in pending:
        task.cancel()
    deadline = loop.time() + 2
    while any(not t.done() for t in pending) and loop.time() < deadline:
        qapp.processEvents()
    # Not loop.stop(): it calls app.exit(), which poisons every later QEventLoop.exec().
    loop._QEventLoop__is_running = False
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


def drive(qtbot, loop, coro, timeout=5000):
    """Run a coroutine to completion on the qasync loop from a sync test."""
    task = loop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()

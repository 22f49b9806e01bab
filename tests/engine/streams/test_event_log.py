"""The long-poll log hands out strictly increasing timestamps, replays from since_time, wakes
waiters on publish, and keeps its events across a reopen (engine restart)."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.engine.store import EngineStore
from radiowatch.engine.streams.event_log import EventLog


@pytest.mark.asyncio
async def test_timestamps_strictly_increase_even_within_one_millisecond(tmp_path):
    log = EventLog(EngineStore.open(tmp_path), clock=lambda: 1000.0)
    stamps = [log.publish("cat", 1, {"n": i}) for i in range(5)]
    assert stamps == sorted(set(stamps)) and len(stamps) == 5
    timeout = await log.wait("cat", stamps[-1], 0.01)
    assert timeout.body["timestamp"] > stamps[-1]
    assert log.publish("cat", 1, {"n": 5}) > timeout.body["timestamp"]


@pytest.mark.asyncio
async def test_replay_from_since_time_is_oldest_first_and_per_category(tmp_path):
    log = EventLog(EngineStore.open(tmp_path))
    a1 = log.publish("a", 1, {"n": 1})
    log.publish("b", 2, {"n": 2})
    a2 = log.publish("a", 1, {"n": 3})
    first = await log.wait("a", 0, 1)
    assert first.body["n"] == 1 and first.body["timestamp"] == a1
    second = await log.wait("a", a1, 1)
    assert second.body["n"] == 3 and second.body["events"][0]["timestamp"] == a2


@pytest.mark.asyncio
async def test_a_waiting_poll_is_woken_by_a_publish(tmp_path):
    log = EventLog(EngineStore.open(tmp_path))
    waiter = asyncio.ensure_future(log.wait("a", None, 30))
    await asyncio.sleep(0.05)
    log.publish("a", 1, {"hello": True})
    reply = await asyncio.wait_for(waiter, 5)
    assert reply.body["hello"] is True


@pytest.mark.asyncio
async def test_events_survive_a_reopen_and_new_ones_sort_after_them(tmp_path):
    store = EngineStore.open(tmp_path)
    old = EventLog(store).publish("a", 1, {"n": 1})
    store.close()
    log = EventLog(EngineStore.open(tmp_path), clock=lambda: 0.0)  # even with a clock behind
    assert (await log.wait("a", 0, 1)).body["n"] == 1
    assert log.publish("a", 1, {"n": 2}) > old


@pytest.mark.asyncio
async def test_closing_answers_waiters_at_once(tmp_path):
    log = EventLog(EngineStore.open(tmp_path))
    waiter = asyncio.ensure_future(log.wait("a", None, 100))
    await asyncio.sleep(0.05)
    log.close()
    reply = await asyncio.wait_for(waiter, 2)
    assert reply.body["timeout"] == "no events before timeout"

"""Sharing the loop: long-poll connections are spread over small clients, and a burst of work
is spread over several slices instead of running in one go."""

from __future__ import annotations

import asyncio
import time

import pytest

from radiowatch.monitoring.longpoll_connections import LongpollConnections
from radiowatch.monitoring.pacing import Pacer


@pytest.mark.asyncio
async def test_streams_share_small_clients_and_a_released_slot_is_reused():
    connections = LongpollConnections(per_client=8)
    clients = [connections.client_for(radio_id) for radio_id in range(20)]
    assert len({id(c) for c in clients}) == 3
    assert connections.client_for(5) is clients[5], "a stream keeps its client"
    connections.release(3)
    assert connections.client_for(99) is clients[0], "the freed slot is used first"
    await connections.aclose()
    assert all(c.is_closed for c in clients)


@pytest.mark.asyncio
async def test_a_burst_of_work_is_spread_over_several_slices():
    pacer = Pacer(budget=0.004, period=0.012)
    started: list[float] = []

    async def unit() -> None:
        await pacer.turn()
        started.append(time.perf_counter())
        deadline = time.perf_counter() + 0.002  # 2 ms of work on the loop
        while time.perf_counter() < deadline:
            pass

    begin = time.perf_counter()
    await asyncio.gather(*(unit() for _ in range(20)))
    assert len(started) == 20
    # 40 ms of work with at most ~4 ms per 12 ms slice cannot all start in the first slice.
    assert max(started) - begin > 0.012
    in_first_slice = sum(1 for t in started if t - begin < 0.004)
    assert in_first_slice < 20

"""WebSocket recognition session (docs/protocols/audd.md §9) against the fake's /ws/ endpoint."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.audd import AudDAuthenticationError, AudDClient, AudDConnectionError
from tests.audd.conftest import TOKEN


def recordings(n):
    return [b"x" * (100 + i) for i in range(n)]


@pytest.mark.asyncio
async def test_replies_come_back_in_send_order_without_waiting(audd, fake_audd):
    clips = recordings(4) + [b"NOMATCH please"]
    async with audd.websocket(return_metadata=["apple_music"]) as ws:
        for clip in clips:
            await ws.send(clip)  # nothing awaited between sends
        replies = [await ws.receive() for _ in clips]
    assert [r.model_extra["received_bytes"] for r in replies[:4]] == [100, 101, 102, 103]
    assert replies[0].apple_music is not None
    assert replies[4] is None
    assert fake_audd.received("/ws/")[0].params["return"] == "apple_music"


@pytest.mark.asyncio
async def test_dropped_connection_reconnects_and_every_recording_gets_one_reply(audd, fake_audd):
    fake_audd.ws_drop_after = 2
    clips = recordings(5)
    async with audd.websocket() as ws:
        for clip in clips:
            await ws.send(clip)
        replies = [await asyncio.wait_for(ws.receive(), 15) for _ in clips]
        assert ws.connects == 2
    assert [r.model_extra["received_bytes"] for r in replies] == [100, 101, 102, 103, 104]


@pytest.mark.asyncio
async def test_recognize_is_send_and_wait(audd):
    async with audd.websocket() as ws:
        first = await ws.recognize(b"short")
        second = await ws.recognize(b"NOMATCH longer recording")
    assert first.model_extra["received_bytes"] == 5
    assert second is None


@pytest.mark.asyncio
async def test_error_reply_raises_the_typed_error_for_that_recording(fake_audd):
    client = AudDClient("not-a-valid-token", base_url=fake_audd.base_url)
    async with client, client.websocket() as ws:
        await ws.send(b"clip")
        with pytest.raises(AudDAuthenticationError) as info:
            await ws.receive()
    assert "not-a-valid-token" not in str(info.value)


@pytest.mark.asyncio
async def test_unreachable_server_fails_after_bounded_reconnects(fake_audd):
    await asyncio.to_thread(fake_audd.stop)
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.01) as client:
        with pytest.raises(AudDConnectionError):
            async with client.websocket(max_reconnects=2):
                pass


@pytest.mark.asyncio
async def test_server_restart_mid_session_is_survived(audd, fake_audd):
    async with audd.websocket() as ws:
        assert await ws.recognize(b"before")
        await asyncio.to_thread(fake_audd.restart)
        after = await asyncio.wait_for(ws.recognize(b"after restart"), 15)
    assert after.model_extra["received_bytes"] == len(b"after restart")

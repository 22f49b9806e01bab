"""The api token never shows up in exception text, error attributes, events or logs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from radiowatch.audd import AudDClient, AudDError, mask_token
from tests.audd.conftest import TOKEN


def leaks(*things) -> bool:
    return any(TOKEN in repr(t) or TOKEN in str(t) for t in things)


def test_mask_keeps_only_the_first_and_last_character():
    assert mask_token("definitelynotvalid_aaa") == "d***a"
    assert mask_token("ab") == "***"
    assert mask_token("") == ""


@pytest.mark.asyncio
async def test_server_echoing_the_token_in_clear_cannot_leak_it(audd, fake_audd):
    fake_audd.next_reply(
        "/",
        {
            "status": "error",
            "error": {"error_code": 900, "error_message": f"token {TOKEN} is wrong"},
            "request_params": {"api_token": TOKEN, "url": "https://x.example/a.mp3"},
            "result": {"artist": TOKEN, "title": "x"},
        },
    )
    with pytest.raises(AudDError) as info:
        await audd.recognize("https://x.example/a.mp3")
    exc = info.value
    assert not leaks(exc, exc.message, exc.request_params, exc.raw_response)
    assert exc.request_params["api_token"] == mask_token(TOKEN)


@pytest.mark.asyncio
async def test_request_params_fall_back_to_what_was_sent_masked(audd, fake_audd):
    fake_audd.next_reply(
        "/", {"status": "error", "error": {"error_code": 300, "error_message": "too short"}}
    )
    with pytest.raises(AudDError) as info:
        await audd.recognize("https://x.example/a.mp3", market="de")
    assert info.value.request_params == {
        "market": "de",
        "url": "https://x.example/a.mp3",
        "api_token": mask_token(TOKEN),
    }


@pytest.mark.asyncio
async def test_connection_errors_and_logs_never_carry_the_token(fake_audd, caplog):
    caplog.set_level(logging.DEBUG)
    events = []
    async with AudDClient(
        TOKEN, base_url=fake_audd.base_url, backoff_factor=0.01, on_event=events.append
    ) as client:
        await client.recognize(b"clip")
        await client.streams.list()
        async with client.websocket() as ws:
            await ws.recognize(b"clip")
        await asyncio.to_thread(fake_audd.stop)
        with pytest.raises(AudDError) as info:
            await client.recognize(b"clip")
        with pytest.raises(AudDError) as ws_info:
            async with client.websocket(max_reconnects=0):
                pass
    assert not leaks(info.value, ws_info.value, events, caplog.text)
    assert events and caplog.records

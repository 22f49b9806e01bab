"""Stream management against the stateful fake (docs/protocols/audd.md §5)."""

from __future__ import annotations

import pytest

from radiowatch.audd import AudDQuotaError, longpoll_category
from radiowatch.audd.streams import add_return_to_url
from tests.audd.conftest import TOKEN


@pytest.mark.asyncio
async def test_streams_round_trip_through_the_server_state(audd, fake_audd):
    await audd.streams.add("https://radio.example/live.mp3", 7, callbacks="before")
    await audd.streams.add("twitch:monstercat", 42)
    await audd.streams.set_url(7, "https://radio.example/hq.mp3")
    streams = await audd.streams.list()
    assert [(s.radio_id, s.url) for s in streams] == [
        (7, "https://radio.example/hq.mp3"),
        (42, "twitch:monstercat"),
    ]
    assert streams[0].longpoll_category == longpoll_category(TOKEN, 7)
    assert fake_audd.received("/addStream/")[0].params["callbacks"] == "before"
    assert "callbacks" not in fake_audd.received("/addStream/")[1].params
    await audd.streams.delete(7)
    assert [s.radio_id for s in await audd.streams.list()] == [42]


@pytest.mark.asyncio
async def test_callback_url_carries_the_requested_metadata(audd, fake_audd):
    await audd.streams.set_callback_url(
        "https://my.example/cb?user=1", return_metadata=["apple_music", "deezer"]
    )
    assert await audd.streams.get_callback_url() == (
        "https://my.example/cb?user=1&return=apple_music%2Cdeezer"
    )


def test_callback_url_with_its_own_return_is_refused():
    with pytest.raises(ValueError, match="already has a return"):
        add_return_to_url("https://my.example/cb?return=spotify", "apple_music")
    assert add_return_to_url("https://my.example/cb", None) == "https://my.example/cb"


@pytest.mark.asyncio
async def test_ensure_callback_url_keeps_an_existing_url(audd, fake_audd):
    fake_audd.set_callback_url("https://mine.example/hook")
    assert await audd.streams.ensure_callback_url(set_placeholder=True) == (
        "https://mine.example/hook"
    )
    assert fake_audd.count("/setCallbackUrl/") == 0


@pytest.mark.asyncio
async def test_stream_limit_is_a_quota_error(audd, fake_audd):
    fake_audd.stream_limit = 1
    await audd.streams.add("https://radio.example/1.mp3", 1)
    with pytest.raises(AudDQuotaError) as info:
        await audd.streams.add("https://radio.example/2.mp3", 2)
    assert info.value.request_method == "addStream"
    assert info.value.request_params["radio_id"] == "2"

"""The official AudD SDK, an independent client, accepts the fake as the AudD cloud.

If the SDK and our client both work against the fake, the fake is faithful to the protocol
and our client is not merely agreeing with our own assumptions. The SDK is pointed at the
fake with a URL-rewriting transport (docs/protocols/audd.md §12).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

audd = pytest.importorskip("audd")

from tests.audd.conftest import TOKEN  # noqa: E402


class ToFake(httpx.AsyncHTTPTransport):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return await super().handle_async_request(request)


@pytest.mark.asyncio
async def test_official_sdk_recognises_manages_streams_and_long_polls_against_the_fake(
    fake_audd,
):
    http = httpx.AsyncClient(transport=ToFake(fake_audd.port), timeout=30)
    client = audd.AsyncAudD(TOKEN, httpx_client=http)
    try:
        result = await client.recognize(b"clip", return_metadata=["apple_music"])
        assert result.artist == "Tears For Fears" and result.apple_music is not None
        with pytest.raises(audd.errors.AudDInvalidRequestError):
            await client.streams.longpoll(radio_id=7, timeout=1)  # no callback URL yet
        await client.streams.set_callback_url("https://audd.tech/empty/")
        await client.streams.add("https://radio.example/live.mp3", 7)
        [stream] = await client.streams.list()
        assert stream.longpoll_category == fake_audd.category(7)
        fake_audd.push_match(7, title="seen by the SDK")
        async with await client.streams.longpoll(radio_id=7, since_time=0, timeout=1) as poll:
            match = await asyncio.wait_for(poll.matches.__anext__(), 10)
        assert match.song.title == "seen by the SDK"
    finally:
        await http.aclose()

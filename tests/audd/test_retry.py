"""Retries by class (docs/protocols/audd.md §11.1), checked by counting what the fake server received."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.audd import (
    AudDClient,
    AudDConnectionError,
    AudDInvalidResponse,
    AudDServerError,
)
from tests.audd.conftest import TOKEN

SERVER_ERROR = {"status": "error", "error": {"error_code": 1000, "error_message": "boom"}}


@pytest.mark.asyncio
async def test_read_retries_server_errors_until_success(audd, fake_audd):
    fake_audd.fail_next("/getStreams/", status=503, times=2)
    assert await audd.streams.list() == []
    assert fake_audd.count("/getStreams/") == 3


@pytest.mark.asyncio
@pytest.mark.parametrize("status", [408, 429])
async def test_read_retries_timeouts_and_throttling(audd, fake_audd, status):
    fake_audd.set_callback_url("https://cb.example/")
    fake_audd.fail_next("/getCallbackUrl/", status=status)
    assert await audd.streams.get_callback_url() == "https://cb.example/"
    assert fake_audd.count("/getCallbackUrl/") == 2


@pytest.mark.asyncio
async def test_read_retries_a_dropped_connection(audd, fake_audd):
    fake_audd.drop_next("/getStreams/")
    assert await audd.streams.list() == []
    assert fake_audd.count("/getStreams/") == 2


@pytest.mark.asyncio
async def test_read_gives_up_after_max_retries_and_decodes_the_last_reply(audd, fake_audd):
    fake_audd.fail_next("/getStreams/", status=503, times=5)
    with pytest.raises(AudDInvalidResponse):
        await audd.streams.list()
    assert fake_audd.count("/getStreams/") == 3


@pytest.mark.asyncio
async def test_recognition_retries_5xx(audd, fake_audd):
    fake_audd.fail_next("/", status=502)
    assert (await audd.recognize(b"clip")).artist == "Tears For Fears"
    assert fake_audd.count("/") == 2


@pytest.mark.asyncio
async def test_recognition_gives_up_with_a_server_error_for_non_json_5xx(audd, fake_audd):
    fake_audd.fail_next("/", status=502, times=3)
    with pytest.raises(AudDServerError, match="HTTP 502") as info:
        await audd.recognize(b"clip")
    assert info.value.code == 0
    assert fake_audd.count("/") == 3


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/", "/addStream/", "/upload/"])
async def test_connection_cut_after_upload_is_never_retried(audd, fake_audd, path):
    fake_audd.drop_next(path)
    calls = {
        "/": lambda: audd.recognize(b"clip"),
        "/addStream/": lambda: audd.streams.add("https://r.example/s.mp3", 1),
        "/upload/": lambda: audd.upload(5, b"song"),
    }
    with pytest.raises(AudDConnectionError):
        await calls[path]()
    assert fake_audd.count(path) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/addStream/", "/upload/"])
async def test_mutations_do_not_retry_server_errors(audd, fake_audd, path):
    fake_audd.fail_next(path, status=500, body=SERVER_ERROR)
    with pytest.raises(AudDServerError):
        if path == "/upload/":
            await audd.upload(5, b"song")
        else:
            await audd.streams.add("https://r.example/s.mp3", 1)
    assert fake_audd.count(path) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("method", ["recognize", "addStream"])
async def test_connect_failures_are_retried_for_recognition_and_mutations(fake_audd, method):
    await asyncio.to_thread(fake_audd.stop)
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.5) as client:
        call = (
            client.recognize(b"clip")
            if method == "recognize"
            else client.streams.add("https://r.example/s.mp3", 1)
        )
        task = asyncio.create_task(call)
        await asyncio.sleep(0.05)  # the first attempt is refused
        await asyncio.to_thread(fake_audd.start)
        await asyncio.wait_for(task, 10)
    path = "/" if method == "recognize" else "/addStream/"
    assert fake_audd.count(path) == 1  # refused attempts never reached it; no double add


@pytest.mark.asyncio
async def test_upload_is_not_retried_even_when_the_connection_is_refused(fake_audd):
    await asyncio.to_thread(fake_audd.stop)
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.01) as client:
        with pytest.raises(AudDConnectionError):
            await client.upload(5, b"song")


@pytest.mark.asyncio
async def test_max_retries_one_disables_retries(fake_audd):
    fake_audd.fail_next("/getStreams/", status=503, times=2)
    async with AudDClient(
        TOKEN, base_url=fake_audd.base_url, max_retries=1, backoff_factor=0.01
    ) as client:
        with pytest.raises(AudDInvalidResponse):
            await client.streams.list()
    assert fake_audd.count("/getStreams/") == 1


@pytest.mark.asyncio
async def test_unseekable_file_gets_a_single_attempt(audd, fake_audd):
    class Pipe:
        def read(self, n=-1):
            return b"stream bytes"

        def seekable(self):
            return False

    fake_audd.fail_next("/", status=503)
    with pytest.raises(AudDServerError):
        await audd.recognize(Pipe())
    assert fake_audd.count("/") == 1


@pytest.mark.asyncio
async def test_seekable_file_is_rewound_for_the_retry(audd, fake_audd):
    import io

    clip = io.BytesIO(b"twelve bytes")
    fake_audd.fail_next("/", status=503)
    await audd.recognize(clip)
    sizes = [r.file_size for r in fake_audd.received("/")]
    assert sizes == [12, 12]

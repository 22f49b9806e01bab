"""The Udio task client against a loopback fake reseller serving the seed's example body."""

from __future__ import annotations

import pytest

from radiowatch.udio.client import PollPolicy, UdioClient
from radiowatch.udio.endpoint import UdioEndpoint
from radiowatch.udio.errors import (
    UdioAuthError,
    UdioConnectionError,
    UdioForbiddenError,
    UdioGoneError,
    UdioNotFoundError,
    UdioProtocolError,
    UdioRateLimitError,
    UdioServerError,
)
from radiowatch.udio.models import SongStatus
from tests.fakes.fake_udio import SEED_SONG_IDS, TEST_KEY, FakeUdio
from tests.udio.conftest import make_client

pytestmark = pytest.mark.asyncio

FIRST, SECOND = SEED_SONG_IDS
UNKNOWN = "00000000-0000-4000-8000-000000000000"


async def test_fetch_returns_the_seed_songs_with_their_documented_fields(fake_udio):
    async with make_client(fake_udio) as client:
        results = await client.fetch([FIRST, SECOND])
    assert [r.status for r in results] == [SongStatus.FINISHED, SongStatus.FINISHED]
    song = results[0].song
    assert song.title == "Final Echoes"
    assert song.artist == "IntenseOud7926"
    assert song.duration == pytest.approx(32.81, abs=0.01)
    assert song.tags[:3] == ["female vocalist", "rock", "pop"]
    assert song.prompt == "The last song ever sung on the planet earth"
    assert song.video_path is None and song.original_song_path is None
    assert results[1].song.replaced_tags["pop"].type == "tags"
    assert results[1].song.audio_url.endswith("Echoes%2520of%2520Tomorrow.mp3")


async def test_one_request_carries_all_ids_comma_separated(fake_udio):
    async with make_client(fake_udio) as client:
        await client.fetch([FIRST, SECOND])
    (request,) = fake_udio.api_requests()
    assert request.path == "/udio/query"
    assert request.query["ids"] == [f"{FIRST},{SECOND}"]


async def test_ids_are_split_into_batches_of_the_configured_size(fake_udio):
    async with make_client(fake_udio, batch_size=1) as client:
        results = await client.fetch([FIRST, SECOND, FIRST])
    assert [r.id for r in results] == [FIRST, SECOND]
    assert [r.query["ids"] for r in fake_udio.api_requests()] == [[FIRST], [SECOND]]


@pytest.mark.parametrize(
    ("scheme", "header", "value"),
    [
        ("bearer", "authorization", f"Bearer {TEST_KEY}"),
        ("raw", "authorization", TEST_KEY),
        ("x-api-key", "x-api-key", TEST_KEY),
    ],
)
async def test_key_travels_in_the_configured_auth_header_and_never_in_the_url(
    scheme, header, value
):
    with FakeUdio(auth_scheme=scheme) as fake:
        async with make_client(fake) as client:
            results = await client.fetch([FIRST])
        (request,) = fake.api_requests()
    assert results[0].status is SongStatus.FINISHED
    assert request.headers[header] == value
    assert TEST_KEY not in request.path + str(request.query)


async def test_per_task_path_template_fetches_one_id_per_request_from_a_data_envelope():
    with FakeUdio(path_template="/udio/fetch/{id}", auth_scheme="x-api-key") as fake:
        async with make_client(fake, batch_size=20) as client:
            results = await client.fetch([FIRST, UNKNOWN, SECOND])
        paths = [r.path for r in fake.api_requests()]
    assert paths == [f"/udio/fetch/{FIRST}", f"/udio/fetch/{UNKNOWN}", f"/udio/fetch/{SECOND}"]
    assert [r.status for r in results] == [
        SongStatus.FINISHED,
        SongStatus.FAILED,
        SongStatus.FINISHED,
    ]


async def test_unknown_ids_fail_alone_while_the_known_ones_succeed(fake_udio):
    async with make_client(fake_udio) as client:
        results = await client.fetch([UNKNOWN, FIRST])
    assert [r.id for r in results] == [UNKNOWN, FIRST]
    assert results[0].status is SongStatus.FAILED and results[0].song is None
    assert "does not know this id" in results[0].message
    assert results[1].status is SongStatus.FINISHED


async def test_a_failed_generation_is_reported_with_udios_own_error(fake_udio):
    fake_udio.fail_generation(SECOND, detail="Lyrics were flagged by moderation")
    async with make_client(fake_udio) as client:
        (result,) = await client.fetch([SECOND])
    assert result.status is SongStatus.FAILED
    assert result.song.title == "Echoes of Tomorrow"  # metadata kept
    assert "flagged by moderation" in result.message


async def test_unfinished_task_is_polled_with_growing_delays_until_finished(fake_udio, sleeps):
    fake_udio.finish_after(FIRST, polls=3)
    updates = []
    policy = PollPolicy(first_delay_s=1, factor=2, max_delay_s=3, deadline_s=600)
    async with make_client(fake_udio, sleeps) as client:
        results = await client.poll([FIRST, SECOND], policy=policy, on_update=updates.append)
    assert [r.status for r in results] == [SongStatus.FINISHED, SongStatus.FINISHED]
    assert results[0].song.title == "Final Echoes"
    assert sleeps == [1, 2, 3]
    requested = [r.query["ids"][0] for r in fake_udio.api_requests()]
    assert requested == [f"{FIRST},{SECOND}", FIRST, FIRST, FIRST]  # finished ids are not re-asked
    assert (
        updates[0][0].status is SongStatus.PENDING and updates[-1][0].status is SongStatus.FINISHED
    )


async def test_task_still_generating_at_the_deadline_stays_pending_with_a_message(fake_udio):
    fake_udio.finish_after(FIRST, polls=1000)
    policy = PollPolicy(first_delay_s=0.02, factor=1, deadline_s=0.1)
    async with make_client(fake_udio) as client:
        (result,) = await client.poll([FIRST], policy=policy)
    assert result.status is SongStatus.PENDING
    assert "Still generating" in result.message


async def test_wrong_key_raises_auth_error_that_never_contains_the_key(fake_udio):
    wrong = "sk-wrong-key-987654321"
    async with make_client(fake_udio, key=wrong) as client:
        with pytest.raises(UdioAuthError) as info:
            await client.fetch([FIRST])
    message = str(info.value)
    assert "401" in message and "Accounts & tokens" in message
    assert "Invalid token" in message  # the server's reason is shown...
    assert wrong not in message and "sk***21" in message  # ...with the echoed key masked
    assert wrong not in repr(client)
    assert len(fake_udio.api_requests()) == 1  # a bad key is not retried


async def test_rate_limit_is_waited_out_per_retry_after_then_succeeds(fake_udio, sleeps):
    fake_udio.rate_limit(times=2, retry_after="1.5")
    async with make_client(fake_udio, sleeps) as client:
        results = await client.fetch([FIRST])
    assert results[0].status is SongStatus.FINISHED
    assert sleeps == [1.5, 1.5]
    assert len(fake_udio.api_requests()) == 3


async def test_persistent_rate_limit_raises_with_the_servers_retry_hint(fake_udio, sleeps):
    fake_udio.rate_limit(times=100, retry_after="2")
    async with make_client(fake_udio, sleeps) as client:
        with pytest.raises(UdioRateLimitError) as info:
            await client.fetch([FIRST])
    assert info.value.retry_after == 2
    assert "429" in str(info.value) and "Try again in 2 s" in str(info.value)


async def test_rate_limit_asking_for_a_long_wait_fails_fast_instead_of_hanging(fake_udio, sleeps):
    fake_udio.rate_limit(times=1, retry_after="3600")
    async with make_client(fake_udio, sleeps) as client:
        with pytest.raises(UdioRateLimitError):
            await client.fetch([FIRST])
    assert sleeps == []


async def test_server_errors_are_retried_then_succeed(fake_udio, sleeps):
    fake_udio.api_error(times=2, status=502)
    async with make_client(fake_udio, sleeps) as client:
        results = await client.fetch([FIRST])
    assert results[0].status is SongStatus.FINISHED
    assert len(fake_udio.api_requests()) == 3


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (403, UdioForbiddenError, "credit or plan"),
        (404, UdioNotFoundError, "path template"),
        (410, UdioGoneError, "gone"),
        (500, UdioServerError, "Try again later"),
    ],
)
async def test_http_errors_become_typed_errors_with_clear_messages(
    fake_udio, sleeps, status, error, hint
):
    fake_udio.api_error(times=100, status=status)
    async with make_client(fake_udio, sleeps) as client:
        with pytest.raises(error) as info:
            await client.fetch([FIRST])
    assert info.value.status_code == status
    assert hint in str(info.value) and TEST_KEY not in str(info.value)


async def test_wrong_path_template_says_to_check_the_settings(fake_udio):
    async with make_client(fake_udio, path_template="/v1/udio/tasks?ids={ids}") as client:
        with pytest.raises(UdioNotFoundError) as info:
            await client.fetch([FIRST])
    assert "/v1/udio/tasks" in str(info.value) and "Accounts & tokens" in str(info.value)


async def test_unreachable_server_raises_connection_error(sleeps):
    with FakeUdio() as fake:
        base = fake.base_url  # a port that was just free and is now closed
    client = UdioClient(UdioEndpoint(base_url=base), TEST_KEY, sleep=sleeps)
    async with client:
        with pytest.raises(UdioConnectionError) as info:
            await client.fetch([FIRST])
    assert "Could not reach" in str(info.value) and TEST_KEY not in str(info.value)


async def test_a_login_page_instead_of_json_is_a_protocol_error(fake_udio):
    fake_udio.html_replies(times=1)
    async with make_client(fake_udio) as client:
        with pytest.raises(UdioProtocolError) as info:
            await client.fetch([FIRST])
    assert "did not answer with JSON" in str(info.value)

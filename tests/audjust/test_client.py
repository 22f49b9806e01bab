import asyncio
import wave

import pytest

from radiowatch.audjust.client import UNREACHABLE_WEBHOOK, AudjustClient
from radiowatch.audjust.errors import (
    AuthenticationError,
    RateLimitError,
    RequestFailedError,
    RequestTimedOutError,
    UsageLimitError,
)
from radiowatch.audjust.models import ExportFormat
from tests.fakes.fake_audjust import VALID_KEY

SOURCE = "https://files.example.com/song.mp3"


def client_for(fake, key=VALID_KEY, **kw):
    kw.setdefault("poll_interval", 0.01)
    kw.setdefault("deadline", 5.0)
    return AudjustClient(key, base_url=fake.url, **kw)


async def _analyze(fake, **kw):
    async with client_for(fake, **kw) as client:
        return await client.analyze(SOURCE, raw_features=True)


def test_queued_analysis_is_followed_to_its_result_url_and_reports_credit_cost(fake_audjust):
    outcome = asyncio.run(_analyze(fake_audjust))
    assert outcome.analysis.tempo == fake_audjust.analysis["tempo"]
    assert outcome.analysis.features is not None
    assert outcome.credit_cost == 15  # 32 s with raw features: one started minute at 15 credits
    sent = fake_audjust.posts("/analyze")[0]
    assert sent.headers["x-api-key"] == VALID_KEY
    assert sent.body == {
        "resultWebhook": UNREACHABLE_WEBHOOK,
        "sourceFileUrl": SOURCE,
        "features": ["raw_features"],
    }
    polls = [r for r in fake_audjust.received if r.method == "GET"]
    assert len(polls) == fake_audjust.polls_until_done + 1
    assert all("x-api-key" not in r.headers for r in polls), "the key must not go to result links"


def test_a_failed_request_raises_with_the_servers_reason(fake_audjust):
    fake_audjust.behaviour = "fail"
    with pytest.raises(RequestFailedError, match="Failed to retrieve the source file"):
        asyncio.run(_analyze(fake_audjust))


def test_a_request_that_never_finishes_times_out_at_the_deadline(fake_audjust):
    fake_audjust.behaviour = "never"
    with pytest.raises(RequestTimedOutError, match="treat it as failed"):
        asyncio.run(_analyze(fake_audjust, deadline=0.2))
    assert len([r for r in fake_audjust.received if r.method == "GET"]) >= 3


def test_resize_is_synchronous_without_a_webhook(fake_audjust):
    async def run():
        async with client_for(fake_audjust) as client:
            analysis = (await client.analyze(SOURCE)).analysis
            return await client.resize(30, analysis=analysis)

    outcome = asyncio.run(run())
    assert len(outcome.results) == 20
    assert outcome.credit_cost == 4
    body = fake_audjust.posts("/resize")[0].body
    assert "resultWebhook" not in body
    assert body["targetLengthSeconds"] == 30
    assert body["similarity"]["data"] == fake_audjust.analysis["similarity"]["data"]


def test_export_downloads_each_file_once_it_appears(fake_audjust, tmp_path):
    groups = [[[0, 4.0], [20.0, 32.0]], [[0, 8.0], [24.0, 32.0]]]
    dests = [tmp_path / "one.wav", tmp_path / "two.wav"]

    async def run():
        async with client_for(fake_audjust) as client:
            return await client.export(SOURCE, groups, ExportFormat.WAV, dests)

    outcome = asyncio.run(run())
    assert outcome.files == dests and not outcome.failures
    with wave.open(str(dests[0])) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(16.0, abs=0.01)
    body = fake_audjust.posts("/export")[0].body
    assert body["exportFormat"] == "wav" and body["segmentsGroups"] == groups


def test_export_that_never_appears_times_out(fake_audjust, tmp_path):
    fake_audjust.behaviour = "never"

    async def run():
        async with client_for(fake_audjust, deadline=0.1) as client:
            return await client.export(
                SOURCE, [[[0, 4.0]]], ExportFormat.MP3_320, [tmp_path / "x.mp3"]
            )

    with pytest.raises(RequestFailedError, match="within"):
        asyncio.run(run())


def test_rate_limit_is_a_typed_error_saying_when_to_retry(fake_audjust):
    fake_audjust.rate_limited = True
    with pytest.raises(RateLimitError, match="Wait 30 s") as info:
        asyncio.run(_analyze(fake_audjust))
    assert info.value.retry_after == 30 and info.value.status == 429


def test_usage_limit_says_how_to_continue(fake_audjust):
    fake_audjust.usage_exceeded = True
    with pytest.raises(UsageLimitError, match="no credits left.*Local"):
        asyncio.run(_analyze(fake_audjust))


def test_a_wrong_key_is_reported_without_revealing_it(fake_audjust):
    secret = "zz-wrong-key-secret-987"
    with pytest.raises(AuthenticationError) as info:
        asyncio.run(_analyze(fake_audjust, key=secret))
    assert "Invalid API Key" in str(info.value)
    assert secret not in str(info.value) and secret not in repr(info.value)


def test_the_client_repr_masks_the_key(fake_audjust):
    client = client_for(fake_audjust)
    assert VALID_KEY not in repr(client)
    assert "aj***89" in repr(client)
    asyncio.run(client.aclose())


def test_a_missing_key_is_refused_before_any_request():
    with pytest.raises(AuthenticationError, match="Accounts & tokens"):
        AudjustClient("  ")


def test_an_unreachable_server_is_a_clear_message():
    async def run():
        async with AudjustClient(VALID_KEY, base_url="http://127.0.0.1:9") as client:
            await client.analyze(SOURCE)

    with pytest.raises(Exception, match="Could not reach Audjust") as info:
        asyncio.run(run())
    assert VALID_KEY not in str(info.value)

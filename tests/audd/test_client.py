"""AudDClient over real loopback HTTP: token resolution, sources, parameters, enterprise,
custom catalog, lyrics, raw requests and the observability hook."""

from __future__ import annotations

import asyncio
import io

import pytest

from radiowatch.audd import AudDClient, AudDEvent, AudDTokenMissingError
from tests.audd.conftest import ENTERPRISE_TOKEN, TOKEN


def client_for(fake, token=None, **kwargs):
    return AudDClient(
        token,
        base_url=fake.base_url,
        enterprise_url=fake.enterprise_url,
        backoff_factor=0.01,
        **kwargs,
    )


@pytest.mark.asyncio
async def test_explicit_token_wins_over_environment_and_provider(fake_audd, monkeypatch):
    monkeypatch.setenv("AUDD_API_TOKEN", "from-env")
    async with client_for(fake_audd, TOKEN, token_provider=lambda: "from-store") as client:
        await client.recognize(b"clip")
    assert fake_audd.received("/")[0].params["api_token"] == TOKEN


@pytest.mark.asyncio
async def test_environment_token_wins_over_the_stored_one(fake_audd, monkeypatch):
    monkeypatch.setenv("AUDD_API_TOKEN", TOKEN)
    async with client_for(fake_audd, token_provider=lambda: "from-store") as client:
        await client.recognize(b"clip")
    assert fake_audd.received("/")[0].params["api_token"] == TOKEN


@pytest.mark.asyncio
async def test_stored_token_is_asked_for_on_every_request(fake_audd):
    store = {"audd_api_token": TOKEN}
    async with client_for(fake_audd, token_provider=lambda: store.get("audd_api_token")) as c:
        await c.recognize(b"clip")
        store["audd_api_token"] = ENTERPRISE_TOKEN  # the user saved a new token in Settings
        await c.recognize(b"clip")
    assert [r.params["api_token"] for r in fake_audd.received("/")] == [TOKEN, ENTERPRISE_TOKEN]


@pytest.mark.asyncio
async def test_no_token_anywhere_fails_before_any_request(fake_audd):
    async with client_for(fake_audd, token_provider=lambda: None) as client:
        with pytest.raises(AudDTokenMissingError, match="AUDD_API_TOKEN"):
            await client.recognize(b"clip")
        assert not client.has_token
    assert fake_audd.requests == []


@pytest.mark.asyncio
async def test_rotating_the_token_leaves_in_flight_requests_on_the_old_one(audd, fake_audd):
    fake_audd.delay_next("/", 0.5)
    slow = asyncio.create_task(audd.recognize(b"slow clip"))
    while fake_audd.count("/") == 0:
        await asyncio.sleep(0.01)
    audd.set_api_token(ENTERPRISE_TOKEN)
    assert (await audd.recognize(b"fast clip")).title
    assert (await slow).title
    sent = {r.file_size: r.params["api_token"] for r in fake_audd.received("/")}
    assert sent == {len(b"slow clip"): TOKEN, len(b"fast clip"): ENTERPRISE_TOKEN}


@pytest.mark.asyncio
async def test_sources_are_sent_as_url_or_multipart_file(audd, fake_audd, tmp_path):
    clip = tmp_path / "clip.mp3"
    clip.write_bytes(b"ID3 fake mp3")
    named = io.BytesIO(b"from a file object")
    named.name = "/somewhere/recording.m4a"
    await audd.recognize("https://example.com/a.mp3")
    await audd.recognize(str(clip))
    await audd.recognize(clip)
    await audd.recognize(b"raw bytes")
    await audd.recognize(named)
    got = [(r.params.get("url"), r.file_name, r.file_size) for r in fake_audd.received("/")]
    assert got == [
        ("https://example.com/a.mp3", None, None),
        (None, "clip.mp3", 12),
        (None, "clip.mp3", 12),
        (None, "upload.bin", 9),
        (None, "recording.m4a", 18),
    ]


@pytest.mark.asyncio
async def test_bad_sources_say_what_to_pass(audd, tmp_path):
    with pytest.raises(FileNotFoundError, match="http"):
        await audd.recognize(str(tmp_path / "missing.mp3"))
    with pytest.raises(TypeError, match="URL, a file path, bytes"):
        await audd.recognize(12345)


@pytest.mark.asyncio
async def test_return_and_market_are_sent_as_strings(audd, fake_audd):
    result = await audd.recognize(
        b"clip",
        return_metadata=["apple_music", "spotify"],
        market="gb",
        extra_parameters={"market": "us", "custom": 1},
    )
    params = fake_audd.received("/")[0].params
    assert params["return"] == "apple_music,spotify"
    assert params["market"] == "gb"  # typed fields override extra_parameters
    assert params["custom"] == "1"
    assert result.streaming_url("apple_music").startswith("https://music.apple.com/")


@pytest.mark.asyncio
async def test_enterprise_sends_only_given_options_and_accurate_offsets_by_default(fake_audd):
    async with client_for(fake_audd, ENTERPRISE_TOKEN) as client:
        result = await client.recognize_enterprise(
            "https://example.com/show.mp3", skip=4, every=1, limit=10, use_timecode=False
        )
    params = fake_audd.received("/enterprise/")[0].params
    assert {k: v for k, v in params.items() if k != "api_token"} == {
        "url": "https://example.com/show.mp3",
        "skip": "4",
        "every": "1",
        "limit": "10",
        "use_timecode": "false",
        "accurate_offsets": "true",
    }
    assert [round(m.start_seconds, 1) for m in result.matches] == [0.0, 292.2, 292.3]


@pytest.mark.asyncio
async def test_enterprise_url_may_end_with_a_slash_and_options_can_be_left_out(fake_audd):
    async with AudDClient(
        ENTERPRISE_TOKEN,
        base_url=fake_audd.base_url,
        enterprise_url=fake_audd.base_url + "/enterprise/",
    ) as client:
        result = await client.recognize_enterprise(b"EMPTY file", accurate_offsets=None)
    assert result.matches == []
    assert "accurate_offsets" not in fake_audd.received("/enterprise/")[0].params


@pytest.mark.asyncio
async def test_uploaded_song_is_recognised_as_a_custom_match(audd, fake_audd):
    await audd.upload(146, b"my own song")
    result = await audd.recognize(b"my own song")
    assert result.is_custom_match and result.audio_id == 146
    assert result.pretty() == "custom catalog song #146 @01:45"


@pytest.mark.asyncio
async def test_find_lyrics_and_raw_request(audd, fake_audd):
    lyrics = await audd.find_lyrics("rule the world")
    assert lyrics[0].artist == "Tears For Fears" and "rule the world" in lyrics[0].lyrics
    raw = await audd.raw_request("getStreams")
    assert raw == {"status": "success", "result": []}
    error = await audd.raw_request("noSuchMethod", {"x": "1"})
    assert error["status"] == "error"  # the escape hatch hands back the body as sent


@pytest.mark.asyncio
async def test_observability_events_carry_timing_but_no_token_or_body(fake_audd):
    events: list[AudDEvent] = []
    async with client_for(fake_audd, TOKEN, on_event=events.append) as client:
        await client.recognize(b"secret audio bytes")
        fake_audd.next_reply(
            "/", {"status": "error", "error": {"error_code": 900, "error_message": "no"}}
        )
        with pytest.raises(Exception):  # noqa: B017 - any typed error is fine here
            await client.recognize(b"secret audio bytes")
    kinds = [(e.kind, e.method) for e in events]
    assert kinds == [("request", "recognize"), ("response", "recognize")] * 2
    assert events[1].http_status == 200 and events[1].elapsed_ms > 0
    assert events[1].request_id
    assert events[3].error_code == 900
    dumped = repr(events)
    assert TOKEN not in dumped and "secret audio" not in dumped


@pytest.mark.asyncio
async def test_a_failing_hook_never_breaks_a_request(fake_audd):
    def broken(event):
        raise RuntimeError("hook bug")

    async with client_for(fake_audd, TOKEN, on_event=broken) as client:
        assert (await client.recognize(b"clip")).title


@pytest.mark.asyncio
async def test_client_closes_only_an_httpx_client_it_owns(fake_audd):
    import httpx

    shared = httpx.AsyncClient()
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, http_client=shared) as client:
        await client.recognize(b"clip")
    assert not shared.is_closed
    await shared.aclose()

"""Long poll over real loopback HTTP: exactly-once, in-order delivery through server restarts,
dropped connections, replays and error replies."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.audd import (
    AudDCallbackUrlMissingError,
    AudDClient,
    AudDConnectionError,
    AudDError,
    LongpollConsumer,
    MatchEvent,
    NotificationEvent,
    longpoll_category,
)
from tests.audd.conftest import TOKEN
from tests.fakes.fake_audd import category_for


async def take(poll, n, timeout=20.0):
    """The next ``n`` items of a long-poll iterator (fails the test instead of hanging)."""

    async def run():
        items = []
        async for item in poll:
            items.append(item)
            if len(items) == n:
                return items
        return items

    return await asyncio.wait_for(run(), timeout)


def titles(items):
    return [item.event.song.title for item in items]


@pytest.mark.parametrize(
    ("token", "radio_id", "category"),
    [
        ("test", 1, "de4b8e91c"),
        ("test", 42, "194a4f3c2"),
        ("d29ebb205488e3b414bcc0c50432463e", 1, "088719f57"),
    ],
)
def test_category_matches_the_spec_vectors(token, radio_id, category):
    assert longpoll_category(token, radio_id) == category
    assert category_for(token, radio_id) == category


@pytest.mark.asyncio
async def test_events_arrive_in_order_with_the_token_never_sent(audd, fake_audd):
    fake_audd.set_callback_url()
    for n in range(3):
        fake_audd.push_match(7, title=f"song {n}")
    fake_audd.push_notification(7, code=650)
    poll = audd.longpoll(radio_id=7, since_time=0, timeout=2)
    items = await take(poll, 4)
    assert [type(i.event) for i in items] == [MatchEvent] * 3 + [NotificationEvent]
    assert titles(items[:3]) == ["song 0", "song 1", "song 2"]
    assert poll.since_time == items[-1].timestamp
    for request in fake_audd.received("/longpoll/"):
        assert "api_token" not in request.params
        assert request.params["category"] == fake_audd.category(7)


@pytest.mark.asyncio
@pytest.mark.parametrize("envelope", ["hybrid", "flat", "golongpoll"])
async def test_server_killed_and_restarted_mid_stream_loses_and_repeats_nothing(
    audd, fake_audd, envelope
):
    fake_audd.longpoll_envelope = envelope
    fake_audd.set_callback_url()
    poll = audd.longpoll(radio_id=7, since_time=0, timeout=2)
    fake_audd.push_match(7, title="a")
    fake_audd.push_match(7, title="b")
    first = await take(poll, 2)

    waiting = asyncio.create_task(take(poll, 4, timeout=30))
    await asyncio.sleep(0.2)  # the iterator is now parked in a held long poll
    await asyncio.to_thread(fake_audd.stop)  # cuts the held request mid-reply
    fake_audd.push_match(7, title="c")  # published while the client cannot connect
    fake_audd.push_match(7, title="d")
    await asyncio.sleep(0.3)
    await asyncio.to_thread(fake_audd.start)
    fake_audd.drop_next("/longpoll/", times=2)  # and the network drops twice more
    fake_audd.push_match(7, title="e")
    fake_audd.push_match(7, title="f")
    rest = await waiting
    assert titles(first + rest) == ["a", "b", "c", "d", "e", "f"]
    assert isinstance(poll.last_error, AudDConnectionError)


@pytest.mark.asyncio
async def test_resuming_from_a_saved_since_time_replays_what_was_missed(audd, fake_audd):
    fake_audd.set_callback_url()
    poll = audd.longpoll(radio_id=3, since_time=0, timeout=1)
    fake_audd.push_match(3, title="before")
    await take(poll, 1)
    saved = poll.since_time  # what the app persists at shutdown
    fake_audd.push_match(3, title="while closed 1")
    fake_audd.push_match(3, title="while closed 2")
    resumed = audd.longpoll(radio_id=3, since_time=saved, timeout=1, skip_callback_check=True)
    assert titles(await take(resumed, 2)) == ["while closed 1", "while closed 2"]


@pytest.mark.asyncio
async def test_replayed_event_is_delivered_once(audd, fake_audd):
    fake_audd.set_callback_url()
    cat = fake_audd.category(7)

    def event(ts, title):
        data = {
            "status": "success",
            "result": {
                "radio_id": 7,
                "timestamp": f"2026-01-01 00:00:0{ts}",
                "results": [{"artist": "A", "title": title}],
            },
        }
        return {"timestamp": 1000 + ts, "category": cat, "data": data}

    # A server that ignores since_time and replays what it already sent.
    fake_audd.next_reply("/longpoll/", {"events": [event(1, "one")]})
    fake_audd.next_reply("/longpoll/", {"events": [event(1, "one"), event(2, "two")]})
    fake_audd.next_reply(
        "/longpoll/", {"events": [event(1, "one"), event(2, "two"), event(3, "three")]}
    )
    poll = audd.longpoll(radio_id=7, since_time=0, timeout=1)
    assert titles(await take(poll, 3)) == ["one", "two", "three"]
    assert poll.since_time == 1003


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "reply",
    [{"error": "Invalid timeout arg.  Must be 1-120."}, {"status": "weird"}, {"events": []}],
    ids=["error", "keepalive", "empty-events"],
)
async def test_non_timeout_reply_without_events_backs_off_instead_of_spinning(fake_audd, reply):
    fake_audd.set_callback_url()
    for _ in range(3):
        fake_audd.next_reply("/longpoll/", reply)
    fake_audd.push_match(7, title="after")
    errors = []
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.2) as client:
        poll = client.longpoll(radio_id=7, since_time=0, timeout=1, on_error=errors.append)
        assert titles(await take(poll, 1)) == ["after"]
    polls = fake_audd.received("/longpoll/")
    assert len(polls) == 4
    gaps = [b.at - a.at for a, b in zip(polls, polls[1:], strict=False)]
    assert min(gaps) >= 0.2 * 0.5  # at least the smallest backoff, never a hot loop
    if "error" in reply:
        assert len(errors) == 3 and all(isinstance(e, AudDError) for e in errors)


@pytest.mark.asyncio
async def test_timeout_reply_advances_since_time(audd, fake_audd):
    fake_audd.set_callback_url()
    poll = audd.longpoll(radio_id=7, timeout=1)
    task = asyncio.create_task(take(poll, 1))
    for _ in range(200):
        if fake_audd.count("/longpoll/") >= 2 or task.done():
            break
        await asyncio.sleep(0.05)
    fake_audd.push_match(7, title="late")
    assert titles(await task) == ["late"]
    first, second = fake_audd.received("/longpoll/")[:2]
    assert "since_time" not in first.params
    assert int(second.params["since_time"]) > 0


@pytest.mark.asyncio
async def test_http_errors_are_reported_and_the_loop_goes_on(audd, fake_audd):
    fake_audd.set_callback_url()
    fake_audd.fail_next("/longpoll/", status=502, times=2)
    fake_audd.push_match(7, title="x")
    errors = []
    poll = audd.longpoll(radio_id=7, since_time=0, timeout=1, on_error=errors.append)
    assert titles(await take(poll, 1)) == ["x"]
    assert [e.http_status for e in errors] == [502, 502]


@pytest.mark.asyncio
async def test_max_consecutive_errors_ends_the_iteration(fake_audd):
    fake_audd.set_callback_url()
    fake_audd.fail_next("/longpoll/", status=500, times=5)
    async with AudDClient(TOKEN, base_url=fake_audd.base_url, backoff_factor=0.01) as client:
        poll = client.longpoll(radio_id=7, timeout=1, max_consecutive_errors=3)
        with pytest.raises(AudDError):
            await take(poll, 1)
    assert fake_audd.count("/longpoll/") == 3


@pytest.mark.asyncio
async def test_preflight_without_callback_url_explains_what_to_do(audd, fake_audd):
    poll = audd.longpoll(radio_id=7, timeout=1)
    with pytest.raises(AudDCallbackUrlMissingError, match="audd.tech/empty"):
        await take(poll, 1)
    assert fake_audd.count("/longpoll/") == 0


@pytest.mark.asyncio
async def test_preflight_sets_the_placeholder_only_when_none_is_set(audd, fake_audd):
    poll = audd.longpoll(radio_id=7, since_time=0, timeout=1, set_placeholder_callback=True)
    task = asyncio.create_task(take(poll, 1))
    for _ in range(200):
        if fake_audd.account().callback_url is not None or task.done():
            break
        await asyncio.sleep(0.02)
    fake_audd.push_match(7, title="x")
    await task
    assert fake_audd.account().callback_url == "https://audd.tech/empty/"

    fake_audd.set_callback_url("https://my.example/cb")
    again = audd.longpoll(radio_id=7, since_time=0, timeout=1, set_placeholder_callback=True)
    await take(again, 1)
    assert fake_audd.account().callback_url == "https://my.example/cb"
    assert fake_audd.count("/setCallbackUrl/") == 1


@pytest.mark.asyncio
async def test_tokenless_consumer_needs_only_the_category(fake_audd):
    fake_audd.set_callback_url()
    category = category_for(TOKEN, 9)
    fake_audd.push_match(9, title="for the widget")
    async with LongpollConsumer(category, base_url=fake_audd.base_url) as consumer:
        items = await take(consumer.iterate(since_time=0, timeout=1), 1)
    assert titles(items) == ["for the widget"]
    assert all(r.path == "/longpoll/" for r in fake_audd.requests)


@pytest.mark.asyncio
async def test_without_a_callback_url_the_cloud_publishes_nothing(fake_audd):
    assert fake_audd.push_match(7) is None

"""The long-poll engine end to end against the fake AudD cloud on loopback: streams are
registered, every play lands in the history exactly once, and a restart resumes without
losing or doubling anything."""

from __future__ import annotations

import asyncio

import pytest

from radiowatch.monitoring.stations_source import StaticStations
from radiowatch.monitoring.watchlist import WatchRule
from tests.monitoring.conftest import station, until

pytestmark = pytest.mark.asyncio


async def test_streams_are_registered_and_kept_in_step_with_the_stations(
    fake_audd, audd, make_service
):
    fake_audd.account().streams[99] = {"url": "https://someone-else/stream", "callbacks": None}
    stations = StaticStations([station(1), station(2), station(3, enabled=False)])
    run = make_service(audd, stations)
    await run.service.start()

    await until(lambda: set(fake_audd.account().streams) == {1, 2, 99}, what="addStream")
    assert fake_audd.account().callback_url == "https://audd.tech/empty/"
    assert fake_audd.account().streams[1]["url"] == "https://streams.example/1.mp3"

    moved = station(2).model_copy(update={"source": "https://streams.example/2-hq.mp3"})
    stations.replace([station(1, enabled=False), moved])
    await run.service.reconcile()

    account = fake_audd.account()
    assert set(account.streams) == {2, 99}, "disabled stream deleted, foreign stream left alone"
    assert account.streams[2]["url"] == "https://streams.example/2-hq.mp3"
    assert fake_audd.count("/setStreamUrl/") == 1
    assert [r.params["radio_id"] for r in fake_audd.received("/deleteStream/")] == ["1"]


async def test_each_play_is_recorded_once_and_the_resume_point_follows_it(
    fake_audd, audd, make_service
):
    run = make_service(audd, [station(1, "Radio One"), station(2)])
    await run.service.start()
    await until(lambda: len(fake_audd.account().streams) == 2)

    first = fake_audd.push_match(1, artist="A", title="First", timestamp="2026-05-04 10:00:00")
    fake_audd.push_match(2, artist="B", title="Elsewhere", timestamp="2026-05-04 10:01:00")
    last = fake_audd.push_match(1, artist="A", title="Second", timestamp="2026-05-04 10:04:00")
    await until(lambda: run.play_count() == 3, what="three plays")

    assert sorted(run.titles()) == ["Elsewhere", "First", "Second"]
    assert run.state.since_time(1) == last and last > first
    assert [r.play.title for r in run.recorded if r.station.radio_id == 1] == ["First", "Second"]
    stored = run.plays.get(next(r for r in run.recorded if r.play.title == "First").play.id)
    assert stored.station_name == "Radio One" and stored.backend == "audd"
    # AudD's cloud stamps events in UTC+3 (docs/protocols/audd.md §6.1): 10:00 there is 07:00 UTC.
    assert stored.start.isoformat() == "2026-05-04T07:00:00+00:00"
    assert run.state_of(1) == "live"


async def test_restart_and_server_replay_lose_nothing_and_double_nothing(
    fake_audd, audd, make_service, tmp_path
):
    db_path = tmp_path / "history.db"
    first_run = make_service(audd, [station(1)], db_path=db_path)
    await first_run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)
    for minute in range(3):
        fake_audd.push_match(1, title=f"Before {minute}", timestamp=f"2026-05-04 10:0{minute}:00")
    await until(lambda: first_run.play_count() == 3)
    resume_point = first_run.state.since_time(1)
    await first_run.service.aclose()

    # While the app is closed more songs air, and the stored resume point is rewound to the
    # first event, as if the app had crashed before saving it: the server replays everything.
    for minute in range(3, 5):
        fake_audd.push_match(
            1, title=f"While closed {minute}", timestamp=f"2026-05-04 10:0{minute}:00"
        )
    first_ts = min(ts for ts, _ in fake_audd._events[fake_audd.category(1)])
    first_run.db.execute("UPDATE stream_state SET since_time = ?", [first_ts - 1])

    second_run = make_service(audd, [station(1)], db_path=db_path)
    await second_run.service.start()
    await until(lambda: second_run.play_count() == 5, what="catch-up after restart")
    fake_audd.push_match(1, title="After", timestamp="2026-05-04 10:09:00")
    await until(lambda: second_run.play_count() == 6)

    titles = second_run.titles()
    assert titles == [f"Before {m}" for m in range(3)] + [
        "While closed 3",
        "While closed 4",
        "After",
    ]
    assert [r.play.title for r in second_run.recorded] == [
        "While closed 3",
        "While closed 4",
        "After",
    ]
    assert second_run.state.since_time(1) > resume_point
    assert fake_audd.count("/addStream/") == 1, "the stream is registered once, not per start"


async def test_backend_outage_mid_stream_shows_down_and_catches_up(fake_audd, audd, make_service):
    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)
    fake_audd.push_match(1, title="Before outage", timestamp="2026-05-04 10:00:00")
    await until(lambda: run.play_count() == 1)

    fake_audd.stop()
    await until(lambda: run.state_of(1) == "down", what="status down")
    fake_audd.push_match(1, title="During outage", timestamp="2026-05-04 10:05:00")
    fake_audd.start()

    await until(lambda: run.play_count() == 2, timeout=15, what="catch-up after the outage")
    await until(lambda: run.state_of(1) == "live")
    assert run.titles() == ["Before outage", "During outage"]


async def test_an_unparsable_longpoll_body_is_skipped_and_the_stream_goes_on(
    fake_audd, audd, make_service, caplog
):
    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)
    polls_before = fake_audd.count("/longpoll/")
    await until(lambda: fake_audd.count("/longpoll/") > polls_before)  # a poll is waiting

    fake_audd.next_reply("/longpoll/", "<html>502 Bad Gateway</html>")
    fake_audd.push_event(
        fake_audd.category(1), {"status": "success", "result": {"radio_id": 1, "results": []}}
    )
    fake_audd.push_match(1, title="Still recorded", timestamp="2026-05-04 10:00:00")

    await until(lambda: run.play_count() == 1, what="the play after the bad bodies")
    assert run.titles() == ["Still recorded"]
    assert "unreadable long-poll reply" in caplog.text


async def test_lifecycle_notifications_drive_the_stream_status(fake_audd, audd, make_service):
    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)

    fake_audd.push_notification(1, code=650)
    await until(lambda: run.state_of(1) == "down")
    assert "can't connect" in run.service.status(1).message
    fake_audd.push_notification(1, code=651, running=True)
    await until(lambda: run.state_of(1) == "silent")
    fake_audd.push_notification(1, code=0, running=True)
    await until(lambda: run.state_of(1) == "live")

    kinds = [r[0] for r in run.db.execute("SELECT kind FROM stream_events ORDER BY id")]
    assert kinds == ["down", "silent", "live"]


async def test_a_live_stream_with_no_music_for_a_while_turns_silent(fake_audd, audd, make_service):
    from datetime import UTC, datetime, timedelta

    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: run.state_of(1) == "live")
    run.service.check_silence(datetime.now(UTC) + timedelta(minutes=25))
    assert run.state_of(1) == "silent"
    assert "No music recognised for 20 min" in run.service.status(1).message


async def test_watchlist_rules_raise_notifications_within_their_scope(
    fake_audd, audd, make_service
):
    run = make_service(audd, [station(1), station(2)])
    rule = run.watchlist.save(WatchRule(field="artist", pattern="tears for fears", radio_ids=[1]))
    muted = run.watchlist.save(WatchRule(field="title", pattern="rule the world"))
    from datetime import UTC, datetime, timedelta

    run.watchlist.mute(muted.id, datetime.now(UTC) + timedelta(hours=1))
    await run.service.start()
    await until(lambda: len(fake_audd.account().streams) == 2)

    fake_audd.push_match(1, timestamp="2026-05-04 10:00:00")  # Tears For Fears on station 1
    fake_audd.push_match(2, timestamp="2026-05-04 10:00:00")  # same song, out of scope
    fake_audd.push_match(1, artist="Someone Else", title="Other", timestamp="2026-05-04 10:05:00")
    await until(lambda: run.play_count() == 3)

    assert len(run.notifier.sent) == 1
    sent = run.notifier.sent[0]
    assert sent.rule_id == rule.id
    play = run.plays.get(sent.play_id)
    assert (play.radio_id, play.artist) == (1, "Tears For Fears")
    assert "Tears For Fears" in sent.title and "Radio 1" in sent.title
    assert run.service.last_alert.rule.id == rule.id


async def test_a_locked_history_stops_the_stream_on_that_play_until_it_can_be_written(
    fake_audd, audd, make_service, tmp_path
):
    import sqlite3

    run = make_service(audd, [station(1)])
    run.db.execute("PRAGMA busy_timeout = 20")
    await run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)

    blocker = sqlite3.connect(tmp_path / "history.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    fake_audd.push_match(1, title="Waits for the lock", timestamp="2026-05-04 10:00:00")
    await until(lambda: run.state_of(1) == "down", what="the lock reported")
    assert "locked" in run.service.status(1).message
    since_while_locked = run.state.since_time(1)
    blocker.execute("ROLLBACK")
    blocker.close()

    await until(lambda: run.play_count() == 1, what="the play written after the lock")
    assert run.titles() == ["Waits for the lock"]
    assert run.state.since_time(1) != since_while_locked


async def test_plays_aired_while_paused_are_caught_up_on_resume(fake_audd, audd, make_service):
    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: run.state_of(1) == "live")
    await run.service.pause()
    assert run.state_of(1) == "paused"
    polls = fake_audd.count("/longpoll/")
    fake_audd.push_match(1, title="Aired during the pause", timestamp="2026-05-04 10:00:00")
    await asyncio.sleep(0.3)
    assert run.play_count() == 0 and fake_audd.count("/longpoll/") == polls, "not listening"

    await run.service.resume()
    await until(lambda: run.play_count() == 1, what="the catch-up")
    assert run.titles() == ["Aired during the pause"]
    assert fake_audd.count("/addStream/") == 1, "pausing keeps the stream registered"


async def test_a_play_found_later_is_recorded_once_and_leaves_the_stream_status_alone(
    fake_audd, audd, make_service
):
    run = make_service(audd, [station(1)])
    await run.service.start()
    await until(lambda: 1 in fake_audd.account().streams)
    fake_audd.push_notification(1, code=650)
    await until(lambda: run.state_of(1) == "down")

    found = {
        "status": "success",
        "result": {
            "radio_id": 1,
            "timestamp": "2026-05-05 09:00:00",
            "play_length": 180,
            "results": [{"artist": "Late", "title": "Single", "score": 90, "audio_id": 4}],
            "found_later": True,
        },
    }
    fake_audd.push_event(fake_audd.category(1), found)
    fake_audd.push_event(fake_audd.category(1), found)  # the engine never sends it twice; a replay
    await until(lambda: run.play_count() == 1, what="the found play")
    await asyncio.sleep(0.3)

    assert run.play_count() == 1
    (recorded,) = run.recorded
    stored = run.plays.get(recorded.play.id)
    assert stored.found_later and stored.title == "Single"
    assert stored.start.isoformat() == "2026-05-05T06:00:00+00:00"
    assert run.state_of(1) == "down"  # heard last Tuesday does not mean live now

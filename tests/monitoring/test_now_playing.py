"""The now-playing board: what the Monitor tab pulls on its timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from radiowatch.history.coverage import CoverageStore, to_ms
from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.events import OnAirPlay, RecordedPlay, StreamStatus
from radiowatch.monitoring.now_playing import (
    NotHeard,
    NowPlayingBoard,
    cover_art_url,
    current_song_line,
    how_long_ago,
    last_heard_text,
    not_heard_text,
)
from tests.monitoring.conftest import station

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def recorded(radio_id: int, title: str, minute: int, play_id: int = 1) -> RecordedPlay:
    play = Play(id=play_id, radio_id=radio_id, start=T0 + timedelta(minutes=minute), title=title)
    return RecordedPlay(play, station(radio_id))


def test_only_changed_panels_are_reported_since_a_version():
    board = NowPlayingBoard()
    board.set_stations([station(1), station(2), station(3, enabled=False)])
    assert board.station_ids() == [1, 2]
    seen = board.version

    board.apply_play(recorded(2, "Song", 0))
    board.apply_status(StreamStatus(2, "Radio 2", "live"))
    changed = board.changed_since(seen)
    assert [p.radio_id for p in changed] == [2]
    assert changed[0].current.title == "Song" and changed[0].status.state == "live"
    assert board.changed_since(board.version) == []


def test_latest_play_is_current_even_when_a_catch_up_arrives_out_of_order():
    board = NowPlayingBoard(recent_limit=3)
    board.set_stations([station(1)])
    for title, minute in [("B", 5), ("D", 15), ("A", 0), ("C", 10)]:
        board.apply_play(recorded(1, title, minute))
    panel = board.panel(1)
    assert panel.current.title == "D"
    assert [p.title for p in panel.earlier] == ["C", "B"]


def test_panels_are_filled_from_the_history_after_a_restart(tmp_path):
    db = open_database(tmp_path / "history.db")
    store = PlayStore(db)
    for minute in range(8):
        store.add(Play(radio_id=1, start=T0 + timedelta(minutes=minute), title=f"T{minute}"))
    board = NowPlayingBoard(recent_limit=4)
    board.set_stations([station(1), station(2)])
    board.load_recent(db.conn)
    assert [p.title for p in board.panel(1).recent] == ["T7", "T6", "T5", "T4"]
    assert board.panel(2).current is None


def test_cover_art_comes_from_the_provider_blocks_of_the_raw_event():
    artwork = "https://img.example/{w}x{h}bb.jpg"
    raw = {"results": [{"artist": "A", "title": "T", "apple_music": {"artwork": {"url": artwork}}}]}
    play = Play(start=T0, raw_event=raw)
    assert cover_art_url(play, 300) == "https://img.example/300x300bb.jpg"
    assert cover_art_url(Play(start=T0, raw_event={"results": [{"title": "T"}]})) is None


def test_how_long_ago_reads_naturally():
    assert how_long_ago(T0, T0 + timedelta(seconds=10)) == "just now"
    assert how_long_ago(T0, T0 + timedelta(minutes=4)) == "4 min ago"
    assert how_long_ago(T0, T0 + timedelta(hours=3)) == "3 h ago"
    assert how_long_ago(T0, T0 + timedelta(days=1, hours=1)) == "yesterday"
    assert how_long_ago(None, T0) == ""


def test_a_panel_says_when_its_station_was_last_not_heard(tmp_path):
    db = open_database(tmp_path / "history.db")
    coverage = CoverageStore(db)
    span = coverage.open_span(1, to_ms(T0 - timedelta(hours=2)), "local")
    coverage.extend([span], to_ms(T0 - timedelta(hours=1)))  # then the app was closed
    board = NowPlayingBoard()
    board.set_stations([station(1), station(2)])
    board.load_recent(db.conn)
    assert board.panel(1).not_heard == NotHeard(T0 - timedelta(hours=1), None)
    assert board.panel(2).not_heard == NotHeard(None, None), "never heard so far"

    seen = board.version
    board.apply_status(StreamStatus(1, "Radio 1", "connecting", since=T0))
    assert board.panel(1).not_heard == NotHeard(T0 - timedelta(hours=1), None), "still the same"
    board.apply_status(StreamStatus(1, "Radio 1", "live", since=T0 + timedelta(seconds=5)))
    assert board.panel(1).not_heard == NotHeard(T0 - timedelta(hours=1), T0 + timedelta(seconds=5))
    assert [p.radio_id for p in board.changed_since(seen)] == [1]
    board.apply_status(StreamStatus(1, "Radio 1", "silent", since=T0 + timedelta(minutes=20)))
    assert board.panel(1).not_heard.end == T0 + timedelta(seconds=5), "silence is still heard"

    down = T0 + timedelta(minutes=30)
    board.apply_status(StreamStatus(1, "Radio 1", "down", "Cannot reach the backend", since=down))
    assert board.panel(1).not_heard == NotHeard(down, None)
    board.apply_status(StreamStatus(1, "Radio 1", "paused", since=down + timedelta(minutes=1)))
    assert board.panel(1).not_heard == NotHeard(down, None), "one stretch, whatever the reason"
    board.apply_status(StreamStatus(1, "Radio 1", "live", since=down + timedelta(minutes=5)))
    assert board.panel(1).not_heard == NotHeard(down, down + timedelta(minutes=5))

    board.apply_status(StreamStatus(2, "Radio 2", "live", since=T0))
    assert board.panel(2).not_heard is None, "heard for the first time: no gap to tell"

    # Statuses are the live truth: re-loading (a station was added) leaves known panels alone.
    board.load_recent(db.conn)
    assert board.panel(1).not_heard == NotHeard(down, down + timedelta(minutes=5))
    db.close()


def test_not_heard_reads_naturally():
    utc = UTC
    now = datetime(2026, 5, 4, 13, 0, tzinfo=UTC)
    at = datetime(2026, 5, 4, 12, 30, tzinfo=UTC)
    assert not_heard_text(None, now, utc) == ""
    assert not_heard_text(NotHeard(None, None), now, utc) == "Not heard yet"
    assert not_heard_text(NotHeard(at, None), now, utc) == "Not heard since 12:30"
    assert (
        not_heard_text(NotHeard(at, at + timedelta(minutes=5)), now, utc) == "Not heard 12:30–12:35"
    )
    evening = datetime(2026, 5, 3, 18, 2, tzinfo=UTC)
    assert not_heard_text(NotHeard(evening, None), now, utc) == "Not heard since 3 May 18:02"
    assert not_heard_text(NotHeard(evening, at), now, utc) == "Not heard 3 May 18:02 – 12:30"


BERLIN_SUMMER = timezone(timedelta(hours=2))  # a fixed zone: the test runs the same anywhere


def board_with_a_song(status: StreamStatus | None) -> NowPlayingBoard:
    """Radio 1's latest play: 10:00-10:03 UTC (12:00-12:03 in BERLIN_SUMMER), score 97."""
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    play = Play(id=1, radio_id=1, start=T0, play_length=180, title="Shout", score=97)
    board.apply_play(RecordedPlay(play, station(1)))
    if status is not None:
        board.apply_status(status)
    return board


def test_a_live_stream_shows_its_latest_song_as_playing():
    board = board_with_a_song(StreamStatus(1, "Radio 1", "live", since=T0))
    panel = board.panel(1)
    assert panel.on_air
    line = current_song_line(panel, T0 + timedelta(minutes=5), BERLIN_SUMMER)
    assert line == "score 97 · 2 min ago · 3:00"


def test_a_stream_or_backend_that_is_down_shows_when_the_song_was_last_heard():
    backend_down = StreamStatus(
        1,
        "Radio 1",
        "down",
        "Cannot reach the backend: connection refused",
        T0 + timedelta(hours=1),
    )
    panel = board_with_a_song(backend_down).panel(1)
    assert not panel.on_air
    line = current_song_line(panel, T0 + timedelta(hours=2), BERLIN_SUMMER)
    assert line == "Last heard at 12:03"  # the song's end, in local time
    assert "ago" not in line and "score" not in line


def test_going_down_mid_song_means_it_was_last_heard_when_the_stream_went_down():
    went_down = StreamStatus(1, "Radio 1", "down", "Cannot connect", T0 + timedelta(minutes=1))
    panel = board_with_a_song(went_down).panel(1)
    assert panel.last_heard() == T0 + timedelta(minutes=1)
    assert current_song_line(panel, T0 + timedelta(minutes=9), BERLIN_SUMMER) == (
        "Last heard at 12:01"
    )


def test_every_state_but_live_is_not_on_air():
    for state in ("connecting", "down", "silent", "paused", "stopped"):
        panel = board_with_a_song(StreamStatus(1, "Radio 1", state, since=T0)).panel(1)
        assert not panel.on_air, state
    # After a restart the history fills the card before the backend said anything.
    assert not board_with_a_song(None).panel(1).on_air


def test_last_heard_names_the_day_when_it_was_not_today():
    heard = datetime(2026, 5, 4, 21, 50, tzinfo=UTC)  # 23:50 in BERLIN_SUMMER
    same_day = datetime(2026, 5, 4, 21, 55, tzinfo=UTC)
    assert last_heard_text(heard, same_day, BERLIN_SUMMER) == "Last heard at 23:50"
    next_day = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)
    assert last_heard_text(heard, next_day, BERLIN_SUMMER) == "Last heard yesterday at 23:50"
    later = datetime(2026, 5, 9, 8, 0, tzinfo=UTC)
    assert last_heard_text(heard, later, BERLIN_SUMMER) == "Last heard on 4 May at 23:50"
    next_year = datetime(2027, 1, 2, 8, 0, tzinfo=UTC)
    assert last_heard_text(heard, next_year, BERLIN_SUMMER) == "Last heard on 4 May 2026 at 23:50"


def on_air(radio_id: int, title: str, minute: int) -> OnAirPlay:
    play = Play(radio_id=radio_id, start=T0 + timedelta(minutes=minute), title=title)
    return OnAirPlay(play, station(radio_id))


def test_a_song_on_air_is_current_until_its_recorded_play_takes_its_place():
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    board.apply_play(recorded(1, "A", 0))
    seen = board.version

    board.apply_on_air(on_air(1, "B", 4))
    panel = board.panel(1)
    assert board.changed_since(seen) == [panel]
    assert panel.current.title == "B" and panel.current.id is None
    assert [p.title for p in panel.earlier] == ["A"]  # the recorded plays stay below

    board.apply_play(recorded(1, "B", 4, play_id=2))  # the same airing, now in the history
    assert panel.announced is None
    assert (panel.current.title, panel.current.id) == ("B", 2)
    assert [p.title for p in panel.earlier] == ["A"]


def test_an_announcement_older_than_the_newest_recorded_play_is_not_shown():
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    board.apply_play(recorded(1, "B", 4))
    board.apply_on_air(on_air(1, "B", 4))  # a replay after a restart
    assert board.panel(1).announced is None
    assert board.panel(1).current.title == "B"


def test_a_recorded_play_that_ended_before_the_song_on_air_leaves_it_current():
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    board.apply_on_air(on_air(1, "B", 4))  # B crossfaded in before A's final report
    board.apply_play(recorded(1, "A", 1))
    panel = board.panel(1)
    assert panel.current.title == "B"
    assert [p.title for p in panel.earlier] == ["A"]

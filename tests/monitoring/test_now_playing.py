"""The now-playing board: what the Monitor tab pulls on its timer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.monitoring.events import OnAirPlay, RecordedPlay, StreamStatus
from radiowatch.monitoring.now_playing import NowPlayingBoard, cover_art_url, how_long_ago
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
    assert panel.on_air is None
    assert (panel.current.title, panel.current.id) == ("B", 2)
    assert [p.title for p in panel.earlier] == ["A"]


def test_an_announcement_older_than_the_newest_recorded_play_is_not_shown():
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    board.apply_play(recorded(1, "B", 4))
    board.apply_on_air(on_air(1, "B", 4))  # a replay after a restart
    assert board.panel(1).on_air is None
    assert board.panel(1).current.title == "B"


def test_a_recorded_play_that_ended_before_the_song_on_air_leaves_it_current():
    board = NowPlayingBoard()
    board.set_stations([station(1)])
    board.apply_on_air(on_air(1, "B", 4))  # B crossfaded in before A's final report
    board.apply_play(recorded(1, "A", 1))
    panel = board.panel(1)
    assert panel.current.title == "B"
    assert [p.title for p in panel.earlier] == ["A"]

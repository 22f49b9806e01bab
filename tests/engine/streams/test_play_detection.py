"""PlayDetector turns window matches into plays: confirmed by consistent windows, ended when
the song stops matching or another is confirmed, and resumable after a restart."""

from __future__ import annotations

from radiowatch.engine.streams.play_detection import (
    DetectionSettings,
    Play,
    PlayDetector,
    WindowMatch,
)

HOP = 2.0
WINDOW = 4.0


def window_match(track: str, offset: float, duration: float = 30.0) -> WindowMatch:
    return WindowMatch(track, offset, 50.0, duration, {"artist": "A", "title": track})


def feed(detector: PlayDetector, timeline):
    """timeline: list of (window_start, track or None, song position at window start)."""
    started, ended = [], []
    for start, track, position in timeline:
        match = window_match(track, position) if track else None
        change = detector.observe(start, start + WINDOW, match)
        started += [change.started] if change.started else []
        ended += [change.ended] if change.ended else []
    return started, ended


def song_windows(track: str, song_start: float, length: float, *, t0: float = 0.0):
    """Windows every HOP s from t0 over a song that starts at `song_start` for `length` s."""
    out = []
    t = t0
    while t + WINDOW <= song_start + length + 2 * WINDOW:
        inside = song_start <= t and t + WINDOW <= song_start + length
        out.append((t, track if inside else None, t - song_start))
        t += HOP
    return out


def test_a_song_is_confirmed_by_two_windows_and_ends_when_it_stops_matching():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    started, ended = feed(detector, song_windows("t1", 10, 30))
    assert [p.track_id for p in started] == ["t1"]
    [play] = ended
    assert play.start == 10
    assert play.length_s() == 30


def test_one_stray_window_does_not_make_a_play():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    started, ended = feed(detector, [(0, None, 0), (2, "t9", 50), (4, None, 0), (6, None, 0)])
    assert started == [] and ended == []


def test_a_window_with_a_jumping_offset_is_not_the_same_play():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    started, _ = feed(detector, [(0, "t1", 0), (2, "t1", 20)])  # anchor 0 vs -18
    assert started == []


def test_back_to_back_songs_make_two_plays_that_do_not_overlap():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    timeline = [(t, "a", t) for t in range(0, 20, 2)] + [(t, "b", t - 20) for t in range(20, 40, 2)]
    timeline += [(t, None, 0) for t in range(40, 50, 2)]
    started, ended = feed(detector, timeline)
    assert [p.track_id for p in started] == ["a", "b"]
    assert [p.track_id for p in ended] == ["a", "b"]
    assert ended[0].last_match <= ended[1].start


def test_joining_mid_song_starts_the_play_when_listening_began():
    detector = PlayDetector(DetectionSettings(), listening_since=100)
    started, _ = feed(detector, [(100, "t1", 12), (102, "t1", 14)])
    assert started[0].start == 100  # not 88: we did not hear the song's beginning


def test_play_end_is_clamped_to_the_song_length():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    timeline = [(t, "t1", t) for t in range(0, 30, 2)]  # windows run past a 20 s song
    match_windows = [(s, "t1", p) for s, _, p in timeline]
    for start, track, position in match_windows:
        detector.observe(start, start + WINDOW, WindowMatch(track, position, 50, 20.0, {}))
    assert detector.close().length_s() == 20


def test_a_restored_play_continues_and_is_reported_once():
    first = PlayDetector(DetectionSettings(), listening_since=0)
    feed(first, [(0, "t1", 0), (2, "t1", 2), (4, "t1", 4)])
    saved = first.play.to_state()
    # "restart": a new detector from the saved state keeps extending the same play
    second = PlayDetector(DetectionSettings(), listening_since=20, restored=Play.from_state(saved))
    started, ended = feed(second, [(20, "t1", 20), (22, "t1", 22), (24, None, 0), (26, None, 0)])
    assert started == []
    [play] = ended
    assert (play.start, play.last_match) == (0, 26)


def test_a_stream_away_longer_than_the_grace_period_ends_the_play():
    detector = PlayDetector(DetectionSettings(resume_grace_s=30), listening_since=0)
    feed(detector, [(0, "t1", 0), (2, "t1", 2)])
    assert detector.expire(now=20) is None
    ended = detector.expire(now=40)
    assert ended is not None and ended.length_s() == 6


def test_audio_aired_before_listening_began_but_heard_counts_towards_the_play():
    # An HLS player starts a few segments back: at wall time 100 we receive audio that aired
    # from 94 on, and the song started at 96.
    detector = PlayDetector(DetectionSettings(), listening_since=100)
    detector.heard_from(94)
    _, [play] = feed(detector, song_windows("t1", 96, 20, t0=94))
    assert play.start == 96
    assert play.length_s() == 20


def test_a_song_we_did_not_hear_from_its_start_is_not_backdated():
    detector = PlayDetector(DetectionSettings(), listening_since=100)
    detector.heard_from(98)
    _, [play] = feed(detector, song_windows("t1", 90, 30, t0=98))
    assert play.start == 98


def test_after_a_play_ended_nothing_moves_the_next_play_before_it():
    detector = PlayDetector(DetectionSettings(), listening_since=0)
    _, [first] = feed(detector, song_windows("t1", 10, 20))
    detector.heard_from(0)
    _, [second] = feed(detector, song_windows("t2", 20, 20, t0=30))
    assert second.start >= first.start + first.length_s()

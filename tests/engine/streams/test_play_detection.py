"""PlayDetector's decisions, on a scripted radio: which windows confirm a play, when it ends,
what survives a restart, and what a play's start may never precede.

The audio side (following an alignment peak by peak, finding edges) is tested on generated
audio in test_playlog.py; here an `Evidence` answers from a list of airings, so each rule is
checked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from radiowatch.engine.streams.alignment import Alignment
from radiowatch.engine.streams.play_detection import (
    DetectionSettings,
    Found,
    Play,
    PlayChange,
    PlayDetector,
)

HOP = 4.0
WINDOW = 8.0


@dataclass(frozen=True)
class Airing:
    track: str
    start: float
    end: float
    position: float = 0.0  # where in the track the airing starts (s)
    voiced_s: float = 0.0  # its first seconds under a DJ's voice: no peak of it shows there
    talked_out_s: float = 0.0  # its last seconds under a DJ's voice

    @property
    def anchor(self) -> float:
        return self.start - self.position


class ScriptedRadio:
    """Evidence from a list of airings: a window carries an alignment when an airing of that
    track at that anchor fills at least 3 s of it; edges are the airings' own, except that the
    peaks show a voiced intro only where the voice stops, while the track leaves no holes (and
    shows faintly, 1.5 standard deviations) from its real start."""

    def __init__(self, *airings: Airing, track_lengths: dict[str, float] | None = None) -> None:
        self.airings = list(airings)
        self.track_lengths = track_lengths or {}  # where each track's own sound stops (s)
        self.clock = 0.0

    def _airing(self, alignment: Alignment) -> Airing | None:
        return next(
            (
                a
                for a in self.airings
                if a.track == alignment.track_id and abs(a.anchor - alignment.anchor_s) < 0.5
            ),
            None,
        )

    @staticmethod
    def _overlap(a: Airing, start: float, end: float) -> float:
        return max(0.0, min(a.end, end) - max(a.start, start))

    def follow(self, alignment, start, end):
        a = self._airing(alignment)
        return (30.0 if a and self._overlap(a, start, end) >= 3 else 0.0), alignment

    def identify(self, start, end):
        best = max(self.airings, key=lambda a: self._overlap(a, start, end), default=None)
        if best is None or self._overlap(best, start, end) < 3:
            return None
        return Found(Alignment(best.track, best.anchor), 30.0, 300.0, {"title": best.track})

    def settle(self, alignment, start, end):
        return alignment

    def refit(self, alignment, start, end):
        return alignment

    def start_edge(self, alignment, lo, hi):
        a = self._airing(alignment)
        return None if a is None else max(lo, a.start + a.voiced_s)

    def end_edge(self, alignment, lo, hi):
        a = self._airing(alignment)
        return None if a is None else min(hi, a.end - a.talked_out_s)

    def presence(self, alignment, lo, hi):
        a = self._airing(alignment)
        return 1.5 if a and self._overlap(a, lo, hi) >= (hi - lo) / 2 else 0.0

    def most_holes(self, alignment, lo, hi, on_air):
        a = self._airing(alignment)
        return 0.0 if a and a.start <= lo and hi <= a.end + 0.01 else 0.5

    def loud_end(self, track_id):
        return self.track_lengths.get(track_id)

    def reach_back(self, alignment, start, limit, on_air):
        a = self._airing(alignment)
        return start if a is None else min(start, max(limit, a.start))

    def sound_span(self, track_id):
        return None

    def now(self):
        return self.clock


def listen(detector: PlayDetector, radio: ScriptedRadio, t0: float, t1: float) -> list[PlayChange]:
    changes = []
    t = t0
    while t + WINDOW <= t1:
        radio.clock = t + WINDOW
        change = detector.window(t, t + WINDOW)
        if change:
            changes.append(change)
        t += HOP
    return changes


def started(changes):
    return [c.started for c in changes if c.started]


def ended(changes):
    return [c.ended for c in changes if c.ended]


def test_a_song_is_one_play_from_its_first_to_its_last_second():
    radio = ScriptedRadio(Airing("a", 10, 130))
    detector = PlayDetector(radio, listening_since=0)
    changes = listen(detector, radio, 0, 170)
    [play] = ended(changes)
    assert (play.track_id, play.start, play.end) == ("a", 10, 130)
    assert [p.track_id for p in started(changes)] == ["a"]
    assert play.sure_at is not None and play.sure_at - play.start <= 12  # known long before its end


def test_two_songs_back_to_back_are_two_plays_and_the_first_ends_when_the_second_starts():
    radio = ScriptedRadio(Airing("a", 0, 60), Airing("b", 57, 120))  # a 3 s crossfade
    detector = PlayDetector(radio, listening_since=0)
    changes = listen(detector, radio, 0, 160)
    assert [(p.track_id, p.start, p.end) for p in ended(changes)] == [
        ("a", 0, 60),
        ("b", 57, 120),
    ]


def test_a_talked_over_intro_starts_where_the_track_leaves_no_holes_not_where_the_talk_stops():
    # a song joined 20 s into its track under 9 s of talk, after a jingle: the peaks show it
    # from 39 s, the holes test back to 30 s
    radio = ScriptedRadio(Airing("a", 30, 150, position=20, voiced_s=9))
    changes = listen(PlayDetector(radio, listening_since=0), radio, 0, 190)
    [play] = ended(changes)
    assert (play.start, play.end) == (pytest.approx(30, abs=DetectionSettings().hole_step_s), 150)
    assert play.start >= 30


def test_a_start_moves_back_only_where_the_track_also_shows():
    class Silent(ScriptedRadio):  # no holes, but not the faintest sign of the track either
        def presence(self, alignment, lo, hi):
            return 0.0

    radio = Silent(Airing("a", 30, 150, position=20, voiced_s=9))
    [play] = ended(listen(PlayDetector(radio, listening_since=0), radio, 0, 190))
    assert play.start == 39


def test_a_start_moves_back_no_further_than_where_listening_began():
    radio = ScriptedRadio(Airing("a", 30, 150, position=20, voiced_s=9))
    [play] = ended(listen(PlayDetector(radio, listening_since=34), radio, 34, 190))
    assert 34 <= play.start <= 34 + DetectionSettings().hole_step_s


def test_a_song_played_out_under_talk_ends_where_its_track_does():
    # a 100 s track aired whole from 30 s, its last 8 s talked over: the peaks lose it at 122
    radio = ScriptedRadio(Airing("a", 30, 130, talked_out_s=8), track_lengths={"a": 100.0})
    [play] = ended(listen(PlayDetector(radio, listening_since=0), radio, 0, 190))
    assert (play.start, play.end) == (30, 130)


def test_a_song_faded_out_before_its_track_ends_is_not_taken_to_the_end():
    # the DJ faded it out at 122, 8 s before the track would have ended: holes from there
    radio = ScriptedRadio(Airing("a", 30, 122), track_lengths={"a": 100.0})
    [play] = ended(listen(PlayDetector(radio, listening_since=0), radio, 0, 190))
    assert play.end == 122


def test_a_track_end_further_than_the_tail_allows_is_not_reached_for():
    radio = ScriptedRadio(Airing("a", 30, 130, talked_out_s=15), track_lengths={"a": 100.0})
    [play] = ended(listen(PlayDetector(radio, listening_since=0), radio, 0, 190))
    assert play.end == 115


def test_the_same_song_after_a_jingle_is_a_second_play():
    radio = ScriptedRadio(Airing("a", 0, 60), Airing("a", 66, 126))
    detector = PlayDetector(radio, listening_since=0)
    changes = listen(detector, radio, 0, 170)
    assert [(p.start, p.end) for p in ended(changes)] == [(0, 60), (66, 126)]


def test_a_repetition_found_overlapping_the_play_is_the_same_airing():
    # The search names another repetition of the track (anchor 30 s later) while the play's
    # own alignment has gone quiet: the two overlap by seconds, so it is one airing.
    radio = ScriptedRadio(Airing("a", 0, 100), Airing("a", 70, 120, position=40))
    detector = PlayDetector(radio, listening_since=0)
    changes = listen(detector, radio, 0, 160)
    [play] = ended(changes)
    assert play.start == 0 and play.end == 120


def test_an_airing_shorter_than_the_minimum_is_not_a_play():
    radio = ScriptedRadio(Airing("tease", 20, 30), Airing("a", 60, 120))
    detector = PlayDetector(radio, DetectionSettings(min_play_s=15), listening_since=0)
    changes = listen(detector, radio, 0, 160)
    assert [p.track_id for p in ended(changes)] == ["a"]
    assert [c.dropped.track_id for c in changes if c.dropped] == ["tease"]


def test_a_restored_play_continues_and_is_reported_once():
    radio = ScriptedRadio(Airing("a", 0, 100))
    first = PlayDetector(radio, listening_since=0)
    listen(first, radio, 0, 40)
    saved = first.play.to_state()
    # "restart": a new detector from the saved state keeps extending the same play
    second = PlayDetector(radio, listening_since=50, restored=Play.from_state(saved))
    changes = listen(second, radio, 50, 140)
    assert started(changes) == []
    [play] = ended(changes)
    assert (play.start, play.end) == (0, 100)


def test_a_restored_play_heard_shorter_than_the_minimum_is_still_reported():
    # The engine died 13 s into a song (sure, announced) and came back after it ended: the
    # airing is not a tease, its length is simply unknown
    radio = ScriptedRadio(Airing("a", 0, 16))
    first = PlayDetector(radio, DetectionSettings(min_play_s=15), listening_since=0)
    listen(first, radio, 0, 13)
    assert first.play is not None
    saved = first.play.to_state()
    second = PlayDetector(
        radio, DetectionSettings(min_play_s=15), listening_since=18, restored=Play.from_state(saved)
    )
    changes = listen(second, radio, 18, 60)
    [play] = ended(changes)
    assert play.track_id == "a" and play.start == 0 and play.end == saved["last_match"]


def test_a_tease_cut_by_a_dropped_stream_is_kept_but_a_heard_tease_is_not():
    radio = ScriptedRadio(Airing("a", 0, 12), Airing("b", 100, 110))
    detector = PlayDetector(radio, DetectionSettings(min_play_s=15), listening_since=0)
    listen(detector, radio, 0, 10)
    assert detector.play is not None
    assert not detector.audio_stopped(10)  # on air when the stream dropped
    changes = [detector.audio_stopped(80)]  # back much later: it ended where it was heard
    changes += listen(detector, radio, 80, 140)
    assert [p.track_id for p in ended(changes)] == ["a"]
    assert [c.dropped.track_id for c in changes if c.dropped] == ["b"]


def test_a_play_saved_by_the_previous_version_is_restored():
    old = {
        "track_id": "a",
        "anchor": 5.0,
        "start": 5.0,
        "last_match": 40.0,
        "duration_s": 200.0,
        "score": 30.0,
        "song": {"title": "A"},
        "stream_title": None,
        "announced": True,
    }
    play = Play.from_state(old)
    assert (play.anchor_s, play.time_scale, play.announced) == (5.0, 1.0, True)


def test_a_stream_away_longer_than_the_grace_period_ends_the_play():
    radio = ScriptedRadio(Airing("a", 0, 100))
    detector = PlayDetector(radio, DetectionSettings(resume_grace_s=30), listening_since=0)
    listen(detector, radio, 0, 40)
    assert not detector.expire(now=50)
    change = detector.expire(now=80)
    assert change.ended is not None
    assert change.ended.end == change.ended.last_match == 40  # where it was last heard


def test_audio_that_stopped_after_the_song_ended_ends_the_play():
    radio = ScriptedRadio(Airing("a", 0, 30))
    detector = PlayDetector(radio, listening_since=0)
    listen(detector, radio, 0, 44)  # a little talk after the song, then the connection drops
    change = detector.audio_stopped(44)
    assert change.ended is not None and change.ended.end == 30


def test_audio_that_stopped_mid_song_keeps_the_play_open_for_a_reconnect():
    radio = ScriptedRadio(Airing("a", 0, 100))
    detector = PlayDetector(radio, listening_since=0)
    listen(detector, radio, 0, 40)
    assert not detector.audio_stopped(40)
    assert detector.play is not None


def test_audio_aired_before_listening_began_but_heard_counts_towards_the_play():
    # An HLS player starts a few segments back: at wall time 100 we receive audio that aired
    # from 94 on, and the song started at 96.
    radio = ScriptedRadio(Airing("a", 96, 160))
    detector = PlayDetector(radio, listening_since=100)
    detector.heard_from(94)
    [play] = ended(listen(detector, radio, 94, 200))
    assert play.start == 96


def test_a_song_we_did_not_hear_from_its_start_is_not_backdated():
    radio = ScriptedRadio(Airing("a", 90, 160))
    detector = PlayDetector(radio, listening_since=100)
    detector.heard_from(98)
    [play] = ended(listen(detector, radio, 98, 200))
    assert play.start == 98


def test_a_play_cut_by_a_dropped_stream_ends_where_it_was_heard_whatever_comes_after():
    radio = ScriptedRadio(Airing("a", 0, 100))
    detector = PlayDetector(radio, listening_since=0)
    listen(detector, radio, 0, 60)
    assert not detector.audio_stopped(60)  # still on air when the stream dropped: kept open
    # the stream comes back much later with other audio: the play ended where it was heard
    radio.airings.append(Airing("b", 150, 300))
    change = detector.audio_stopped(180)
    assert change.ended is not None and change.ended.end == 60

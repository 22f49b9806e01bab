"""Turning a recording's identification windows into *plays*: one per airing, with the
moments the song became and stopped being audible.

The same detector serves live stream monitoring (streams/monitor.py) and play logs of a file
(streams/playlog.py); only the audio source differs. It sees the audio through an `Evidence`
(streams/tracker.py), window by window, every `hop_s` seconds:

1. An open play is first *followed*: its alignment (track, speed, where the track's second 0
   aired) is checked against the window's peaks directly, which is cheap. A window that still
   carries the play keeps it going, whatever a catalog search would answer there, so a track
   with repeated sections (where a search may name another repetition's offset) stays one
   play. Only when the play is weak or gone is the whole catalog searched.
2. A search result becomes a *candidate*; it is confirmed ("sure") by one window scoring at
   least `sure_score`, or by `confirm_windows` windows agreeing on track and alignment. A
   confirmed play is published at once (the live `callbacks=before` moment), with its start
   found by looking back: the first audible second, located peak by peak (streams/alignment.py)
   rather than at window granularity, through voice-over and crossfades.
3. A play ends when another is confirmed (crossfades: the two may overlap) or after `end_after_s`
   without its audio; its end is located the same way. A play shorter than `min_play_s` (a
   tease) is dropped. A repeat of the same track after a jingle has another alignment, so it
   is another play.

Times are seconds on the source's clock: positions in a file, or, for a stream, epoch seconds
of the stream clock (see monitor.py), so an open play survives a reconnect and, because it is
persisted, an engine restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from radiowatch.engine.fingerprint.landmarks import FRAME_S
from radiowatch.engine.streams.alignment import Alignment

TITLE_LAG_S = 2.0  # an ICY title sent this long after a play's start is still its title
REFIT_EVERY_S = 20.0  # a followed play's alignment is fitted to the audio again this often ...
REFIT_SPAN_S = 30.0  # ... over this much of its latest audio
SNAP_HEAD_S = 2.0  # a track's first seconds checked before a start is snapped back to them


@dataclass(frozen=True)
class DetectionSettings:
    # Audio identified at a time, and a window every hop: both whole peak chunks
    # (peak_stream.CHUNK_FRAMES), so a window is looked at as soon as its last chunk's peaks are
    # final (an 8.0 s window every 2.0 s waited ~1 s longer on average: now-playing p50 8.4 s
    # instead of 9.0 on the broadcast benchmark). A 4 s hop made live plays known ~3 s later.
    window_s: float = 8.192
    hop_s: float = 2.048
    # A search answer this good is a candidate (the catalog's own threshold is 6.5): as a DJ
    # stops talking over an intro the right track first scores 4-8, and a second window agreeing
    # on track and alignment, which chance almost never gives, makes it sure. The search uses
    # the matcher's own peak density: the dense peaks (every local maximum) found nothing more
    # with triplet keys and cost twice the search time.
    candidate_score: float = 4.0
    search_dense: bool = False
    confirm_windows: int = 2  # agreeing windows that confirm a play ...
    sure_score: float = 12.0  # ... or one window scoring at least this (negatives stay < 6)
    follow_score: float = 4.0  # a window carries its play when following it scores this
    search_below: float = 12.0  # below this follow score the catalog is searched as well
    anchor_tolerance_s: float = 1.0  # windows of one airing place the track within this
    lookback_s: float = 24.0  # how far before its first window a play's start is looked for
    end_after_s: float = 16.0  # a play without its audio this long has ended
    min_play_s: float = 15.0  # shorter airings (teases) are not plays
    repeat_overlap_s: float = 2.0  # the same track found overlapping its play this long: one airing
    snap_s: float = 15.0  # a start this close after the track's first sound goes there ...
    snap_z: float = 2.5  # ... if the track shows in between this clearly
    # A start moves back, a step at a time, while at most this share of the track's loud peaks
    # are holes in each step (spectral_holes.py: where a DJ's voice hides the track, not where
    # it had not begun) ...
    hole_share: float = 0.1
    hole_step_s: float = 1.024
    hole_z: float = 1.0  # ... and the track shows at least this clearly over the stretch gained
    hole_on_air_s: float = 8.0  # the track's level on air is measured over this long ...
    hole_edge_s: float = 4.0  # ... this far after the start (clear of a fade-in)
    # A play heard until this close to its track's end (its own sound, not its last peak) is
    # taken to the end when the track leaves no holes on the way: talk over a song's last
    # seconds hides them from the peaks.
    tail_s: float = 10.0
    resume_grace_s: float = 60.0  # a stream away this long ends its play
    # A live window is still looked at this long after its audio aired (a burst of audio
    # after a stall, many streams' windows due at once); older ones are skipped while newer
    # ones wait, so a tracker that fell behind catches up on the newest audio.
    live_lag_s: float = 10.0


@dataclass(frozen=True)
class Found:
    """A catalog search's answer for one window."""

    alignment: Alignment
    score: float
    duration_s: float | None
    song: dict[str, Any]  # the AudD song object (artist, title, ...) for events


class Evidence(Protocol):
    """What the detector may ask about the audio (implemented by streams/tracker.py)."""

    def follow(self, alignment: Alignment, start: float, end: float) -> tuple[float, Alignment]:
        """How well [start, end) carries `alignment` (standard deviations above chance), and
        the alignment corrected for a small drift."""

    def identify(self, start: float, end: float) -> Found | None:
        """Search the whole catalog for [start, end)."""

    def settle(self, alignment: Alignment, start: float, end: float) -> Alignment:
        """`alignment` with its kind of speed change, playback rate and offset fitted to
        [start, end)."""

    def refit(self, alignment: Alignment, start: float, end: float) -> Alignment:
        """`alignment` with its playback rate and offset fitted to [start, end)."""

    def start_edge(self, alignment: Alignment, lo: float, hi: float) -> float | None:
        """The first moment in [lo, hi) where the aligned track is audible."""

    def end_edge(self, alignment: Alignment, lo: float, hi: float) -> float | None:
        """The last moment in [lo, hi) where the aligned track is audible."""

    def presence(self, alignment: Alignment, lo: float, hi: float) -> float:
        """How clearly the aligned track shows in [lo, hi), however faintly (standard
        deviations above chance of its peaks hit, or of the levels where its peaks should be,
        whichever shows it more; 0 without audio)."""

    def reach_back(
        self, alignment: Alignment, start: float, limit: float, on_air: tuple[float, float]
    ) -> float:
        """How far back from `start` (not before `limit`) the track can still be on air: it
        leaves no holes where its loud peaks should be, against its level over `on_air`."""

    def most_holes(
        self, alignment: Alignment, lo: float, hi: float, on_air: tuple[float, float]
    ) -> float | None:
        """The largest share of the track's loud peaks that are holes in any step of [lo, hi)
        (None where no step can tell), against its level over `on_air`."""

    def loud_end(self, track_id: str) -> float | None:
        """Seconds into the track where its own sound stops being audible (None: unknown)."""

    def sound_span(self, track_id: str) -> tuple[float, float] | None:
        """Seconds into the track of its first and last stored peak (its audible span)."""

    def now(self) -> float:
        """Source time of the newest audio received (when a live listener would know)."""


@dataclass
class Play:
    track_id: str
    anchor_s: float  # source time at which the track's second 0 aired (speed taken into account)
    time_scale: float
    band_shift: float
    speed: float
    start: float
    last_match: float  # end of the last window that carried the play
    duration_s: float | None
    score: float
    song: dict[str, Any]
    stream_title: str | None = None
    announced: bool = False  # the callbacks=before event has been published
    end: float | None = None  # set when the play is over
    sure_at: float | None = None  # when the play was confirmed (source time)
    last_window: float = 0.0  # start of the last window that carried the play
    fitted_at: float = 0.0  # when the alignment was last fitted to the audio
    heard_until: float | None = None  # its end as heard when the audio last stopped
    # Its audio was interrupted while it was on air (a dropped stream, an engine restart) and
    # has not carried it since: how long it aired is not known, so it is kept however short.
    cut: bool = False

    @property
    def alignment(self) -> Alignment:
        return Alignment(self.track_id, self.anchor_s, self.time_scale, self.band_shift, self.speed)

    def align(self, alignment: Alignment) -> None:
        self.anchor_s = alignment.anchor_s
        self.time_scale = alignment.time_scale
        self.band_shift = alignment.band_shift
        self.speed = alignment.speed

    def length_s(self) -> int:
        end = self.end if self.end is not None else self.last_match
        return max(0, int(round(end - self.start)))

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Play:
        """A play saved by `to_state` (also by the version before alignments were kept)."""
        state = dict(state)
        if "anchor_s" not in state and "anchor" in state:
            state.update(anchor_s=state["anchor"], time_scale=1.0, band_shift=0.0, speed=1.0)
        return cls(**{k: state[k] for k in cls.__dataclass_fields__ if k in state})


@dataclass
class PlayChange:
    """What a window changed: a play that `started` (confirmed) and/or one that `ended`
    (complete, at least `min_play_s` long) or was `dropped` (too short to be a play)."""

    ended: Play | None = None
    started: Play | None = None
    dropped: Play | None = None

    def __bool__(self) -> bool:
        return self.ended is not None or self.started is not None or self.dropped is not None


@dataclass
class _Candidate:
    found: Found
    alignment: Alignment
    first_window: tuple[float, float]
    hits: int = 1
    scores: list[float] = field(default_factory=list)


class PlayDetector:
    def __init__(
        self,
        evidence: Evidence,
        settings: DetectionSettings | None = None,
        *,
        listening_since: float = 0.0,
        restored: Play | None = None,
    ) -> None:
        self.settings = settings or DetectionSettings()
        self._evidence = evidence
        self.play: Play | None = restored
        if restored is not None:  # the engine stopped with it on air: heard until then
            restored.cut = True
            if restored.heard_until is None:
                restored.heard_until = restored.last_match
        self._candidate: _Candidate | None = None
        self._floor = listening_since  # no play starts before this
        self._floor_raised = restored is not None  # a play was heard: the floor stays
        self._last_start: float | None = None  # start of the newest play
        self._titles: list[tuple[float, str | None]] = []  # (since, ICY StreamTitle)
        self.searches = 0  # catalog searches run (for diagnostics and benchmarks)

    def title(self, since: float, title: str | None) -> None:
        """The stream's ICY StreamTitle changed at source time `since`."""
        self._titles = [*self._titles[-15:], (since, title or None)]

    def _title_at(self, t: float) -> str | None:
        """The StreamTitle on air at `t` (a title sent up to TITLE_LAG_S later counts: stations
        switch the title around the song's start, not exactly at it)."""
        current = None
        for since, title in self._titles:
            if since <= t + TITLE_LAG_S:
                current = title
        return current

    def heard_from(self, t: float) -> None:
        """The first audio heard aired at source time `t`. A stream can begin with audio aired
        before we started listening (an HLS player starts a few segments back; Icecast sends
        a burst): we did hear it, so a play may start there."""
        if not self._floor_raised:
            self._floor = min(self._floor, t)

    def window(self, start: float, end: float) -> PlayChange:
        """Look at the window [start, end) of source time."""
        change = PlayChange()
        s = self.settings
        play = self.play
        following = 0.0
        if play is not None:
            following, aligned = self._evidence.follow(play.alignment, start, end)
            if following >= s.follow_score:
                self._carried(play, aligned, start, end, following)
            if following >= s.search_below:
                return change  # clearly still on air: no search needed
        candidate = self._candidate
        if candidate is not None:  # a candidate is followed like a play
            score, aligned = self._evidence.follow(candidate.alignment, start, end)
            if score >= s.follow_score:
                candidate.alignment = aligned
                candidate.hits += 1
                candidate.scores.append(score)
                if self._is_sure(candidate):
                    return self._confirm(change, start, end, None)
                return self._maybe_end(change, end, following)
            self._candidate = None  # it did not last: a stray window
        self.searches += 1
        found = self._evidence.identify(start, end)
        if found is not None:
            if play is not None and self._is_current(found, following):
                if following < s.follow_score:  # the search saw it where following did not
                    self._carried(play, found.alignment, start, end, found.score)
            else:
                self._candidate = _Candidate(
                    found, found.alignment, (start, end), scores=[found.score]
                )
                if self._is_sure(self._candidate):
                    return self._confirm(change, start, end, found)
        return self._maybe_end(change, end, following)

    def audio_stopped(self, at: float) -> PlayChange:
        """The audio stopped at `at` (a connection ended): a play whose audio had already
        stopped before is over; one still on air when the audio stopped stays open, to go on
        if the stream comes back in time (see `expire`)."""
        change = PlayChange()
        self._candidate = None
        play = self.play
        if play is not None:
            play.heard_until = self._end_of(play, at)
            if at - play.heard_until > self.settings.hop_s:
                self.play = None
                self._finish(change, play, play.heard_until)
            else:
                play.cut = True
        return change

    def expire(self, now: float) -> PlayChange:
        """End the open play if nothing has carried it for `resume_grace_s` (stream away)."""
        change = PlayChange()
        if self.play is not None and now - self.play.last_match > self.settings.resume_grace_s:
            self._close(change, None)
        return change

    def close(self, at: float | None = None) -> PlayChange:
        """End the open play now: the source ended (at `at`, with the audio up to there
        available) or the stream was deleted."""
        change = PlayChange()
        self._candidate = None
        if self.play is not None:
            self._close(change, at)
        return change

    # -- internals -------------------------------------------------------------------------
    def _is_current(self, found: Found, following: float) -> bool:
        """Whether a search answer is the open play itself (same track, same alignment, or the
        play still carried by this window: a repeated section found at another offset)."""
        play = self.play
        if play is None or found.alignment.track_id != play.track_id:
            return False
        if following >= self.settings.follow_score:
            return True
        return abs(found.alignment.anchor_s - play.anchor_s) <= self.settings.anchor_tolerance_s

    def _carried(
        self, play: Play, alignment: Alignment, start: float, end: float, score: float
    ) -> None:
        play.align(alignment)
        play.heard_until = None  # heard again (after a reconnect)
        play.cut = False
        if end - play.fitted_at >= REFIT_EVERY_S:  # keep the line exact as the song goes on
            lo = max(play.start, end - REFIT_SPAN_S)
            play.align(self._evidence.refit(play.alignment, lo, end))
            play.fitted_at = end
        play.last_match = max(play.last_match, self._clamp_to_track(play, end))
        play.last_window = start
        play.score = max(play.score, score)

    def _maybe_end(self, change: PlayChange, end: float, following: float) -> PlayChange:
        play = self.play
        if (
            play is not None
            and following < self.settings.follow_score
            and end - play.last_match >= self.settings.end_after_s
        ):
            self._close(change, end)
        return change

    def _is_sure(self, c: _Candidate | None) -> bool:
        if c is None:
            return False
        s = self.settings
        return max(c.scores) >= s.sure_score or c.hits >= s.confirm_windows

    def _confirm(
        self, change: PlayChange, start: float, end: float, found: Found | None
    ) -> PlayChange:
        c = self._candidate
        assert c is not None
        self._candidate = None
        s = self.settings
        old = self.play
        floor = self._floor if self._last_start is None else max(self._floor, self._last_start)
        alignment = self._evidence.settle(
            self._best_alignment(c.alignment, start, end, found), c.first_window[0], end
        )
        lo = max(floor, c.first_window[0] - s.lookback_s)
        edge = self._evidence.start_edge(alignment, lo, end)
        begin = edge if edge is not None else max(c.first_window[0], floor)
        begin = self._snap_start(alignment, begin, floor)
        first_sound = self._first_sound(alignment)
        limit = lo if first_sound is None else max(lo, first_sound)
        begin = self._reach_back(alignment, begin, limit, end)
        if old is not None:
            old_end = self._end_of(old, end)
            if old.track_id == alignment.track_id and begin < old_end - s.repeat_overlap_s:
                # The same airing: its audio matches another repetition of the track (a
                # repeated section, a loop) as well as the one followed so far, over seconds.
                # A new airing of the track starts after the last one has stopped.
                self._carried(old, alignment, start, end, max(c.scores))
                return change
            self.play = None
            self._finish(change, old, old_end)
        play = Play(
            track_id=alignment.track_id,
            anchor_s=alignment.anchor_s,
            time_scale=alignment.time_scale,
            band_shift=alignment.band_shift,
            speed=alignment.speed,
            start=begin,
            last_match=max(begin, end),
            duration_s=c.found.duration_s,
            score=max(c.scores),
            song=c.found.song,
            stream_title=self._title_at(begin),
            sure_at=self._evidence.now(),
            last_window=start,
            fitted_at=end,
        )
        play.last_match = max(begin, self._clamp_to_track(play, end))
        self.play = play
        self._last_start = begin
        self._floor_raised = True
        change.started = play
        return change

    def _best_alignment(
        self, alignment: Alignment, start: float, end: float, found: Found | None
    ) -> Alignment:
        """Of a candidate's alignment and a search's answer for the confirming window, the one
        that carries that window better. A song that repeats itself (a loop, a chorus) can be
        caught at the wrong repetition by a faint first window, and a play following a
        repetition that matches only half as well is never searched again."""
        if found is None:
            self.searches += 1
            found = self._evidence.identify(start, end)
        if (
            found is None
            or found.alignment.track_id != alignment.track_id
            or abs(found.alignment.anchor_s - alignment.anchor_s)
            <= self.settings.anchor_tolerance_s
        ):
            return alignment
        mine, aligned = self._evidence.follow(alignment, start, end)
        theirs, other = self._evidence.follow(found.alignment, start, end)
        return other if theirs > mine else aligned

    def _close(self, change: PlayChange, at: float | None) -> None:
        play = self.play
        assert play is not None
        self.play = None
        self._finish(change, play, self._end_of(play, at))

    def _end_of(self, play: Play, at: float | None) -> float:
        """When `play` stopped being audible, looking at the audio up to `at` (None: no audio
        left to look at, the end is where it was last heard). A play not heard since the audio
        last stopped ended where it was heard until then: the audio since (a reconnect) is
        after its end and tells nothing about it."""
        s = self.settings
        end: float | None = None
        if at is not None and play.heard_until is None:
            lo = max(play.start, play.last_window - s.hop_s)
            end = self._evidence.end_edge(play.alignment, lo, at)
            if end is not None:
                end = self._to_track_end(play, end, at)
        if end is None:  # no audio to look at: where it was last heard
            end = play.heard_until if play.heard_until is not None else play.last_match
        end = max(end, play.start)
        return min(end, self._clamp_to_track(play, end))

    def _finish(self, change: PlayChange, play: Play, end: float) -> None:
        play.end = end
        # a play cut by an interruption is not a tease: it was sure, and it may have aired
        # far longer than was heard (a restart 13 s into a song lost it from the history)
        if play.end - play.start >= self.settings.min_play_s or (play.cut and end > play.start):
            change.ended = play
        else:
            change.dropped = play

    def _clamp_to_track(self, play: Play, t: float) -> float:
        """`t`, but not past the moment the track's last second aired."""
        span = self._evidence.sound_span(play.track_id)
        if span is None:
            return t
        return min(t, play.alignment.anchor_s + span[1] / play.time_scale)

    def _reach_back(self, alignment: Alignment, begin: float, limit: float, end: float) -> float:
        """`begin` moved back towards `limit` for as long as the track can still be on air
        there, and shows at least `hole_z` over the stretch gained: a DJ talking over an intro
        hides the ducked music from the peak and contrast tests, but it leaves no holes where
        the track's loud peaks should be (spectral_holes.py). The track's level is measured
        over [begin, end], where it is known on air."""
        s = self.settings
        on_air = (
            min(begin + s.hole_edge_s, end),
            min(begin + s.hole_edge_s + s.hole_on_air_s, end),
        )
        if on_air[1] - on_air[0] < 1.0:
            on_air = (begin, end)
        reached = self._evidence.reach_back(alignment, begin, limit, on_air)
        while begin - reached >= s.hole_step_s / 2:
            if self._evidence.presence(alignment, reached, begin) >= s.hole_z:
                return reached
            reached += s.hole_step_s
        return begin

    def _to_track_end(self, play: Play, end: float, at: float) -> float:
        """`end`, or the moment the track's own sound stopped if that is at most `tail_s`
        later, the audio up to it has been looked at, and the track leaves no holes between
        (a song played out to its end under talk; a DJ's fade or cut leaves holes)."""
        s = self.settings
        loud_end = self._evidence.loud_end(play.track_id)
        if loud_end is None:
            return end
        track_end = play.alignment.source_time(loud_end / FRAME_S)
        if not end < track_end <= min(end + s.tail_s, at):
            return end
        on_air = (max(play.start, end - s.hole_edge_s - s.hole_on_air_s), end - s.hole_edge_s)
        holes = self._evidence.most_holes(play.alignment, end, track_end, on_air)
        return float(track_end) if holes is not None and holes <= s.hole_share else end

    def _first_sound(self, alignment: Alignment) -> float | None:
        """When the track's own first sound aired under `alignment` (None: not known)."""
        span = self._evidence.sound_span(alignment.track_id)
        return None if span is None else alignment.source_time(span[0] / FRAME_S)

    def _snap_start(self, alignment: Alignment, begin: float, floor: float) -> float:
        """Songs are mostly aired from their beginning. A start found up to `snap_s` after the
        track's own first sound is taken back there when the track shows in between, however
        faintly (a DJ talking over the intro masks the ducked music almost completely, but not
        quite): only `snap_z` standard deviations above chance are asked for, as this is one
        stretch tested, not the best of many."""
        first = self._first_sound(alignment)
        if first is None or not floor <= first < begin <= first + self.settings.snap_s:
            return begin
        z = self.settings.snap_z
        if self._evidence.presence(alignment, first, begin) >= z:
            return first
        # a DJ who starts talking a second into the song leaves its first seconds clear
        head = min(begin, first + SNAP_HEAD_S)
        return first if self._evidence.presence(alignment, first, head) >= z else begin

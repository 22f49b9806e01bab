"""Turning a stream's window-by-window matches into *plays* (one event per song played).

The monitor identifies a sliding window every few seconds. A window match says "this audio is
track T, and T's second 0 was at stream time A" (A = window start - match offset: the *anchor*).
A play is confirmed when `confirm_windows` consecutive windows agree on the same track and
anchor (within `anchor_tolerance_s`, which absorbs small speed changes), and ends when the
track stops matching for `end_after_misses` windows, when another track is confirmed, or when
the stream has been silent/away for longer than `resume_grace_s`.

Times are absolute (epoch seconds on the stream's own clock, see StreamClock), not positions in
one connection, so a play survives a reconnect — and, because the open play is persisted, an
engine restart — and is still reported exactly once with its true start and length.

`start` = the anchor (clamped so it never precedes the previous play's end or the moment we
started listening); `end` = the last matching window's end, clamped to the track's length.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DetectionSettings:
    confirm_windows: int = 2
    end_after_misses: int = 2
    anchor_tolerance_s: float = 3.0
    resume_grace_s: float = 60.0


@dataclass
class WindowMatch:
    track_id: str
    offset_s: float
    score: float
    duration_s: float | None
    song: dict[str, Any]  # the AudD song object (artist, title, ...) for the event


@dataclass
class Play:
    track_id: str
    anchor: float
    start: float
    last_match: float
    duration_s: float | None
    score: float
    song: dict[str, Any]
    stream_title: str | None = None
    announced: bool = False  # the callbacks=before event has been published

    def length_s(self) -> int:
        return max(0, int(round(self.last_match - self.start)))

    def to_state(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Play:
        return cls(**{k: state[k] for k in cls.__dataclass_fields__ if k in state})


@dataclass
class PlayChange:
    """What a window changed: a play that `started` (confirmed) and/or one that `ended`."""

    ended: Play | None = None
    started: Play | None = None


@dataclass
class _Candidate:
    match: WindowMatch
    anchor: float
    first_start: float
    last_end: float
    hits: int = 1
    scores: list[float] = field(default_factory=list)


class PlayDetector:
    def __init__(
        self,
        settings: DetectionSettings | None = None,
        *,
        listening_since: float = 0.0,
        restored: Play | None = None,
    ) -> None:
        self.settings = settings or DetectionSettings()
        self.play: Play | None = restored
        self._candidate: _Candidate | None = None
        self._misses = 0
        self._floor = listening_since  # no play starts before this
        self._floor_raised = False  # by a play that ended
        self.stream_title: str | None = None

    def heard_from(self, t: float) -> None:
        """The first audio heard aired at stream time `t`. A stream can begin with audio aired
        before we started listening (an HLS player starts a few segments back; Icecast sends
        a burst): we did hear it, so a play may start there."""
        if not self._floor_raised:
            self._floor = min(self._floor, t)

    def observe(self, start: float, end: float, match: WindowMatch | None) -> PlayChange:
        """Feed one window [start, end) (stream-clock seconds) and its match, if any."""
        change = PlayChange()
        if match is not None and self._continues_play(start, match):
            self._extend(end, match)
            self._candidate = None
            return change
        if self.play is not None:
            self._misses += 1
        if match is None:
            self._candidate = None
        else:
            self._track_candidate(start, end, match)
        if self._candidate is not None and self._candidate.hits >= self.settings.confirm_windows:
            if self.play is not None:
                change.ended = self._close()
            change.started = self._confirm()
        elif self.play is not None and self._misses >= self.settings.end_after_misses:
            change.ended = self._close()
        return change

    def expire(self, now: float) -> Play | None:
        """End the open play if nothing has matched it for `resume_grace_s` (stream away)."""
        if self.play is not None and now - self.play.last_match > self.settings.resume_grace_s:
            return self._close()
        return None

    def close(self) -> Play | None:
        """End the open play now (the stream was deleted or changed URL)."""
        return self._close() if self.play is not None else None

    def _continues_play(self, start: float, match: WindowMatch) -> bool:
        play = self.play
        return (
            play is not None
            and match.track_id == play.track_id
            and abs((start - match.offset_s) - play.anchor) <= self.settings.anchor_tolerance_s
        )

    def _extend(self, end: float, match: WindowMatch) -> None:
        play = self.play
        assert play is not None
        limit = play.anchor + play.duration_s if play.duration_s else end
        play.last_match = max(play.last_match, min(end, limit))
        play.score = max(play.score, match.score)
        self._misses = 0

    def _track_candidate(self, start: float, end: float, match: WindowMatch) -> None:
        anchor = start - match.offset_s
        c = self._candidate
        if (
            c is not None
            and c.match.track_id == match.track_id
            and abs(anchor - c.anchor) <= self.settings.anchor_tolerance_s
        ):
            c.hits += 1
            c.last_end = end
            c.scores.append(match.score)
            c.match = match
        else:
            self._candidate = _Candidate(match, anchor, start, end, scores=[match.score])

    def _confirm(self) -> Play:
        c = self._candidate
        assert c is not None
        floor = max(self._floor, self.play.last_match if self.play else self._floor)
        start = max(c.anchor, floor)
        limit = c.anchor + c.match.duration_s if c.match.duration_s else c.last_end
        self.play = Play(
            track_id=c.match.track_id,
            anchor=c.anchor,
            start=start,
            last_match=max(start, min(c.last_end, limit)),
            duration_s=c.match.duration_s,
            score=max(c.scores),
            song=c.match.song,
            stream_title=self.stream_title,
        )
        self._candidate = None
        self._misses = 0
        return self.play

    def _close(self) -> Play:
        play = self.play
        assert play is not None
        self.play = None
        self._misses = 0
        self._floor = max(self._floor, play.last_match)
        self._floor_raised = True
        return play

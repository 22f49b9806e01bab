"""Finding a track's past plays in a station's archived peaks ("found later").

A label adds today a single that was already on air on Tuesday: the live monitor could not
recognise it then, but the archive kept the peaks of everything heard. This module answers
"where in these hours of this station did these tracks play?" without decoding any audio:

1. The station's peaks over the searched stretch are put on one frame axis (`StationPeaks`)
   and hashed into an index (`StreamIndex`), as the catalog hashes a track.
2. Each track's stored peaks are the query, hashed under every playback-speed candidate and
   cut into `CHUNK_S` pieces. Every hash hit votes for (piece, where the track would start in
   the stream). A piece that aired gets many votes on one start; chance hits scatter.
3. The best-voted starts of each piece are checked peak by peak against the stream
   (fingerprints.verify, the live matcher's score), so a piece counts only when it really
   lines up, with the same threshold as live recognition.
4. Plays are built best piece first: the best-scoring verified piece fixes where the track
   started, the other pieces verified at that start (within `ANCHOR_TOLERANCE_S`) join it,
   and the play runs from the first second of its first piece where the track's peaks line up
   with the stream's to the last such second of its last piece (`_heard_bounds`), so a song
   faded in at its chorus starts there, not 8 s early. Music that repeats itself (a loop, a
   chorus) also lines up a bar or a chorus away from the true start; once a play is taken,
   every other piece found inside its stretch of the stream is such an echo and is dropped. A play needs two pieces (about as much audio as the live
   detector's two confirming windows), or one for a track shorter than two pieces (a jingle).
   A weaker play overlapping a stronger one of the same track (a chorus that also matches
   another chorus of the same airing) is dropped.

A station plays one song at a time: when several tracks are searched together, a play mostly
inside a stronger play of another track (two pieces of a motif that two songs of one album
share) is dropped (`one_song_at_a_time`).

All of it is plain numpy on arrays from `fingerprints.py`; the job around it (which stations and
days, progress, cancel, publishing plays once) is `search_jobs.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from radiowatch.engine.archive import fingerprints as fp

CHUNK_S = 8.0
CHUNK_FRAMES = int(round(CHUNK_S / fp.FRAME_S))
ANCHOR_TOLERANCE_S = 0.5
_ANCHOR_TOLERANCE = int(round(ANCHOR_TOLERANCE_S / fp.FRAME_S))
# A piece's start is checked peak by peak only when this many hashes voted for it: chance
# gives a start 1-2 votes even over a whole day, a piece that aired gets dozens.
MIN_VOTES = 5
# Starts of one piece closer than this are one candidate (the best-voted speed and frame).
_SAME_START = int(round(2.0 / fp.FRAME_S))
# At most this many starts of one piece are checked: the plays of the day plus the piece's
# repeats inside each (a chorus) fit easily; more is a piece of near silence or a drone.
MAX_STARTS_PER_PIECE = 40


@dataclass(frozen=True)
class StationPeaks:
    """A station's archived peaks over a stretch: frame 0 is at stream time `origin_s`.

    Calling it with (lo, hi) gives the peaks with lo <= frame < hi, the reference window the
    peak-by-peak check reads."""

    origin_s: float
    frames: np.ndarray  # int64, sorted
    half_bands: np.ndarray  # int64

    @classmethod
    def from_blocks(
        cls, blocks: Iterable[tuple[float, np.ndarray, np.ndarray]], origin_s: float
    ) -> StationPeaks:
        """Blocks of (start_s, frames from the block's start, half-bands)."""
        ts, fs = [], []
        for start_s, frames, half_bands in blocks:
            shift = int(round((start_s - origin_s) / fp.FRAME_S))
            ts.append(np.asarray(frames, np.int64) + shift)
            fs.append(np.asarray(half_bands, np.int64))
        if not ts:
            empty = np.zeros(0, np.int64)
            return cls(origin_s, empty, empty)
        t, f = np.concatenate(ts), np.concatenate(fs)
        keep = t >= 0
        t, f = t[keep], f[keep]
        order = np.lexsort((f, t))
        return cls(origin_s, t[order], f[order])

    def __len__(self) -> int:
        return int(self.frames.size)

    def __call__(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = np.searchsorted(self.frames, [lo, hi])
        return self.frames[a:b], self.half_bands[a:b]

    def time_of(self, frame: float) -> float:
        return self.origin_s + float(frame) * fp.FRAME_S


class StreamIndex:
    """The station's peak pairs, hashed, with every hash's entries found in O(1)."""

    def __init__(self, peaks: StationPeaks) -> None:
        h, t = fp.index_keys(peaks.frames, peaks.half_bands)
        order = np.argsort(h, kind="stable")
        self._positions = t[order]
        hashes = h[order]
        self._size = int(hashes.max()) + 2 if hashes.size else 1
        counts = np.bincount(hashes, minlength=self._size)
        self._starts = np.zeros(self._size + 1, np.int64)
        np.cumsum(counts, out=self._starts[1:])

    @property
    def entries(self) -> int:
        return int(self._positions.size)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index into `hashes`, stream frame) of every entry equal to a query hash."""
        q = np.minimum(hashes.astype(np.int64), self._size - 1)  # unknown hashes: empty bucket
        lo, hi = self._starts[q], self._starts[q + 1]
        n = hi - lo
        total = int(n.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        q_idx = np.repeat(np.arange(hashes.size), n)
        first = np.repeat(lo - (np.cumsum(n) - n), n)
        return q_idx, self._positions[first + np.arange(total)]


@dataclass(frozen=True)
class TrackQuery:
    """A track to look for: its stored peaks (frames from its start, half-bands)."""

    track_id: str
    frames: np.ndarray
    half_bands: np.ndarray

    @property
    def n_frames(self) -> int:
        return int(self.frames.max()) + 1 if self.frames.size else 0

    @property
    def n_pieces(self) -> int:
        return max(1, -(-self.n_frames // CHUNK_FRAMES))

    def piece(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Peaks of piece k, frames from the piece's start."""
        lo, hi = np.searchsorted(self.frames, [k * CHUNK_FRAMES, (k + 1) * CHUNK_FRAMES])
        return self.frames[lo:hi] - k * CHUNK_FRAMES, self.half_bands[lo:hi]


@dataclass(frozen=True)
class FoundPlay:
    track_id: str
    start_s: float
    end_s: float
    score: float  # the best piece's verification score (fingerprints.MATCH_THRESHOLD and up)
    speed: float
    tempo: float
    pieces: int  # how many of the track's CHUNK_S pieces were heard


@dataclass(frozen=True)
class _PieceHit:
    piece: int
    start: int  # stream frame where the track starts (may lie before the stretch)
    cand: int
    score: float


def find_plays(track: TrackQuery, index: StreamIndex, peaks: StationPeaks) -> list[FoundPlay]:
    """Every play of `track` in the indexed stretch, in time order."""
    if track.frames.size == 0 or index.entries == 0:
        return []
    hits = _verified_pieces(track, index, peaks)
    return _plays(track, hits, peaks)


def _verified_pieces(track: TrackQuery, index: StreamIndex, peaks: StationPeaks) -> list[_PieceHit]:
    bins = _voted_starts(track, index)
    hits: list[_PieceHit] = []
    for piece, starts in bins.items():
        frames, half_bands = track.piece(piece)
        if frames.size == 0:
            continue
        for _votes, ci, start in starts[:MAX_STARTS_PER_PIECE]:
            cand = fp.SPEED_CANDIDATES[ci]
            position = start + int(round(piece * CHUNK_FRAMES * cand.time_scale))
            score = fp.verify(frames, half_bands, cand, position, peaks)
            if score >= fp.MATCH_THRESHOLD:
                hits.append(_PieceHit(piece, start, ci, score))
    return hits


def _voted_starts(track: TrackQuery, index: StreamIndex) -> dict[int, list[tuple[int, int, int]]]:
    """Per piece: (votes, candidate, track start frame) of its well-voted starts, best first,
    one per `_SAME_START` frames, at most MAX_STARTS_PER_PIECE."""
    votes_, cands, pieces, starts = [], [], [], []
    for ci, (cand, hashes, anchor) in enumerate(fp.query_keys(track.frames, track.half_bands)):
        if hashes.size == 0:
            continue
        q_idx, position = index.lookup(hashes)
        if q_idx.size == 0:
            continue
        t = anchor[q_idx]
        start = position - np.rint(t).astype(np.int64)
        piece = np.minimum((t / cand.time_scale) // CHUNK_FRAMES, track.n_pieces - 1)
        p, s, v = _tolerant_votes(piece.astype(np.int64), start)
        if v.size == 0:  # only chance hits under this candidate
            continue
        votes_.append(v)
        pieces.append(p)
        starts.append(s)
        cands.append(np.full(v.size, ci, np.int64))
    if not votes_:
        return {}
    votes, cand_idx = np.concatenate(votes_), np.concatenate(cands)
    piece_of, start_of = np.concatenate(pieces), np.concatenate(starts)
    order = np.lexsort((start_of, cand_idx, -votes, piece_of))
    per_piece: dict[int, list[tuple[int, int, int]]] = {}
    bounds = np.flatnonzero(np.diff(piece_of[order])) + 1
    for group in np.split(order, bounds):
        kept: list[tuple[int, int, int]] = []
        taken = np.zeros(0, np.int64)
        for k in group:
            s_k = int(start_of[k])
            if taken.size and np.min(np.abs(taken - s_k)) <= _SAME_START:
                continue
            kept.append((int(votes[k]), int(cand_idx[k]), s_k))
            taken = np.append(taken, s_k)
            if len(kept) >= MAX_STARTS_PER_PIECE:
                break
        per_piece[int(piece_of[group[0]])] = kept
    return per_piece


_BIAS = 1 << 40


def _tolerant_votes(
    piece: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pieces, starts, votes) of the bins with at least MIN_VOTES hits within one frame of
    their start (timing jitters by a frame)."""
    key = np.sort(piece * (1 << 44) + (start + _BIAS))
    # only keys with a neighbour within 2 can reach two votes; most chance hits are alone
    close = (key[1:] - key[:-1]) <= 2
    keep = np.zeros(key.size, bool)
    keep[1:] |= close
    keep[:-1] |= close
    key = key[keep]
    if key.size == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    uniq = key[first]
    counts = np.diff(first, append=key.size)
    total = counts.copy()
    adjacent = uniq[1:] == uniq[:-1] + 1
    total[:-1][adjacent] += counts[1:][adjacent]
    total[1:][adjacent] += counts[:-1][adjacent]
    good = total >= MIN_VOTES
    uniq, total = uniq[good], total[good]
    return uniq >> 44, (uniq & ((1 << 44) - 1)) - _BIAS, total


def _plays(track: TrackQuery, hits: list[_PieceHit], peaks: StationPeaks) -> list[FoundPlay]:
    need = 2 if track.n_pieces >= 2 else 1
    remaining = sorted(hits, key=lambda h: (-h.score, h.start, h.piece))
    plays: list[FoundPlay] = []
    while remaining:
        seed = remaining[0]
        members, line = _airing(seed, remaining)
        best: dict[int, _PieceHit] = {}
        for hit in members:  # best first already
            best.setdefault(hit.piece, hit)
        if len(best) < need:
            remaining = [h for h in remaining if h is not seed and h not in members]
            continue
        start, scale = line
        seed_cand = fp.SPEED_CANDIDATES[seed.cand]
        cand = fp.SpeedCandidate(seed_cand.speed, seed_cand.tempo, scale, seed_cand.band_shift)
        first_frame, end_frame = _heard_bounds(track, min(best), max(best), start, cand, peaks)
        lo, hi = start + first_frame * scale, start + end_frame * scale
        plays.append(
            FoundPlay(
                track_id=track.track_id,
                start_s=peaks.time_of(lo),
                end_s=peaks.time_of(hi),
                score=round(seed.score, 2),
                speed=seed_cand.speed,
                tempo=seed_cand.tempo,
                pieces=len(best),
            )
        )
        # everything else heard inside this airing is the track echoing itself
        remaining = [h for h in remaining if h not in members and not _inside(h, lo, hi)]
    return sorted(plays, key=lambda p: p.start_s)


_NEAR_LINE = int(round(1.5 / fp.FRAME_S))


def _airing(seed: _PieceHit, hits: list[_PieceHit]) -> tuple[list[_PieceHit], tuple[int, float]]:
    """The hits of the airing `seed` belongs to, and that airing's line: (stream frame where
    the track starts, stream frames per track frame). The seed's own speed candidate may be a
    step off (verification tolerates it), which over a long song moves late pieces by more
    than the tolerance; so the line is fitted to the pieces near the seed's first."""

    def where(h: _PieceHit) -> tuple[float, float]:
        x = h.piece * CHUNK_FRAMES
        return x, h.start + x * fp.SPEED_CANDIDATES[h.cand].time_scale

    a, b = float(seed.start), fp.SPEED_CANDIDATES[seed.cand].time_scale
    near = [h for h in hits if abs(where(h)[1] - (a + b * where(h)[0])) <= _NEAR_LINE]
    # one hit per piece for the fit, the one nearest the seed's line: echoes a bar away
    # (looped music) must not tilt it
    closest: dict[int, _PieceHit] = {}
    for h in near:
        off = abs(where(h)[1] - (a + b * where(h)[0]))
        if h.piece not in closest or off < abs(
            where(closest[h.piece])[1] - (a + b * where(closest[h.piece])[0])
        ):
            closest[h.piece] = h
    xs = np.array([where(h)[0] for h in closest.values()])
    if np.ptp(xs) >= 2 * CHUNK_FRAMES:
        ys = np.array([where(h)[1] for h in closest.values()])
        weights = np.array([h.score for h in closest.values()])
        b_fit, a_fit = np.polyfit(xs, ys, 1, w=weights)
        if 0.93 <= b_fit <= 1.07:
            a, b = float(a_fit), float(b_fit)
    members = [h for h in near if abs(where(h)[1] - (a + b * where(h)[0])) <= _ANCHOR_TOLERANCE]
    if seed not in members:
        members.insert(0, seed)
    return members, (int(round(a)), b)


def one_song_at_a_time(plays: list[FoundPlay]) -> list[FoundPlay]:
    """Plays of several tracks in one stretch, without those lying mostly (half or more)
    inside a stronger play (more pieces, then a better score) of another track."""
    kept: list[FoundPlay] = []
    for play in sorted(plays, key=lambda p: (-p.pieces, -p.score, p.start_s)):
        length = max(play.end_s - play.start_s, 1e-6)
        if all(
            k.track_id == play.track_id
            or min(k.end_s, play.end_s) - max(k.start_s, play.start_s) < length / 2
            for k in kept
        ):
            kept.append(play)
    return sorted(kept, key=lambda p: (p.start_s, p.track_id))


def _inside(hit: _PieceHit, lo: float, hi: float) -> bool:
    """Whether a piece's stretch of the stream lies mostly inside [lo, hi)."""
    scale = fp.SPEED_CANDIDATES[hit.cand].time_scale
    a = hit.start + hit.piece * CHUNK_FRAMES * scale
    b = a + CHUNK_FRAMES * scale
    return min(b, hi) - max(a, lo) > (b - a) / 2


# A second of the track counts as heard when this share of its peaks has a stream peak next to
# it (chance gives ~0.1; a heard second, even under talk-over, 0.3 and more).
_HEARD_SHARE = 0.3
_SECOND = int(round(1.0 / fp.FRAME_S))


def _heard_bounds(
    track: TrackQuery,
    first: int,
    last: int,
    start: int,
    cand: fp.SpeedCandidate,
    peaks: StationPeaks,
) -> tuple[int, int]:
    """Track frames [from, to) that were heard: from the first heard second of piece `first`
    (or of the piece before it: a talked-over intro lines up too weakly to verify a piece, but
    its seconds still show) to the end of the last heard second of piece `last` (or after)."""
    lo = first * CHUNK_FRAMES
    hi = min((last + 1) * CHUNK_FRAMES, track.n_frames)
    before = max(lo - CHUNK_FRAMES, 0)
    heard = heard_seconds(track, before, min(lo + CHUNK_FRAMES, hi), start, cand, peaks)
    begin = first_heard(heard, lo)
    after = min(hi + CHUNK_FRAMES, track.n_frames)
    heard = heard_seconds(track, max(hi - CHUNK_FRAMES, lo), after, start, cand, peaks)
    end = last_heard(heard, hi)
    return begin, max(end, begin + 1)


def first_heard(seconds: list[int], fallback: int) -> int:
    """The first heard second that starts two heard seconds in a row (one alone is chance)."""
    for a, b in zip(seconds, seconds[1:], strict=False):
        if b - a == _SECOND:
            return a
    return fallback


def last_heard(seconds: list[int], fallback: int) -> int:
    """The end of the last heard second that ends two in a row."""
    for a, b in zip(seconds[-2::-1], seconds[::-1], strict=False):
        if b - a == _SECOND:
            return b + _SECOND
    return fallback


# Where a second's peaks are looked for, around the alignment: the stream clock of one
# connection can move by a few frames while it settles, more than a match's own tolerance.
_HEARD_SLACK = 8


def heard_seconds(
    track: TrackQuery,
    lo: int,
    hi: int,
    start: int,
    cand: fp.SpeedCandidate,
    peaks: StationPeaks,
) -> list[int]:
    """Track frames (whole seconds from `lo`) in [lo, hi) whose peaks line up with the stream
    (within a frame or two and a half-band, at the best of a few frames around `start`)."""
    a, b = np.searchsorted(track.frames, [lo, hi])
    t, f = track.frames[a:b], track.half_bands[a:b]
    if t.size == 0:
        return []
    tq = np.rint(t * cand.time_scale).astype(np.int64) + start
    fq = np.clip(np.rint(f - 2 * cand.band_shift).astype(np.int64), 0, 254)
    margin = _HEARD_SLACK + 2
    base = int(tq.min()) - margin
    rt, rf = peaks(base, int(tq.max()) + margin + 1)
    if rt.size == 0:
        return []
    # stream peaks widened by the tolerance, on a (frame, half-band) grid
    grid = np.zeros((int(tq.max()) + margin + 1 - base, 257), bool)
    for dt in range(-2, 3):
        rows = np.clip(rt - base + dt, 0, grid.shape[0] - 1)
        for df in (-1, 0, 1):
            grid[rows, np.clip(rf + df + 1, 0, 256)] = True
    second = (t - lo) // _SECOND
    counts = np.bincount(second)
    share = np.zeros(counts.size)
    for slack in range(-_HEARD_SLACK, _HEARD_SLACK + 1):
        hit = grid[tq - base + slack, fq + 1]
        share = np.maximum(share, np.bincount(second, weights=hit, minlength=counts.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(counts > 0, share / np.maximum(counts, 1), 0.0)
    return [
        lo + int(sec) * _SECOND
        for sec in range(counts.size)
        if counts[sec] >= 3 and share[sec] >= _HEARD_SHARE
    ]

"""Discover: audio that keeps coming back on the air and matches nothing in the catalog.

A song that is not in the catalog but plays 14 times on 3 stations this week, a new jingle, an
ad campaign: the archive heard all of them; this finds them without any catalog, by looking
for the same audio at different times.

1. What is unknown: per station, the archived peaks minus every play already reported (the
   ledger: live plays and plays found later). Talk, ads, jingles and uncatalogued music remain.
2. All unknown stretches go on one frame axis (`_Axis`, with gaps so no peak pair spans two
   stretches) and into one hash index, as `found_later` indexes a station.
3. Every `CHUNK_S` piece of every stretch is looked up in that index at its own speed (a
   repeat on one station is the same recording; stations that speed music up are the found
   later search's concern). Starts other than the piece itself that get `MIN_VOTES` votes are
   checked peak by peak (`fingerprints.verify`), and kept when the next or the previous piece
   lines up at the same distance too (audio that really aired again goes on the same way, as
   the live detector wants two windows): those are the piece's *echoes*.
4. A piece repeats when its echoes and itself fall in at least `min_count` different airings:
   echoes closer than `SAME_AIRING_S` on one station are one airing repeating itself (a chorus,
   a looped beat), not the piece coming back.
5. Runs of repeating pieces are one airing of a piece of audio; each run's echoes are its other
   airings. Airings that overlap on one station are merged, and airings linked by echoes form
   one *discovered item*: one row, however many times and places it aired.

Speech does not come back the same twice (a station's voiced ID, which does, is a jingle); a
row's length says what it probably is (`kind_hint`: a few seconds: jingle; under a minute and
a half: ad; longer: song), and the user says what it is when adding it to the catalog. Once
added (with any kind), its airings become plays and it leaves this list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.coverage import clip, merge, subtract
from radiowatch.engine.archive.found_later import (
    CHUNK_FRAMES,
    MIN_VOTES,
    StationPeaks,
    StreamIndex,
    TrackQuery,
    first_heard,
    heard_seconds,
    last_heard,
)
from radiowatch.engine.archive.search_jobs import archived_peaks

if TYPE_CHECKING:
    from radiowatch.engine.archive.store import Archive

SAME_AIRING_S = 600.0
MIN_UNKNOWN_S = 2 * CHUNK_FRAMES * fp.FRAME_S  # shorter unknown stretches are left out
_GAP_FRAMES = 4 * 63  # between stretches on the axis: more than a peak pair's longest gap
_SAME_START = int(round(2.0 / fp.FRAME_S))
_SAME_SHIFT = int(round(0.5 / fp.FRAME_S))
_MAX_ECHOES = 60  # per piece; a piece of near silence or a drone would echo everywhere
_SPEED_1 = (fp.SPEED_CANDIDATES[0],)


@dataclass(frozen=True)
class Airing:
    radio_id: int
    start_s: float
    end_s: float


@dataclass
class Discovered:
    """One piece of unknown audio heard again and again."""

    airings: list[Airing] = field(default_factory=list)

    @property
    def key(self) -> str:
        first = min(self.airings, key=lambda a: (a.start_s, a.radio_id))
        return hashlib.blake2b(
            f"{first.radio_id}:{first.start_s:.0f}".encode(), digest_size=6
        ).hexdigest()

    @property
    def length_s(self) -> float:
        return float(np.median([a.end_s - a.start_s for a in self.airings]))

    @property
    def representative(self) -> Airing:
        """The longest airing: what Listen plays and Add to catalog takes."""
        return max(self.airings, key=lambda a: (a.end_s - a.start_s, -a.start_s))

    @property
    def kind_hint(self) -> str:
        if self.length_s < 15:
            return "jingle"
        return "ad" if self.length_s < 90 else "song"

    def as_json(self) -> dict:
        best = self.representative
        return {
            "key": self.key,
            "length_s": round(self.length_s, 1),
            "count": len(self.airings),
            "stations": sorted({a.radio_id for a in self.airings}),
            "first_heard": min(a.start_s for a in self.airings),
            "last_heard": max(a.end_s for a in self.airings),
            "kind_hint": self.kind_hint,
            "representative": {
                "radio_id": best.radio_id,
                "start": round(best.start_s, 3),
                "end": round(best.end_s, 3),
            },
            "airings": [
                {"radio_id": a.radio_id, "start": round(a.start_s, 3), "end": round(a.end_s, 3)}
                for a in sorted(self.airings, key=lambda a: a.start_s)
            ],
        }


@dataclass(frozen=True)
class Stretch:
    """Unknown audio of one station: peaks with frames from `start_s`."""

    radio_id: int
    start_s: float
    frames: np.ndarray
    half_bands: np.ndarray


class _Axis:
    """Every stretch on one frame axis, and back from a frame to (station, time)."""

    def __init__(self, stretches: list[Stretch]) -> None:
        self.stretches = stretches
        self.offsets: list[int] = []
        frames, bands = [], []
        at = 0
        for s in stretches:
            self.offsets.append(at)
            frames.append(s.frames + at)
            bands.append(s.half_bands)
            at += (int(s.frames.max()) + 1 if s.frames.size else 0) + _GAP_FRAMES
        self.starts = np.array(self.offsets + [at], np.int64)
        t = np.concatenate(frames) if frames else np.zeros(0, np.int64)
        f = np.concatenate(bands) if bands else np.zeros(0, np.int64)
        self.peaks = StationPeaks(0.0, t, f)

    def locate(self, frame: float) -> tuple[int, float]:
        """(stretch index, stream time) of a frame on the axis."""
        k = int(np.searchsorted(self.starts, frame, side="right")) - 1
        k = min(max(k, 0), len(self.stretches) - 1)
        s = self.stretches[k]
        return k, s.start_s + (frame - self.offsets[k]) * fp.FRAME_S


def discover(
    stretches: list[Stretch],
    *,
    min_count: int = 3,
    same_airing_s: float = SAME_AIRING_S,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> list[Discovered]:
    """Pieces of audio in `stretches` heard in at least `min_count` airings, most heard first."""
    stretches = [s for s in stretches if s.frames.size]
    if not stretches:
        return []
    axis = _Axis(stretches)
    index = StreamIndex(axis.peaks)
    runs: list[tuple[Airing, list[Airing]]] = []
    for k, stretch in enumerate(stretches):
        if should_stop():
            break
        echoes = _echoes(stretch, axis.offsets[k], index, axis)
        runs.extend(_runs(k, stretch, echoes, axis, min_count, same_airing_s))
        progress(k + 1, len(stretches))
    return _items(runs, min_count)


def _echoes(stretch: Stretch, offset: int, index: StreamIndex, axis: _Axis) -> dict[int, list[int]]:
    """Per piece of the stretch: axis frames where the same audio starts elsewhere."""
    ((cand, hashes, anchor),) = fp.query_keys(stretch.frames, stretch.half_bands, _SPEED_1)
    if hashes.size == 0:
        return {}
    q_idx, position = index.lookup(hashes)
    t = np.rint(anchor[q_idx]).astype(np.int64)
    piece = t // CHUNK_FRAMES
    shift = position - (offset + t)  # 0: the piece itself
    elsewhere = np.abs(shift) >= CHUNK_FRAMES
    key = np.sort(piece[elsewhere] * (1 << 40) + (shift[elsewhere] + (1 << 39)))
    if key.size == 0:
        return {}
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    uniq, counts = key[first], np.diff(first, append=key.size)
    total = counts.copy()
    adjacent = uniq[1:] == uniq[:-1] + 1
    total[:-1][adjacent] += counts[1:][adjacent]
    total[1:][adjacent] += counts[:-1][adjacent]
    good = total >= MIN_VOTES
    out: dict[int, list[int]] = {}
    order = np.lexsort((-total[good], uniq[good] >> 40))
    for u in uniq[good][order]:
        p = int(u >> 40)
        s = int((u & ((1 << 40) - 1)) - (1 << 39))
        kept = out.setdefault(p, [])
        if len(kept) >= _MAX_ECHOES or any(abs(s - other) <= _SAME_START for other in kept):
            continue
        lo, hi = np.searchsorted(stretch.frames, [p * CHUNK_FRAMES, (p + 1) * CHUNK_FRAMES])
        frames = stretch.frames[lo:hi] - p * CHUNK_FRAMES
        if frames.size == 0:
            continue
        start = offset + p * CHUNK_FRAMES + s
        if (
            fp.verify(frames, stretch.half_bands[lo:hi], cand, start, axis.peaks)
            >= fp.MATCH_THRESHOLD
        ):
            kept.append(s)
    confirmed: dict[int, list[int]] = {}
    for p, shifts in out.items():
        near = out.get(p - 1, []) + out.get(p + 1, [])
        kept = [s for s in shifts if any(abs(s - n) <= _SAME_SHIFT for n in near)]
        if kept:
            confirmed[p] = [offset + p * CHUNK_FRAMES + s for s in kept]
    return confirmed


def _airings_of(
    starts: list[tuple[int, float]], own: tuple[int, float], same_airing_s: float
) -> int:
    """How many airings the places (stretch index, time) are: places within `same_airing_s`
    of each other on one stretch count once."""
    places = sorted({own, *starts})
    count, last = 0, None
    for k, t in places:
        if last is None or k != last[0] or t - last[1] > same_airing_s:
            count += 1
            last = (k, t)
    return count


def _runs(
    k: int,
    stretch: Stretch,
    echoes: dict[int, list[int]],
    axis: _Axis,
    min_count: int,
    same_airing_s: float,
) -> list[tuple[Airing, list[Airing]]]:
    """Runs of consecutive repeating pieces: (this airing, the other airings it echoes)."""
    repeating = [
        piece
        for piece, frames in echoes.items()
        if _airings_of(
            [axis.locate(f) for f in frames],
            (k, stretch.start_s + piece * CHUNK_FRAMES * fp.FRAME_S),
            same_airing_s,
        )
        >= min_count
    ]
    out = []
    pieces = sorted(repeating)
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and pieces[j + 1] - pieces[j] <= 2:  # one weak piece may miss
            j += 1
        run = pieces[i : j + 1]
        i = j + 1
        others = _other_airings(run, echoes, axis.offsets[k])
        if not others:
            continue
        first, last = run[0], run[-1]
        lo, hi = _bounds(stretch, first, last, others[0] + first * CHUNK_FRAMES, axis.peaks)
        here = Airing(
            stretch.radio_id, stretch.start_s + lo * fp.FRAME_S, stretch.start_s + hi * fp.FRAME_S
        )
        airings = []
        for u in others:
            kk, start = axis.locate(u + lo)
            s = axis.stretches[kk]
            s_end = s.start_s + (int(s.frames.max()) + 1) * fp.FRAME_S
            a, b = max(start, s.start_s), min(start + (hi - lo) * fp.FRAME_S, s_end)
            if b - a > CHUNK_FRAMES * fp.FRAME_S / 2:
                airings.append(Airing(s.radio_id, a, b))
        out.append((here, airings))
    return out


def _other_airings(run: list[int], echoes: dict[int, list[int]], own: int) -> list[int]:
    """Where the run's audio aired again: axis frames of where this stretch's frame 0 would
    be in each other airing, the best supported first.

    A true repeat puts every piece of the run at the same distance; a song repeating its own
    phrases adds echoes a phrase away, each supported by fewer pieces. So the distances are
    clustered, kept when half the run's pieces agree, and of clusters that would overlap (one
    airing seen a phrase off) only the best supported stays."""
    implied = sorted(
        (e - p * CHUNK_FRAMES, p) for p in run for e in echoes.get(p, [])
    )  # (axis frame of frame 0, piece)
    clusters: list[tuple[int, set[int]]] = []
    members: list[int] = []
    pieces: set[int] = set()
    for u, p in implied:
        if members and u - members[-1] > _SAME_SHIFT:
            clusters.append((int(np.median(members)), pieces))
            members, pieces = [], set()
        members.append(u)
        pieces.add(p)
    if members:
        clusters.append((int(np.median(members)), pieces))
    need = max(1, -(-len(run) // 2))
    span = max(1, run[-1] - run[0]) * CHUNK_FRAMES  # the run's edge pieces are partly other audio
    kept: list[int] = []
    for u, support in sorted(clusters, key=lambda c: (-len(c[1]), c[0])):
        if len(support) < need or abs(u - own) < span:
            continue
        if all(abs(u - other) >= span for other in kept):
            kept.append(u)
    return kept


def _bounds(
    stretch: Stretch, first: int, last: int, echo: int, peaks: StationPeaks
) -> tuple[int, int]:
    """Stretch frames [lo, hi) of a run of repeating pieces, trimmed to the seconds that line
    up with an echo of it (pieces are on an 8 s grid; the audio starts where it starts)."""
    own = TrackQuery("", stretch.frames, stretch.half_bands)
    lo = max((first - 1) * CHUNK_FRAMES, 0)
    hi = min((last + 2) * CHUNK_FRAMES, own.n_frames)
    # where frame 0 of the stretch would be if the echo's airing were this stretch
    start = echo - first * CHUNK_FRAMES
    heard = heard_seconds(own, lo, hi, start, _SPEED_1[0], peaks)
    begin = first_heard(heard, first * CHUNK_FRAMES)
    end = last_heard(heard, (last + 1) * CHUNK_FRAMES)
    return begin, max(end, begin + 1)


def _items(runs: list[tuple[Airing, list[Airing]]], min_count: int) -> list[Discovered]:
    """Airings merged where they overlap on a station, linked by echoes into items."""
    nodes: list[Airing] = []
    for here, others in runs:
        nodes.append(here)
        nodes.extend(others)
    order = sorted(range(len(nodes)), key=lambda i: (nodes[i].radio_id, nodes[i].start_s))
    parent = list(range(len(nodes)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    # airings overlapping by half the shorter are one airing
    group_of = [0] * len(nodes)
    groups: list[list[int]] = []
    for i in order:
        a = nodes[i]
        if groups:
            g = groups[-1]
            b = nodes[g[-1]]
            shared = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
            shorter = min(a.end_s - a.start_s, b.end_s - b.start_s)
            if a.radio_id == b.radio_id and shared >= shorter / 2:
                g.append(i)
                group_of[i] = len(groups) - 1
                join(i, g[0])
                continue
        groups.append([i])
        group_of[i] = len(groups) - 1
    at = 0
    for _here, others in runs:  # echoes link airings into one item
        for n in range(1, len(others) + 1):
            join(at, at + n)
        at += 1 + len(others)
    items: dict[int, set[int]] = {}
    for i in range(len(nodes)):
        items.setdefault(find(i), set()).add(group_of[i])
    out = []
    for member_groups in items.values():
        airings = []
        for gi in sorted(member_groups):
            members = [nodes[i] for i in groups[gi]]
            airings.append(
                Airing(
                    members[0].radio_id,
                    float(np.median([m.start_s for m in members])),
                    float(np.median([m.end_s for m in members])),
                )
            )
        airings = _joined(airings)
        if len(airings) >= min_count:
            out.append(Discovered(airings))
    return sorted(out, key=lambda d: (-len(d.airings), -d.length_s))


def unknown_stretches(
    archive: Archive, radio_ids: list[int], start_s: float, end_s: float
) -> list[Stretch]:
    """Per station, what was heard in [start_s, end_s) and is no reported play (live or found
    later, from the ledger): the audio nobody has named yet."""
    out = []
    for radio_id in radio_ids:
        heard = merge(archive.db.peak_ranges(radio_id, start_s, end_s))
        known = merge(
            [
                (float(a), float(b))
                for a, b in archive.db.query(
                    "SELECT start_s, end_s FROM plays WHERE radio_id = ? AND start_s < ? "
                    "AND end_s > ?",
                    (radio_id, end_s, start_s),
                )
            ]
        )
        for a, b in subtract(clip(heard, start_s, end_s), known):
            if b - a < MIN_UNKNOWN_S:
                continue
            peaks = archived_peaks(archive, radio_id, a, b)
            keep = peaks.frames < int((b - a) / fp.FRAME_S)
            out.append(Stretch(radio_id, a, peaks.frames[keep], peaks.half_bands[keep]))
    return out


# Airings of one item this close on one station are one airing seen in sections (looped
# music lines up section by section); a replay after a jingle is further apart than this.
_SECTION_GAP_S = 3.0


def _joined(airings: list[Airing]) -> list[Airing]:
    out: list[Airing] = []
    for a in sorted(airings, key=lambda a: (a.radio_id, a.start_s)):
        last = out[-1] if out else None
        if (
            last is not None
            and last.radio_id == a.radio_id
            and a.start_s - last.end_s <= _SECTION_GAP_S
        ):
            out[-1] = Airing(a.radio_id, last.start_s, max(last.end_s, a.end_s))
        else:
            out.append(a)
    return out

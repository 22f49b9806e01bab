"""When each station was heard, kept, down or not monitored: coverage from the archive's rows.

Reports must never claim silence where nothing was heard, so every moment of a period gets one
of four states, from the strongest evidence down:

- `archived`: audio segments exist (a clip can be played);
- `heard`: only peaks exist (the audio was not MP3/AAC, or retention or the cap removed it), so
  "found later" still searches it but there is nothing to listen to;
- `down`: the engine was trying to hear the station (a monitoring span) but got no audio;
- `not_monitored`: the engine was not running, or the station was not monitored.
"""

from __future__ import annotations

from typing import Any

from radiowatch.engine.archive.database import ArchiveDatabase

Intervals = list[tuple[float, float]]
STATES = ("archived", "heard", "down", "not_monitored")
# Stretches shorter than this between two kept ones are clock jitter between segments, blocks
# or connections, not an outage worth showing.
_JOIN_S = 1.0


def merge(intervals: Intervals, join_s: float = _JOIN_S) -> Intervals:
    out: Intervals = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1] + join_s:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract(base: Intervals, cut: Intervals) -> Intervals:
    """`base` minus `cut` (both merged and sorted)."""
    out: Intervals = []
    for a, b in base:
        pieces = [(a, b)]
        for c, d in cut:
            if d <= a or c >= b:
                continue
            nxt = []
            for x, y in pieces:
                if d <= x or c >= y:
                    nxt.append((x, y))
                    continue
                if c > x:
                    nxt.append((x, c))
                if d < y:
                    nxt.append((d, y))
            pieces = nxt
        out.extend(pieces)
    return out


def clip(intervals: Intervals, start: float, end: float) -> Intervals:
    return [(max(a, start), min(b, end)) for a, b in intervals if b > start and a < end]


def station_coverage(
    db: ArchiveDatabase, radio_id: int, start_s: float, end_s: float, now: float
) -> dict[str, Any]:
    archived = merge(
        clip(
            [
                (r.start_s, r.end_s if r.end_s is not None else now)
                for r in db.segments(radio_id, start_s, end_s)
            ],
            start_s,
            end_s,
        )
    )
    heard = merge(clip(db.peak_ranges(radio_id, start_s, end_s), start_s, end_s) + archived)
    monitored = merge(clip(db.spans(radio_id, start_s, end_s), start_s, end_s) + heard)
    layers = {
        "archived": archived,
        "heard": subtract(heard, archived),
        "down": subtract(monitored, heard),
        "not_monitored": subtract([(start_s, end_s)], monitored),
    }
    # slivers between layers (the last fraction of a frame, a block a few ms longer than the
    # audio) are clock jitter, not states worth a line
    shortest = min(_JOIN_S, (end_s - start_s) / 2)
    intervals = sorted(
        (a, b, state) for state, spans in layers.items() for a, b in spans if b - a >= shortest
    )
    return {
        "radio_id": radio_id,
        "from": start_s,
        "to": end_s,
        "seconds": {
            state: round(sum(b - a for a, b, s in intervals if s == state), 1) for state in STATES
        },
        "intervals": [
            {"from": round(a, 3), "to": round(b, 3), "state": state} for a, b, state in intervals
        ],
    }

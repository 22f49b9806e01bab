""" "Found later" searches as background jobs: which tracks, which stations and when, progress,
cancel, and what became of each play found.

The job's life (queued, running, cancel, the records kept) is `jobs.py`'s, shared with discover.

A job resolves its tracks (by id, added since a moment, or all) to their stored peaks, then
walks every chosen station's archived peaks in `WINDOW_S` stretches that overlap by
`OVERLAP_S` (so a play across a boundary is seen whole in one of them), and runs
`found_later.find_plays` for each track on each stretch. It runs on one worker thread (the
search is CPU work; one at a time keeps live recognition fed on a small machine), and checks
for cancel between tracks.

Plays are handed to `publish` (on the event loop, see service.py) as each stretch is done; it
answers what became of each: "published" into the long-poll log as a play marked
`found_later`, or why not ("already_reported", "on_air", ...). A job's record (JSON for the
API) keeps every play it found with that status, so "search again" shows old plays as
already reported rather than nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.found_later import (
    FoundPlay,
    StationPeaks,
    StreamIndex,
    TrackQuery,
    find_plays,
    one_song_at_a_time,
)
from radiowatch.engine.archive.jobs import Job, JobFailed, JobRunner
from radiowatch.engine.archive.store import DAY_S, Archive

log = logging.getLogger(__name__)

WINDOW_S = 6 * 3600.0
OVERLAP_S = 15 * 60.0
KEEP_JOBS = 20

Publish = Callable[[list[tuple[int, FoundPlay]]], Coroutine[Any, Any, list[str]]]


@dataclass(frozen=True)
class SearchRequest:
    track_ids: tuple[str, ...] | None = None  # None: tracks added since `added_since`, or all
    added_since: float | None = None
    radio_ids: tuple[int, ...] | None = None  # None: every station in the archive
    from_s: float | None = None  # None: as far back as peaks are kept
    to_s: float | None = None  # None: now
    reason: str = "requested"  # "requested" | "new tracks"


@dataclass
class SearchJob(Job):
    request: SearchRequest
    tracks: list[str] = field(default_factory=list)
    skipped_tracks: list[dict[str, str]] = field(default_factory=list)
    stations: list[int] = field(default_factory=list)
    found: list[dict[str, Any]] = field(default_factory=list)
    retry_at: float | None = None  # failed, and the engine tries again then (new tracks)

    def as_json(self) -> dict[str, Any]:
        published = sum(1 for f in self.found if f["status"] == "published")
        return {
            **self.status_json(),
            "reason": self.request.reason,
            "done": self.done,
            "total": self.total,
            "tracks": list(self.tracks),
            "skipped_tracks": list(self.skipped_tracks),
            "stations": list(self.stations),
            "from": self.request.from_s,
            "to": self.request.to_s,
            "found": len(self.found),
            "published": published,
            "plays": list(self.found),
            "retry_at": self.retry_at,
        }


class FoundLaterSearches(JobRunner[SearchJob]):
    """`start(SearchJob(request))`; runs one search at a time on the archive's search thread."""

    def __init__(
        self,
        archive: Archive,
        catalog: Any,
        publish: Publish,
        executor: Executor,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__("found-later search", self._search, executor, loop, keep=KEEP_JOBS)
        self._archive = archive
        self._catalog = catalog
        self._publish = publish

    # -- the worker thread ------------------------------------------------------------------------
    def _search(self, job: SearchJob) -> None:
        request = job.request
        queries = self._queries(job)
        now = self._archive.clock()
        keep_from = now - self._archive.settings.peaks_retention_days * DAY_S
        start = max(request.from_s if request.from_s is not None else keep_from, keep_from)
        end = request.to_s if request.to_s is not None else now
        stations = list(request.radio_ids or self._archive.db.stations())
        job.stations = stations
        units = [
            (radio_id, a, b)
            for radio_id in stations
            for a, b in stretches(self._archive, radio_id, start, end)
        ]
        job.total = len(units)
        if not queries:
            job.done = job.total
            return
        for radio_id, a, b in units:
            if job.cancel_requested.is_set():
                return
            found = search_stretch(
                self._archive, radio_id, a, b, queries, job.cancel_requested.is_set
            )
            fresh = [(radio_id, p) for p in found if not _seen(job, radio_id, p)]
            if fresh:
                statuses = asyncio.run_coroutine_threadsafe(
                    self._publish(fresh), self._loop
                ).result()
                for (rid, play), status in zip(fresh, statuses, strict=True):
                    job.found.append(_found_json(rid, play, status, self._catalog))
            job.done += 1

    def _queries(self, job: SearchJob) -> list[TrackQuery]:
        request = job.request
        tracks = self._catalog.tracks()
        if request.track_ids is not None:
            wanted = set(request.track_ids)
            chosen = [t for t in tracks if t.track_id in wanted]
            for missing in sorted(wanted - {t.track_id for t in chosen}):
                job.skipped_tracks.append({"track_id": missing, "reason": "not in the catalog"})
        elif request.added_since is not None:
            chosen = [t for t in tracks if t.added_at >= request.added_since]
        else:
            chosen = list(tracks)
        queries = []
        for track in chosen:
            peaks = fp.track_peaks(self._catalog, track.track_id)
            if peaks is None:
                job.skipped_tracks.append(
                    {
                        "track_id": track.track_id,
                        "reason": "the catalog keeps no peaks for it (an old index): add it again",
                    }
                )
                continue
            queries.append(TrackQuery(track.track_id, *peaks))
            job.tracks.append(track.track_id)
        return queries


def stretches(
    archive: Archive, radio_id: int, start: float, end: float
) -> list[tuple[float, float]]:
    """The station's archived peaks between `start` and `end`, as overlapping search stretches."""
    rows = archive.db.query(
        "SELECT MIN(start_s), MAX(end_s) FROM peak_blocks WHERE radio_id = ? AND "
        "start_s < ? AND end_s > ?",
        (radio_id, end, start),
    )
    if not rows or rows[0][0] is None:
        return []
    a, b = max(start, float(rows[0][0])), min(end, float(rows[0][1]))
    out = []
    while a < b:
        out.append((a, min(b, a + WINDOW_S + OVERLAP_S)))
        a += WINDOW_S
    return out


def search_stretch(
    archive: Archive,
    radio_id: int,
    start: float,
    end: float,
    queries: list[TrackQuery],
    should_stop: Callable[[], bool] = lambda: False,
) -> list[FoundPlay]:
    """Every play of the `queries` tracks in one stretch of a station's archived peaks."""
    peaks = archived_peaks(archive, radio_id, start, end)
    if len(peaks) == 0:
        return []
    index = StreamIndex(peaks)
    found: list[FoundPlay] = []
    for query in queries:
        if should_stop():
            break
        found.extend(find_plays(query, index, peaks))
    return one_song_at_a_time(found)


def archived_peaks(archive: Archive, radio_id: int, start: float, end: float) -> StationPeaks:
    """A station's archived peaks from `start` to `end`; JobFailed, saying where, if a block of
    them is damaged."""
    blocks = []
    for row in archive.db.peak_blocks(radio_id, start, end):
        if row.version != fp.PEAKS_VERSION:
            continue
        try:
            blocks.append((row.start_s, *fp.decode_block(row.peaks)))
        except fp.DamagedPeaks as exc:
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(row.start_s))
            log.warning("station %s, peak block at %s: %s", radio_id, row.start_s, exc)
            raise JobFailed(
                f"the archive of station {radio_id} is damaged at {when}: "
                "its peaks there cannot be read"
            ) from exc
    return StationPeaks.from_blocks(blocks, start)


def _seen(job: SearchJob, radio_id: int, play: FoundPlay) -> bool:
    """The same play found again in the overlap of two stretches."""
    return any(
        f["radio_id"] == radio_id
        and f["track_id"] == play.track_id
        and f["start"] < play.end_s
        and play.start_s < f["end"]
        for f in job.found
    )


def _found_json(radio_id: int, play: FoundPlay, status: str, catalog: Any) -> dict[str, Any]:
    track = catalog.get(play.track_id)
    return {
        "radio_id": radio_id,
        "track_id": play.track_id,
        "title": getattr(track, "title", None),
        "artist": getattr(track, "artist", None),
        "start": round(play.start_s, 3),
        "end": round(play.end_s, 3),
        "score": fp.confidence(play.score),
        "speed": play.speed,
        "tempo": play.tempo,
        "status": status,
    }

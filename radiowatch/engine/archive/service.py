"""The archive as the engine runtime uses it: the ingest taps, start-up recovery, upkeep, the
work behind the `/archive/` routes, and publishing plays found later.

Threads: stations write through their taps on their reader threads; clips, coverage and usage
run on a small `archive` pool and searches on one `archive-search` thread, so neither the event
loop nor live recognition waits for them. Publishing and the ledger's sync from the engine's
event log run on the event loop, which owns the engine store.

A found play becomes an ordinary stream play event (AudD's shape, as the live monitor sends it)
with one extra field, `"found_later": true` in its result. Clients that do not know the field
record it like any play; radiowatch marks it "found later" in the history. It is published
only if:

- it ended more than `settle_s` (default `SETTLE_S`) ago: a play still on air, or just over, belongs to the live
  monitor, which may report it any moment (its first windows after the track was added);
- no play of the same song on the same station overlaps it in the ledger (ledger.py), synced
  from the event log just before, and no play of another song covers half of it (a motif two
  songs share must not add a second song to an airing already reported);
- the station is still monitored (its long-poll category exists) and a callback URL is set
  (AudD publishes stream events only then, and so does this engine).

The search of new tracks that fails is tried again by itself, after `retry_s` (default
`RETRY_S`), then twice as long after each failure in a row, up to `retry_max_s`: a cause that
does not go away (a damaged archive) is not searched into every few seconds for ever, and one
that does (a full disk) is not waited on for long. The failed job's record says when
(`retry_at`), so the app can tell the user what is wrong and that the engine tries again.
Tracks added meanwhile, or a search that ends, start the count again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from radiowatch.engine.archive import fingerprints as fp
from radiowatch.engine.archive.clips import Clip, audio_kept, cut_clip
from radiowatch.engine.archive.coverage import station_coverage
from radiowatch.engine.archive.discover_jobs import DiscoverJob, DiscoverJobs, DiscoverRequest
from radiowatch.engine.archive.found_later import FoundPlay
from radiowatch.engine.archive.ledger import PlayLedger, event_timestamp, song_identity
from radiowatch.engine.archive.recorder import StationRecorder
from radiowatch.engine.archive.search_jobs import FoundLaterSearches, SearchJob, SearchRequest
from radiowatch.engine.archive.store import DAY_S, Archive

log = logging.getLogger(__name__)

SETTLE_S = 180.0
UPKEEP_S = 60.0
LIMITS_EVERY_S = 300.0
NEW_TRACKS_POLL_S = 5.0
NEW_TRACKS_QUIET_S = 3.0  # a folder import adds many tracks: search once they stop coming
RETRY_S = 5.0
RETRY_MAX_S = 600.0
_NEW_TRACKS_KEY = "new_tracks_searched_until"

RunInBackground = Callable[..., None]
DescribeTrack = Callable[[str], dict[str, Any] | None]


class ArchiveService:
    def __init__(
        self,
        archive: Archive,
        *,
        store: Any,
        catalog: Any,
        events: Any,
        describe_track: DescribeTrack,
        search_new_tracks: bool = True,
        settle_s: float = SETTLE_S,
        retry_s: float = RETRY_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self.archive = archive
        self._store = store
        self._catalog = catalog
        self._events = events
        self._describe = describe_track
        self._search_new = search_new_tracks
        self._settle_s = settle_s
        self.ledger = PlayLedger(archive.db)
        self._io = ThreadPoolExecutor(2, thread_name_prefix="archive")
        self._search_pool = ThreadPoolExecutor(1, thread_name_prefix="archive-search")
        self._searches: FoundLaterSearches | None = None
        self._discoveries: DiscoverJobs | None = None
        self._new_tracks_job: SearchJob | None = None
        self._new_tracks_until = 0.0  # the newest addition that job searches for
        self._retry_s, self._retry_max_s = retry_s, max(retry_s, retry_max_s)
        self._failures = 0  # searches of the same additions that failed in a row
        self._retry_at: float | None = None  # not before then, unless more tracks are added
        self._new_tracks_ended: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None

    def tap(self, radio_id: int) -> StationRecorder:
        return self.archive.recorder(radio_id)

    @property
    def searches(self) -> FoundLaterSearches:
        if self._searches is None:
            raise RuntimeError("the archive service has not been started")
        return self._searches

    @property
    def discoveries(self) -> DiscoverJobs:
        if self._discoveries is None:
            raise RuntimeError("the archive service has not been started")
        return self._discoveries

    def discover(self, request: DiscoverRequest) -> DiscoverJob:
        self.ledger.sync(self._store)  # what is known now stays out of the rows
        return self.discoveries.start(DiscoverJob(request))

    async def start(self, run_in_background: RunInBackground) -> None:
        loop = self._event_loop = asyncio.get_running_loop()
        self._searches = FoundLaterSearches(
            self.archive, self._catalog, self._publish, self._search_pool, loop
        )
        self._discoveries = DiscoverJobs(self.archive, self._search_pool, loop)
        recovered = await loop.run_in_executor(self._io, self.archive.recover)
        if recovered:
            run_in_background(self.run(self.archive.recover_peaks, recovered), name="archive peaks")
        if self.archive.db.get_meta(_NEW_TRACKS_KEY) is None:
            # a new archive: tracks already in the catalog were recognised live all along
            self.archive.db.set_meta(_NEW_TRACKS_KEY, repr(time.time()))
        run_in_background(self._upkeep(), name="archive upkeep")
        if self._search_new:
            self._new_tracks_ended = asyncio.Event()
            run_in_background(self._watch_new_tracks(), name="archive new-track searches")

    async def stop(self) -> None:
        """After the streams stopped (their taps closed their segments)."""
        if self._searches is not None:
            self._searches.cancel_all()
        if self._discoveries is not None:
            self._discoveries.cancel_all()
        self._search_pool.shutdown(wait=True, cancel_futures=True)
        self._io.shutdown(wait=True, cancel_futures=True)
        self.archive.close()

    # -- what the routes ask ----------------------------------------------------------------------
    async def run(self, call: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._io, call, *args)

    async def usage(self) -> dict[str, Any]:
        return await self.run(self.archive.usage)

    async def coverage(
        self, radio_ids: list[int] | None, start_s: float, end_s: float
    ) -> list[dict[str, Any]]:
        def report() -> list[dict[str, Any]]:
            ids = radio_ids if radio_ids is not None else self._stations()
            now = self.archive.clock()
            return [station_coverage(self.archive.db, r, start_s, end_s, now) for r in ids]

        return await self.run(report)

    def _stations(self) -> list[int]:
        return sorted(set(self.archive.db.stations()) | {s.radio_id for s in self._store.streams()})

    async def clip(
        self, radio_id: int, start_s: float, end_s: float, *, pad_s: float, as_mp3: bool
    ) -> Clip:
        return await self.run(
            lambda: cut_clip(self.archive, radio_id, start_s, end_s, pad_s=pad_s, as_mp3=as_mp3)
        )

    async def kept(self, radio_id: int, start_s: float, end_s: float) -> dict[str, Any]:
        return await self.run(audio_kept, self.archive, radio_id, start_s, end_s)

    def search(self, request: SearchRequest) -> SearchJob:
        return self.searches.start(SearchJob(request))

    # -- publishing (event loop) -----------------------------------------------------------------
    async def _publish(self, plays: list[tuple[int, FoundPlay]]) -> list[str]:
        self.ledger.sync(self._store)
        return [self._publish_one(radio_id, play) for radio_id, play in plays]

    def _publish_one(self, radio_id: int, play: FoundPlay) -> str:
        if play.end_s > time.time() - self._settle_s:
            return "on_air"
        stream = self._store.stream(radio_id)
        if stream is None:
            return "station_not_monitored"
        song = self._describe(play.track_id)
        identity = song_identity(song) if song is not None else None
        if song is None or identity is None:
            return "track_removed"
        if self.ledger.overlaps(radio_id, identity, play.start_s, play.end_s):
            return "already_reported"
        if self.ledger.covered_by_another(radio_id, identity, play.start_s, play.end_s):
            return "another_song_reported"
        result = {
            "radio_id": radio_id,
            "timestamp": event_timestamp(play.start_s),
            "play_length": int(round(play.end_s - play.start_s)),
            "results": [{**song, "score": fp.confidence(play.score)}],
            "found_later": True,
        }
        if not self._events.emit(stream, {"status": "success", "result": result}):
            return "not_delivered"  # no callback URL: the engine publishes no stream events
        self.ledger.add_found(radio_id, identity, play.start_s, play.end_s, play.track_id)
        return "published"

    # -- background ------------------------------------------------------------------------------
    async def _upkeep(self) -> None:
        loop = asyncio.get_running_loop()
        last_limits = 0.0
        while True:
            with _logged("archive upkeep"):
                self.ledger.sync(self._store)
                if time.monotonic() - last_limits >= LIMITS_EVERY_S:
                    last_limits = time.monotonic()
                    await loop.run_in_executor(self._io, self.archive.enforce_limits)
                    keep = self.archive.settings.peaks_retention_days + 1
                    self.ledger.forget_before(time.time() - keep * DAY_S)
            await asyncio.sleep(UPKEEP_S)

    async def _watch_new_tracks(self) -> None:
        """Search the archive for tracks added to the catalog by any path (the Catalog tab, a
        folder or Udio import, `radiowatch-engine catalog add`), once additions pause; and
        again when a search of them failed and its retry is due."""
        ended = self._new_tracks_ended
        assert ended is not None
        while True:
            wait = NEW_TRACKS_POLL_S
            if self._retry_at is not None and self._retry_at > time.time():
                wait = min(wait, self._retry_at - time.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ended.wait(), timeout=wait)
            ended.clear()
            with _logged("the search for new tracks"):
                self._maybe_search_new_tracks()

    def _maybe_search_new_tracks(self) -> None:
        running = self._new_tracks_job
        if running is not None:
            if running.state in ("queued", "running"):
                return
            # Only a search that ended (or that a user cancelled) moves the mark: an engine
            # that stops mid-search searches the same additions again after its restart, and
            # a failed search is tried again (`_search_ended` said when).
            if running.state in ("done", "cancelled"):
                self.archive.db.set_meta(_NEW_TRACKS_KEY, repr(self._new_tracks_until))
                self._failures, self._retry_at = 0, None
            self._new_tracks_job = None
        since = float(self.archive.db.get_meta(_NEW_TRACKS_KEY) or time.time())
        new = [t for t in self._catalog.tracks() if t.added_at > since]
        if not new:
            self._failures, self._retry_at = 0, None  # what failed was removed meanwhile
            return
        newest = max(t.added_at for t in new)
        if time.time() - newest < NEW_TRACKS_QUIET_S:
            return
        if self._retry_at is not None:
            if newest <= self._new_tracks_until and time.time() < self._retry_at:
                return  # the same additions failed: not again before their retry is due
            if newest > self._new_tracks_until:
                self._failures = 0  # tracks added since: a new search, counted afresh
            self._retry_at = None
        self._new_tracks_job = self.searches.start(
            SearchJob(SearchRequest(track_ids=tuple(t.track_id for t in new), reason="new tracks")),
            on_end=self._search_ended,
        )
        self._new_tracks_until = newest

    def _search_ended(self, job: SearchJob, state: str) -> None:
        """On the search thread, before the job's record shows `state`: a failed search of new
        tracks gets its retry time on the record, and the watch above is woken either way."""
        if state == "failed":
            self._failures += 1
            delay = min(self._retry_s * 2 ** (self._failures - 1), self._retry_max_s)
            job.retry_at = self._retry_at = (job.finished_at or time.time()) + delay
            log.warning(
                "the search for new tracks failed (%d in a row); trying again in %.0f s",
                self._failures,
                delay,
            )
        ended, loop = self._new_tracks_ended, self._event_loop
        if ended is not None and loop is not None:
            loop.call_soon_threadsafe(ended.set)


@contextlib.contextmanager
def _logged(what: str):
    try:
        yield
    except Exception:
        log.exception("%s failed", what)

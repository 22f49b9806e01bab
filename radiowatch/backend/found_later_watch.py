"""Follows the engine's "found later" searches so the app can show them. No Qt.

The engine starts a search of its archive by itself a few seconds after tracks are added to the
catalog (by any path, by any client), and people start others ("Search the archive again…",
Discover's "Add to catalog…"). None of them belongs to a window, so the app follows them all in
one place: `FoundLaterWatch` polls the engine's job list (`GET /archive/search/`) on the asyncio
loop, slowly while nothing runs and every second while a search does, and turns what the engine
answered into one `FoundLaterView` that every place showing it (the Catalog tab's strip) renders.

Everything shown was read from the engine: progress is the engine's, a cancelled search reads
"cancelled" only once the engine lists it so, and an engine that stops answering mid-search is
said to be out of reach instead of leaving the last percentage up. A failed search says why,
and a failed search of new tracks, which the engine tries again by itself, says when (its
`retry_at`). A search of new tracks that an engine restart cut short is run again by the engine itself: the watch says so, and once
that search ends, tells what both found, each play once. That holds whatever address the engine
comes back on: the watch follows an engine by its `engine_id` (the app's own engine restarts on
a new port, in the same data folder; archive_client.py), and while the app's engine is away
(`EngineAway`) it keeps the searches it was following. Searches that had ended before the watch
first looked are not news and stay unmentioned. With the AudD cloud (no archive) the watch asks
nothing and shows nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from radiowatch.audd.errors import AudDError
from radiowatch.backend.archive_client import (
    ArchiveClient,
    ArchiveUnavailable,
    EngineAway,
    FoundPlay,
    SearchJob,
)
from radiowatch.signals import Signal

log = logging.getLogger(__name__)

ArchiveProvider = Callable[[], ArchiveClient]  # raises ArchiveUnavailable: nothing to follow
IDLE_POLL_S = 3.0
ACTIVE_POLL_S = 1.0
POKED_S = 15.0  # after tracks were added: the engine starts its search within a few seconds
ALREADY_THERE = ("already_reported", "another_song_reported")
LOST = "lost"  # a search the engine listed as running and then no longer knew (it restarted)


@dataclass(frozen=True)
class FoundLaterView:
    """What to show. `state`: hidden | searching | outcome | unreachable."""

    state: str = "hidden"
    text: str = ""
    kind: str = "info"  # info | busy | ok | warning | error (the status line's colours)
    progress: float | None = None  # 0-1 while searching
    can_cancel: bool = False
    short: str = ""  # a few words for the status bar; `text` is the whole story


HIDDEN = FoundLaterView()


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def searching_text(jobs: list[SearchJob]) -> str:
    """“Looking for past plays of 12 new tracks in the archive…” for the search that runs
    (the engine runs one at a time), plus how many wait behind it."""
    job = next((j for j in jobs if j.state == "running"), jobs[0])
    count = len(job.tracks)
    if job.reason == "new tracks":
        what = _plural(count, "new track") if count else "the new tracks"
    elif job.reason == "discovered":
        what = "the piece just added"
    else:
        what = _plural(count, "track") if count else "the catalog's tracks"
    text = f"Looking for past plays of {what} in the archive…"
    if job.state == "queued":
        text = f"Waiting to look for past plays of {what} in the archive…"
    if len(jobs) > 1:
        text += f" ({_plural(len(jobs) - 1, 'more search', 'more searches')} waiting)"
    return text


def _searched_again(job: SearchJob, later: list[SearchJob], *, to_its_end: bool) -> bool:
    """Whether the engine ran a search of new tracks again by itself, as it does after a
    restart cut it short or after it failed (engine/archive/service.py): a later search of new
    tracks covers its tracks (and, `to_its_end`, ended done)."""
    return job.reason == "new tracks" and any(
        j.reason == "new tracks"
        and (j.state == "done" or not to_its_end)
        and set(job.tracks) <= set(j.tracks)
        for j in later
    )


def _distinct_plays(jobs: list[SearchJob]) -> list[str]:
    """The status of each play the searches found, a play found by two of them counted once
    (as published if either published it): a search the engine ran again after a restart
    finds what the lost one published, now "already reported"."""
    plays: list[FoundPlay] = []
    for play in (p for j in jobs for p in j.plays):
        same = next(
            (
                i
                for i, p in enumerate(plays)
                if (p.radio_id, p.track_id) == (play.radio_id, play.track_id)
                and p.start < play.end
                and play.start < p.end
            ),
            None,
        )
        if same is None:
            plays.append(play)
        elif play.status == "published":
            plays[same] = play
    return [p.status for p in plays]


def outcome_view(jobs: list[SearchJob]) -> FoundLaterView:
    """What the searches that just ended found, as the engine reported it."""
    statuses = _distinct_plays(jobs)
    published = statuses.count("published")
    already = sum(1 for s in statuses if s in ALREADY_THERE)
    recent = statuses.count("on_air")
    # a failure the engine tried again is told by the try that followed
    failed = [
        j
        for i, j in enumerate(jobs)
        if j.state == "failed" and not _searched_again(j, jobs[i + 1 :], to_its_end=False)
    ]
    resumed = [
        j
        for i, j in enumerate(jobs)
        if j.state == LOST and _searched_again(j, jobs[i + 1 :], to_its_end=True)
    ]
    lost = [j for j in jobs if j.state == LOST and j not in resumed]
    cancelled = any(j.state == "cancelled" for j in jobs)
    if published:
        text = (
            f"Found {_plural(published, 'past play')}: "
            f"{'they enter' if published != 1 else 'it enters'} History, marked “found later”."
        )
    elif cancelled:
        text = "No past plays found before the search stopped."
    else:
        text = "No past plays found in the archive."
    if already:
        text += f" {already} {'were' if already != 1 else 'was'} in History already."
    if recent:
        them = "it" if recent == 1 else "them"
        text += f" {recent} ended too recently: the live monitoring reports {them}."
    kind = "ok" if published else "info"
    short = (
        f"Found {_plural(published, 'past play')} in the archive"
        if published
        else "No past plays in the archive"
    )
    if cancelled:
        text, kind = "Search cancelled. " + text, "warning"
        short = "Archive search cancelled" + (f": {published} found" if published else "")
    if failed:
        last = failed[-1]
        reason = last.error or "no reason given"
        found = text + " " if published else ""  # a failed search did not look everywhere
        text = f"The search for past plays failed on the engine ({reason}). {found}"
        kind, short = "error", "Archive search failed"
        if last.retry_at is not None:
            when = time.strftime("%H:%M:%S", time.localtime(last.retry_at))
            text += (
                f"The engine tries again by itself at {when}, and less often while it keeps "
                "failing."
            )
            short += f"; trying again at {when}"
        else:
            text += "Once that is fixed, History → “Search the archive again…” runs it again."
    elif lost:
        again = (
            "It searches for the new tracks again by itself."
            if all(j.reason == "new tracks" for j in lost)
            else "History → “Search the archive again…” looks again."
        )
        text = (
            "The engine stopped before the search for past plays ended (it restarted). "
            + (text + " " if published else "")
            + again
        )
        kind, short = "warning", "Archive search interrupted"
    elif resumed:
        text += " The engine restarted during the search and searched again by itself."
    return FoundLaterView("outcome", text, kind, short=short)


class FoundLaterWatch:
    """``watch = FoundLaterWatch(provider)``; run ``await watch.run()`` as a task; ``watch.view``
    and ``watch.changed`` tell what to show; ``await watch.cancel()``, ``dismiss()``,
    ``poke()`` (tracks were just added: look sooner); ``await watch.aclose()``."""

    def __init__(
        self,
        archive: ArchiveProvider,
        *,
        idle_s: float = IDLE_POLL_S,
        active_s: float = ACTIVE_POLL_S,
    ) -> None:
        self._archive = archive
        self._idle_s = idle_s
        self._active_s = active_s
        self.changed: Signal[[FoundLaterView]] = Signal("found later view")
        self.view = HIDDEN
        self._client: ArchiveClient | None = None
        self._engine_id: str | None = None  # the engine followed, across its restarts
        self._seen: dict[str, str] | None = None  # job id -> state; None: not looked yet
        self._active: list[SearchJob] = []
        self._ended: list[SearchJob] = []  # ended since the last outcome was dismissed
        self._cancelling: set[str] = set()
        self._cancel_error = ""
        self._poked_until = 0.0
        self._wake = asyncio.Event()

    # -- what the UI calls ------------------------------------------------------------------------
    def poke(self) -> None:
        self._poked_until = time.monotonic() + POKED_S
        self._wake.set()

    def dismiss(self) -> None:
        self._ended = []
        if self.view.state == "outcome":
            self._show(HIDDEN)

    async def cancel(self) -> None:
        """Ask the engine to cancel the searches shown; the view says "cancelled" once the
        engine's list does."""
        ids = [j.job_id for j in self._active if j.job_id not in self._cancelling]
        client = self._client
        if not ids or client is None:
            return
        self._cancelling.update(ids)
        self._show(self._searching_view())
        try:
            for job_id in ids:
                await client.cancel(job_id)
        except AudDError as exc:
            self._cancelling.difference_update(ids)
            self._cancel_error = f"Could not cancel the search: {exc}"
            self._show(self._searching_view())
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:  # an answer it cannot read must not end the watching for good
                log.exception("following the engine's found-later searches failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval())
            self._wake.clear()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- polling ----------------------------------------------------------------------------------
    def _interval(self) -> float:
        if self._active or time.monotonic() < self._poked_until:
            return self._active_s
        return self._idle_s

    async def poll(self) -> None:
        """Read the engine's job list once and update the view."""
        try:
            client = await self._current_client()
        except EngineAway as exc:
            if self._active:  # the same engine comes back: its searches are still followed
                self._show(
                    self._unreachable_view(
                        f"The archive search's progress is unknown for now. {exc}"
                    )
                )
            return
        if client is None:
            self._forget()
            self._show(HIDDEN)
            return
        try:
            jobs = await client.jobs()
        except AudDError as exc:
            if self._active:
                self._show(
                    self._unreachable_view(
                        f"The archive search's progress is unknown: {exc}. Trying again…"
                    )
                )
            return
        self._update(jobs)

    @staticmethod
    def _unreachable_view(text: str) -> FoundLaterView:
        return FoundLaterView(
            "unreachable", text, "warning", short="Archive search: engine not answering"
        )

    async def _current_client(self) -> ArchiveClient | None:
        """The client of the engine to ask now; None when there is no archive to follow, and
        EngineAway (raised) while the app's own engine is away."""
        try:
            client = self._archive()
        except EngineAway:
            await self.aclose()
            raise
        except ArchiveUnavailable:
            await self.aclose()
            self._engine_id = None
            return None
        if self._client is not None and self._client.base_url == client.base_url:
            await client.aclose()  # made only to compare; it opened nothing
            return self._client
        await self.aclose()
        if client.engine_id != self._engine_id:
            self._forget()  # another engine: its jobs are not the old one's
        # else the same engine on a new address (restarted): its searches that were running
        # and are no longer listed were cut short (`_update`)
        self._engine_id = client.engine_id
        self._client = client
        return client

    def _forget(self) -> None:
        self._seen, self._active, self._ended = None, [], []
        self._cancelling.clear()

    def _update(self, jobs: list[SearchJob]) -> None:
        first_look = self._seen is None
        seen = self._seen or {}
        for job in jobs:
            before = seen.get(job.job_id)
            news = before in ("queued", "running") or (before is None and not first_look)
            if job.finished and news:
                self._ended.append(job)
        listed = {j.job_id for j in jobs}
        self._ended += [
            j.model_copy(update={"state": LOST}) for j in self._active if j.job_id not in listed
        ]
        self._seen = {j.job_id: j.state for j in jobs}
        self._active = [j for j in jobs if not j.finished]
        self._cancelling &= {j.job_id for j in self._active}
        if not self._active:
            self._cancel_error = ""
        if self._active:
            self._show(self._searching_view())
        elif self._ended:
            self._show(outcome_view(self._ended))
        else:
            self._show(HIDDEN)

    def _searching_view(self) -> FoundLaterView:
        running = next((j for j in self._active if j.state == "running"), self._active[0])
        if self.view.state == "outcome":
            # a new search begins: the previous outcome is old news, but for a search of new
            # tracks that a restart cut short or that failed, which this one may be running
            # again (what it published then is "already reported" now: counted once)
            self._ended = [
                j for j in self._ended if j.state in (LOST, "failed") and j.reason == "new tracks"
            ]
        if all(j.job_id in self._cancelling for j in self._active):
            return FoundLaterView(
                "searching",
                "Cancelling the archive search…",
                "busy",
                running.progress,
                short="Cancelling the archive search…",
            )
        if self._cancel_error:
            return FoundLaterView(
                "searching",
                self._cancel_error,
                "error",
                running.progress,
                can_cancel=True,
                short="Could not cancel the archive search",
            )
        return FoundLaterView(
            "searching",
            searching_text(self._active),
            "busy",
            running.progress,
            can_cancel=True,
            short=f"Looking for past plays… {round(running.progress * 100)} %",
        )

    def _show(self, view: FoundLaterView) -> None:
        if view != self.view:
            self.view = view
            self.changed.emit(view)

"""What the found-later strip says for each way the engine's searches can end, from job records
in the shape GET /archive/search/ returns (the strip's behaviour against a real engine is in
tests/ui/catalog/test_found_later_strip.py)."""

from __future__ import annotations

import time

from radiowatch.backend.archive_client import SearchJob
from radiowatch.backend.found_later_watch import outcome_view, searching_text


def _job(state: str = "done", *statuses: str, track: str = "t1", **fields) -> SearchJob:
    plays = [
        {"radio_id": 3, "track_id": track, "start": 10.0 * i, "end": 10.0 * i + 5, "status": s}
        for i, s in enumerate(statuses)
    ]
    published = sum(1 for s in statuses if s == "published")
    return SearchJob.model_validate(
        {"job_id": "j", "state": state, "plays": plays, "published": published, **fields}
    )


def test_what_a_search_found_is_said_with_what_was_there_already():
    view = outcome_view([_job("done", "published", "published", "already_reported")])
    assert view.text == (
        "Found 2 past plays: they enter History, marked “found later”. 1 was in History already."
    )
    assert (view.kind, view.short) == ("ok", "Found 2 past plays in the archive")
    one = outcome_view([_job("done", "published", "on_air")])
    assert one.text == (
        "Found 1 past play: it enters History, marked “found later”. "
        "1 ended too recently: the live monitoring reports it."
    )


def test_nothing_found_cancelled_and_failed_are_told_apart():
    assert outcome_view([_job("done")]).text == "No past plays found in the archive."
    cancelled = outcome_view([_job("cancelled")])
    assert cancelled.text == "Search cancelled. No past plays found before the search stopped."
    assert cancelled.kind == "warning"
    failed = outcome_view([_job("failed", error="OSError: disk full")])
    assert failed.kind == "error" and "No past plays" not in failed.text
    assert failed.text.startswith("The search for past plays failed on the engine (OSError")
    assert "Search the archive again" in failed.text


def test_a_failed_search_the_engine_tries_again_says_when():
    """A search of new tracks that failed is run again by the engine (engine/archive/
    service.py): the user reads why it failed and when it is tried next, not advice to do it."""
    retry_at = time.mktime((2026, 12, 6, 21, 47, 5, 0, 0, -1))
    failed = _job(
        "failed",
        reason="new tracks",
        error="the archive of station 3 is damaged at 2026-12-06 18:00 UTC",
        retry_at=retry_at,
    )
    view = outcome_view([failed])
    assert view.text == (
        "The search for past plays failed on the engine (the archive of station 3 is damaged "
        "at 2026-12-06 18:00 UTC). The engine tries again by itself at 21:47:05, and less "
        "often while it keeps failing."
    )
    assert (view.kind, view.short) == ("error", "Archive search failed; trying again at 21:47:05")
    # tried again and failed again: the newest failure is the one told
    again = failed.model_copy(update={"retry_at": retry_at + 10})
    assert "at 21:47:15," in outcome_view([failed, again]).text


def test_a_failed_search_tried_again_is_told_by_the_try_that_followed():
    """The watch may see the failures and the try that worked end between two polls: what the
    last try found is told, and a play the failed one published counts once, as found."""
    failed = _job("failed", "published", reason="new tracks", tracks=["t1"], error="x")
    failed_again = _job("failed", reason="new tracks", tracks=["t1"], error="x", retry_at=1.0)
    worked = _job("done", "already_reported", "published", reason="new tracks", tracks=["t1"])
    view = outcome_view([failed, failed_again, worked])
    assert view.text == "Found 2 past plays: they enter History, marked “found later”."
    assert view.kind == "ok"
    # a search of other tracks does not answer for the failed one
    other = _job("done", reason="new tracks", tracks=["t9"])
    assert outcome_view([failed, other]).kind == "error"


def test_searches_ending_together_are_summed():
    view = outcome_view(
        [_job("done", "published"), _job("done", "published", "published", track="t2")]
    )
    assert view.short == "Found 3 past plays in the archive"


def test_the_running_search_is_named_by_why_it_runs():
    new = _job("running", reason="new tracks", tracks=["a", "b"], progress=0.4)
    waiting = _job("queued", reason="requested")
    assert searching_text([waiting, new]) == (
        "Looking for past plays of 2 new tracks in the archive… (1 more search waiting)"
    )
    assert searching_text([waiting]) == (
        "Waiting to look for past plays of the catalog's tracks in the archive…"
    )
    found = _job("running", reason="discovered", tracks=["d"])
    assert (
        searching_text([found]) == "Looking for past plays of the piece just added in the archive…"
    )


def test_a_search_the_restarted_engine_forgot_says_how_to_look_again():
    view = outcome_view([_job("done", "published"), _job("lost")])
    assert view.text == (
        "The engine stopped before the search for past plays ended (it restarted). "
        "Found 1 past play: it enters History, marked “found later”. "
        "History → “Search the archive again…” looks again."
    )
    assert (view.kind, view.short) == ("warning", "Archive search interrupted")


def test_a_lost_search_of_new_tracks_is_said_to_be_run_again_by_the_engine():
    lost = _job("lost", "published", reason="new tracks", tracks=["t1", "t2"])
    view = outcome_view([lost])
    assert view.text == (
        "The engine stopped before the search for past plays ended (it restarted). "
        "Found 1 past play: it enters History, marked “found later”. "
        "It searches for the new tracks again by itself."
    )
    assert view.kind == "warning"


def test_a_search_run_again_after_a_restart_counts_each_play_once_with_the_lost_one():
    """The lost search published the first play; the engine's new search finds it "already
    reported" and publishes the second: two plays were found, none was there before."""
    lost = _job("lost", "published", reason="new tracks", tracks=["t1"])
    again = _job("done", "already_reported", "published", reason="new tracks", tracks=["t1", "t2"])
    view = outcome_view([lost, again])
    assert view.text == (
        "Found 2 past plays: they enter History, marked “found later”. "
        "The engine restarted during the search and searched again by itself."
    )
    assert (view.kind, view.short) == ("ok", "Found 2 past plays in the archive")
    # a search run for other tracks does not make up for the lost one
    other = _job("done", reason="new tracks", tracks=["t3"])
    assert outcome_view([lost, other]).kind == "warning"

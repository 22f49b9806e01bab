"""Levels for the stored peaks of tracks indexed before levels were kept, from their files.

Stream monitoring places a song's start under a DJ's voice with the levels of the track's
stored peaks (streams/spectral_holes.py). Catalogs indexed before those were kept work as
before without them (such starts are placed where the voice stops), and get them in the
background when the engine starts: each such track's source file is fingerprinted again and,
when it reproduces the stored peaks (the same audio, restore.same_audio), only the peaks are
stored anew. Keys are not touched, so a file that is gone, changed or unreadable changes
nothing: that track simply stays without levels, and is listed with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from radiowatch.engine.fingerprint.catalog import Catalog
from radiowatch.engine.fingerprint.ingest_jobs import fingerprint_jobs
from radiowatch.engine.fingerprint.restore import same_audio


@dataclass
class BackfillReport:
    updated: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (track id, why)
    finished: bool = True


def backfill_levels(
    catalog: Catalog,
    tracks: list[tuple[str, str | None]] | None = None,
    *,
    jobs: int = 1,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BackfillReport:
    """Give `tracks` ((track id, source file) pairs; default: every track without peak
    levels) their levels, from their source files; stops between tracks when `should_stop()`
    (what was done is kept; the rest is done next time)."""
    todo = catalog.tracks_without_levels() if tracks is None else tracks
    report = BackfillReport()
    work: list[tuple[str, dict, str]] = [(source or "", {}, track_id) for track_id, source in todo]
    for done, (track_id, fp, error) in enumerate(fingerprint_jobs(work, jobs=jobs), 1):
        if fp is None:
            report.skipped.append((track_id, error or "unreadable"))
        elif fp.peaks is None or not same_audio(catalog, track_id, fp):
            report.skipped.append((track_id, "its file no longer holds the audio indexed"))
        else:
            catalog.replace_peaks(track_id, fp.peaks)
            report.updated += 1
        if on_progress is not None:
            on_progress(done, len(work))
        if should_stop is not None and should_stop() and done < len(work):
            report.finished = False
            break
    return report

"""When the engine's search of new catalog additions moves its mark, for the endings a real
engine cannot be made to reach on demand: a search that fails is tried again, one a user
cancelled is not, and one still running is not started twice. The archive service's `search` is
recorded here instead of run. That an engine killed mid-search searches the same additions
again after its restart, and reports each play once, is proven with the real engine process in
test_found_later_crash.py."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from radiowatch.engine.archive import service as service_module
from radiowatch.engine.archive.service import ArchiveService
from radiowatch.engine.archive.store import Archive, ArchiveSettings


@dataclass
class Track:
    track_id: str
    added_at: float


@dataclass
class Catalog:
    added: list[Track] = field(default_factory=list)

    def tracks(self) -> list[Track]:
        return list(self.added)


@dataclass
class Job:
    track_ids: tuple[str, ...]
    state: str = "running"


def make_service(tmp_path, catalog: Catalog, jobs: list[Job]):
    """An archive service on a new archive in `tmp_path` (marked searched a minute ago), whose
    searches are recorded in `jobs` instead of run."""
    archive = Archive(tmp_path / "archive", ArchiveSettings())
    service = ArchiveService(
        archive, store=None, catalog=catalog, events=None, describe_track=lambda _t: {}
    )

    def search(request) -> Job:
        jobs.append(Job(request.track_ids))
        return jobs[-1]

    service.search = search  # type: ignore[method-assign]
    archive.db.set_meta(service_module._NEW_TRACKS_KEY, repr(time.time() - 60))
    return service


@pytest.fixture(autouse=True)
def no_quiet_wait(monkeypatch):
    monkeypatch.setattr(service_module, "NEW_TRACKS_QUIET_S", 0.0)


def test_additions_are_searched_once_when_their_search_ends(tmp_path):
    catalog = Catalog([Track("new", time.time() - 1)])
    jobs: list[Job] = []
    service = make_service(tmp_path, catalog, jobs)
    service._maybe_search_new_tracks()
    service._maybe_search_new_tracks()  # still running: no second search
    assert [j.track_ids for j in jobs] == [("new",)]
    jobs[0].state = "done"
    service._maybe_search_new_tracks()
    service._maybe_search_new_tracks()
    assert len(jobs) == 1


def test_a_failed_search_is_tried_again_and_a_cancelled_one_is_not(tmp_path):
    catalog = Catalog([Track("a", time.time() - 1)])
    jobs: list[Job] = []
    service = make_service(tmp_path, catalog, jobs)
    service._maybe_search_new_tracks()
    jobs[-1].state = "failed"
    service._maybe_search_new_tracks()
    assert len(jobs) == 2
    jobs[-1].state = "cancelled"  # the user said no
    service._maybe_search_new_tracks()
    assert len(jobs) == 2

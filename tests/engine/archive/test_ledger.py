"""The play ledger knows every play the engine reported on each station, from the engine's own
event log, so a play found later is published once and never beside a live one."""

from __future__ import annotations

from radiowatch.engine.archive.database import ArchiveDatabase
from radiowatch.engine.archive.ledger import PlayLedger, event_timestamp, song_identity
from radiowatch.engine.store import EngineStore, StoredStream

T0 = 1_778_000_000.0


def _play(radio_id: int, start: float, length: int | None, **song) -> dict:
    result = {
        "radio_id": radio_id,
        "timestamp": event_timestamp(start),
        "results": [{"score": 90, **song}],
    }
    if length is not None:
        result["play_length"] = length
    return {"status": "success", "result": result}


def test_the_ledger_reads_the_engines_event_log_once(tmp_path):
    store = EngineStore.open(tmp_path / "engine")
    store.add_stream(StoredStream(7, "http://radio.example/live", "after", "cat-7"))
    store.append_event(1, "cat-7", 7, _play(7, T0, 180, artist="A", title="One", audio_id=3))
    store.append_event(2, "cat-7", 7, {"status": "-", "notification": {"radio_id": 7}})
    store.append_event(3, "cat-7", 7, _play(7, T0 + 600, None, artist="B", title="Two"))
    ledger = PlayLedger(ArchiveDatabase(tmp_path / "archive.sqlite"))

    assert ledger.sync(store) == 2
    assert ledger.sync(store) == 0  # marks remember where the log was read to
    store.append_event(4, "cat-7", 7, _play(7, T0 + 900, 200, artist="C", title="Three"))
    assert ledger.sync(store) == 1

    one = song_identity({"audio_id": 3, "artist": "A", "title": "One"})
    assert one == "audio:3"
    assert ledger.overlaps(7, one, T0 + 100, T0 + 150)
    assert not ledger.overlaps(7, one, T0 + 400, T0 + 500)
    assert not ledger.overlaps(8, one, T0 + 100, T0 + 150)  # another station
    # announced at its start (no length yet): assumed to last a song's length
    two = song_identity({"artist": "b", "title": "TWO"})
    assert ledger.overlaps(7, two, T0 + 700, T0 + 760)
    # a stretch mostly inside another song's play is taken
    assert ledger.covered_by_another(7, "audio:99", T0 + 20, T0 + 120)
    assert not ledger.covered_by_another(7, "audio:99", T0 + 150, T0 + 300)
    store.close()


def test_found_plays_are_remembered_without_the_log(tmp_path):
    ledger = PlayLedger(ArchiveDatabase(tmp_path / "archive.sqlite"))
    ledger.add_found(1, "audio:5", T0, T0 + 200, "late-single")
    assert ledger.overlaps(1, "audio:5", T0 + 195, T0 + 260)
    # replayed right after a jingle: another airing, not the same one
    assert not ledger.overlaps(1, "audio:5", T0 + 205, T0 + 400)
    found_event = _play(1, T0, 200, audio_id=5)
    found_event["result"]["found_later"] = True
    assert not ledger.note_event(1, found_event)  # the same play, read back from the log
    ledger.forget_before(T0 + 1000)
    assert not ledger.overlaps(1, "audio:5", T0, T0 + 200)


def test_a_plays_end_event_replaces_the_length_assumed_when_it_was_announced(tmp_path):
    """callbacks=both (the GUI's streams): a play is announced without a length, then
    published again at its end. The audio after a 20 s play is not the play's: it stays
    unknown (Discover) and free for another song (found later)."""
    store = EngineStore.open(tmp_path / "engine")
    store.add_stream(StoredStream(7, "http://radio.example/live", "both", "cat-7"))
    store.append_event(1, "cat-7", 7, _play(7, T0, None, audio_id=3))
    ledger = PlayLedger(ArchiveDatabase(tmp_path / "archive.sqlite"))
    assert ledger.sync(store) == 1
    assert ledger.covered_by_another(7, "audio:9", T0 + 30, T0 + 60)  # assumed: a song's length
    store.append_event(2, "cat-7", 7, _play(7, T0, 20, audio_id=3))
    assert ledger.sync(store) == 0  # the same play, not a new one ...
    # ... now as long as it was
    assert not ledger.covered_by_another(7, "audio:9", T0 + 30, T0 + 60)
    assert not ledger.overlaps(7, "audio:3", T0 + 30, T0 + 60)
    assert ledger.overlaps(7, "audio:3", T0 + 5, T0 + 15)
    # an announcement read again later does not stretch it back
    assert not ledger.note_event(7, _play(7, T0, None, audio_id=3))
    assert not ledger.covered_by_another(7, "audio:9", T0 + 30, T0 + 60)
    store.close()

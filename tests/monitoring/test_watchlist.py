"""Watchlist rules: the pure matching function, and rules surviving a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.monitoring.watchlist import (
    WatchlistStore,
    WatchRule,
    matching_rules,
    rule_matches,
)

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


def play(**changes) -> Play:
    values = dict(
        radio_id=7,
        station_name="Radio Seven",
        start=datetime(2026, 5, 4, 10, 31, tzinfo=UTC),
        artist="Alan Walker, A$AP Rocky",
        title="Live Fast (PUBGM)",
        label="MER Recordings",
        isrc="GB-UM7-14-03885",
        backend="audd",
    )
    values.update(changes)
    return Play(**values)


def test_artist_rule_matches_whole_words_ignoring_case_and_accents():
    assert rule_matches(WatchRule(field="artist", pattern="alan walker"), play(), now=NOW)
    assert rule_matches(
        WatchRule(field="artist", pattern="Beyonce"), play(artist="Beyoncé"), now=NOW
    )
    assert not rule_matches(WatchRule(field="artist", pattern="walk"), play(), now=NOW)


def test_title_and_label_rules_look_at_their_own_field():
    assert rule_matches(WatchRule(field="title", pattern="live fast"), play(), now=NOW)
    assert not rule_matches(WatchRule(field="title", pattern="MER"), play(), now=NOW)
    assert rule_matches(WatchRule(field="label", pattern="mer recordings"), play(), now=NOW)


def test_isrc_rule_ignores_dashes_and_a_short_pattern_is_a_registrant_prefix():
    assert rule_matches(WatchRule(field="isrc", pattern="GBUM71403885"), play(), now=NOW)
    assert rule_matches(WatchRule(field="isrc", pattern="gb-um7"), play(), now=NOW)
    assert not rule_matches(WatchRule(field="isrc", pattern="USUM7"), play(), now=NOW)
    assert not rule_matches(WatchRule(field="isrc", pattern="GBUM7"), play(isrc=None), now=NOW)


def test_catalog_rule_matches_own_tracks_only():
    rule = WatchRule(field="catalog")
    assert not rule_matches(rule, play(), now=NOW)
    assert rule_matches(rule, play(provenance="udio"), now=NOW)
    assert rule_matches(rule, play(backend="local"), now=NOW)
    custom = {"results": [{"audio_id": 146, "timecode": "01:45"}]}
    assert rule_matches(rule, play(raw_event=custom), now=NOW)


def test_station_scope_limits_a_rule_to_its_stations():
    rule = WatchRule(field="artist", pattern="alan walker", radio_ids=[3, 4])
    assert not rule_matches(rule, play(radio_id=7), now=NOW)
    assert rule_matches(rule, play(radio_id=4), now=NOW)


def test_hours_are_judged_on_the_play_start_in_local_time_and_may_wrap_midnight():
    tz = timezone(timedelta(hours=2))
    day = WatchRule(field="artist", pattern="alan walker", hour_from=9, hour_to=17)
    night = WatchRule(field="artist", pattern="alan walker", hour_from=22, hour_to=6)
    at = lambda h: play(start=datetime(2026, 5, 4, h, 30, tzinfo=tz))  # noqa: E731
    assert rule_matches(day, at(9), now=NOW, tz=tz)
    assert not rule_matches(day, at(17), now=NOW, tz=tz)
    assert rule_matches(night, at(23), now=NOW, tz=tz)
    assert rule_matches(night, at(2), now=NOW, tz=tz)
    assert not rule_matches(night, at(12), now=NOW, tz=tz)
    # 08:30 UTC is 10:30 at UTC+2: inside the day window only when read in that zone.
    utc_morning = play(start=datetime(2026, 5, 4, 8, 30, tzinfo=UTC))
    assert rule_matches(day, utc_morning, now=NOW, tz=tz)
    assert not rule_matches(day, utc_morning, now=NOW, tz=UTC)


def test_a_muted_rule_is_silent_until_the_mute_ends_and_a_disabled_rule_always():
    muted = WatchRule(field="artist", pattern="alan walker", muted_until=NOW + timedelta(hours=1))
    assert not rule_matches(muted, play(), now=NOW)
    assert rule_matches(muted, play(), now=NOW + timedelta(hours=2))
    off = WatchRule(field="artist", pattern="alan walker", enabled=False)
    assert matching_rules([muted, off], play(), now=NOW) == []


def test_incomplete_rules_are_refused_with_a_clear_reason():
    with pytest.raises(ValidationError, match="needs something to look for"):
        WatchRule(field="artist", pattern="  ")
    with pytest.raises(ValidationError, match="both hours"):
        WatchRule(field="title", pattern="x", hour_from=3)


def test_rules_and_mutes_survive_reopening_the_database(tmp_path):
    path = tmp_path / "history.db"
    store = WatchlistStore(open_database(path))
    rule = store.save(
        WatchRule(field="label", pattern="MER", radio_ids=[4, 3], hour_from=22, hour_to=6)
    )
    store.mute(rule.id, NOW + timedelta(days=1))

    reopened = WatchlistStore(open_database(path)).get(rule.id)
    assert reopened is not None
    assert (reopened.field, reopened.pattern, reopened.radio_ids) == ("label", "MER", [3, 4])
    assert (reopened.hour_from, reopened.hour_to) == (22, 6)
    assert reopened.muted_until == NOW + timedelta(days=1)

    WatchlistStore(open_database(path)).delete(rule.id)
    assert WatchlistStore(open_database(path)).rules() == []

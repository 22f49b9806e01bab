"""Coverage spans in a real SQLite file and the report over a requested period: the covered
fraction and the gaps per station, open-ended periods, overlapping spans, dayparts."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from radiowatch.history.coverage import CoverageStore, from_ms, to_ms
from radiowatch.history.coverage_report import coverage_report, requested_windows
from radiowatch.history.plays import PlayStore
from tests.history.conftest import make_play

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def at(minutes: float) -> int:
    return to_ms(T0 + timedelta(minutes=minutes))


def add_span(store: CoverageStore, radio_id: int, start_min: float, end_min: float) -> int:
    span_id = store.open_span(radio_id, at(start_min), "local")
    store.extend([span_id], at(end_min))
    store.close(span_id)
    return span_id


def test_spans_move_forward_only_and_an_empty_one_is_not_kept(db):
    store = CoverageStore(db)
    span_id = store.open_span(1, at(0), "local")
    assert store.extend([span_id], at(5)) == 1
    assert store.extend([span_id], at(3)) == 0, "an end never moves back"
    store.close(span_id)
    assert store.extend([span_id], at(9)) == 0, "a closed span is not extended"
    [span] = store.spans(1, at(-60), at(60))
    assert (span.start_ms, span.end_ms, span.open) == (at(0), at(5), False)

    empty = store.open_span(1, at(20), "local")
    store.close(empty, at(10))  # ends before it began: clamped, then dropped
    assert [s.id for s in store.spans(1, at(-60), at(60))] == [span_id]


def test_report_gives_the_covered_fraction_and_the_gaps_per_station(db):
    store = CoverageStore(db)
    PlayStore(db).add(make_play(0, radio_id=1, station_name="Radio One"))
    PlayStore(db).add(make_play(1, radio_id=2, station_name="Jazz FM"))
    add_span(store, 1, 0, 30)
    add_span(store, 1, 25, 40)  # overlaps the first: merged, not counted twice
    add_span(store, 1, 45, 60)
    add_span(store, 2, -30, 90)  # reaches outside the period: clipped

    report = coverage_report(
        db.conn, since=T0, until=T0 + timedelta(hours=1), now=T0 + timedelta(days=1)
    )
    one, two = report.stations
    assert (one.name, one.requested_ms, one.covered_ms) == ("Radio One", 3_600_000, 55 * 60_000)
    assert [(g.start, g.end) for g in one.gaps] == [(from_ms(at(40)), from_ms(at(45)))]
    assert round(one.fraction, 4) == round(55 / 60, 4)
    assert (two.name, two.fraction, two.gaps) == ("Jazz FM", 1.0, ())
    assert report.fraction == (55 + 60) / 120


def test_open_ends_are_bounded_by_what_is_known(db):
    store = CoverageStore(db)
    PlayStore(db).add(make_play(0, radio_id=1, start=T0 - timedelta(minutes=10)))
    add_span(store, 1, 0, 20)

    report = coverage_report(db.conn, radio_ids=[1], now=T0 + timedelta(minutes=30))
    [station] = report.stations
    # From the first thing known (a play 10 min before the first span) up to now; the future
    # of an "until next week" is not asked for.
    assert report.since == T0 - timedelta(minutes=10)
    assert report.until == T0 + timedelta(minutes=30)
    assert station.requested_ms == 40 * 60_000 and station.covered_ms == 20 * 60_000
    assert [(g.start_ms, g.end_ms) for g in station.gaps] == [(at(-10), at(0)), (at(20), at(30))]

    later = coverage_report(
        db.conn, radio_ids=[1], until=T0 + timedelta(days=7), now=T0 + timedelta(minutes=30)
    )
    assert later.until == T0 + timedelta(minutes=30)
    assert coverage_report(db.conn, radio_ids=[7]).stations == ()  # never heard, no plays


def test_a_never_monitored_station_is_entirely_a_gap(db):
    PlayStore(db).add(make_play(0, radio_id=3, station_name="Rock 101"))
    report = coverage_report(
        db.conn, since=T0, until=T0 + timedelta(hours=2), now=T0 + timedelta(days=1)
    )
    [rock] = report.stations
    assert rock.fraction == 0.0
    assert [(g.start, g.end) for g in rock.gaps] == [(T0, T0 + timedelta(hours=2))]


def test_a_daypart_asks_only_for_those_hours_of_each_day(db):
    store = CoverageStore(db)
    day = datetime(2026, 11, 20).date()

    def local(d: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day + timedelta(days=d), time(hour, minute)).astimezone()

    def span(start: datetime, end: datetime) -> None:
        span_id = store.open_span(1, to_ms(start), "local")
        store.extend([span_id], to_ms(end))
        store.close(span_id)

    span(local(0, 5), local(0, 7))  # covers 06-07 of the morning on day 0
    span(local(1, 9, 30), local(1, 12))  # covers 09:30-10 on day 1
    since, until = local(0, 0), local(2, 0)
    windows = requested_windows(to_ms(since), to_ms(until), (6, 10))
    assert [(from_ms(a), from_ms(b)) for a, b in windows] == [
        (local(0, 6), local(0, 10)),
        (local(1, 6), local(1, 10)),
    ]
    report = coverage_report(
        db.conn, radio_ids=[1], since=since, until=until, daypart_hours=(6, 10), now=local(5, 0)
    )
    [station] = report.stations
    assert station.requested_ms == 8 * 3_600_000
    assert station.covered_ms == 90 * 60_000
    assert [(g.start, g.end) for g in station.gaps] == [
        (local(0, 7), local(0, 10)),
        (local(1, 6), local(1, 9, 30)),
    ]
    evening = requested_windows(to_ms(since), to_ms(until), (19, 24))
    assert [(from_ms(a), from_ms(b)) for a, b in evening][0] == (local(0, 19), local(1, 0))

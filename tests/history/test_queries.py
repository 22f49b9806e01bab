from __future__ import annotations

from datetime import UTC, datetime, timedelta

from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import Daypart, PlayFilter, PlayQueries, SortKey, fts_query
from tests.history.conftest import T0, make_play


def fill(db, n=60):
    PlayStore(db).add_many(make_play(i) for i in range(n))


def all_ids_by_paging(queries, filt, limit=7):
    ids, after = [], None
    while True:
        page = queries.page(filt, limit=limit, after=after)
        if not page:
            return ids
        ids += [r.id for r in page]
        after = page[-1].key


def test_keyset_pages_cover_every_row_once_in_order_for_every_sort(db):
    fill(db)
    # Ties on purpose: several plays share an artist, so paging must break ties on id.
    queries = PlayQueries(db.conn)
    for sort in SortKey:
        for descending in (True, False):
            filt = PlayFilter(sort=sort, descending=descending)
            expected = [r.id for r in queries.page(filt, limit=1000)]
            assert all_ids_by_paging(queries, filt) == expected, (sort, descending)
            assert len(expected) == 60


def test_reverse_pages_and_offsets_agree_with_forward_order(db):
    fill(db)
    queries = PlayQueries(db.conn)
    filt = PlayFilter()
    forward = [r.id for r in queries.page(filt, limit=1000)]
    backward = [r.id for r in queries.page(filt, limit=1000, reverse=True)]
    assert backward == forward[::-1]
    assert [r.id for r in queries.page(filt, limit=5, offset=10)] == forward[10:15]


def test_text_search_finds_edited_titles_and_not_the_old_ones(db):
    fill(db, 10)
    store = PlayStore(db)
    queries = PlayQueries(db.conn)
    store.correct(4, title="Bohemian Rhapsody")  # id 4 was "Song 3"
    assert [r.id for r in queries.page(PlayFilter(text="bohem"), limit=10)] == [4]
    assert [r.id for r in queries.page(PlayFilter(text="rhapsody Artist"), limit=10)] == [4]
    assert queries.count(PlayFilter(text="Song 5")) == 1  # words 'song' AND '5', as prefixes
    assert queries.page(PlayFilter(text="Song 3"), limit=10) == []
    # FTS syntax typed by a person is data, not an error.
    assert queries.count(PlayFilter(text='AC/DC "-:*')) == 0
    assert fts_query("  ") is None


def test_station_date_and_daypart_filters(db):
    fill(db)
    queries = PlayQueries(db.conn)
    since, until = T0 + timedelta(minutes=20), T0 + timedelta(minutes=80)
    rows = queries.page(PlayFilter(radio_ids=(2,), since=since, until=until), limit=100)
    assert rows and all(
        r.radio_id == 2 and since.timestamp() <= r.start_ts < until.timestamp() for r in rows
    )
    by_daypart = sum(queries.count(PlayFilter(daypart=d)) for d in Daypart)
    assert by_daypart == 60  # the dayparts tile the day
    assert Daypart.MORNING.label.startswith("Morning drive")


def test_what_played_on_a_station_around_a_time(db):
    fill(db, 30)
    queries = PlayQueries(db.conn)
    moment = T0 + timedelta(minutes=4 * 12 + 1)  # just after play 12 started (station 1)
    around = queries.around(1, moment, before=2, after=2)
    assert [p.title for p in around] == ["Song 9", "Song 12", "Song 15", "Song 18"]
    assert queries.on_air(1, moment).title == "Song 12"
    assert queries.on_air(1, moment + timedelta(hours=5)) is None
    assert queries.rows_before(PlayFilter(radio_ids=(1,)), moment) == 5  # 15..27 are later


def test_stations_come_from_plays_and_the_station_list(db):
    fill(db, 6)
    db.execute(
        "INSERT INTO stations (radio_id, name, source, entered, created_at, updated_at) "
        "VALUES (9, 'Talk 9', 'http://x', 'http://x', 'now', 'now')"
    )
    queries = PlayQueries(db.conn)
    assert [(s.radio_id, s.name) for s in queries.stations()] == [
        (2, "Jazz FM"),
        (1, "Radio One"),
        (3, "Rock 101"),
        (9, "Talk 9"),
    ]
    assert queries.station_ids_named(["jazz fm", "Nope"]) == ([2], ["Nope"])


def test_chart_aggregates(db):
    fill(db, 30)
    PlayStore(db).mark_false_positive(1)
    queries = PlayQueries(db.conn)
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=1)
    per_day = queries.plays_per_day(since, until)
    assert sum(n for _day, _rid, n in per_day) == 29  # false positives are not counted
    assert {rid for _d, rid, _n in per_day} == {1, 2, 3}
    top = queries.top_artists(since, until, limit=3)
    assert len(top) == 3 and top[0][1] >= top[1][1] >= top[2][1]
    assert queries.top_tracks(since, until, limit=50)[0][2] == 1
    heat = queries.station_hour_counts(since, until)
    assert sum(n for *_k, n in heat) == 29 and all(0 <= hour < 24 for _r, hour, _n in heat)
    assert queries.plays_per_day(since, until, radio_ids=[2]) and all(
        rid == 2 for _d, rid, _n in queries.plays_per_day(since, until, radio_ids=[2])
    )


def test_naive_datetimes_count_as_utc(db):
    fill(db, 3)
    queries = PlayQueries(db.conn)
    naive = datetime(2026, 11, 20, 8, 5)
    assert (
        queries.count(PlayFilter(since=naive))
        == queries.count(PlayFilter(since=naive.replace(tzinfo=UTC)))
        == 1
    )


def test_a_common_word_counts_and_pages_exactly_like_a_rare_one(db):
    # 2,500 matches is past the point where the search walks the time index instead.
    store = PlayStore(db)
    store.add_many(make_play(i) for i in range(2500))
    store.delete(8)
    queries = PlayQueries(db.conn)
    common = PlayFilter(text="song")
    assert queries.count(common) == 2499
    assert queries.count(common.model_copy(update={"include_deleted": True})) == 2500
    live = [
        r[0]
        for r in db.execute(
            "SELECT id FROM plays WHERE deleted = 0 ORDER BY start_ts DESC, id DESC"
        )
    ]
    assert all_ids_by_paging(queries, common, limit=450) == live
    on_two = PlayFilter(text="song", radio_ids=(2,), descending=False)
    expected = [
        r[0]
        for r in db.execute(
            "SELECT id FROM plays WHERE deleted = 0 AND radio_id = 2 ORDER BY start_ts, id"
        )
    ]
    assert queries.count(on_two) == len(expected)
    assert all_ids_by_paging(queries, on_two, limit=300) == expected
    assert [r.id for r in queries.page(common, limit=3, reverse=True)] == live[::-1][:3]


def test_local_hours_and_days_follow_daylight_saving_changes(db, monkeypatch):
    import time as time_module

    from radiowatch.history.queries import _offset_sql

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time_module.tzset()
    _offset_sql.cache_clear()
    try:
        store = PlayStore(db)
        # 2026-03-29 01:30 UTC is 03:30 CEST (after the change); 00:30 UTC is 01:30 CET.
        for n, moment in enumerate(
            [
                datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
                datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
            ]
        ):
            store.add(make_play(n, start=moment, radio_id=1))
        queries = PlayQueries(db.conn)
        year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        hours = sorted(hour for _r, hour, n in queries.station_hour_counts(*year) for _ in range(n))
        assert hours == [1, 2, 2, 3]  # 01:30 CET, 03:30 CEST, 02:30 CEST, 02:30 CET
        assert {day for day, _r, _n in queries.plays_per_day(*year)} == {"2026-03-29", "2026-10-25"}
        assert queries.count(PlayFilter(daypart=Daypart.OVERNIGHT)) == 4
        sql_hours = sorted(
            r[0]
            for r in db.execute(
                "SELECT CAST(strftime('%H', start_ts, 'unixepoch', 'localtime') AS INTEGER) FROM plays"
            )
        )
        assert hours == sql_hours
    finally:
        monkeypatch.undo()
        time_module.tzset()
        _offset_sql.cache_clear()


def test_a_play_found_later_says_so_in_its_row(db):
    store = PlayStore(db)
    live = make_play(1)
    found = make_play(2).model_copy(update={"raw_event": {"radio_id": 1, "found_later": True}})
    store.add_many([live, found])
    rows = {r.title: r for r in PlayQueries(db.conn).page(PlayFilter(), limit=10)}
    assert rows[found.title].found_later == 1
    assert rows[live.title].found_later == 0

"""Exports say how much of the requested period each station was actually heard: CSV in a
second file (the play columns stay exactly as they were), XLSX in a "Coverage" sheet, JSON in a
`coverage` object, and `radiowatch export --verbose` in words."""

from __future__ import annotations

import csv
import json
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest

from radiowatch.config.paths import profile_dirs
from radiowatch.history.coverage import CoverageStore, to_ms
from radiowatch.history.database import open_database
from radiowatch.history.export_command import run_export
from radiowatch.history.play_log_export import export_plays
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter
from tests.history.conftest import T0, make_play

PLAY_COLUMNS = [  # what programs reading the CSV rely on: unchanged by coverage
    "Station",
    "Start (UTC)",
    "End (UTC)",
    "Duration (s)",
    "Artist",
    "Title",
    "Album",
    "Label",
    "ISRC",
    "UPC",
    "Score",
    "Source",
    "False positive",
    "AI-generated",
    "Provenance",
    "Recognised artist",
    "Recognised title",
    "Song link",
    "Play ID",
]
HOUR = PlayFilter(since=T0, until=T0 + timedelta(hours=1))
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def span(store: CoverageStore, radio_id: int, start_min: int, end_min: int) -> None:
    span_id = store.open_span(radio_id, to_ms(T0 + timedelta(minutes=start_min)), "local")
    store.extend([span_id], to_ms(T0 + timedelta(minutes=end_min)))
    store.close(span_id)


def fill(db) -> None:
    """Radio One heard 08:00-08:30 and 08:35-09:00 (UTC); Jazz FM 08:00-08:45."""
    PlayStore(db).add_many(make_play(i) for i in range(6))
    store = CoverageStore(db)
    span(store, 1, -5, 30)
    span(store, 1, 35, 70)
    span(store, 2, 0, 45)


@pytest.fixture
def filled(db):
    fill(db)
    return db


def test_csv_plays_keep_their_columns_and_the_coverage_file_states_the_covered_share(
    filled, tmp_path
):
    out = tmp_path / "report.csv"
    result = export_plays(filled.conn, HOUR, out, utc=True)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == PLAY_COLUMNS and len(rows) == 7

    assert result.coverage_path == tmp_path / "report.coverage.csv"
    table = list(csv.DictReader(result.coverage_path.read_text("utf-8-sig").splitlines()))
    by = {(r["Station"], r["Row"]): r for r in table}
    one = by[("Radio One", "period")]
    assert (one["From (UTC)"], one["To (UTC)"]) == ("2026-11-20 08:00:00", "2026-11-20 09:00:00")
    assert (one["Requested (s)"], one["Covered (s)"], one["Covered (%)"]) == (
        "3600.0",
        "3300.0",
        "91.67",
    )
    gap = by[("Radio One", "not monitored")]
    assert (gap["From (UTC)"], gap["To (UTC)"], gap["Not monitored (s)"]) == (
        "2026-11-20 08:30:00",
        "2026-11-20 08:35:00",
        "300.0",
    )
    jazz = by[("Jazz FM", "period")]
    assert jazz["Covered (%)"] == "75.0" and by[("Jazz FM", "not monitored")]["From (UTC)"] == (
        "2026-11-20 08:45:00"
    )
    rock = by[("Rock 101", "period")]
    assert rock["Covered (%)"] == "0.0", "a station never monitored is not covered at all"
    total = by[("All stations", "total")]
    assert total["Covered (%)"] == str(round((55 + 45) / 180 * 100, 2))
    assert [r["Row"] for r in table].count("period") == 3


def test_coverage_follows_the_chosen_stations_and_daypart(filled, tmp_path):
    out = tmp_path / "one.csv"
    result = export_plays(filled.conn, HOUR.model_copy(update={"radio_ids": (2,)}), out)
    table = list(csv.DictReader(result.coverage_path.read_text("utf-8-sig").splitlines()))
    assert {r["Station"] for r in table} == {"Jazz FM"}, "no total row for one station"
    assert table[0]["Hours"] == "all day"


def test_xlsx_has_a_coverage_sheet_after_the_plays(filled, tmp_path):
    out = tmp_path / "report.xlsx"
    result = export_plays(filled.conn, HOUR, out, utc=True)
    assert result.coverage_path is None
    with zipfile.ZipFile(out) as book:
        assert book.testzip() is None
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        names = [s.get("name") for s in workbook.findall(".//m:sheet", NS)]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet2.xml"))
        strings = _shared_strings(book)
    assert names == ["Plays", "Coverage"]
    rows = []
    for row in sheet.findall(".//m:sheetData/m:row", NS):
        cells = []
        for cell in row.findall("m:c", NS):
            if cell.get("t") == "s":
                cells.append(strings[int(cell.find("m:v", NS).text)])
            elif cell.get("t") == "inlineStr":
                cells.append(cell.find(".//m:t", NS).text)
            else:
                cells.append(float(cell.find("m:v", NS).text))
        rows.append(cells)
    assert rows[0][:2] == ["Station", "Row"] and rows[0][7] == "Covered (%)"
    one = next(r for r in rows if r[:2] == ["Radio One", "period"])
    start_serial = (datetime(2026, 11, 20, 8, 0) - datetime(1899, 12, 30)).total_seconds() / 86400
    assert abs(one[2] - start_serial) < 1e-6, "times are real date cells"
    assert one[4:] == ["all day", 3600.0, 3300.0, 91.67, 300.0]
    assert sheet.findall(".//m:f", NS) == []


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    return ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root]


def test_json_has_a_coverage_object(filled, tmp_path):
    out = tmp_path / "report.json"
    export_plays(filled.conn, HOUR, out)
    doc = json.loads(out.read_text("utf-8"))
    coverage = doc["coverage"]
    assert (coverage["since"], coverage["until"]) == (
        "2026-11-20T08:00:00.000Z",
        "2026-11-20T09:00:00.000Z",
    )
    one = next(s for s in coverage["stations"] if s["radio_id"] == 1)
    assert one["covered_fraction"] == pytest.approx(55 / 60)
    assert one["not_monitored"] == [
        {"start": "2026-11-20T08:30:00.000Z", "end": "2026-11-20T08:35:00.000Z", "seconds": 300.0}
    ]
    assert coverage["covered_fraction"] == pytest.approx(100 / 180)
    assert len(doc["plays"]) == 6


def test_the_export_command_states_the_coverage(tmp_path, capsys):
    data_dir = tmp_path / "profile"
    db = open_database(profile_dirs(data_dir).database)
    fill(db)
    db.close()
    out = tmp_path / "nov.csv"
    since = T0.astimezone().strftime("%Y-%m-%dT%H:%M")
    until = (T0 + timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M")
    argv = ["--from", since, "--to", until, "--station", "Radio One", "--data-dir", str(data_dir)]
    assert run_export([*argv, "--verbose", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote the monitoring coverage to {tmp_path / 'nov.coverage.csv'}" in printed
    assert "Radio One: 91.7 % monitored (1 gap, 5 min not monitored)" in printed
    table = list(
        csv.DictReader((tmp_path / "nov.coverage.csv").read_text("utf-8-sig").splitlines())
    )
    assert [r["Row"] for r in table] == ["period", "not monitored"]


def test_nothing_known_gives_an_empty_but_valid_coverage(db, tmp_path):
    result = export_plays(db.conn, PlayFilter(), tmp_path / "empty.csv")
    assert result.coverage is not None and result.coverage.stations == ()
    lines = result.coverage_path.read_text("utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith("Station,Row,")

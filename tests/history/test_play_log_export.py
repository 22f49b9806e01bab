from __future__ import annotations

import csv
import io
import json
import re
import threading
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import pytest

from radiowatch.history.play_log_export import (
    ExportCancelled,
    ExportError,
    ExportFormat,
    export_plays,
    formula_safe,
)
from radiowatch.history.plays import PlayStore
from radiowatch.history.queries import PlayFilter
from tests.history.conftest import make_play
from tests.history.read_only_folder import read_only_folder

NASTY = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "Ünïcødé 東京"]


@pytest.fixture
def filled(db):
    store = PlayStore(db)
    store.add_many(make_play(i) for i in range(40))
    for i, text in enumerate(NASTY, start=1):
        store.correct(i, album=text)  # album is stored verbatim, tabs included
    return db


def test_csv_has_a_bom_separate_columns_and_defused_formulas(filled, tmp_path):
    out = tmp_path / "log.csv"
    result = export_plays(filled.conn, PlayFilter(), out)
    assert result.rows == 40 and result.format is ExportFormat.CSV
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    header = rows[0]
    for name in ("Artist", "Title", "Album", "ISRC", "Label", "Station", "Duration (s)", "Score"):
        assert name in header
    assert header[1].startswith("Start") and header[2].startswith("End")
    albums = [r[header.index("Album")] for r in rows[1:]]
    assert albums[:7] == ["'" + t for t in NASTY[:6]] + ["Ünïcødé 東京"]
    assert rows[1][header.index("Start (local time)")].count(":") == 2
    assert not list(tmp_path.glob(".*.part"))


def test_every_csv_cell_is_the_stored_value_quoted_and_formula_guarded(db, tmp_path):
    """The CSV line is built by SQLite: check it against the Python rule, cell by cell."""
    odd = ['say "hi", ok', "two\nlines", "trailing,comma", "", "''quoted''", *NASTY, "12", "=", "-"]
    store = PlayStore(db)
    store.add_many(
        make_play(
            i,
            artist=text or "x",
            title=text,
            album=None if i % 2 else text,
            upc=text or None,
            play_length=None if i % 3 == 0 else 180.5,
            score=None if i % 4 == 0 else 91,
        )
        for i, text in enumerate(odd)
    )
    out = tmp_path / "odd.csv"
    export_plays(db.conn, PlayFilter(), out, utc=True)
    raw = out.read_bytes().decode("utf-8-sig")
    assert raw.endswith("\r\n") and raw.count("\r\n") >= len(odd) + 1
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    header, body = rows[0], rows[1:]
    assert len(body) == len(odd) and all(len(r) == len(header) for r in body)
    stored = db.conn.execute(
        "SELECT station_name, artist, title, album, upc, play_length, score, id FROM plays "
        "ORDER BY start_ts, id"
    ).fetchall()
    for row, (station, artist, title, album, upc, length, score, play_id) in zip(
        body, stored, strict=True
    ):
        cell = dict(zip(header, row, strict=True))
        assert cell["Station"] == formula_safe(station)
        assert cell["Artist"] == formula_safe(artist)
        assert cell["Title"] == formula_safe(title)
        assert cell["Album"] == ("" if album is None else formula_safe(album))
        assert cell["UPC"] == ("" if upc is None else formula_safe(upc))
        assert cell["Duration (s)"] == ("" if length is None else str(length))
        assert cell["Score"] == ("" if score is None else str(score))
        assert cell["Play ID"] == str(play_id)
    # An empty text is a quoted empty cell; a missing one is an empty, unquoted field.
    first = raw.split("\r\n")[1 + odd.index("")]
    assert ',"",' in first


def test_formula_safe_leaves_ordinary_text_alone():
    assert formula_safe("Queen") == "Queen"
    assert formula_safe("") == ""
    assert formula_safe("=1") == "'=1"


def test_xlsx_is_a_readable_workbook_with_typed_cells(filled, tmp_path):
    out = tmp_path / "log.xlsx"
    result = export_plays(filled.conn, PlayFilter(radio_ids=(1,)), out, "xlsx")
    assert result.rows == 14
    with zipfile.ZipFile(out) as book:
        assert book.testzip() is None
        names = book.namelist()
        assert "xl/workbook.xml" in names and "xl/worksheets/sheet1.xml" in names
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    rows = sheet.findall(".//m:sheetData/m:row", ns)
    assert len(rows) == 15
    formulas = sheet.findall(".//m:f", ns)
    assert formulas == []  # "=cmd..." was stored as text, never as a formula
    for cell in sheet.iter(
        f"{{{ns['m']}}}c"
    ):  # untyped cells are numbers, or Excel refuses the file
        if cell.get("t") is None:
            float(cell.find("m:v", ns).text)
        else:
            assert cell.get("t") == "inlineStr" and cell.find("m:v", ns) is None
    try:
        import openpyxl
    except ImportError:
        return
    ws = openpyxl.load_workbook(out, read_only=True).active
    values = list(ws.iter_rows(values_only=True))
    assert values[1][6] == NASTY[0]


def test_json_round_trips(filled, tmp_path):
    out = tmp_path / "log.json"
    export_plays(filled.conn, PlayFilter(text="Song"), out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "radiowatch-play-log" and doc["total"] == 40
    plays = doc["plays"]
    assert len(plays) == 40
    assert plays[0]["album"] == NASTY[0]  # JSON is data, no spreadsheet escaping
    assert plays[0]["start"].endswith("Z") and plays[0]["false_positive"] is False
    assert [p["id"] for p in plays] == sorted(p["id"] for p in plays)
    assert doc["filter"]["text"] == "Song"


def test_empty_exports_still_open(db, tmp_path):
    for fmt in ExportFormat:
        out = tmp_path / f"empty.{fmt.value}"
        assert export_plays(db.conn, PlayFilter(), out).rows == 0
    assert json.loads((tmp_path / "empty.json").read_text())["plays"] == []
    assert zipfile.ZipFile(tmp_path / "empty.xlsx").testzip() is None


def test_progress_is_reported_and_cancel_leaves_no_file(db, tmp_path, monkeypatch):
    import radiowatch.history.play_log_export as module

    monkeypatch.setattr(module, "BATCH_ROWS", 10)  # small batches so the cancel lands mid-export
    PlayStore(db).add_many(make_play(i) for i in range(50))
    seen = []
    export_plays(
        db.conn, PlayFilter(), tmp_path / "a.csv", progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(10, 50), (20, 50), (30, 50), (40, 50), (50, 50)]

    for fmt in ExportFormat:
        cancel = threading.Event()
        target = tmp_path / f"cancelled.{fmt.value}"
        with pytest.raises(ExportCancelled):
            export_plays(
                db.conn,
                PlayFilter(),
                target,
                cancel=cancel,
                progress=lambda d, t, c=cancel: c.set(),
            )
        assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [  # a cancelled export leaves nothing
        "a.coverage.csv",
        "a.csv",
        "history.sqlite3",
        "history.sqlite3-shm",
        "history.sqlite3-wal",
        "profile",
    ]


def test_export_to_a_read_only_folder_says_so(filled, tmp_path):
    with read_only_folder(tmp_path) as folder:
        with pytest.raises(ExportError) as info:
            export_plays(filled.conn, PlayFilter(), folder / "log.csv")
        assert list(folder.iterdir()) == []
    message = str(info.value)
    assert "read-only" in message and "Choose another folder" in message


def test_unknown_format_and_a_folder_as_target_are_explained(db, tmp_path):
    with pytest.raises(ExportError, match="use a .csv, .xlsx or .json"):
        export_plays(db.conn, PlayFilter(), tmp_path / "log.txt")
    with pytest.raises(ExportError, match="it is a folder"):
        export_plays(db.conn, PlayFilter(), tmp_path, "csv")
    with pytest.raises(ExportError, match="does not exist"):
        export_plays(db.conn, PlayFilter(), tmp_path / "nope" / "log.csv")


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def sheet_cells(book: zipfile.ZipFile, name: str) -> list[dict[str, ElementTree.Element]]:
    sheet = ElementTree.fromstring(book.read(name))
    return [
        {re.sub(r"\d+", "", c.get("r")): c for c in row.findall("m:c", NS)}
        for row in sheet.findall(".//m:sheetData/m:row", NS)
    ]


def test_xlsx_times_are_date_cells_and_odd_text_survives(db, tmp_path):
    store = PlayStore(db)
    play_id = store.add(make_play(0)).play_id
    store.correct(play_id, album="bell\x07 & <tag> ")
    out = tmp_path / "one.xlsx"
    export_plays(db.conn, PlayFilter(), out, utc=True)
    with zipfile.ZipFile(out) as book:
        rows = sheet_cells(book, "xl/worksheets/sheet1.xml")
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    header, first = rows
    assert header["B"].find(".//m:t", NS).text == "Start (UTC)"
    start = first["B"]
    serial = float(start.find("m:v", NS).text)
    expected = (datetime(2026, 11, 20, 8, 0) - datetime(1899, 12, 30)).total_seconds() / 86400
    assert abs(serial - expected) < 1e-6
    xf = styles.findall("m:cellXfs/m:xf", NS)[int(start.get("s"))]
    formats = {
        f.get("numFmtId"): f.get("formatCode") for f in styles.findall("m:numFmts/m:numFmt", NS)
    }
    assert formats[xf.get("numFmtId")] == "yyyy-mm-dd hh:mm:ss"
    assert first["G"].find(".//m:t", NS).text == "bell_x0007_ & <tag> "
    assert first["D"].find("m:v", NS).text == "180.0" and first["D"].get("t") is None


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(db, tmp_path, monkeypatch):
    from radiowatch.history import xlsx_stream

    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 11)  # 10 plays per sheet instead of 1,048,575
    PlayStore(db).add_many(make_play(i) for i in range(25))
    out = tmp_path / "long.xlsx"
    assert export_plays(db.conn, PlayFilter(), out).rows == 25
    with zipfile.ZipFile(out) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        names = [s.get("name") for s in workbook.findall(".//m:sheet", NS)]
        counts = [len(sheet_cells(book, f"xl/worksheets/sheet{i}.xml")) - 1 for i in (1, 2, 3)]
        titles = [
            r["F"].find(".//m:t", NS).text
            for i in (1, 2, 3)
            for r in sheet_cells(book, f"xl/worksheets/sheet{i}.xml")[1:]
        ]
    assert names == ["Plays", "Plays 2", "Plays 3", "Coverage"]
    assert counts == [10, 10, 5]
    assert titles == [f"Song {i}" for i in range(25)]

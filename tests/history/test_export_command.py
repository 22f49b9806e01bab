"""`radiowatch export` run headless, as a scheduled job would."""

from __future__ import annotations

import csv
import json
import zipfile

from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.history.export_command import run_export
from radiowatch.history.plays import PlayStore
from tests.history.conftest import make_play


def profile_with_history(tmp_path, n=30):
    data_dir = tmp_path / "profile-x"
    db = open_database(profile_dirs(data_dir).database)
    PlayStore(db).add_many(make_play(i) for i in range(n))
    db.close()
    return data_dir


def test_export_writes_each_format_for_a_period_and_stations(tmp_path, capsys):
    data_dir = profile_with_history(tmp_path)
    base = ["--from", "2026-11-20", "--to", "2026-11-20", "--data-dir", str(data_dir)]
    out_csv = tmp_path / "out" / "nov.csv"
    out_csv.parent.mkdir()
    assert run_export([*base, "--station", "Jazz FM", "rock 101", "--out", str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 20 and {r["Station"] for r in rows} == {"Jazz FM", "Rock 101"}

    out_xlsx = tmp_path / "out" / "nov.data"
    assert run_export([*base, "--format", "xlsx", "--out", str(out_xlsx)]) == 0
    assert zipfile.ZipFile(out_xlsx).testzip() is None

    out_json = tmp_path / "out" / "nov.json"
    assert run_export([*base, "--utc", "--verbose", "--out", str(out_json)]) == 0
    assert len(json.loads(out_json.read_text())["plays"]) == 30
    assert "Wrote 30 plays" in capsys.readouterr().out


def test_export_of_another_day_is_empty_but_valid(tmp_path):
    data_dir = profile_with_history(tmp_path, 3)
    out = tmp_path / "empty.json"
    assert run_export(["--from", "2026-11-21", "--data-dir", str(data_dir), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["plays"] == []


def test_bad_arguments_say_what_to_do(tmp_path, capsys):
    data_dir = profile_with_history(tmp_path, 3)
    out = str(tmp_path / "x.csv")
    assert run_export(["--from", "yesterday", "--out", out, "--data-dir", str(data_dir)]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert run_export(["--out", str(tmp_path / "x.txt"), "--data-dir", str(data_dir)]) == 2
    assert "--format" in capsys.readouterr().err
    assert run_export(["--station", "Nope FM", "--out", out, "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "Nope FM" in err and "Jazz FM" in err
    assert run_export(["--out", out, "--data-dir", str(tmp_path / "empty-profile")]) == 1
    assert "no play history" in capsys.readouterr().err
    assert run_export([]) == 2
    assert not (tmp_path / "x.csv").exists()


def test_a_damaged_history_is_reported_not_crashed_on(tmp_path, capsys):
    data_dir = tmp_path / "broken"
    path = profile_dirs(data_dir).database
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not sqlite" * 100)
    assert run_export(["--out", str(tmp_path / "x.csv"), "--data-dir", str(data_dir)]) == 1
    assert "damaged" in capsys.readouterr().err

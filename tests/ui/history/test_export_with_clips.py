"""“Save clips with the export” against a real engine: each play whose audio the engine keeps
gets its clip beside the export, named in a "Clip file" column; plays without kept audio get an
empty cell; names are stable and safe; with the AudD cloud the option is off and says why."""

from __future__ import annotations

import csv
import json
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from radiowatch.backend.archive_client import NEEDS_ENGINE, ArchiveClient, archive_client_for
from radiowatch.engine.fingerprint.decode import SAMPLE_RATE
from radiowatch.history.database import open_database
from radiowatch.history.play import Play
from radiowatch.history.plays import PlayStore
from radiowatch.ui.common.clip_actions import ClipActions
from radiowatch.ui.history.clip_export import ClipRow, clip_stem
from radiowatch.ui.history.tab import HistoryTab
from tests.engine.archive.feed import decode
from tests.support.archive_engine import archiving_engine

pytestmark = pytest.mark.qt


def _history(path, now: float) -> None:
    def play(start: float, length: float, radio_id: int | None, title: str) -> Play:
        return Play(
            radio_id=radio_id,
            station_name="Radio Three",
            start=datetime.fromtimestamp(start, UTC),
            play_length=length,
            artist="The Paper Lanterns",
            title=title,
            backend="local",
        )

    db = open_database(path)
    store = PlayStore(db)
    store.add_many([play(now - 7200, 180, 3, "Long Gone"), play(now - 10, 4, 3, 'What? A/B: "C"')])
    store.add_manual(play(now - 3000, 120, None, "Typed In"))
    db.close()


def _tab(qtbot, tmp_path, archive) -> HistoryTab:
    tab = HistoryTab(tmp_path / "history.sqlite3")
    qtbot.addWidget(tab)
    tab.set_clip_actions(ClipActions(archive, tmp_path / "cache", tab))
    tab.show()
    return tab


@pytest.mark.slow
def test_clips_are_saved_beside_the_export_and_named_in_a_column(qtbot, qloop, tmp_path):
    out = tmp_path / "out" / "plays.csv"
    out.parent.mkdir()
    with archiving_engine(tmp_path / "engine") as engine:
        _history(tmp_path / "history.sqlite3", time.time())
        tab = _tab(qtbot, tmp_path, lambda: ArchiveClient(engine.base_url, engine.token))
        with qtbot.waitSignal(tab.export_finished, timeout=30_000) as signal:
            assert tab.export_to(out, with_clips=True)
            assert tab.export_running() and not tab.commands.export_button.isEnabled()
        as_json = out.with_suffix(".json")
        with qtbot.waitSignal(tab.export_finished, timeout=30_000):
            assert tab.export_to(as_json, with_clips=True)  # the clip is there: kept, not fetched
        tab.close_database()

    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = {r["Title"]: r for r in csv.DictReader(fh)}
    assert signal.args[0].rows == 3
    assert rows["Long Gone"]["Clip file"] == "" and rows["Typed In"]["Clip file"] == ""
    clip = rows['What? A/B: "C"']["Clip file"]
    folder, name = clip.split("/")
    assert folder == "plays clips" and name.endswith(".mp3")
    assert not any(c in name for c in '<>:"\\|?*')
    saved = out.parent / folder / name
    assert decode(saved.read_bytes()).size > 8 * SAMPLE_RATE  # the play and 5 s before it
    assert [p.name for p in saved.parent.iterdir()] == [name]  # no .part left
    plays = json.loads(as_json.read_text())["plays"]
    assert {p["title"]: p["clip_file"] for p in plays}['What? A/B: "C"'] == clip
    assert "Exported 3 plays" in tab.status.text()


def test_clip_names_are_stable_and_safe():
    row = ClipRow(42, 3, 1_778_000_000.0, 1_778_000_180.0, "Radio: Three", "A/B", "T?" * 200)
    name = clip_stem(row)
    assert name == clip_stem(row)
    assert name.startswith("000042 2026-05-05 165320Z Radio_ Three - A_B - T_")
    assert len(name) <= 120 and not name.endswith((" ", "."))


def test_with_the_audd_cloud_the_clips_option_says_why_it_is_off(qtbot, qloop, tmp_path):
    _history(tmp_path / "history.sqlite3", time.time())
    cloud = SimpleNamespace(kind="audd", client=object())
    tab = _tab(qtbot, tmp_path, lambda: archive_client_for(cloud))
    tab.exports.open_dialog()
    dialog = tab.exports.dialog
    assert dialog is not None and not dialog.with_clips.isEnabled()
    assert dialog.with_clips.toolTip() == NEEDS_ENGINE
    dialog.reject()
    tab.close_database()

"""The `radiowatch-engine index/query/catalog` commands, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.engine.conftest import RATE, write_wav

REPO = Path(__file__).resolve().parents[2]


def engine(*args: str, env_home: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "radiowatch.engine.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_index_reports_bad_files_and_query_answers_in_json_lines(tmp_path, songs):
    cat_dir = tmp_path / "catalog"
    cat_dir.mkdir()
    write_wav(cat_dir / "good1.wav", songs[11], rate=RATE)
    write_wav(cat_dir / "good2.wav", songs[12], rate=RATE, channels=2)
    (cat_dir / "empty.mp3").write_bytes(b"")
    (cat_dir / "notes.flac").write_text("not audio at all\n" * 100)
    write_wav(cat_dir / "silent.wav", np.zeros(10 * RATE, np.float32))
    truncated = write_wav(cat_dir / "truncated.wav", songs[13][: 3 * RATE]).read_bytes()
    (cat_dir / "truncated.wav").write_bytes(truncated[:200])
    (cat_dir / "tracks.csv").write_text("id,title\n")  # not audio by extension: ignored
    db = tmp_path / "db"

    done = engine("index", str(cat_dir), str(db), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    err = done.stderr
    assert "indexed 2 file(s)" in err and "4 error(s)" in err
    for name, reason in (
        ("empty.mp3", "empty"),
        ("notes.flac", "not a readable"),
        ("silent.wav", "silent"),
        ("truncated.wav", ""),
    ):
        assert any(
            name in line and "ERROR" in line and reason in line for line in err.splitlines()
        ), (name, err)

    # re-running is incremental: nothing is fingerprinted twice
    again = engine("index", str(cat_dir), str(db))
    assert "2 already indexed" in again.stderr

    q_dir = tmp_path / "q"
    q_dir.mkdir()
    write_wav(q_dir / "a.wav", songs[12][20 * RATE : 30 * RATE])
    write_wav(q_dir / "b.wav", songs[14][0 : 10 * RATE])
    (q_dir / "c.mp3").write_bytes(b"garbage")
    files = [str(q_dir / n) for n in ("a.wav", "b.wav", "c.mp3")]
    out = engine("query", str(db), *files)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [Path(r["file"]).name for r in lines] == ["a.wav", "b.wav", "c.mp3"]
    assert lines[0]["track_id"] == "good2" and abs(lines[0]["offset_s"] - 20.0) < 0.2
    assert lines[0]["score"] > lines[1]["score"]
    assert lines[1]["track_id"] is None and lines[1]["offset_s"] is None
    assert lines[2]["track_id"] is None and "c.mp3" in lines[2]["error"]
    assert all("elapsed_s" in r for r in lines)


def test_query_without_an_index_says_what_to_do(tmp_path):
    out = engine("query", str(tmp_path / "nothing"), "x.wav")
    assert out.returncode == 2
    assert "radiowatch-engine index" in out.stderr


def test_catalog_add_list_remove(tmp_path, songs):
    data = tmp_path / "engine"
    song = write_wav(tmp_path / "My Song.wav", songs[11])
    added = engine("catalog", "--data-dir", str(data), "add", str(song), "--kind", "jingle")
    assert added.returncode == 0, added.stderr
    listed = engine("catalog", "--data-dir", str(data), "list", "--json")
    tracks = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(t["track_id"], t["kind"]) for t in tracks] == [("My Song", "jingle")]
    assert tracks[0]["source_file"].endswith("My Song.wav")
    removed = engine("catalog", "--data-dir", str(data), "remove", "My Song", "ghost")
    assert removed.returncode == 1 and "ghost" in removed.stderr
    assert engine("catalog", "--data-dir", str(data), "list").stdout == ""


def test_a_folder_of_untagged_files_is_named_from_the_file_names(tmp_path, songs):
    """Rips and masters without tags: artist and title from `Artist - Title.ext`, else the
    name; the catalog lists no "(untitled)" track."""
    folder = tmp_path / "masters"
    folder.mkdir()
    write_wav(folder / "Nora Quint - Glass Elevator.wav", songs[11])
    write_wav(folder / "02_-_Orla_Fenn_-_Midnight_Tram.wav", songs[12])
    write_wav(folder / "bed music take 3.wav", songs[13])
    data = tmp_path / "engine"
    added = engine("catalog", "--data-dir", str(data), "add", str(folder))
    assert added.returncode == 0, added.stderr
    listed = engine("catalog", "--data-dir", str(data), "list", "--json")
    named = {t["title"]: t["artist"] for t in map(json.loads, listed.stdout.splitlines())}
    assert named == {
        "bed music take 3": None,
        "Glass Elevator": "Nora Quint",
        "Midnight Tram": "Orla Fenn",
    }
    assert "(untitled)" not in engine("catalog", "--data-dir", str(data), "list").stdout


def test_tags_win_over_the_file_name(tmp_path, songs):
    import av

    from radiowatch.engine.fingerprint.catalog import Catalog

    path = tmp_path / "Wrong Artist - Wrong Title.flac"
    pcm = (songs[11] * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        out.metadata.update({"TITLE": "Night Drive"})
        stream = out.add_stream("flac", rate=RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    with Catalog.open(tmp_path / "engine") as catalog:
        tagged = catalog.add_file(path)
        given = catalog.add_file(tmp_path / "Wrong Artist - Wrong Title.flac", title="Given")
    assert (tagged.artist, tagged.title) == (None, "Night Drive")
    assert (given.artist, given.title) == (None, "Given")


def test_catalog_remove_demo_takes_out_only_the_demo_songs(tmp_path, songs):
    from radiowatch.engine.demo.startup import DEMO_PROVENANCE
    from radiowatch.engine.fingerprint.catalog import Catalog

    data = tmp_path / "engine"
    with Catalog.open(data) as cat:
        cat.add_samples(songs[11], track_id="mine", title="Mine")
        cat.add_samples(songs[12], track_id="demo1", title="Demo", provenance=DEMO_PROVENANCE)
    listed = engine("catalog", "--data-dir", str(data), "list").stdout.splitlines()
    assert [line.endswith(f"\t[{DEMO_PROVENANCE}]") for line in listed] == [False, True]

    nothing = engine("catalog", "--data-dir", str(data), "remove")
    assert nothing.returncode == 2 and "--demo" in nothing.stderr

    removed = engine("catalog", "--data-dir", str(data), "remove", "--demo")
    assert removed.returncode == 0, removed.stderr
    listed = engine("catalog", "--data-dir", str(data), "list", "--json").stdout.splitlines()
    assert [json.loads(line)["track_id"] for line in listed] == ["mine"]

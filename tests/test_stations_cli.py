"""`radiowatch stations`: real SQLite profiles, playlists from a real loopback web server, and
the same checks and messages as the station dialog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from radiowatch import cli
from radiowatch.config.paths import profile_dirs
from radiowatch.history.database import open_database
from radiowatch.stations.station_input import input_problems
from radiowatch.stations.store import StationStore
from tests.stations.playlist_server import running_playlist_server

REPO = Path(__file__).resolve().parents[1]
PLS = "[playlist]\nNumberOfEntries=1\nFile1={stream}\nTitle1=Main\n"


@pytest.fixture
def playlist_server():
    with running_playlist_server() as server:
        yield server


@pytest.fixture
def profile(tmp_path):
    return tmp_path / "profile"


def run(capsys, profile: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--data-dir", str(profile), "stations", *args])
    out, err = capsys.readouterr()
    return code, out, err


def stored(profile: Path) -> list:
    db = open_database(profile_dirs(profile).database)
    try:
        return StationStore(db).list()
    finally:
        db.close()


def test_add_then_list_in_text_and_json(capsys, profile):
    code, out, err = run(capsys, profile, "add", "Radio One", "https://s.example/one.mp3")
    assert (code, err) == (0, "")
    assert out == "Added 'Radio One' (radio_id 1): https://s.example/one.mp3\n"
    code, out, _ = run(
        capsys, profile, "add", "Jazz FM", "twitch:jazz_fm", "--radio-id", "42", "--disabled"
    )
    assert code == 0 and "radio_id 42, not monitored yet" in out

    code, out, _ = run(capsys, profile, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["radio_id", "state", "name", "stream"]
    assert lines[1].split() == ["42", "off", "Jazz", "FM", "twitch:jazz_fm"]
    assert lines[2].split() == ["1", "on", "Radio", "One", "https://s.example/one.mp3"]

    code, out, _ = run(capsys, profile, "list", "--json")
    listed = json.loads(out)
    assert [(s["radio_id"], s["name"], s["enabled"]) for s in listed] == [
        (42, "Jazz FM", False),
        (1, "Radio One", True),
    ]
    assert set(listed[0]) == {
        "radio_id",
        "name",
        "source",
        "entered",
        "enabled",
        "created_at",
        "updated_at",
    }


def test_a_playlist_is_resolved_to_its_stream_as_in_the_dialog(capsys, profile, playlist_server):
    stream = playlist_server.url("/stream.mp3")
    url = playlist_server.route("/listen.pls", PLS.format(stream=stream))
    code, out, err = run(capsys, profile, "add", "Harbour City", url)
    assert (code, err) == (0, "")
    assert f"Resolved from playlist to {stream}." in out
    [station] = stored(profile)
    assert (station.source, station.entered) == (stream, url)
    code, out, _ = run(capsys, profile, "list")
    assert f"{stream}  (from {url})" in out


def test_a_playlist_that_cannot_be_fetched_is_refused_and_nothing_is_written(
    capsys, profile, playlist_server
):
    missing = playlist_server.url("/gone.pls")
    code, out, err = run(capsys, profile, "add", "Gone FM", missing)
    assert code == 2 and out == ""
    assert "answered HTTP 404" in err and "Check the address" in err
    playlist_server.slow_seconds = 3.0
    slow = playlist_server.url("/slow.pls")
    code, _, err = run(capsys, profile, "add", "Slow FM", slow, "--timeout", "0.5")
    assert code == 2 and "did not send the playlist within" in err
    assert stored(profile) == []


@pytest.mark.parametrize(
    ("name", "stream", "radio_id"),
    [
        ("", "https://s.example/a.mp3", None),
        ("Bad Scheme", "ftp://s.example/a.mp3", None),
        ("Bad Twitch", "twitch:no spaces allowed", None),
        ("Local File", "/nonexistent/list.pls", None),
        ("Too Big", "https://s.example/a.mp3", str(2**31)),
        ("Not A Number", "https://s.example/a.mp3", "seven"),
        ("Taken", "https://s.example/a.mp3", "1"),
    ],
)
def test_bad_input_gets_the_dialogs_message_and_exit_code_2(
    capsys, profile, name, stream, radio_id
):
    assert run(capsys, profile, "add", "First", "https://s.example/first.mp3")[0] == 0
    args = ["add", name, stream] + (["--radio-id", radio_id] if radio_id else [])
    code, out, err = run(capsys, profile, *args)
    assert code == 2 and out == ""
    # The message is the one the station dialog shows for the same input.
    db = open_database(profile_dirs(profile).database)
    try:
        store = StationStore(db)
        problems = input_problems(store, name=name, entered=stream, radio_id=radio_id)
        if not problems:  # only found when the playlist file is read
            assert "does not exist" in err
        else:
            assert err == f"radiowatch stations: {problems[0].message}\n"
        assert [s.name for s in store.list()] == ["First"]
    finally:
        db.close()


def test_enable_disable_and_remove_by_radio_id_or_name(capsys, profile):
    run(capsys, profile, "add", "Radio One", "https://s.example/one.mp3")
    run(capsys, profile, "add", "Jazz FM", "https://s.example/jazz.mp3", "--radio-id", "7")
    code, out, _ = run(capsys, profile, "disable", "jazz   fm")
    assert code == 0 and out == "'Jazz FM' (radio_id 7) is off: no longer monitored.\n"
    assert run(capsys, profile, "disable", "7")[1] == "'Jazz FM' (radio_id 7) was already off.\n"
    assert run(capsys, profile, "enable", "7")[0] == 0
    assert [s.enabled for s in stored(profile)] == [True, True]
    code, out, _ = run(capsys, profile, "remove", "Radio One")
    assert code == 0 and "Its plays stay in the history" in out
    assert [s.name for s in stored(profile)] == ["Jazz FM"]


def test_an_unknown_or_ambiguous_station_is_exit_3_and_says_which_exist(capsys, profile):
    run(capsys, profile, "add", "Radio One", "https://s.example/one.mp3")
    run(capsys, profile, "add", "radio one", "https://s.example/other.mp3", "--radio-id", "5")
    code, _, err = run(capsys, profile, "remove", "Ghost FM")
    assert code == 3 and "no station 'Ghost FM'" in err and "5 radio one" in err
    code, _, err = run(capsys, profile, "disable", "RADIO ONE")
    assert code == 3 and "2 stations are called" in err and "radio_id 1, 5" in err
    assert len(stored(profile)) == 2


def test_a_missing_or_damaged_database_is_exit_1(capsys, profile):
    code, out, err = run(capsys, profile, "list")
    assert code == 1 and out == "" and "no radiowatch database" in err and "--data-dir" in err
    database = profile_dirs(profile).database
    database.parent.mkdir(parents=True)
    database.write_bytes(b"\x00not a database" * 200)
    code, _, err = run(capsys, profile, "add", "Radio One", "https://s.example/one.mp3")
    assert code == 1 and "radiowatch stations:" in err
    assert database.read_bytes() == b"\x00not a database" * 200


def test_bad_arguments_are_exit_2(capsys, profile):
    assert run(capsys, profile)[0] == 2
    code, _, err = run(capsys, profile, "add", "Only A Name")
    assert code == 2 and "STREAM" in err
    assert run(capsys, profile, "rename", "x")[0] == 2


def test_the_real_command_with_data_dir_after_the_subcommand(profile):
    def radiowatch(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "radiowatch", "stations", *args, "--data-dir", str(profile)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )

    added = radiowatch("add", "Radio One", "https://s.example/one.mp3")
    assert added.returncode == 0, added.stderr
    listed = radiowatch("list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [s["name"] for s in json.loads(listed.stdout)] == ["Radio One"]
    assert "PySide6" not in listed.stderr

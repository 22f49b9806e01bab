"""A folder of untagged files indexed into the catalog is recognised by name: the reply
carries the artist and title the file names gave, not an empty song (real engine process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from radiowatch.engine.demo.music_synthesis import render_song
from tests.support.engine_process import running_engine
from tests.support.stations import songs, wav_bytes

RATE = 16000
REPO = Path(__file__).resolve().parents[3]


def test_recognising_an_untagged_catalog_file_names_artist_and_title(tmp_path):
    song = songs(1)[0]
    audio = render_song(song, 14, RATE)
    folder = tmp_path / "masters"
    folder.mkdir()
    (folder / "Harbour Band - Quay Lights (master).wav").write_bytes(wav_bytes(audio, RATE))
    data = tmp_path / "engine"
    added = subprocess.run(
        [sys.executable, "-m", "radiowatch.engine.cli", "catalog", "--data-dir", str(data)]
        + ["add", str(folder)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    with running_engine(data) as engine:
        clip = wav_bytes(audio[2 * RATE : 10 * RATE], RATE)
        body = httpx.post(
            engine.base_url + "/",
            data={"api_token": engine.token},
            files={"file": ("clip.wav", clip)},
            timeout=60,
        ).json()
    assert body["status"] == "success", body
    assert (body["result"]["artist"], body["result"]["title"]) == (
        "Harbour Band",
        "Quay Lights (master)",
    )


def test_the_catalog_route_names_an_untagged_upload_but_audds_upload_does_not(tmp_path):
    """The Catalog tab's route (`/catalog/tracks/`) names an untagged file from its file name;
    AudD's own `/upload/` keeps AudD's meaning (no title), as a generic upload name says
    nothing."""
    audio = wav_bytes(render_song(songs(2)[1], 14, RATE), RATE)
    with running_engine(tmp_path / "engine") as engine:
        added = httpx.post(
            engine.base_url + "/catalog/tracks/",
            data={"api_token": engine.token},
            files={"file": ("Tide Keepers - Salt Road.wav", audio)},
            timeout=60,
        ).json()
        assert added["status"] == "success", added
        assert (added["result"]["artist"], added["result"]["title"]) == (
            "Tide Keepers",
            "Salt Road",
        )
        reply = httpx.post(
            engine.base_url + "/upload/",
            data={"api_token": engine.token, "audio_id": "77"},
            files={"file": ("Some Artist - Some Title.wav", audio)},
            timeout=60,
        ).json()
        assert reply["status"] == "success", reply
        tracks = httpx.get(
            engine.base_url + "/catalog/tracks/", params={"api_token": engine.token}, timeout=30
        ).json()["result"]
    [track] = [t for t in tracks if t["audio_id"] == 77]
    assert track["title"] is None and track["artist"] is None

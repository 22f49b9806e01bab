"""A stream is a network stream, nothing else: the engine refuses to monitor a local file or any
other kind of address, refuses radio_ids outside AudD's range, and a remote server (a playlist,
an HLS playlist, a body FFmpeg would probe as a list of files) cannot make it read its own disk.

The API checks run against the real engine process; the ingest checks call the engine's ingest
directly against loopback servers, with a local "secret" audio file that must never be decoded.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from radiowatch.engine.streams.ingest import IngestError, IngestOptions, IngestSink, ingest
from tests.support.engine_process import running_engine
from tests.support.stations import BackgroundLoop, unreachable_url, wav_bytes

RATE = 16000
OPTIONS = IngestOptions(connect_timeout_s=3, read_timeout_s=3)


def test_add_stream_refuses_local_files_and_other_schemes_with_audds_error(tmp_path):
    refused_urls = [
        "file:///etc/passwd",
        "/etc/passwd",
        "concat:/etc/passwd|/etc/hosts",
        "ftp://example.org/live.mp3",
        "http:///no-host.mp3",
    ]
    with running_engine(tmp_path / "engine") as engine:
        for url in refused_urls:
            body = engine.api("addStream", url=url, radio_id=5)
            assert body["status"] == "error", url
            assert body["error"]["error_code"] == 50, url
            message = body["error"]["error_message"]
            assert message.startswith("Adding a stream stream failed: the `url` parameter"), url
            assert "http:// or https://" in message
            assert body["request_api_method"] == "addStream"
            assert body["request_params"]["url"] == url
            assert body["request_params"]["api_token"] != engine.token  # masked, as AudD does

        good = unreachable_url()
        assert engine.api("addStream", url=good, radio_id=5)["status"] == "success"
        moved = engine.api("setStreamUrl", url="file:///etc/passwd", radio_id=5)
        assert moved["error"]["error_code"] == 50
        assert moved["error"]["error_message"].startswith("Changing the stream URL failed: ")

        [stream] = engine.api("getStreams")["result"]
        assert (stream["radio_id"], stream["url"]) == (5, good)


def test_radio_ids_outside_1_to_2_pow_31_minus_1_are_refused(tmp_path):
    url = unreachable_url()
    with running_engine(tmp_path / "engine") as engine:
        for radio_id in ("-5", "0", "2147483648", "99999999999999999999"):
            body = engine.api("addStream", url=url, radio_id=radio_id)
            assert body["status"] == "error", radio_id
            assert body["error"]["error_code"] == 50
            assert body["error"]["error_message"] == (
                "Adding a stream stream failed: the `radio_id` parameter must be a whole "
                f"number from 1 to 2147483647 (got {radio_id})."
            )
            assert body["request_params"]["radio_id"] == radio_id
        assert engine.api("setStreamUrl", url=url, radio_id=-5)["error"]["error_code"] == 50

        for radio_id in (1, 2147483647):
            assert engine.api("addStream", url=url, radio_id=radio_id)["status"] == "success"
        ids = [s["radio_id"] for s in engine.api("getStreams")["result"]]
        assert sorted(ids) == [1, 2147483647]


# -- ingest: what a remote server sends cannot open local files ----------------------------------


class _Recorder(IngestSink):
    def __init__(self) -> None:
        self.samples = 0

    def audio(self, samples: np.ndarray) -> None:
        self.samples += samples.size

    def title(self, title: str) -> None:
        pass


@pytest.fixture
def secret_wav(tmp_path, monkeypatch):
    """A local audio file (six seconds of tone) in the current folder, as the engine's data
    would be; decoding any of it means a remote server made FFmpeg read the local disk."""
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(6 * RATE) / RATE)
    path = tmp_path / "secret.wav"
    path.write_bytes(wav_bytes(tone.astype(np.float32), RATE))
    monkeypatch.chdir(tmp_path)
    return path


def _ingest(url: str) -> tuple[_Recorder, IngestError | None]:
    sink = _Recorder()
    stop = threading.Event()
    timer = threading.Timer(20, stop.set)  # a safety net: the cases below end on their own
    timer.start()
    try:
        ingest(url, sink, stop, OPTIONS)
    except IngestError as exc:
        return sink, exc
    finally:
        timer.cancel()
    return sink, None


def test_a_body_probed_as_an_ffconcat_list_cannot_read_a_file_beside_the_engine(secret_wav):
    body = f"ffconcat version 1.0\nfile {secret_wav.name}\n".encode()
    with BackgroundLoop() as bg:
        url = bg.file_url(body, content_type="application/octet-stream", name="live")
        sink, error = _ingest(url)
    assert sink.samples == 0, "the local file was decoded"
    assert error is not None


def test_a_remote_playlist_entry_naming_local_files_is_refused(secret_wav, tmp_path):
    """FFmpeg's concat: protocol joins local files; ending the entry in .m3u8 used to send it
    straight to FFmpeg, which read them."""
    tail = tmp_path / "tail.m3u8"
    tail.write_bytes(b"")
    with BackgroundLoop() as bg:
        url = bg.file_url(
            f"#EXTM3U\n#EXTINF:-1,Radio\nconcat:{secret_wav}|{tail}\n".encode(),
            content_type="audio/x-mpegurl",
            name="listen.m3u",
        )
        sink, error = _ingest(url)
    assert sink.samples == 0, "the local files were decoded"
    assert error is not None and "not an http(s) address" in str(error)


def test_an_hls_playlist_pointing_at_a_file_segment_is_not_read(secret_wav):
    playlist = (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f"#EXTINF:6.0,\nfile://{secret_wav}\n#EXTINF:6.0,\nconcat:{secret_wav}\n"
        "#EXT-X-ENDLIST\n"
    )
    with BackgroundLoop() as bg:
        url = bg.file_url(
            playlist.encode(), content_type="application/vnd.apple.mpegurl", name="live.m3u8"
        )
        sink, error = _ingest(url)
    assert sink.samples == 0, "a local segment was decoded"
    assert error is not None


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "concat:/etc/passwd|/etc/hosts", "data:,x"]
)
def test_ingest_itself_refuses_non_network_urls(url):
    """A stream stored by an older engine (which accepted paths) is refused when it starts."""
    sink, error = _ingest(url)
    assert sink.samples == 0
    assert error is not None and "not an http(s) address" in str(error)

"""Playlist resolution against a real loopback web server and real files."""

import asyncio
import socket

import pytest

from radiowatch.stations import SourceKind, StationError, resolve_source
from radiowatch.stations.playlists import parse_m3u, parse_pls

PLS = """[playlist]
NumberOfEntries=2
File1=http://icecast.example.net:8000/main.mp3
Title1=Main
File2=http://icecast.example.net:8000/backup.mp3
Version=2
"""

M3U = """#EXTM3U
#EXTINF:-1,Groove Salad
https://ice2.example.org/groovesalad-128-mp3
https://ice4.example.org/groovesalad-128-mp3
"""

HLS = """#EXTM3U
#EXT-X-VERSION:3
#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"
chunklist_128.m3u8
"""


def resolve(text, **kw):
    return asyncio.run(resolve_source(text, **kw))


def test_pls_url_resolves_to_its_first_stream(playlist_server):
    url = playlist_server.route("/listen.pls", PLS)
    resolved = resolve(url)
    assert resolved.source == "http://icecast.example.net:8000/main.mp3"
    assert resolved.entered == url
    assert resolved.kind is SourceKind.PLAYLIST_URL
    assert "2 entries" in resolved.note


def test_m3u_url_resolves_and_relative_entries_follow_the_playlist(playlist_server):
    url = playlist_server.route("/radio/live.m3u", "#EXTM3U\n\nstream.mp3\n", "audio/x-mpegurl")
    assert resolve(url).source == playlist_server.url("/radio/stream.mp3")


def test_simple_m3u8_list_resolves_to_its_first_stream(playlist_server):
    url = playlist_server.route("/list.m3u8", M3U, "application/vnd.apple.mpegurl")
    assert resolve(url).source == "https://ice2.example.org/groovesalad-128-mp3"


def test_hls_m3u8_is_kept_as_the_stream_itself(playlist_server):
    url = playlist_server.route("/hls/master.m3u8", HLS, "application/vnd.apple.mpegurl")
    resolved = resolve(url)
    assert resolved.source == url
    assert "HLS" in resolved.note


def test_a_playlist_pointing_at_another_playlist_is_followed(playlist_server):
    inner = playlist_server.route("/inner.pls", PLS)
    outer = playlist_server.route("/outer.m3u", f"{inner}\n", "audio/x-mpegurl")
    assert resolve(outer).source == "http://icecast.example.net:8000/main.mp3"


def test_a_playlist_link_that_serves_audio_is_used_as_the_stream(playlist_server):
    url = playlist_server.url("/stream.pls")
    resolved = resolve(url)
    assert resolved.source == url
    assert "serves audio" in resolved.note


def test_an_endless_response_is_cut_off_at_the_size_cap(playlist_server):
    with pytest.raises(StationError) as info:
        resolve(playlist_server.url("/endless-text.m3u"), max_bytes=64 * 1024)
    assert info.value.field == "source"
    assert "more than 64 KB" in info.value.message


def test_http_error_is_reported_with_its_status(playlist_server):
    with pytest.raises(StationError) as info:
        resolve(playlist_server.url("/missing.pls"))
    assert "HTTP 404" in info.value.message


def test_unreachable_host_says_it_cannot_connect():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StationError) as info:
        resolve(f"http://127.0.0.1:{port}/listen.pls", timeout=3)
    assert "Cannot connect to 127.0.0.1" in info.value.message


def test_a_server_that_does_not_answer_in_time_times_out(playlist_server):
    playlist_server.slow_seconds = 2.0
    playlist_server.route("/slow.pls", PLS)
    with pytest.raises(StationError) as info:
        resolve(playlist_server.url("/slow.pls"), timeout=0.3)
    assert "did not send the playlist within" in info.value.message


def test_playlist_without_any_stream_url_is_refused(playlist_server):
    url = playlist_server.route("/empty.m3u", "#EXTM3U\n# nothing here\n", "audio/x-mpegurl")
    with pytest.raises(StationError) as info:
        resolve(url)
    assert "contains no http:// or https:// stream" in info.value.message


def test_pls_file_resolves(tmp_path):
    path = tmp_path / "station.pls"
    path.write_text(PLS)
    resolved = resolve(str(path))
    assert resolved.source == "http://icecast.example.net:8000/main.mp3"
    assert resolved.kind is SourceKind.PLAYLIST_FILE


def test_m3u_file_as_file_url_and_in_latin1_resolves(tmp_path):
    path = tmp_path / "Radio Café.m3u"
    path.write_bytes("#EXTINF:-1,Café\nhttp://example.org/caf\xe9.mp3\n".encode("latin-1"))
    resolved = resolve(path.as_uri())
    assert resolved.source == "http://example.org/café.mp3"


def test_missing_playlist_file_is_a_clear_error(tmp_path):
    with pytest.raises(StationError) as info:
        resolve(str(tmp_path / "gone.pls"))
    assert info.value.field == "source"
    assert "does not exist" in info.value.message


def test_local_hls_file_cannot_be_monitored(tmp_path):
    path = tmp_path / "live.m3u8"
    path.write_text(HLS)
    with pytest.raises(StationError) as info:
        resolve(str(path))
    assert "HLS playlist" in info.value.message


def test_oversized_playlist_file_is_refused(tmp_path):
    path = tmp_path / "huge.m3u"
    path.write_bytes(b"#" * 2048)
    with pytest.raises(StationError) as info:
        resolve(str(path), max_bytes=1024)
    assert "too big for a playlist" in info.value.message


def test_direct_sources_resolve_without_any_network():
    for text in ("twitch:monstercat", "youtube:jfKfPfyJRdk", "https://example.invalid/live"):
        assert resolve(text).source == text


def test_pls_parser_orders_entries_and_tolerates_a_missing_header():
    assert parse_pls("File2=http://b\nFile1=http://a\n") == ["http://a", "http://b"]


def test_m3u_parser_skips_comments_and_blank_lines():
    assert parse_m3u("\ufeff#EXTM3U\n\n#EXTINF:1,x\nhttp://a\n") == ["http://a"]

import pytest

from radiowatch.stations import SourceKind, StationError, classify_source
from radiowatch.stations.sources import validate_stream_source


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("http://ice1.somafm.com/groovesalad-128-mp3", SourceKind.STREAM_URL),
        ("https://stream.example.com:8000/live", SourceKind.STREAM_URL),  # Icecast mount
        ("http://198.51.100.7:8010/;", SourceKind.STREAM_URL),  # SHOUTcast v1 style
        ("https://example.com/hls/live.m3u8", SourceKind.PLAYLIST_URL),  # HLS, resolved later
        ("https://example.com/listen.pls", SourceKind.PLAYLIST_URL),
        ("https://example.com/listen.M3U?x=1", SourceKind.PLAYLIST_URL),
        ("twitch:monstercat", SourceKind.TWITCH),
        ("youtube:jfKfPfyJRdk", SourceKind.YOUTUBE),
        ("youtube-ch:UCSJ4gkVC6NrvII8umztf0Ow", SourceKind.YOUTUBE_CHANNEL),
        ("/home/me/radio.pls", SourceKind.PLAYLIST_FILE),
        ("~/radio.m3u", SourceKind.PLAYLIST_FILE),
        ("file:///home/me/radio.m3u8", SourceKind.PLAYLIST_FILE),
        ("radio.pls", SourceKind.PLAYLIST_FILE),
    ],
)
def test_every_form_audd_accepts_is_recognised(text, kind):
    assert classify_source(text) is kind


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Enter the stream"),
        ("   ", "Enter the stream"),
        ("ftp://example.com/live.mp3", "'ftp://' streams are not supported"),
        ("rtsp://example.com/live", "'rtsp://' streams are not supported"),
        ("twitch:", "Twitch channel name"),
        ("twitch:bad name!", "Twitch channel name"),
        ("youtube:short", "11-character YouTube video id"),
        ("youtube-ch:notachannel", "YouTube channel id"),
        ("www.example.com/live", "is not a stream address"),
        ("http:///nohost", "has no host name"),
    ],
)
def test_bad_sources_are_refused_with_a_message_about_the_source_field(text, fragment):
    with pytest.raises(StationError) as info:
        classify_source(text)
    assert info.value.field == "source"
    assert fragment in info.value.message


def test_a_local_file_is_never_a_monitorable_source():
    with pytest.raises(StationError) as info:
        validate_stream_source("/tmp/radio.pls")
    assert info.value.field == "source"


def test_source_prefix_is_normalised_to_lower_case():
    assert validate_stream_source(" Twitch:Monstercat ") == "twitch:Monstercat"

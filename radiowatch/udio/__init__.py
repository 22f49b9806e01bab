"""Client and models for the Udio task API (via a reseller). No Qt."""

from radiowatch.udio.client import PollPolicy, RetryPolicy, UdioClient, parse_songs
from radiowatch.udio.endpoint import AuthScheme, UdioEndpoint, endpoint_from_settings
from radiowatch.udio.models import SongResult, SongStatus, UdioSong

__all__ = [
    "AuthScheme",
    "PollPolicy",
    "RetryPolicy",
    "SongResult",
    "SongStatus",
    "UdioClient",
    "UdioEndpoint",
    "UdioSong",
    "endpoint_from_settings",
    "parse_songs",
]

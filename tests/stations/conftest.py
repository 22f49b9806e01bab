import pytest

from radiowatch.history.database import open_database
from radiowatch.stations.store import StationStore
from tests.stations.playlist_server import running_playlist_server


@pytest.fixture
def playlist_server():
    with running_playlist_server() as server:
        yield server


@pytest.fixture
def station_store(tmp_path):
    db = open_database(tmp_path / "radiowatch.sqlite3")
    yield StationStore(db)
    db.conn.close()

"""The offline demo: generated songs, a loopback Icecast-style station, and the setup that
registers it, so a new user sees music recognised with no catalog and no internet."""

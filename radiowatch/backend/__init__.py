"""The GUI's side of the process boundary: which backend to use, the local engine child, the
catalog client and uploads. Everything here talks to a backend over HTTP or starts it; no Qt."""

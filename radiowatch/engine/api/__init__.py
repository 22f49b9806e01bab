"""The AudD wire format over HTTP: requests, replies, auth, recognition and the catalog routes
(docs/protocols/audd.md)."""

"""Stream monitoring: ingest a station, turn window matches into plays, publish them to the
long-poll event log and the callback URL."""

"""The SQLite play history: schema migrations, stations, plays, queries, exports. No Qt."""

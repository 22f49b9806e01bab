"""The Monitor tab: now-playing cards fed by the monitoring thread, and the watchlist."""

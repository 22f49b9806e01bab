"""The long-poll engine: backend events -> history -> watchlist rules -> notifications. No Qt."""

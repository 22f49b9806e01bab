"""What was heard is kept: each monitored station's stream bytes as received, the fingerprint
peaks of everything heard, when each station was heard, and what was found in it later.

store (Archive: files, index, limits, recovery) <- recorder (the ingest tap of one station)
clips (proof audio) | coverage (heard / down / not monitored) | found_later (search peaks for
tracks) <- search_jobs (progress, cancel) <- service (what the runtime and the `/archive/` routes
use; publishes found plays once, through ledger). fingerprints is the one module that knows
the fingerprint package. Imports nothing else of the engine: the runtime hands in the engine
store, the catalog and the event publisher (docs/architecture.md, "The archive lives in the
engine").
"""

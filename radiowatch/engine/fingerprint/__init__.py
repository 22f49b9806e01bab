"""The fingerprint algorithm: audio in, matches out. Imports nothing else of the engine.

decode -> landmarks (peaks paired into hashes) -> index (immutable sorted segments) -> matcher
(vote, then verify against reference_peaks) -> catalog (tracks + index behind one object)."""

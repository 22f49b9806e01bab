"""The local recognition engine: decoding, fingerprints, index, matching, AudD-compatible server. No Qt."""

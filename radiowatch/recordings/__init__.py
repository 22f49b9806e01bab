"""Play logs of recorded broadcasts (airchecks, logger files), for the Recognize tab's play-log
mode: the client of a radiowatch engine's `/playlog/` scan, and turning a scanned log into
history plays (export, idempotent import). Qt-free; it reaches the engine only over HTTP."""

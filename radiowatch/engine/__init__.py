"""The local engine process (`radiowatch-engine`): an AudD-compatible server over its own catalog.

fingerprint/ turns audio into matches, api/ speaks the AudD wire format, streams/ monitors
internet radio and reports plays, demo/ is the offline demo; runtime.py composes them and
serve.py, commands.py and cli.py are the entry points. No Qt."""

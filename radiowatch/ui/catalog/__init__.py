"""The Catalog tab: the engine's tracks, adding folders, pushing to the AudD custom catalog."""

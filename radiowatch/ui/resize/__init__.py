"""The Resize tab: analyse a song, cut it to a target length, preview and export."""

"""What tabs share: the preview player, background tasks, job panels, backend error messages,
artwork, palette, and the GUI-thread helpers (media commands, garbage collection)."""

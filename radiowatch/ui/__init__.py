"""The Qt shell: windows, tabs, dialogs, item models, tray. The only package that imports PySide6."""

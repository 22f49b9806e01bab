"""The Qt shell: one folder per tab, the main window and dialogs in shell/, what tabs share in
common/. Tabs never import each other; they meet in shell/tab_factories.py and app.py."""

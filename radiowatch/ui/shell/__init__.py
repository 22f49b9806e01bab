"""The main window and everything around the tabs: sidebar, dialogs, status bar, tray, first
run, single instance, and the factories that build each tab from the running app."""

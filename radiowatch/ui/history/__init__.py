"""The History tab: the play table, charts, corrections and exports."""

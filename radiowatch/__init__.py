"""radiowatch: know what music plays on the radio."""

__version__ = "0.1.0"

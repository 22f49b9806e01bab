"""Async client for the AudD protocol (AudD cloud or radiowatch's local engine). No Qt."""

"""Helpers shared by tests of several packages: a real engine process, loopback radio stations."""

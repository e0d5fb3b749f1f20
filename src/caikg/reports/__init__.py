"""Counts and coverage read from the store, for the CLI and the web."""

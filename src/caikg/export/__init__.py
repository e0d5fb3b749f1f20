"""Dumps and per-entity formats for other knowledge graphs and reference managers."""

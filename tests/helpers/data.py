"""Variants of the shipped data for tests of what a build changes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.helpers.project import REPO


def data_variant(tmp_path: Path, slug: str, old: str, new: str) -> Path:
    """A copy of ``data/`` with ``old`` replaced by ``new`` (once) in the curated record of the
    work ``slug`` (``data/record/<slug>.trig``)."""
    data = tmp_path / f"data-{slug}"
    shutil.copytree(REPO / "data", data)
    record = data / "record" / f"{slug}.trig"
    text = record.read_text(encoding="utf-8")
    assert old in text, f"{record}: no {old!r}"
    record.write_text(text.replace(old, new, 1), encoding="utf-8")
    return data


def wait_for_the_next_second() -> None:
    """Build times have a resolution of one second: two builds a test tells apart by time are
    made in different seconds."""
    start = time.gmtime()
    while time.gmtime() == start:
        time.sleep(0.05)

"""Atomic writes, and the clean-up of what killed writers leave behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from caikg.files import remove_orphans, write_atomically


def test_write_atomically_replaces_and_cleans_orphans(tmp_path: Path) -> None:
    target = tmp_path / "survey.ttl"
    target.write_bytes(b"old\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    orphan = tmp_path / f".survey.ttl.{dead}.abc123.tmp"
    orphan.write_bytes(b"half-written")
    alive = tmp_path / f".survey.ttl.{1}.def456.tmp"  # pid 1 is always running
    alive.write_bytes(b"someone else's write in progress")
    unrelated = tmp_path / ".other.ttl.999999.x.tmp"
    unrelated.write_bytes(b"not ours")
    write_atomically(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert not orphan.exists()
    assert alive.exists() and unrelated.exists()
    assert remove_orphans(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, alive.name, unrelated.name])

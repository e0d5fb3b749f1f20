"""Faults of the store layer that a test can inject into a real build."""

from __future__ import annotations

import threading

import pytest

from caikg.store import embedded


def fill_the_disk_beside_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """The load that runs beside the build (NewStore.load_beside, in its own thread) fails as
    a full disk does; loads in the build's own thread (its stores in memory) still work."""
    real = embedded.bulk_load

    def load(*args: object) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise OSError(28, "No space left on device")
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(embedded, "bulk_load", load)

"""The injected clocks of the enrichment clients: ``sleep`` only advances time, so tests of
spacing, ``Retry-After`` and backoff never wait for real."""

from __future__ import annotations


class Clock:
    """A monotonic clock that ``sleep`` advances, and a wall clock ``start`` seconds ahead."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.t = 1000.0
        self.start = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(0.0, seconds)

    def wall(self) -> float:
        return self.start + self.t

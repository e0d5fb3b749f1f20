"""HTTP content negotiation with q-values (RFC 9110 §12.5.1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    params: tuple[tuple[str, str], ...] = ()

    def matches(self, media_type: str) -> int:
        """Specificity of the match (3 exact, 2 type/*, 1 */*), or 0 for none."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == "*":
            return 2
        if self.type == kind and self.subtype == sub:
            return 3
        return 0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; malformed ones are ignored."""
    ranges: list[MediaRange] = []
    if not header:
        return ranges
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if "/" not in media:
            continue
        kind, _, sub = media.partition("/")
        if not kind or not sub or (kind == "*" and sub != "*"):
            continue
        q = 1.0
        params: list[tuple[str, str]] = []
        valid = True
        for p in pieces[1:]:
            name, _, value = p.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"')
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    valid = False
                    break
                if not 0.0 <= q <= 1.0:
                    valid = False
                    break
            elif name:
                params.append((name, value))
        if valid:
            ranges.append(MediaRange(kind, sub, q, tuple(params)))
    return ranges


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers most (ties go to the earlier offer), or None (406).

    With no ``Accept`` header, or one with no valid media range, the first offer is chosen.
    """
    if not offers:
        return None
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    best: tuple[float, int] | None = None
    chosen: str | None = None
    for index, offer in enumerate(offers):
        specificity, q = 0, 0.0
        for r in ranges:
            s = r.matches(offer)
            if s > specificity:
                specificity, q = s, r.q
        if specificity and q > 0:
            key = (q, -index)
            if best is None or key > best:
                best, chosen = key, offer
    return chosen

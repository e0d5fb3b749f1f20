"""Slugs for readable, stable IRIs (the rules are documented in docs/MODEL.md)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_EXTRA_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe"})


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-': ``"Jürgen Schmidhuber"`` → ``"jurgen-schmidhuber"``."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_EXTRA_LETTERS))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("-", ascii_text).strip("-")


def paper_slug(title: str) -> str:
    """The slug a new paper's IRI is minted from.

    "Name: subtitle" titles with a short name use the name; others use the first six words.
    """
    head, sep, _ = title.partition(":")
    if sep and 0 < len(head.split()) <= 4 and slugify(head):
        return slugify(head)
    return slugify(" ".join(title.split()[:6])) or "untitled"


def unique_slug(slug: str, taken: Callable[[str], bool], year: int | None = None) -> str:
    """``slug``, or the first of ``slug-{year}``, ``slug-2``, ``slug-3`` … that is not taken."""
    if not taken(slug):
        return slug
    if year is not None and not taken(f"{slug}-{year}"):
        return f"{slug}-{year}"
    n = 2
    while taken(f"{slug}-{n}"):
        n += 1
    return f"{slug}-{n}"

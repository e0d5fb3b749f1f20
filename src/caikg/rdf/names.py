"""The one normaliser of names and titles for comparing them (never for display).

Who compares what, and why the forms differ:

- the list importer matches a printed author against the people it knows: accents are kept
  (``Müller`` and ``Muller`` may be two people), case and spacing are not;
- enrichment matches our names against another source's labels, and the paper search matches
  a visitor's words: accents and case are dropped (other sources and visitors often type names
  without them), and for labels punctuation too (``J.-P.`` ~ ``J P``).
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w]+")


def normalize_name(text: str, *, accents: bool = True, punctuation: bool = True) -> str:
    """``text`` case-folded with its whitespace collapsed; ``accents=False`` drops diacritics
    (NFKD, combining marks removed; otherwise NFC), ``punctuation=False`` turns every run of
    non-word characters into one space."""
    if accents:
        text = unicodedata.normalize("NFC", text)
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not punctuation:
        text = _NOT_WORD.sub(" ", text)
    return " ".join(text.split()).casefold()

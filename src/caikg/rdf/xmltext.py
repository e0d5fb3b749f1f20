"""Text that XML 1.0 can carry: the one definition of the characters it cannot (not even as
character references), used by the SPARQL XML results, the RDF/XML exports and the SVG
drawings (charts and the co-authorship network)."""

from __future__ import annotations

import re

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""A character outside XML 1.0's ``Char`` production: C0 controls other than tab, LF and CR,
lone surrogates, U+FFFE and U+FFFF."""
CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
"""C0 controls (tab and newlines too) and DEL: not wanted in a one-line label."""


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 cannot represent replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def one_line(text: object) -> str:
    """``text`` as one line of XML-safe characters (not yet escaped): controls and characters
    XML cannot carry become spaces, and runs of white space one space."""
    return " ".join(NOT_XML.sub(" ", CONTROLS.sub(" ", str(text))).split())

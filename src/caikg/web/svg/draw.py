"""What the server-side SVG drawings share: number formatting, label cutting and the links a
drawing may carry."""

from __future__ import annotations

from caikg.rdf.xmltext import CONTROLS, NOT_XML


def fmt(x: float) -> str:
    """A coordinate with at most one decimal, without trailing zeros (smaller SVG)."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def short(label: str, width: int) -> str:
    """``label`` cut to ``width`` characters (an ellipsis marks the cut)."""
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def safe_link(href: str | None) -> str | None:
    """Only site paths and http(s) links are drawn as links."""
    if not href:
        return None
    text = href.strip()
    if CONTROLS.search(text) or NOT_XML.search(text):
        return None
    if text.startswith("/") and not text.startswith("//"):
        return text
    if text.lower().startswith(("https://", "http://")):
        return text
    return None

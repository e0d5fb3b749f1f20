"""A small, deterministic server-side SVG drawing of a co-authorship network.

The centre node sits in the middle and the other nodes on an ellipse around it, most frequent
first (clockwise from the top), so the same data always gives the same picture and no script
is needed. Every piece of text is XML-escaped and stripped of characters XML cannot carry; the
result is a well-formed ``<svg>`` element with a ``<title>``, a ``<desc>`` and a ``viewBox`` so
that it scales down on phones.

The drawing is ``role="group"`` with a name and a description, not ``role="img"``: its
co-authors are links, in the Tab order, each named by its ``<title>`` (the full name and the
shared works, where the label may be shortened), and the children of an image are hidden from
assistive technology.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

from caikg.rdf.xmltext import one_line
from caikg.web.svg.draw import fmt, safe_link, short

Node = tuple[str, str, int]
"""(id, label, weight): weight is e.g. the number of works shared with the centre."""
Edge = tuple[str, str, int]
"""(id, id, weight): weight is the number of works the two share."""

WIDTH, HEIGHT = 660, 440
RX, RY = 170, 165
MAX_NODES = 25
MAX_LABEL = 18



def clean(text: object) -> str:
    """``text`` without C0 controls (replaced by spaces) or other characters XML 1.0 cannot
    hold, whitespace folded."""
    return one_line(text)


def _radius(weight: int) -> float:
    return 5 + 2.5 * math.sqrt(max(weight, 1))


def _ring_order(nodes: list[Node], edges: Sequence[Edge]) -> list[Node]:
    """``nodes`` (heaviest first) reordered so that people who wrote together sit side by
    side: start with the heaviest, then always take the remaining node most strongly linked
    to the last one placed (ties: the heavier, then the earlier). Deterministic."""
    links: dict[tuple[str, str], int] = {}
    for a, b, weight in edges:
        key = (a, b) if a <= b else (b, a)
        links[key] = links.get(key, 0) + weight
    remaining = list(nodes)
    ordered: list[Node] = []
    while remaining:
        if not ordered:
            ordered.append(remaining.pop(0))
            continue
        last = ordered[-1][0]
        best = max(range(len(remaining)), key=lambda i: (
            links.get((last, remaining[i][0]) if last <= remaining[i][0]
                      else (remaining[i][0], last), 0), remaining[i][2], -i))
        ordered.append(remaining.pop(best))
    return ordered


def network_svg(center: str, nodes: Sequence[Node], edges: Sequence[Edge],
                href: Callable[[str], str | None], *, max_nodes: int = MAX_NODES,
                title: str | None = None, ident: str = "coauthor-network") -> str:
    """An SVG drawing of ``center`` and its neighbours ``nodes`` joined by ``edges``.

    At most ``max_nodes`` nodes are drawn (the centre and the heaviest others); edges whose
    ends are not drawn are left out. ``href(id)`` gives the link of a node or None. ``ident``
    prefixes the ids of the title and description (unique within the page).
    """
    labels = {node_id: clean(label) for node_id, label, _ in nodes}
    center_label = labels.get(center) or clean(center)
    others = sorted(((node_id, labels[node_id], weight) for node_id, _, weight in nodes
                     if node_id != center),
                    key=lambda n: (-n[2], n[1].casefold(), n[0]))
    ranked = others[: max(max_nodes - 1, 0)]
    others = _ring_order(ranked, edges)

    cx, cy = WIDTH / 2, HEIGHT / 2
    pos: dict[str, tuple[float, float]] = {center: (cx, cy)}
    count = len(others)
    for i, (node_id, _, _) in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * i / max(count, 1)
        pos[node_id] = (cx + RX * math.cos(angle), cy + RY * math.sin(angle))

    heading = clean(title) if title else f"Co-authorship network of {center_label}"
    summary = (f"{center_label} in the middle, joined to {count} co-author"
               f"{'' if count == 1 else 's'}; lines between co-authors mean they also wrote "
               "together, thicker lines more shared works.")
    if count:
        summary += " Co-authors, most frequent first: " + ", ".join(
            label for _, label, _ in ranked) + "."
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="group" class="network" '
        f"aria-label={quoteattr(heading)} aria-describedby={quoteattr(ident + '-desc')}>",
        f"<title id={quoteattr(ident + '-title')}>{escape(heading)}</title>",
        f"<desc id={quoteattr(ident + '-desc')}>{escape(summary)}</desc>",
        '<g class="edges" stroke="#8c959f" stroke-linecap="round">',
    ]
    drawn: set[tuple[str, str]] = set()

    def line(a: str, b: str, width: float, colour: str, opacity: str) -> None:
        key = (a, b) if a <= b else (b, a)
        if a == b or key in drawn or a not in pos or b not in pos:
            return
        drawn.add(key)
        (x1, y1), (x2, y2) = pos[a], pos[b]
        out.append(f'<line x1="{fmt(x1)}" y1="{fmt(y1)}" x2="{fmt(x2)}" y2="{fmt(y2)}" '
                   f'stroke="{colour}" stroke-opacity="{opacity}" '
                   f'stroke-width="{fmt(width)}"/>')

    for node_id, _, weight in others:
        line(center, node_id, min(1 + weight, 6), "#0969da", "0.55")
    for a, b, weight in sorted(edges, key=lambda e: (min(e[0], e[1]), max(e[0], e[1]))):
        if center not in (a, b):
            line(a, b, min(0.5 + 0.75 * weight, 4), "#8c959f", "0.45")
    out.append("</g>")

    out.append('<g class="nodes" font-family="system-ui, sans-serif" font-size="14" '
               'fill="#1b1f23">')
    halo = 'stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
    weights = {node_id: weight for node_id, _, weight in others}
    for node_id in [center, *(n[0] for n in others)]:
        x, y = pos[node_id]
        is_center = node_id == center
        label = center_label if is_center else labels[node_id]
        r = 14.0 if is_center else _radius(weights[node_id])
        if is_center:
            tx, ty, anchor = x, y + r + 16, "middle"
        else:
            dx, dy = x - cx, y - cy
            norm = math.hypot(dx, dy) or 1.0
            tx, ty = x + dx / norm * (r + 6), y + dy / norm * (r + 6) + 4
            anchor = "start" if dx > 1 else "end" if dx < -1 else "middle"
            if anchor == "middle":
                ty += 10 if dy > 0 else -6
        shown = label if is_center else short(label, MAX_LABEL)
        fill = "#0969da" if is_center else "#ddf4ff"
        shape = (f'<circle cx="{fmt(x)}" cy="{fmt(y)}" r="{fmt(r)}" fill="{fill}" '
                 'stroke="#0550ae" stroke-width="1.5"/>')
        bold = ' font-weight="700"' if is_center else ""
        text = (f'<text x="{fmt(tx)}" y="{fmt(ty)}" text-anchor="{anchor}"{bold} {halo}>'
                f"{escape(shown)}</text>")
        weight_note = "" if is_center else f" ({weights[node_id]} shared)"
        tooltip = f"<title>{escape(label + weight_note)}</title>"
        link = None if is_center else safe_link(href(node_id))
        if link:
            out.append(f"<a href={quoteattr(link)}>{tooltip}{shape}{text}</a>")
        else:
            out.append(f"<g>{tooltip}{shape}{text}</g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)

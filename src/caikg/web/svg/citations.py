"""A deterministic server-side SVG map of the citations among works (``/citations``).

The layout is layered by year: one column per publication year, oldest on the left, so that
citations (which mostly point back in time) run right to left; a year with more than
:data:`MAX_ROWS` works is split into several columns, so that the map grows sideways (it sits in
a horizontally scrolling region) rather than into a very long page. Inside a column, works are
ordered next to what they cite (the mean row of their already placed neighbours: the
barycentre heuristic), which keeps most lines short. Every node is a link, its label is the
shortened title and its ``<title>`` tooltip the full title, year and counts; outside works are
squares, curated works circles (so the two differ without colour). No script is needed, the
same data always give the same picture, and all text is XML-escaped and stripped of characters
XML cannot carry. The map is ``role="group"`` (named and described), not ``role="img"``, whose
children would be hidden from assistive technology: each link is named by its ``<title>``
(the full title, not the shortened label; an ``aria-label`` would have to contain the visible
label, ellipsis and all, WCAG 2.5.3). The links stay out of the Tab order (up to
:data:`MAX_NODES` of them would bury the rest of the page); the page lists the same citations
as ordinary links right after the map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from caikg.rdf.xmltext import one_line
from caikg.web.svg.draw import fmt, safe_link, short

MAX_ROWS = 40
"""At most this many works in one column (a year with more gets several columns)."""
COLUMN_WIDTH = 215
ROW_HEIGHT = 20
MARGIN_LEFT = 24
MARGIN_RIGHT = 24
TOP = 78
BOTTOM = 20
MAX_LABEL = 30
MAX_NODES = 800
"""Beyond this, the least linked works are left out of the drawing."""


@dataclass(frozen=True)
class MapNode:
    id: str
    title: str
    year: int | None
    href: str | None
    outside: bool = False


Edge = tuple[str, str]
"""(citing id, cited id)."""


def _radius(cited_by: int) -> float:
    return min(4 + 1.6 * math.sqrt(cited_by), 11)


@dataclass(frozen=True)
class Layout:
    """Where each node goes: its column and row, and each column's heading."""

    columns: list[list[str]]
    headings: list[str]


def layout(nodes: Sequence[MapNode], edges: Sequence[Edge], max_rows: int = MAX_ROWS
           ) -> Layout:
    """Columns of node ids: one group per year (oldest first, undated last), split into columns
    of at most ``max_rows``; within a year, nodes sorted by the mean row of their neighbours in
    the columns already placed (then most cited, then title)."""
    by_id = {n.id: n for n in nodes}
    neighbours: dict[str, set[str]] = {n.id: set() for n in nodes}
    cited_by: dict[str, int] = {n.id: 0 for n in nodes}
    for a, b in edges:
        if a in by_id and b in by_id and a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
            cited_by[b] += 1
    years = sorted({n.year for n in nodes if n.year is not None})
    groups: list[tuple[str, list[MapNode]]] = [
        (str(y), [n for n in nodes if n.year == y]) for y in years]
    undated = [n for n in nodes if n.year is None]
    if undated:
        groups.append(("undated", undated))
    row_of: dict[str, float] = {}
    columns: list[list[str]] = []
    headings: list[str] = []
    for heading, group in groups:
        def key(n: MapNode) -> tuple[int, float, int, str, str]:
            placed = [row_of[m] for m in neighbours[n.id] if m in row_of]
            centre = sum(placed) / len(placed) if placed else 0.0
            return (0 if placed else 1, centre, -cited_by[n.id], n.title.casefold(), n.id)

        ordered = sorted(group, key=key)
        chunks = [ordered[i:i + max_rows] for i in range(0, len(ordered), max_rows)]
        for index, chunk in enumerate(chunks):
            columns.append([n.id for n in chunk])
            headings.append(heading if len(chunks) == 1
                            else f"{heading} ({index + 1}/{len(chunks)})")
            for row, n in enumerate(chunk):
                row_of[n.id] = float(row)
    return Layout(columns, headings)


def citation_map_svg(nodes: Sequence[MapNode], edges: Sequence[Edge], *,
                     title: str = "Citation map", max_rows: int = MAX_ROWS,
                     ident: str = "citation-map") -> str:
    """An SVG drawing of ``nodes`` joined by ``edges`` (an arrow from the citing work to the
    cited one); edges whose ends are not drawn are left out. ``ident`` prefixes the ids of the
    title and description (unique within the page)."""
    clean_nodes = [MapNode(n.id, one_line(n.title) or n.id, n.year, n.href, n.outside)
                   for n in nodes]
    unique = {n.id: n for n in clean_nodes}
    edge_set = sorted({(a, b) for a, b in edges if a in unique and b in unique and a != b})
    degree: dict[str, int] = {n: 0 for n in unique}
    cited_by: dict[str, int] = {n: 0 for n in unique}
    cites: dict[str, int] = {n: 0 for n in unique}
    for a, b in edge_set:
        degree[a] += 1
        degree[b] += 1
        cited_by[b] += 1
        cites[a] += 1
    drawn = list(unique.values())
    if len(drawn) > MAX_NODES:
        drawn = sorted(drawn, key=lambda n: (-degree[n.id], n.id))[:MAX_NODES]
        keep = {n.id for n in drawn}
        edge_set = [(a, b) for a, b in edge_set if a in keep and b in keep]
        drawn = [n for n in unique.values() if n.id in keep]
    plan = layout(drawn, edge_set, max_rows)
    rows = max((len(c) for c in plan.columns), default=0)
    width = MARGIN_LEFT + len(plan.columns) * COLUMN_WIDTH + MARGIN_RIGHT
    height = TOP + max(rows, 1) * ROW_HEIGHT + ROW_HEIGHT // 2 + BOTTOM
    pos: dict[str, tuple[float, float]] = {}
    column_of: dict[str, int] = {}
    for col, ids in enumerate(plan.columns):
        # every other column half a row lower: a line between two columns does not run
        # through the nodes of the column between them
        shift = ROW_HEIGHT / 2 if col % 2 else 0
        for row, node_id in enumerate(ids):
            pos[node_id] = (MARGIN_LEFT + 12 + col * COLUMN_WIDTH, TOP + row * ROW_HEIGHT + shift)
            column_of[node_id] = col

    heading = one_line(title) or "Citation map"
    curated = sum(1 for n in drawn if not n.outside)
    outside = len(drawn) - curated
    summary = (f"{curated} curated work{'' if curated == 1 else 's'}"
               + (f" and {outside} outside work{'' if outside == 1 else 's'}" if outside else "")
               + f" joined by {len(edge_set)} citation{'' if len(edge_set) == 1 else 's'}, "
               "one column per publication year (oldest on the left); an arrow points from the "
               "citing work to the cited one; circles are curated works, squares outside works.")
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="group" class="citation-map" '
        f"aria-label={quoteattr(heading)} aria-describedby={quoteattr(ident + '-desc')}>",
        f"<title id={quoteattr(ident + '-title')}>{escape(heading)}</title>",
        f"<desc id={quoteattr(ident + '-desc')}>{escape(summary)}</desc>",
        '<defs><marker id="cite-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L9,5 L0,9 z" '
        'fill="#57606a"/></marker></defs>',
    ]
    # legend and column headings
    out.append('<g class="legend" font-family="system-ui, sans-serif" font-size="12" '
               'fill="#57606a">')
    out.append(f'<circle cx="{MARGIN_LEFT + 6}" cy="16" r="5" fill="#ddf4ff" stroke="#0550ae"/>'
               f'<text x="{MARGIN_LEFT + 16}" y="20">curated work</text>')
    out.append(f'<rect x="{MARGIN_LEFT + 111}" y="11" width="10" height="10" fill="#fff8c5" '
               f'stroke="#9a6700"/><text x="{MARGIN_LEFT + 127}" y="20">outside work</text>')
    out.append(f'<line x1="{MARGIN_LEFT + 232}" y1="16" x2="{MARGIN_LEFT + 262}" y2="16" '
               'stroke="#57606a" marker-end="url(#cite-arrow)"/>'
               f'<text x="{MARGIN_LEFT + 268}" y="20">cites</text>')
    out.append("</g>")
    out.append('<g class="years" font-family="system-ui, sans-serif" font-size="13" '
               'font-weight="700" fill="#1b1f23">')
    for col, label in enumerate(plan.headings):
        out.append(f'<text x="{MARGIN_LEFT + col * COLUMN_WIDTH}" y="{TOP - 24}">'
                   f"{escape(label)}</text>")
    out.append("</g>")

    radius = {n.id: _radius(cited_by[n.id]) for n in drawn}
    out.append('<g class="edges" fill="none" stroke="#57606a" stroke-opacity="0.45" '
               'stroke-width="1">')
    for a, b in edge_set:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        r1, r2 = radius[a], radius[b]
        span = abs(column_of[a] - column_of[b])
        cy1, cy2 = y1, y2
        if span == 0:  # same column: an arc on the left, away from the labels
            bend = 18 + min(abs(y1 - y2) / 4, 60)
            sx, ex, c1, c2 = x1 - r1, x2 - r2 - 2, x1 - bend, x2 - bend
        elif x1 > x2:  # the usual case: a newer work cites an older one
            dx = max(abs(x1 - x2) / 2, 30)
            sx, ex, c1, c2 = x1 - r1, x2 + r2 + 2, x1 - dx, x2 + dx
        else:
            dx = max(abs(x1 - x2) / 2, 30)
            sx, ex, c1, c2 = x1 + r1, x2 - r2 - 2, x1 + dx, x2 - dx
        if span > 1:  # over the columns between: arch above both ends
            lift = max(min(y1, y2) - 10 - 8 * span, TOP - 16)
            cy1 = cy2 = lift
            c1, c2 = x1 + (x2 - x1) / 4, x1 + 3 * (x2 - x1) / 4
        out.append(f'<path d="M{fmt(sx)},{fmt(y1)} C{fmt(c1)},{fmt(cy1)} '
                   f'{fmt(c2)},{fmt(cy2)} {fmt(ex)},{fmt(y2)}" '
                   'marker-end="url(#cite-arrow)"/>')
    out.append("</g>")

    halo = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"'
    out.append('<g class="nodes" font-family="system-ui, sans-serif" font-size="11" '
               'fill="#1b1f23">')
    for node_id in [i for column in plan.columns for i in column]:
        node = unique[node_id]
        x, y = pos[node_id]
        r = radius[node_id]
        if node.outside:
            shape = (f'<rect x="{fmt(x - r)}" y="{fmt(y - r)}" width="{fmt(2 * r)}" '
                     f'height="{fmt(2 * r)}" fill="#fff8c5" stroke="#9a6700" '
                     'stroke-width="1.2"/>')
        else:
            shape = (f'<circle cx="{fmt(x)}" cy="{fmt(y)}" r="{fmt(r)}" fill="#ddf4ff" '
                     'stroke="#0550ae" stroke-width="1.2"/>')
        text = (f'<text x="{fmt(x + r + 4)}" y="{fmt(y + 4)}" {halo}>'
                f"{escape(short(node.title, MAX_LABEL))}</text>")
        what = "outside work" if node.outside else "curated work"
        note = (f"{node.title}" + (f" ({node.year})" if node.year is not None else "")
                + f"; {what}, cited by {cited_by[node_id]} and citing {cites[node_id]} in "
                "this map")
        tooltip = f"<title>{escape(note)}</title>"
        link = safe_link(node.href)
        if link:
            out.append(f'<a href={quoteattr(link)} tabindex="-1">{tooltip}{shape}{text}</a>')
        else:
            out.append(f"<g>{tooltip}{shape}{text}</g>")
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)

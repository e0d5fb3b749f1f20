"""Server-side SVG charts (the pages run no JavaScript: ``default-src 'self'``).

Charts are deterministic (the same input gives the same bytes), well-formed XML for any label
(text is escaped and characters XML 1.0 cannot carry are dropped) and accessible: the ``<svg>``
has ``role="img"`` with a ``<title>`` and a ``<desc>`` that lists every value, and each value is
also printed as text above its bar.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape

from caikg.rdf.xmltext import one_line

CHAR_WIDTH = 6.6
"""Approximate advance of one character at font-size 12, for truncating labels."""


def clean(text: object) -> str:
    """``text`` as one line of XML-safe characters (not yet escaped)."""
    return one_line(text)


def _xml(text: object) -> str:
    return escape(clean(text), {'"': "&quot;"})


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _fmt(number: float) -> str:
    if number == int(number):
        return str(int(number))
    return f"{number:.2f}".rstrip("0").rstrip(".")


def _nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most ``ticks`` intervals."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            step = factor * power
            break
    return max(step, 1.0) if maximum >= 1 else step


def _truncate(text: str, room: float) -> str:
    limit = max(int(room / CHAR_WIDTH), 2)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart_svg(title: str, bars: Sequence[tuple[object, object]], *,
                  x_label: str = "", y_label: str = "", width: int = 560,
                  height: int = 240, chart_id: str | None = None) -> str:
    """A vertical bar chart of ``bars`` (label, value) as an SVG element.

    The SVG scales with its container (``viewBox``, no fixed size). ``chart_id`` prefixes
    the ids of the title and description (derived from the content when not given).
    """
    rows = [(clean(label), _number(value)) for label, value in bars]
    title_text = clean(title)
    if chart_id is None:
        digest = hashlib.sha256(repr((title_text, rows)).encode("utf-8", "replace"))
        chart_id = "chart-" + digest.hexdigest()[:10]
    chart_id = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id) or "chart"
    if not chart_id[0].isalpha():
        chart_id = "c" + chart_id

    left, right, top = 48.0, 12.0, 28.0
    bottom = 40.0 + (18.0 if x_label else 0.0)
    plot_w = width - left - right
    plot_h = height - top - bottom
    maximum = max((v for _, v in rows), default=0.0)
    step = _nice_step(maximum)
    top_value = max(step, math.ceil(maximum / step) * step) if maximum > 0 else step
    scale = plot_h / top_value

    summary = "; ".join(f"{label}: {_fmt(v)}" for label, v in rows) if rows else "No data."
    desc = f"{y_label or 'Value'} by {x_label or 'category'}. {summary}" \
        if (x_label or y_label) else summary

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'class="chart" font-family="sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{_xml(title_text)}</title>',
        f'<desc id="{chart_id}-desc">{_xml(desc)}</desc>',
    ]
    # y axis: grid lines and tick labels
    base_y = top + plot_h
    ticks = int(round(top_value / step))
    for i in range(ticks + 1):
        tick = i * step
        y = base_y - tick * scale
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{width - right:.1f}" y2="{y:.1f}" '
                   f'stroke="#d0d7de" stroke-width="1"/>')
        out.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="#57606a">{_fmt(tick)}</text>')
    out.append(f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{base_y:.1f}" '
               f'stroke="#57606a" stroke-width="1"/>')
    if y_label:
        cy = top + plot_h / 2
        out.append(f'<text x="12" y="{cy:.1f}" text-anchor="middle" fill="#1b1f23" '
                   f'transform="rotate(-90 12 {cy:.1f})">{_xml(y_label)}</text>')
    if x_label:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6:.1f}" '
                   f'text-anchor="middle" fill="#1b1f23">{_xml(x_label)}</text>')
    if not rows:
        out.append(f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
                   f'text-anchor="middle" fill="#57606a">No data</text>')
    slot = plot_w / max(len(rows), 1)
    bar_w = min(slot * 0.7, 64.0)
    for i, (label, v) in enumerate(rows):
        x = left + i * slot + (slot - bar_w) / 2
        h = max(v, 0.0) * scale
        y = base_y - h
        cx = left + i * slot + slot / 2
        out.append("<g>")
        out.append(f"<title>{_xml(label)}: {_fmt(v)}</title>")
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                   f'fill="#0969da"/>')
        out.append(f'<text x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                   f'fill="#1b1f23">{_fmt(v)}</text>')
        out.append(f'<text x="{cx:.1f}" y="{base_y + 16:.1f}" text-anchor="middle" '
                   f'fill="#1b1f23">{_xml(_truncate(label, slot))}</text>')
        out.append("</g>")
    out.append(f'<line x1="{left:.1f}" y1="{base_y:.1f}" x2="{width - right:.1f}" '
               f'y2="{base_y:.1f}" stroke="#57606a" stroke-width="1"/>')
    out.append("</svg>")
    return "\n".join(out)

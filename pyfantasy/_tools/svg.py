"""Inline SVG charts for ``pyfantasy report --html``: plotted from the numbers, no JS, no network.

Sans-IO: every function takes plain values and returns an ``<svg>`` string
to embed in a page. Bars are scaled against a "nice" axis (1, 2, 2.5 or 5
times a power of ten) with gridlines and tick labels, so a bar's length is
its value read on the axis. Rectangles use ``shape-rendering="crispEdges"``
so each mark is drawn in exactly its palette colour (a screenshot test
counts those pixels). Every mark carries a ``<title>`` tooltip with the
exact value; labels too long for the label column are shortened with an
ellipsis (the tooltip keeps the full text).
"""
from __future__ import annotations

import math
from html import escape
from typing import Callable, List, Optional, Sequence, Tuple

# Palette (Tableau 10): one colour per kind of mark, so a page can be checked by colour.
INPUT = "#4e79a7"      # input tokens
OUTPUT = "#f28e2b"     # output tokens
COST = "#59a14f"       # cost
REASONING = "#76b7b2"  # reasoning tokens
CACHE_READ = "#edc948"  # cache-read tokens
CACHE_WRITE = "#9c755f"  # cache-creation tokens
DURATION = "#b07aa1"   # duration histogram bars
ERROR = "#e15759"      # error rate
MARKER = "#222222"     # percentile markers
GRID = "#dddddd"
TEXT = "#333333"

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
CHAR_W = 6.6           # approximate width of a 11px character, for label layout
BAR_H = 16
BAR_GAP = 8


def nice_ticks(vmax: float, target: int = 5) -> List[float]:
    """Tick values from 0 to a "nice" maximum >= ``vmax`` (at least one step)."""
    if not (vmax > 0) or math.isinf(vmax):
        return [0.0, 1.0]
    raw = vmax / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        step = m * mag
        if step * target >= vmax * (1 - 1e-12):
            break
    n = max(1, math.ceil(vmax / step - 1e-9))
    return [round(i * step, 12) for i in range(n + 1)]


def fmt_number(v: float) -> str:
    """Compact axis label: 1.5k, 2M, 0.25, 12."""
    a = abs(v)
    if a >= 1e9:
        s, unit = v / 1e9, "G"
    elif a >= 1e6:
        s, unit = v / 1e6, "M"
    elif a >= 1e3:
        s, unit = v / 1e3, "k"
    else:
        s, unit = v, ""
    if s == int(s):
        return f"{int(s)}{unit}"
    if not unit and a < 1:
        return _decimal(v, 2)
    return f"{s:.3g}{unit}"


def _decimal(v: float, digits: int) -> str:
    """``v`` with ``digits`` significant digits in plain decimal notation (never ``5e-06``)."""
    if v == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    return f"{v:.{places}f}".rstrip("0").rstrip(".") if places else f"{v:.0f}"


def fmt_usd(v: float) -> str:
    """US dollars, readable at any size: $0, $0.000005, $0.0025, $0.25, $12.50, $1,250."""
    if v == 0:
        return "$0"
    if abs(v) >= 1:
        return f"${v:,.0f}" if v == int(v) else f"${v:,.2f}"
    return "$" + _decimal(v, 3)


def _clip(label: str, width_px: float) -> str:
    n = max(3, int(width_px / CHAR_W))
    return label if len(label) <= n else label[:n - 1] + "…"


def _svg_open(width: float, height: float, title: str) -> str:
    return (f'<svg width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
            f'style="{FONT};font-size:11px">')


def _x_axis(out: List[str], ticks: Sequence[float], x0: float, plot_w: float, top: float, bottom: float,
            fmt: Callable[[float], str]) -> None:
    tmax = ticks[-1]
    for t in ticks:
        x = x0 + plot_w * (t / tmax)
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{GRID}" '
                   'stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 13:.1f}" text-anchor="middle" fill="{TEXT}">'
                   f'{escape(fmt(t))}</text>')


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Tuple[str, str, Sequence[float]]], *,
              width: int = 560, fmt: Callable[[float], str] = fmt_number,
              value_fmt: Optional[Callable[[float], str]] = None, vmax: Optional[float] = None,
              css_class: str = "chart", stacked: bool = True,
              links: Optional[Sequence[Optional[str]]] = None, axis_label: str = "") -> str:
    """Horizontal bars, one row per label; several series are stacked left to right
    (``stacked``), or drawn as thinner bars one under the other (``stacked=False``,
    for figures that overlap, such as input and cache-read tokens).

    Args:
        labels: one per row (the full text is the row's tooltip when it is clipped).
        series: ``(name, colour, values)``; values align with ``labels`` (None or
            negative counts as 0).
        vmax: the axis maximum to cover (default: the largest stacked total).
        links: per row, a fragment (``#id``) the row's label links to, or None.
        axis_label: a caption under the axis (e.g. the unit).
    """
    value_fmt = value_fmt or fmt
    label_w = min(220.0, max(60.0, CHAR_W * max((len(label) for label in labels), default=4) + 8))
    x0 = label_w + 8
    plot_w = width - x0 - 24
    legend_h = 18 if len(series) > 1 else 0
    top = 24 + legend_h
    n = len(labels)
    sub_h = BAR_H if stacked else BAR_H // 2
    row_h = BAR_H if stacked else sub_h * len(series)
    bottom = top + n * (row_h + BAR_GAP) + BAR_GAP
    height = bottom + 22 + (14 if axis_label else 0)
    totals = [sum(max(0.0, float(s[2][i] or 0)) for s in series) if stacked
              else max([max(0.0, float(s[2][i] or 0)) for s in series] or [0.0]) for i in range(n)]
    ticks = nice_ticks(max(totals + [vmax or 0.0]))
    tmax = ticks[-1]
    out = [_svg_open(width, height, title), f'<text x="0" y="14" font-size="13" font-weight="600" '
                                            f'fill="{TEXT}">{escape(title)}</text>']
    if legend_h:
        lx = x0
        for name, colour, _ in series:
            out.append(f'<rect x="{lx:.1f}" y="22" width="10" height="10" fill="{colour}"/>')
            out.append(f'<text x="{lx + 14:.1f}" y="31" fill="{TEXT}">{escape(name)}</text>')
            lx += 24 + CHAR_W * len(name)
    _x_axis(out, ticks, x0, plot_w, top, bottom, fmt)
    if axis_label:
        out.append(f'<text x="{x0 + plot_w / 2:.1f}" y="{bottom + 28:.1f}" text-anchor="middle" '
                   f'fill="{TEXT}">{escape(axis_label)}</text>')
    for i, label in enumerate(labels):
        y = top + BAR_GAP + i * (row_h + BAR_GAP)
        # the whole row shows the full label on hover, wherever the pointer is
        out.append(f'<rect class="row" x="0" y="{y - BAR_GAP / 2:.1f}" width="{width}" '
                   f'height="{row_h + BAR_GAP}" fill="transparent"><title>{escape(label)}</title></rect>')
        text = (f'<text x="{label_w:.1f}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                f'<title>{escape(label)}</title>{escape(_clip(label, label_w))}</text>')
        href = links[i] if links is not None else None
        if href:
            underlined = text.replace("<text ", '<text text-decoration="underline" ', 1)
            text = (f'<a class="to-errors" href="{escape(href)}"><title>{escape(label)}: see its errors'
                    f'</title>{underlined}</a>')
        out.append(text)
        x = x0
        for k, (name, colour, values) in enumerate(series):
            v = max(0.0, float(values[i] or 0))
            w = plot_w * v / tmax
            yy = y if stacked else y + k * sub_h
            if w > 0:
                out.append(f'<rect class="bar" x="{x:.2f}" y="{yy:.1f}" width="{w:.2f}" height="{sub_h}" '
                           f'fill="{colour}" shape-rendering="crispEdges" data-value="{v!r}">'
                           f'<title>{escape(label)}: {escape(name)} {escape(value_fmt(v))}</title></rect>')
            if stacked:
                x += w
    out.append(f'<line x1="{x0:.1f}" y1="{top:.1f}" x2="{x0:.1f}" y2="{bottom:.1f}" stroke="{TEXT}"/>')
    out.append("</svg>")
    return f'<figure class="{css_class}">' + "".join(out) + "</figure>"


def histogram_edges(values: Sequence[float], bins: int = 24) -> Tuple[List[float], bool]:
    """Shared bin edges for all providers: log-spaced when the data spans more than
    two decades (durations are heavy-tailed), else linear from 0. Returns (edges, log)."""
    pos = [v for v in values if v > 0]
    if not pos:
        return [0.0, 1.0], False
    lo, hi = min(pos), max(pos)
    if hi / lo > 100:
        a, b = math.log10(lo), math.log10(hi)
        b = b + 1e-9 * max(1.0, abs(b))
        return [10 ** (a + (b - a) * i / bins) for i in range(bins + 1)], True
    ticks = nice_ticks(hi)
    return [ticks[-1] * i / bins for i in range(bins + 1)], False


def histogram_counts(values: Sequence[float], edges: Sequence[float]) -> List[int]:
    """Counts per bin; the last bin includes its right edge, values outside are clamped."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        lo, hi = 0, len(edges) - 1
        if v <= edges[0]:
            counts[0] += 1
            continue
        if v >= edges[-1]:
            counts[-1] += 1
            continue
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if v >= edges[mid]:
                lo = mid
            else:
                hi = mid
        counts[lo] += 1
    return counts


def histograms(title: str, groups: Sequence[Tuple[str, Sequence[float], Sequence[Tuple[str, Optional[float]]]]], *,
               width: int = 560, unit: str = "s") -> str:
    """One histogram row per group on a shared x axis (linear or log), with marker lines.

    Args:
        groups: ``(label, values, markers)`` where markers are ``(name, value)``
            (e.g. ``("p50", 1.2)``), drawn as dark ticks across the row.
    """
    allv = [v for _, vs, _ in groups for v in vs]
    edges, log = histogram_edges(allv)
    label_w = min(160.0, max(60.0, CHAR_W * max((len(g[0]) for g in groups), default=4) + 8))
    x0 = label_w + 8
    plot_w = width - x0 - 24
    row_h = 46
    top = 40
    bottom = top + row_h * len(groups)
    height = bottom + 30
    lo, hi = edges[0], edges[-1]

    def xpos(v: float) -> float:
        if log:
            v = min(max(v, lo), hi)
            return x0 + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return x0 + plot_w * min(max(v, 0.0), hi) / hi

    out = [_svg_open(width, height, title),
           f'<text x="0" y="14" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
           f'<text x="{x0:.1f}" y="30" fill="{TEXT}">{"log scale, " if log else ""}'
           f'seconds; dark ticks: p50, p90, p99</text>']
    # axis ticks
    if log:
        ticks = [10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                 if lo * (1 - 1e-9) <= 10.0 ** k <= hi * (1 + 1e-9)]
        ticks = ticks or [lo, hi]
    else:
        ticks = nice_ticks(hi)
    for t in ticks:
        x = xpos(t)
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 13:.1f}" text-anchor="middle" fill="{TEXT}">'
                   f'{escape(fmt_number(t))}{unit}</text>')
    for gi, (label, values, markers) in enumerate(groups):
        base = top + row_h * (gi + 1) - 4
        counts = histogram_counts(values, edges)
        cmax = max(counts) or 1
        out.append(f'<text x="{label_w:.1f}" y="{base - 14:.1f}" text-anchor="end" fill="{TEXT}">'
                   f'<title>{escape(label)} ({len(values)} durations)</title>'
                   f'{escape(_clip(label, label_w))}</text>')
        out.append(f'<line x1="{x0:.1f}" y1="{base:.1f}" x2="{x0 + plot_w:.1f}" y2="{base:.1f}" stroke="{TEXT}"/>')
        for b, cnt in enumerate(counts):
            if not cnt:
                continue
            xa, xb = xpos(edges[b]), xpos(edges[b + 1])
            h = (row_h - 10) * cnt / cmax
            out.append(f'<rect class="bin" x="{xa + 0.5:.2f}" y="{base - h:.2f}" width="{max(1.0, xb - xa - 1):.2f}" '
                       f'height="{h:.2f}" fill="{DURATION}" shape-rendering="crispEdges" data-count="{cnt}">'
                       f'<title>{escape(label)}: {cnt} in {edges[b]:.3g}–{edges[b + 1]:.3g} {unit}</title></rect>')
        for name, v in markers:
            if v is None:
                continue
            x = xpos(v)
            out.append(f'<line class="marker" x1="{x:.1f}" y1="{base - row_h + 8:.1f}" x2="{x:.1f}" '
                       f'y2="{base + 3:.1f}" stroke="{MARKER}" stroke-width="1.5">'
                       f'<title>{escape(label)} {escape(name)}: {v:.3g} {unit}</title></line>')
    out.append("</svg>")
    return '<figure class="chart">' + "".join(out) + "</figure>"

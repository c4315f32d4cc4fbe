"""The HTML page's charts (tokens, cost, durations, error rate) drawn from a summary with
``pyfantasy._tools.svg``; model rows with errors link to the page's errors section."""
from __future__ import annotations

from html import escape
from typing import Dict, List, Optional, Tuple

from pyfantasy._tools import svg as _svg
from pyfantasy._tools.report.summary import NONE_LABEL, Summary


def _no_data(title: str, why: str) -> str:
    return (f'<figure class="chart"><svg width="560" height="40" '
            f'style="{_svg.FONT};font-size:11px"><text x="0" y="14" font-size="13" font-weight="600" '
            f'fill="{_svg.TEXT}">{escape(title)}</text><text x="0" y="32" fill="#777">{escape(why)}</text>'
            f'</svg></figure>')


def error_anchor(index: int) -> str:
    return f"errors-{index}"


def charts(summary: Summary) -> List[str]:
    """The page's SVG charts (tokens, cost, durations, error rate), as strings. Each model row
    with errors links to that model's first row in the errors section."""
    models = summary.models
    labels = [g.label for g in models]
    first_error = _first_error_rows(summary)
    links = [f"#{error_anchor(first_error[(g.provider, g.model)])}" if (g.provider, g.model) in first_error
             else None for g in models]
    out = []
    token_series = [("input", _svg.INPUT, "input_tokens"), ("output", _svg.OUTPUT, "output_tokens"),
                    ("reasoning", _svg.REASONING, "reasoning_tokens"),
                    ("cache read", _svg.CACHE_READ, "cache_read_tokens"),
                    ("cache write", _svg.CACHE_WRITE, "cache_creation_tokens")]
    present = [(name, colour, [g.tokens.get(col) or 0 for g in models]) for name, colour, col in token_series
               if any(g.tokens.get(col) for g in models)]
    if present:
        # not stacked: input tokens include the cached ones for some providers, and output the reasoning
        out.append(_svg.bar_chart("Tokens per model", labels, present, stacked=False, links=links,
                                  value_fmt=lambda v: f"{int(v):,} tokens"))
    else:
        out.append(_no_data("Tokens per model", "no token counts in these results"))
    if any(g.cost for g in models):
        out.append(_svg.bar_chart("Cost per model (USD)", labels, [("cost", _svg.COST, [g.cost or 0 for g in models])],
                                  fmt=_svg.fmt_usd, value_fmt=_svg.fmt_usd, links=links,
                                  axis_label="US dollars, as the provider reported them"))
    else:
        out.append(_no_data("Cost per model (USD)", "no cost in these results"))
    provs = [p for p in summary.providers if p.durations]
    if provs:
        out.append(_svg.histograms("Duration per provider", [
            (p.provider or NONE_LABEL, p.durations, [("p50", p.p50), ("p90", p.p90), ("p99", p.p99)])
            for p in provs]))
    else:
        out.append(_no_data("Duration per provider", "no durations in these results"))
    if summary.total.errors:
        out.append(_svg.bar_chart("Error rate per model", labels,
                                  [("errors", _svg.ERROR, [100 * g.error_rate for g in models])],
                                  fmt=lambda v: f"{_svg.fmt_number(v)}%", value_fmt=lambda v: f"{v:.1f}%",
                                  vmax=max([100 * g.error_rate for g in models] + [1.0]), links=links))
    else:
        out.append(_no_data("Error rate per model", "no errors in these results"))
    return out


def _first_error_rows(summary: Summary) -> Dict[Tuple[Optional[str], Optional[str]], int]:
    """(provider, model) -> index in ``summary.errors`` of its first error."""
    first: Dict[Tuple[Optional[str], Optional[str]], int] = {}
    for i, e in enumerate(summary.errors):
        first.setdefault((e["provider"], e["model"]), i)
    return first

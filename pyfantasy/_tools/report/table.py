"""The summary as table cells, shared by the text table and the HTML page: headers, number
formats, ``--sort``/``--top`` ranking, and which columns fit a terminal's width."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from pyfantasy._errors import ReportError
from pyfantasy._tools.report.options import SORT_KEYS
from pyfantasy._tools.report.summary import NONE_LABEL, Group, Summary


def _fmt_int(v: Optional[float]) -> str:
    return "-" if v is None else f"{int(v):,}"


def fmt_secs(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _fmt_cost(v: Optional[float]) -> str:
    if v is None:
        return "-"
    return f"{v:.4f}" if v < 100 else f"{v:,.2f}"


def _fmt_rate(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.1f}"


def _fmt_finish(fr: Dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in fr.items()) or "-"


HEADERS = ("provider", "model", "n", "errors", "err %", "input tok", "output tok", "total tok",
           "reasoning", "cache read", "cache write", "cost", "p50 s", "p90 s", "p99 s", "out tok/s",
           "finish reasons")
LEFT = {0, 1, 16}
CELL_CLASS = {0: "txt", 1: "txt", 16: "fr"}


def _cells(g: Group, provider: str, model: str) -> List[str]:
    t = g.tokens
    return [provider, model, f"{g.count:,}", f"{g.errors:,}", f"{100 * g.error_rate:.1f}",
            _fmt_int(t.get("input_tokens")), _fmt_int(t.get("output_tokens")), _fmt_int(t.get("total_tokens")),
            _fmt_int(t.get("reasoning_tokens")), _fmt_int(t.get("cache_read_tokens")),
            _fmt_int(t.get("cache_creation_tokens")), _fmt_cost(g.cost), fmt_secs(g.p50), fmt_secs(g.p90),
            fmt_secs(g.p99), _fmt_rate(g.output_tps), _fmt_finish(g.finish_reasons)]


# Columns kept first when the terminal is narrow (indexes in HEADERS); the rest are dropped
# right to left from this list, and shown again by --wide.
_PRIORITY = (0, 1, 2, 4, 5, 6, 11, 12, 15, 3, 7, 8, 9, 13, 14, 10, 16)


def _sort_value(g: Group, col: int) -> Any:
    t = g.tokens
    return [g.provider or "", g.model or "", g.count, g.errors, g.error_rate, t.get("input_tokens"),
            t.get("output_tokens"), t.get("total_tokens"), t.get("reasoning_tokens"),
            t.get("cache_read_tokens"), t.get("cache_creation_tokens"), g.cost, g.p50, g.p90, g.p99,
            g.output_tps][col]


def ordered_models(summary: Summary, sort: Optional[str] = None, top: Optional[int] = None) -> List[Group]:
    """The model groups sorted by ``sort`` (a SORT_KEYS name; numbers largest first, missing
    last), then the first ``top``."""
    models = list(summary.models)
    if sort is not None:
        if sort not in SORT_KEYS:
            raise ReportError(f"--sort {sort!r}: expected one of {', '.join(SORT_KEYS)}")
        col, desc = SORT_KEYS[sort]
        present = [g for g in models if _sort_value(g, col) is not None]
        missing = [g for g in models if _sort_value(g, col) is None]
        key = (lambda g: _sort_value(g, col).lower()) if col < 2 else (lambda g: _sort_value(g, col))
        models = sorted(present, key=key, reverse=desc) + missing
    if top is not None:
        models = models[:max(0, top)]
    return models


def table_rows(summary: Summary, sort: Optional[str] = None, top: Optional[int] = None) -> List[List[str]]:
    """Header, then one row per model, a provider subtotal where a provider has
    several models, and the overall total. With ``sort`` (other than by provider) or
    ``top``, the models are one ranked list without subtotals."""
    rows = [list(HEADERS)]
    if (sort is not None and sort != "provider") or top is not None:
        for g in ordered_models(summary, sort, top):
            rows.append(_cells(g, g.provider or NONE_LABEL, g.model or NONE_LABEL))
        rows.append(_cells(summary.total, "TOTAL", ""))
        return rows
    for prov in summary.providers:
        ms = [g for g in summary.models if g.provider == prov.provider]
        for i, g in enumerate(ms):
            rows.append(_cells(g, (g.provider or NONE_LABEL) if i == 0 else "", g.model or NONE_LABEL))
        if len(ms) > 1:
            rows.append(_cells(prov, "", "(all models)"))
    rows.append(_cells(summary.total, "TOTAL", ""))
    return rows


def fit_columns(widths: Sequence[int], width: Optional[int]) -> List[int]:
    """Indexes of the columns to show, in table order: every one when ``width`` is None,
    else as many as fit in ``width`` characters, most useful first (``_PRIORITY``)."""
    if width is None:
        return list(range(len(widths)))
    shown: List[int] = []
    used = 0
    for i in _PRIORITY:
        need = widths[i] + (2 if shown else 0)
        if shown and len(shown) >= 3 and used + need > width:
            continue
        shown.append(i)
        used += need
    return sorted(shown)

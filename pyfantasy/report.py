"""Summaries of ``pyfantasy scan`` results: an aligned text table and a self-contained HTML page.

Input: the rows ``pyfantasy scan`` writes, one per interaction, with the
columns of ``COLUMNS``, from SQLite (table ``interactions``), JSONL, CSV or
Parquet (needs pyarrow). The format is told from the file's magic bytes
(SQLite, Parquet) and then its suffix. Values are normalised whatever the
container: numbers from CSV text become numbers, empty cells None, the
``stream`` flag a bool. Columns other than ``provider`` and ``model`` may be
missing (their figures then show as "-"); a ``cost`` column (the older name)
is read as ``cost_usd``.

Summary, per provider and model (then per provider, then overall):
interactions, errors and error rate (a row is an error when ``error_kind``
is set), token sums (None cells are skipped, not zero), cost sum, duration
percentiles p50/p90/p99 (linear interpolation between order statistics,
like numpy's default), the median of the per-interaction output tokens/s,
and the count of each finish reason.

``render_html`` writes one page with inline CSS and inline SVG charts
(``_svg``): tokens and cost per model, the duration distribution per
provider, error rate per model. No script, no external resource.

Errors: ``ReportError`` (a PyfantasyError) for a missing, unreadable or
unknown results file, with the reason in the message.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
from dataclasses import dataclass, field
from html import escape
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import _svg
from ._errors import PyfantasyError
from .scan import NAMES

__all__ = ["COLUMNS", "ReportError", "Group", "Summary", "load_results", "results_kind", "summarise",
           "percentile", "format_table", "render_html"]

COLUMNS = NAMES  # exactly what ``pyfantasy scan`` writes, so the two cannot drift apart
# Older names still read: results written before ``cost`` became ``cost_usd``.
ALIASES = {"cost_usd": "cost"}
REQUIRED = ("provider", "model")
INT_COLUMNS = ("interaction", "input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
               "cache_creation_tokens", "cache_read_tokens", "text_length", "tool_calls")
FLOAT_COLUMNS = ("cost_usd", "duration_s", "output_tokens_per_s")
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
                 "cache_creation_tokens", "cache_read_tokens")
KINDS = ("sqlite", "jsonl", "csv", "parquet")
_SUFFIXES = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
NONE_LABEL = "(none)"


class ReportError(PyfantasyError):
    """A results file could not be read (missing, unknown format, not scan output)."""


# ---- reading ------------------------------------------------------------------

def results_kind(path: str) -> str:
    """``sqlite``, ``jsonl``, ``csv`` or ``parquet``: magic bytes first, then the suffix.

    Raises ReportError when the file is missing, is a folder, or is none of these.
    """
    if not os.path.exists(path):
        raise ReportError(f"{path}: no such results file (write one with `pyfantasy scan PATH --out FILE`)")
    if os.path.isdir(path):
        raise ReportError(f"{path}: is a folder, not a results file")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if head.startswith(b"SQLite format 3\0"):
        return "sqlite"
    if head.startswith(b"PAR1"):
        return "parquet"
    kind = _SUFFIXES.get(os.path.splitext(path)[1].lower())
    if kind in ("sqlite", "parquet"):
        what = "an SQLite database" if kind == "sqlite" else "a Parquet file"
        raise ReportError(f"{path}: not {what} (its first bytes are {head[:8]!r})")
    if kind is None:
        raise ReportError(f"{path}: unknown results format; expected a .db/.sqlite (SQLite), .jsonl, "
                          ".csv or .parquet file as written by `pyfantasy scan`")
    return kind


def load_results(path: str, kind: Optional[str] = None) -> List[Dict[str, Any]]:
    """The rows of a results file, normalised (every column of COLUMNS present)."""
    path = os.fspath(path)
    kind = kind or results_kind(path)
    if kind not in KINDS:
        raise ReportError(f"unknown results format {kind!r}; expected one of {', '.join(KINDS)}")
    reader = {"sqlite": _read_sqlite, "jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}[kind]
    raw = reader(path)
    return [_normalise(r, path, i) for i, r in enumerate(raw)]


def _check_columns(path: str, columns: Iterable[str]) -> None:
    missing = [c for c in REQUIRED if c not in set(columns)]
    if missing:
        raise ReportError(f"{path}: not a pyfantasy scan result: missing column(s) {', '.join(missing)}")


def _read_sqlite(path: str) -> List[Dict[str, Any]]:
    from pathlib import Path
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise ReportError(f"{path}: cannot open the SQLite database: {exc}") from None
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")]
        if "interactions" not in tables:
            raise ReportError(f"{path}: no table 'interactions' (tables: {', '.join(tables) or 'none'})")
        cur = con.execute("SELECT * FROM interactions")
        names = [d[0] for d in cur.description]
        _check_columns(path, names)
        return [dict(zip(names, row)) for row in cur]
    except sqlite3.Error as exc:
        raise ReportError(f"{path}: cannot read the SQLite database: {exc}") from None
    finally:
        con.close()


def _read_jsonl(path: str) -> List[Dict[str, Any]]:
    rows = []
    seen: set = set()
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ReportError(f"{path}:{n}: not a JSON line ({exc})") from None
            if not isinstance(obj, dict):
                raise ReportError(f"{path}:{n}: expected a JSON object per line, got {type(obj).__name__}")
            seen.update(obj)
            rows.append(obj)
    if rows:
        _check_columns(path, seen)
    return rows


def _read_csv(path: str) -> List[Dict[str, Any]]:
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ReportError(f"{path}: malformed CSV: {exc}") from None
    if reader.fieldnames is None:
        return []
    _check_columns(path, reader.fieldnames)
    return rows


def _read_parquet(path: str) -> List[Dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ReportError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow); "
                          "or write SQLite, JSONL or CSV with `pyfantasy scan --out`") from None
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own ArrowInvalid/OSError family
        raise ReportError(f"{path}: cannot read the Parquet file: {exc}") from None
    _check_columns(path, table.column_names)
    return table.to_pylist()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _to_int(v: Any, col: str, where: str) -> Optional[int]:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ReportError(f"{where}: column {col}: not a number: {v!r}") from None
    if not math.isfinite(f):
        return None
    return int(f)


def _to_float(v: Any, col: str, where: str) -> Optional[float]:
    if _blank(v):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ReportError(f"{where}: column {col}: not a number: {v!r}") from None
    return f if math.isfinite(f) else None


def _to_bool(v: Any) -> Optional[bool]:
    if _blank(v):
        return None
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "t", "yes", "y")
    return bool(v)


def _to_str(v: Any) -> Optional[str]:
    if _blank(v):
        return None
    return v if isinstance(v, str) else str(v)


def _value(row: Dict[str, Any], col: str) -> Any:
    """The cell of ``col``, or of its older name (``ALIASES``) in files written before the rename."""
    if col in row or col not in ALIASES:
        return row.get(col)
    return row.get(ALIASES[col])


def _normalise(row: Dict[str, Any], path: str, index: int) -> Dict[str, Any]:
    where = f"{path}: row {index + 1}"
    out: Dict[str, Any] = {}
    for col in COLUMNS:
        v = _value(row, col)
        if col in INT_COLUMNS:
            out[col] = _to_int(v, col, where)
        elif col in FLOAT_COLUMNS:
            out[col] = _to_float(v, col, where)
        elif col == "stream":
            out[col] = _to_bool(v)
        else:
            out[col] = _to_str(v)
    return out


# ---- summarising ----------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile (0..100) by linear interpolation (numpy's default); None if empty."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _sum(values: Iterable[Optional[float]]) -> Optional[float]:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


@dataclass
class Group:
    """Figures for one provider/model (``model`` is None for a provider or overall total)."""

    provider: Optional[str]
    model: Optional[str]
    count: int = 0
    errors: int = 0
    streams: int = 0
    tokens: Dict[str, Optional[int]] = field(default_factory=dict)
    cost: Optional[float] = None
    durations: List[float] = field(default_factory=list)
    p50: Optional[float] = None
    p90: Optional[float] = None
    p99: Optional[float] = None
    output_tps: Optional[float] = None
    finish_reasons: Dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0

    @property
    def label(self) -> str:
        return f"{self.provider or NONE_LABEL} / {self.model or NONE_LABEL}"

    def to_dict(self) -> Dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "count": self.count, "errors": self.errors,
                "error_rate": self.error_rate, "streams": self.streams, **self.tokens, "cost": self.cost,
                "duration_p50": self.p50, "duration_p90": self.p90, "duration_p99": self.p99,
                "output_tokens_per_s": self.output_tps, "finish_reasons": dict(self.finish_reasons)}


def _group(provider: Optional[str], model: Optional[str], rows: List[Dict[str, Any]]) -> Group:
    g = Group(provider, model, count=len(rows))
    g.errors = sum(1 for r in rows if r["error_kind"])
    g.streams = sum(1 for r in rows if r["stream"])
    g.tokens = {c: _sum(r[c] for r in rows) for c in TOKEN_COLUMNS}
    g.cost = _sum(r["cost_usd"] for r in rows)
    g.durations = [r["duration_s"] for r in rows if r["duration_s"] is not None]
    g.p50, g.p90, g.p99 = (percentile(g.durations, q) for q in (50, 90, 99))
    g.output_tps = percentile([r["output_tokens_per_s"] for r in rows if r["output_tokens_per_s"] is not None], 50)
    fr: Dict[str, int] = {}
    for r in rows:
        if r["finish_reason"]:
            fr[r["finish_reason"]] = fr.get(r["finish_reason"], 0) + 1
    g.finish_reasons = dict(sorted(fr.items(), key=lambda kv: (-kv[1], kv[0])))
    return g


@dataclass
class Summary:
    """``models``: one Group per provider/model; ``providers``: one per provider
    (model None); ``total``: everything. Sorted by provider, then model."""

    source: str
    rows: int
    models: List[Group]
    providers: List[Group]
    total: Group

    def to_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "models": [g.to_dict() for g in self.models],
                "providers": [g.to_dict() for g in self.providers], "total": self.total.to_dict()}


def _key(v: Optional[str]) -> Tuple[int, str]:
    return (1, "") if v is None else (0, v.lower())


def summarise(rows: List[Dict[str, Any]], source: str = "") -> Summary:
    """Group normalised rows (from ``load_results``) by provider and model."""
    by_model: Dict[Tuple[Optional[str], Optional[str]], List[Dict[str, Any]]] = {}
    by_provider: Dict[Optional[str], List[Dict[str, Any]]] = {}
    for r in rows:
        by_model.setdefault((r["provider"], r["model"]), []).append(r)
        by_provider.setdefault(r["provider"], []).append(r)
    models = [_group(p, m, rs) for (p, m), rs in sorted(by_model.items(), key=lambda kv: (_key(kv[0][0]), _key(kv[0][1])))]
    providers = [_group(p, None, rs) for p, rs in sorted(by_provider.items(), key=lambda kv: _key(kv[0]))]
    return Summary(source, len(rows), models, providers, _group(None, None, list(rows)))


# ---- text ----------------------------------------------------------------------

def _fmt_int(v: Optional[float]) -> str:
    return "-" if v is None else f"{int(v):,}"


def _fmt_secs(v: Optional[float]) -> str:
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
_LEFT = {0, 1, 16}
_CELL_CLASS = {0: "txt", 1: "txt", 16: "fr"}


def _cells(g: Group, provider: str, model: str) -> List[str]:
    t = g.tokens
    return [provider, model, f"{g.count:,}", f"{g.errors:,}", f"{100 * g.error_rate:.1f}",
            _fmt_int(t.get("input_tokens")), _fmt_int(t.get("output_tokens")), _fmt_int(t.get("total_tokens")),
            _fmt_int(t.get("reasoning_tokens")), _fmt_int(t.get("cache_read_tokens")),
            _fmt_int(t.get("cache_creation_tokens")), _fmt_cost(g.cost), _fmt_secs(g.p50), _fmt_secs(g.p90),
            _fmt_secs(g.p99), _fmt_rate(g.output_tps), _fmt_finish(g.finish_reasons)]


def table_rows(summary: Summary) -> List[List[str]]:
    """Header, then one row per model, a provider subtotal where a provider has
    several models, and the overall total."""
    rows = [list(HEADERS)]
    for prov in summary.providers:
        ms = [g for g in summary.models if g.provider == prov.provider]
        for i, g in enumerate(ms):
            rows.append(_cells(g, (g.provider or NONE_LABEL) if i == 0 else "", g.model or NONE_LABEL))
        if len(ms) > 1:
            rows.append(_cells(prov, "", "(all models)"))
    rows.append(_cells(summary.total, "TOTAL", ""))
    return rows


def format_table(summary: Summary) -> str:
    """The summary as an aligned text table (text left-aligned, numbers right-aligned)."""
    rows = table_rows(summary)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]

    def line(r: List[str]) -> str:
        cells = [c.ljust(widths[i]) if i in _LEFT else c.rjust(widths[i]) for i, c in enumerate(r)]
        return "  ".join(cells).rstrip()

    out = [f"pyfantasy report: {summary.source} — {summary.rows:,} interactions, "
           f"{len(summary.providers)} providers, {len(summary.models)} models", ""]
    out.append(line(rows[0]))
    out.append("  ".join("-" * w for w in widths))
    for r in rows[1:-1]:
        out.append(line(r))
    out.append("  ".join("-" * w for w in widths))
    out.append(line(rows[-1]))
    out.append("")
    out.append("tokens: sums over the interactions that report them; durations: p50/p90/p99 of duration_s; "
               "out tok/s: median per interaction; err %: rows with an error_kind")
    return "\n".join(out) + "\n"


# ---- HTML ------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:16px 24px;color:#333;
background:#fff}
h1{font-size:20px;margin:0 0 4px}
p.meta{margin:0 0 12px;color:#555;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:12px 24px}
figure.chart{margin:0}
table{border-collapse:collapse;font-size:12px;margin-top:16px}
th,td{padding:3px 6px;border-bottom:1px solid #e4e4e4;white-space:nowrap}
td.fr{white-space:normal;min-width:120px;max-width:220px}
div.table{overflow-x:auto}
span.nw{white-space:nowrap}
th{text-align:left;background:#f4f4f4;white-space:normal;vertical-align:bottom}
.num{text-align:right;font-variant-numeric:tabular-nums}
tr.sub td{font-style:italic;background:#fafafa}
tr.total td{font-weight:600;border-top:2px solid #999}
p.none{color:#777;font-size:13px;width:540px}
"""


def _no_data(title: str, why: str) -> str:
    return (f'<figure class="chart"><svg width="560" height="40" '
            f'style="{_svg.FONT};font-size:11px"><text x="0" y="14" font-size="13" font-weight="600" '
            f'fill="{_svg.TEXT}">{escape(title)}</text><text x="0" y="32" fill="#777">{escape(why)}</text>'
            f'</svg></figure>')


def charts(summary: Summary) -> List[str]:
    """The page's SVG charts (tokens, cost, durations, error rate), as strings."""
    models = summary.models
    labels = [g.label for g in models]
    out = []
    if any(g.tokens.get("input_tokens") or g.tokens.get("output_tokens") for g in models):
        out.append(_svg.bar_chart("Tokens per model", labels, [
            ("input", _svg.INPUT, [g.tokens.get("input_tokens") or 0 for g in models]),
            ("output", _svg.OUTPUT, [g.tokens.get("output_tokens") or 0 for g in models]),
        ], value_fmt=lambda v: f"{int(v):,} tokens"))
    else:
        out.append(_no_data("Tokens per model", "no token counts in these results"))
    if any(g.cost for g in models):
        out.append(_svg.bar_chart("Cost per model", labels, [("cost", _svg.COST, [g.cost or 0 for g in models])],
                                  value_fmt=lambda v: f"{v:.4f}"))
    else:
        out.append(_no_data("Cost per model", "no cost in these results"))
    provs = [p for p in summary.providers if p.durations]
    if provs:
        out.append(_svg.histograms("Duration per provider", [
            (p.provider or NONE_LABEL, p.durations, [("p50", p.p50), ("p90", p.p90), ("p99", p.p99)])
            for p in provs]))
    else:
        out.append(_no_data("Duration per provider", "no durations in these results"))
    out.append(_svg.bar_chart("Error rate per model", labels,
                              [("errors", _svg.ERROR, [100 * g.error_rate for g in models])],
                              fmt=lambda v: f"{_svg.fmt_number(v)}%", value_fmt=lambda v: f"{v:.1f}%",
                              vmax=max([100 * g.error_rate for g in models] + [1.0])))
    return out


def _cell_html(i: int, text: str) -> str:
    if i == 16:  # finish reasons: break between reasons, never inside one ("tool-calls 3")
        return ", ".join(f'<span class="nw">{escape(p)}</span>' for p in text.split(", "))
    return escape(text)


def _html_table(summary: Summary) -> str:
    rows = table_rows(summary)
    out = ['<div class="table"><table><thead><tr>' + "".join(
        f'<th class="{_CELL_CLASS.get(i, "num")}">{escape(h)}</th>' for i, h in enumerate(rows[0])) + "</tr></thead><tbody>"]
    for r in rows[1:]:
        cls = ' class="total"' if r[0] == "TOTAL" else (' class="sub"' if r[1] == "(all models)" else "")
        out.append(f"<tr{cls}>" + "".join(
            f'<td class="{_CELL_CLASS.get(i, "num")}">{_cell_html(i, c)}</td>'
            for i, c in enumerate(r)) + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_html(summary: Summary, title: Optional[str] = None) -> str:
    """A self-contained page: inline CSS, inline SVG charts, the summary table; no script."""
    from . import __version__
    title = title or f"pyfantasy report: {os.path.basename(summary.source) or 'results'}"
    t = summary.total
    meta = (f"{summary.rows:,} interactions from {escape(summary.source)}; {len(summary.providers)} providers, "
            f"{len(summary.models)} models; error rate {100 * t.error_rate:.1f}%; "
            f"duration p50 {_fmt_secs(t.p50)} s, p90 {_fmt_secs(t.p90)} s, p99 {_fmt_secs(t.p99)} s")
    body = [f"<h1>{escape(title)}</h1>", f'<p class="meta">{meta}</p>']
    if summary.rows:
        body.append('<div class="charts">' + "".join(charts(summary)) + "</div>")
    else:
        body.append('<p class="none">No interactions in these results.</p>')
    body.append(_html_table(summary))
    body.append(f'<p class="meta">Generated by pyfantasy {escape(__version__)} report.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")

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

``format_table`` fits the terminal (columns by priority; all with no
width), can rank (``sort``, ``top``), and lists the errors and the
footnotes (``FANTASY_NOTES``: figures that follow fantasy). ``render_html``
writes one page with inline CSS and inline SVG charts (``_svg``): tokens
(input, output, reasoning, cache) and cost in USD per model, the duration
distribution per provider, error rate per model (only when there are
errors), then the table, the errors (linked from the charts' rows) and the
notes. No script, no external resource.

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

from pyfantasy._errors import ReportError
from pyfantasy._tools import svg as _svg
from pyfantasy.scan import NAMES

__all__ = ["COLUMNS", "ReportError", "Group", "Summary", "load_results", "results_kind", "summarise",
           "filter_rows", "percentile", "format_table", "render_html", "SORT_KEYS", "FANTASY_NOTES"]

COLUMNS = NAMES  # exactly what ``pyfantasy scan`` writes, so the two cannot drift apart
# Older names still read: results written before ``cost`` became ``cost_usd``.
ALIASES = {"cost_usd": "cost"}
REQUIRED = ("provider", "model")
INT_COLUMNS = ("interaction", "error_offset", "input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
               "cache_creation_tokens", "cache_read_tokens", "text_length", "tool_calls")
FLOAT_COLUMNS = ("cost_usd", "duration_s", "output_tokens_per_s")
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
                 "cache_creation_tokens", "cache_read_tokens")
KINDS = ("sqlite", "jsonl", "csv", "parquet")
_SUFFIXES = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
NONE_LABEL = "(none)"
# Figures that look wrong but are what fantasy records (fantasy-semantics.md §7.3 and the
# OpenRouter reasoning rules): said where the user sees them (report footnotes, decode output).
FANTASY_NOTES = {
    "google-usage": "Gemini streams: output, reasoning and cache-read tokens are summed over every "
                    "chunk that reports usage, as fantasy sums them, so they can exceed the "
                    "provider's own total (docs/conformance.md)",
    "openrouter-reasoning": "OpenRouter reasoning in a format other than Anthropic's or Gemini's "
                            "(e.g. GLM, Kimi): its first reasoning_details fragment is dropped, as "
                            "fantasy drops it, so the reasoning text starts mid-sentence",
}
ERROR_FIELDS = ("file", "interaction", "provider", "model", "kind", "message", "offset")


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
    (model None); ``total``: everything. Sorted by provider, then model.
    ``errors``: one dict (``ERROR_FIELDS``) per error row, in file order;
    ``notes``: the ``FANTASY_NOTES`` that apply to these rows."""

    source: str
    rows: int
    models: List[Group]
    providers: List[Group]
    total: Group
    errors: List[Dict[str, Any]] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"source": self.source, "rows": self.rows, "models": [g.to_dict() for g in self.models],
                "providers": [g.to_dict() for g in self.providers], "total": self.total.to_dict(),
                "errors": list(self.errors), "notes": list(self.notes)}


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
    errors = [{"file": r["file"], "interaction": r["interaction"], "provider": r["provider"],
               "model": r["model"], "kind": r["error_kind"], "message": r["error_message"],
               "offset": r.get("error_offset")} for r in rows if r["error_kind"]]
    return Summary(source, len(rows), models, providers, _group(None, None, list(rows)), errors,
                   _notes(rows))


def _notes(rows: List[Dict[str, Any]]) -> List[str]:
    notes = []
    if any(r["format"] == "google" and r["stream"] and r["output_tokens"] for r in rows):
        notes.append(FANTASY_NOTES["google-usage"])
    if any(r["provider"] == "openrouter" and r["stream"] and r["reasoning_tokens"] for r in rows):
        notes.append(FANTASY_NOTES["openrouter-reasoning"])
    return notes


def filter_rows(rows: List[Dict[str, Any]], where: Sequence[str]) -> List[Dict[str, Any]]:
    """The rows matching every ``COLUMN=PATTERN`` (shell-style ``*``/``?``; ``(none)`` or an
    empty pattern matches a missing value). Raises ReportError for a malformed condition."""
    import fnmatch
    conds = []
    for w in where:
        col, eq, pattern = w.partition("=")
        col = col.strip()
        if not eq or col not in COLUMNS:
            raise ReportError(f"--where {w!r}: expected COLUMN=VALUE with COLUMN one of {', '.join(COLUMNS)}")
        conds.append((col, pattern.strip()))

    def ok(r: Dict[str, Any]) -> bool:
        for col, pattern in conds:
            v = r.get(col)
            if v is None:
                if pattern not in ("", NONE_LABEL):
                    return False
            elif not fnmatch.fnmatchcase(str(v).lower() if isinstance(v, bool) else str(v), pattern):
                return False
        return True
    return [r for r in rows if ok(r)]


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


# --sort keys: (column index in HEADERS, descending?)
SORT_KEYS = {"provider": (0, False), "model": (1, False), "n": (2, True), "errors": (3, True),
             "error-rate": (4, True), "input": (5, True), "output": (6, True), "total": (7, True),
             "reasoning": (8, True), "cache-read": (9, True), "cache-write": (10, True), "cost": (11, True),
             "p50": (12, True), "p90": (13, True), "p99": (14, True), "tps": (15, True)}
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


def format_table(summary: Summary, *, width: Optional[int] = None, sort: Optional[str] = None,
                 top: Optional[int] = None, max_errors: int = 20) -> str:
    """The summary as an aligned text table (text left-aligned, numbers right-aligned).

    ``width``: fit that many characters (columns dropped by ``_PRIORITY``; None: all
    columns). ``sort``/``top``: see ``table_rows``. Then the errors (at most
    ``max_errors`` lines) and the footnotes."""
    rows = table_rows(summary, sort, top)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    cols = fit_columns(widths, width)

    def line(r: List[str]) -> str:
        cells = [r[i].ljust(widths[i]) if i in _LEFT else r[i].rjust(widths[i]) for i in cols]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * widths[i] for i in cols)
    shown = len(rows) - 2
    of = f" (top {shown} of {len(summary.models)})" if top is not None else ""
    out = [f"pyfantasy report: {summary.source} — {summary.rows:,} interactions, "
           f"{len(summary.providers)} providers, {len(summary.models)} models{of}", ""]
    out.append(line(rows[0]))
    out.append(rule)
    for r in rows[1:-1]:
        out.append(line(r))
    out.append(rule)
    out.append(line(rows[-1]))
    out.append("")
    hidden = [HEADERS[i] for i in range(len(HEADERS)) if i not in cols]
    prose = []
    if hidden:
        prose.append(f"not shown for the terminal's width: {', '.join(hidden)} (--wide shows every column)")
    prose.append("tokens: sums over the interactions that report them; durations: p50/p90/p99 of "
                 "duration_s; out tok/s: median per interaction; err %: rows with an error_kind")
    out.extend(_wrap(prose, width))
    out.extend(_text_errors(summary, width, max_errors))
    if summary.notes:
        out.append("")
        out.append("notes (figures that follow fantasy):")
        out.extend(_wrap([f"[{i}] {n}" for i, n in enumerate(summary.notes, 1)], width, "    "))
    return "\n".join(out) + "\n"


def _wrap(paragraphs: List[str], width: Optional[int], indent: str = "") -> List[str]:
    if width is None:
        return list(paragraphs)
    import textwrap
    return [line for p in paragraphs for line in textwrap.wrap(p, max(20, width), subsequent_indent=indent)]


def error_where(e: Dict[str, Any]) -> str:
    """``file #interaction`` (the file alone for a file-level error)."""
    return e["file"] + ("" if e["interaction"] is None else f" #{e['interaction']}")


def error_what(e: Dict[str, Any]) -> str:
    """``kind at byte N: message``."""
    at = f" at byte {e['offset']}" if e.get("offset") is not None else ""
    return f"{e['kind']}{at}: {e['message'] or ''}"


def _text_errors(summary: Summary, width: Optional[int], limit: int) -> List[str]:
    if not summary.errors:
        return []
    out = ["", f"errors ({len(summary.errors):,}): file #interaction  kind at byte offset: message"]
    for e in summary.errors[:limit]:
        text = f"  {error_where(e)}  {error_what(e)}".replace("\n", " ")
        if width is not None and len(text) > width:
            text = text[:max(10, width - 1)] + "…"
        out.append(text)
    if len(summary.errors) > limit:
        out.append(f"  ... and {len(summary.errors) - limit:,} more (--json lists them all)")
    return out


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
h2{font-size:16px;margin:20px 0 4px}
td.msg{white-space:normal;min-width:240px;max-width:640px}
tr:target td{background:#fff3c4}
ol.notes{font-size:13px;color:#444;max-width:900px}
"""


def _no_data(title: str, why: str) -> str:
    return (f'<figure class="chart"><svg width="560" height="40" '
            f'style="{_svg.FONT};font-size:11px"><text x="0" y="14" font-size="13" font-weight="600" '
            f'fill="{_svg.TEXT}">{escape(title)}</text><text x="0" y="32" fill="#777">{escape(why)}</text>'
            f'</svg></figure>')


def _error_anchor(index: int) -> str:
    return f"errors-{index}"


def charts(summary: Summary) -> List[str]:
    """The page's SVG charts (tokens, cost, durations, error rate), as strings. Each model row
    with errors links to that model's first row in the errors section."""
    models = summary.models
    labels = [g.label for g in models]
    first_error = _first_error_rows(summary)
    links = [f"#{_error_anchor(first_error[(g.provider, g.model)])}" if (g.provider, g.model) in first_error
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


def _html_errors(summary: Summary, limit: int = 1000) -> str:
    if not summary.errors:
        return ""
    shown = summary.errors[:limit]
    out = [f'<h2 id="errors">Errors ({len(summary.errors):,})</h2>',
           '<div class="table"><table class="errors"><thead><tr><th class="txt">file</th>'
           '<th class="num">interaction</th><th class="txt">provider / model</th><th class="txt">kind</th>'
           '<th class="num">offset</th><th class="txt">message</th></tr></thead><tbody>']
    for i, e in enumerate(shown):
        model = f"{e['provider'] or NONE_LABEL} / {e['model'] or NONE_LABEL}"
        out.append(f'<tr id="{_error_anchor(i)}"><td class="txt">{escape(e["file"] or "")}</td>'
                   f'<td class="num">{"" if e["interaction"] is None else e["interaction"]}</td>'
                   f'<td class="txt">{escape(model)}</td><td class="txt">{escape(e["kind"] or "")}</td>'
                   f'<td class="num">{"" if e.get("offset") is None else e["offset"]}</td>'
                   f'<td class="msg">{escape(e["message"] or "")}</td></tr>')
    out.append("</tbody></table></div>")
    if len(summary.errors) > limit:
        out.append(f'<p class="meta">... and {len(summary.errors) - limit:,} more errors '
                   "(<code>pyfantasy report --to json</code> lists them all).</p>")
    return "".join(out)


def _html_notes(summary: Summary) -> str:
    if not summary.notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in summary.notes)
    return f'<h2>Notes</h2><ol class="notes">{items}</ol>'


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
    """A self-contained page: inline CSS, inline SVG charts, the summary table, the errors
    (each chart row with errors links to them) and the notes; no script, no external link."""
    from pyfantasy import __version__
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
    body.append(_html_errors(summary))
    body.append(_html_notes(summary))
    body.append(f'<p class="meta">Generated by pyfantasy {escape(__version__)} report.</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")

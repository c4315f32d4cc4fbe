"""Reading scan results (SQLite, JSONL, CSV, Parquet) into rows with every column of ``COLUMNS``,
normalised whatever the container, so the summary never sees a file's quirks."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import sqlite3
from typing import Any, Dict, Iterable, List, Optional

from pyfantasy._errors import ReportError
from pyfantasy._tools.report.options import KINDS
from pyfantasy.scan import NAMES

COLUMNS = NAMES  # exactly what ``pyfantasy scan`` writes, so the two cannot drift apart
# Older names still read: results written before ``cost`` became ``cost_usd``.
ALIASES = {"cost_usd": "cost"}
REQUIRED = ("provider", "model")
INT_COLUMNS = ("interaction", "error_offset", "input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
               "cache_creation_tokens", "cache_read_tokens", "text_length", "tool_calls")
FLOAT_COLUMNS = ("cost_usd", "duration_s", "output_tokens_per_s")
_SUFFIXES = {".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".jsonl": "jsonl",
             ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


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

"""The summary as aligned text for the terminal (``format_table``): the table fitted to the
width, the errors and the footnotes."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from pyfantasy._tools.report.summary import Summary
from pyfantasy._tools.report.table import HEADERS, LEFT, fit_columns, table_rows


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
        cells = [r[i].ljust(widths[i]) if i in LEFT else r[i].rjust(widths[i]) for i in cols]
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

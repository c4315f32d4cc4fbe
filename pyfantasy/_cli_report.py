"""``pyfantasy report RESULTS [--html FILE]``: summarise what ``pyfantasy scan`` wrote.

Prints the per-provider/model table (``report.format_table``); ``--html``
also writes the self-contained page with the charts, ``--json`` prints the
summary as JSON instead of the table. Exit status: 0 on success, 2 when the
results file is missing, unreadable or of an unknown format (the reason goes
to stderr), 1 when the HTML file cannot be written.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import TextIO

from .report import KINDS, ReportError, format_table, load_results, render_html, summarise


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        rows = load_results(args.results, args.input_format)
    except ReportError as exc:
        err.write(f"pyfantasy report: {exc}\n")
        return 2
    summary = summarise(rows, args.results)
    if args.json:
        out.write(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        out.write(format_table(summary))
    if args.html:
        page = render_html(summary, args.title)
        tmp = args.html + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(page)
            os.replace(tmp, args.html)
        except OSError as exc:
            err.write(f"pyfantasy report: cannot write {args.html}: {exc.strerror or exc}\n")
            return 1
        err.write(f"pyfantasy report: wrote {args.html}\n")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "report", help="summarise scan results per provider and model (text table, HTML charts)",
        description="Summarise the results of `pyfantasy scan` (SQLite, JSONL, CSV or Parquet) per "
                    "provider and model: counts, tokens, cost, duration percentiles, output tokens/s, "
                    "finish reasons, error rate.")
    p.add_argument("results", metavar="RESULTS", help="results file written by `pyfantasy scan --out`")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with SVG charts")
    p.add_argument("--title", help="title of the HTML page")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of the table")
    p.add_argument("--input-format", choices=KINDS, help="results format (default: from the file)")
    p.set_defaults(func=cmd_report)

"""``pyfantasy report RESULTS [--html FILE]``: summarise what ``pyfantasy scan`` wrote.

Prints the per-provider/model table (``pyfantasy.report.format_table``), fitted to the
terminal (``--wide``: every column), ranked with ``--sort``/``--top`` and
filtered with ``--where``, then the errors and footnotes; ``--html`` also
writes the self-contained page with the charts; ``--to json`` prints the
summary as JSON instead of the table. Exit status: 0 on success, 2 when the
results file is missing, unreadable or of an unknown format (the reason goes
to stderr), 1 when the HTML file cannot be written.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from typing import TextIO

from pyfantasy._errors import ReportError
from pyfantasy._tools.report.options import KINDS, SORT_KEYS
from pyfantasy.cli.common import deprecated


def cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # imported here: every subcommand builds this parser, only this one reads results
    from pyfantasy._tools.report.page import render_html
    from pyfantasy._tools.report.read import load_results
    from pyfantasy._tools.report.summary import filter_rows, summarise
    from pyfantasy._tools.report.table import ordered_models
    from pyfantasy._tools.report.text import format_table
    if args.top is not None and args.top < 1:
        err.write("pyfantasy report: --top must be at least 1\n")
        return 2
    try:
        rows = filter_rows(load_results(args.results, args.input_format), args.where or [])
        summary = summarise(rows, args.results)
        ordered_models(summary, args.sort, args.top)  # checks --sort
    except ReportError as exc:
        err.write(f"pyfantasy report: {exc}\n")
        return 2
    if args.to == "json":
        out.write(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        width = None if args.wide else shutil.get_terminal_size().columns
        out.write(format_table(summary, width=width, sort=args.sort, top=args.top))
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
    p.add_argument("results", metavar="RESULTS", help="results file written by `pyfantasy scan -o FILE`")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with SVG charts")
    p.add_argument("--title", help="title of the HTML page")
    p.add_argument("--to", choices=("text", "json"), default="text",
                   help="text: the table (default); json: the summary, every error included")
    p.add_argument("--json", dest="to", action="store_const", const="json", help="same as --to json")
    p.add_argument("--from", dest="input_format", choices=KINDS, help="results format (default: from the file)")
    deprecated(p, "--input-format", "input_format", "--from VALUE", choices=KINDS)
    p.add_argument("--wide", action="store_true",
                   help="every column, whatever the terminal's width (default: the columns that fit)")
    p.add_argument("--sort", choices=tuple(SORT_KEYS), metavar="KEY",
                   help=f"rank the models by KEY, largest first ({', '.join(SORT_KEYS)})")
    p.add_argument("--top", type=int, metavar="N", help="only the first N models (after --sort)")
    p.add_argument("--where", action="append", metavar="COLUMN=VALUE",
                   help="only the rows whose COLUMN matches VALUE (* and ? wildcards), e.g. "
                        "provider=openai or model='gpt-4o*'; repeatable (all must match)")
    p.set_defaults(func=cmd_report)

"""``pyfantasy scan``: summary rows of many cassettes, on every core, into SQLite/JSONL/CSV/Parquet.

Exit status: 0 when the scan completed (files that could not be read or
decoded are error rows, reported as warnings on stderr), 2 for usage
errors (unknown format, pyarrow missing for Parquet, a backend that cannot
be used: checked before any file is read), 1 when the output cannot be written. See ``pyfantasy.scan``
and the README ("Processing large volumes").
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from typing import TextIO

from pyfantasy._kernels import BACKENDS
from pyfantasy._errors import PyfantasyError
from pyfantasy._providers.formats import FORMATS


def cmd_scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pyfantasy.scan import OUTPUT_FORMATS, ScanWarning, check_out, output_format, scan
    from pyfantasy.cli.common import check_backend, plural
    if not check_backend(args.backend, "pyfantasy scan", err):
        return 2  # before any file is read: a bad backend would make every row an error
    if args.workers is not None and args.workers < 1:
        err.write("pyfantasy scan: --workers must be at least 1\n")
        return 2
    try:
        fmt = output_format(args.out, args.out_format)
        check_out(args.out, fmt)
    except ValueError as exc:
        err.write(f"pyfantasy scan: {exc}\n")
        return 2
    assert fmt in OUTPUT_FORMATS
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:  # a typo on the command line is not a broken file of the logs
        err.write(f"pyfantasy scan: no such file or folder: {', '.join(missing)}\n")
        return 2
    if args.quiet:
        progress = False
    elif args.progress:
        progress = True
    else:
        progress = None

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ScanWarning):
            err.write(f"pyfantasy scan: warning: {message}\n")
        else:
            err.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        warnings.simplefilter("always", ScanWarning)
        warnings.showwarning = show
        try:
            summary = scan(args.paths, args.out, workers=args.workers, format=args.format,
                           backend=args.backend, out_format=args.out_format, progress=progress,
                           progress_stream=err, rescan=args.rescan)
        except PyfantasyError as exc:
            err.write(f"pyfantasy scan: {exc}\n")
            return 2
        except OSError as exc:
            err.write(f"pyfantasy scan: cannot write {args.out}: {exc}\n")
            return 1
    if not summary.files_found:
        err.write("pyfantasy scan: no cassette or stream capture found\n")
    rate = summary.bytes / summary.seconds / 1e6 if summary.seconds else 0.0
    err.write(f"pyfantasy scan: {plural(summary.files_scanned, 'file')} scanned "
              f"({summary.files_skipped:,} already in {os.path.basename(summary.out)}), "
              f"{plural(summary.rows, 'row')} ({summary.error_rows:,} with errors) in {summary.seconds:.2f}s "
              f"({rate:.1f} MB/s) -> {summary.out} [{summary.format}]\n")
    return 0


def add_parser(sub) -> None:
    from pyfantasy.cli.common import add_paths, add_wire, deprecated
    p = sub.add_parser(
        "scan", help="decode many cassettes on all cores into one table (SQLite, JSONL, CSV, Parquet)",
        description="Decode every cassette (*.yaml, *.yml) and raw stream capture (*.sse) under "
                    "the paths and write one row per interaction. Re-running skips files already "
                    "recorded with the same size and mtime (--rescan: scan them all again).")
    add_paths(p, "cassettes, .sse captures, or folders searched recursively for them")
    p.add_argument("-o", "--output", dest="out", default="results.db", metavar="FILE",
                   help="output file: .db/.sqlite (SQLite, default results.db), .jsonl, .csv, .parquet")
    p.add_argument("--to", dest="out_format", choices=("sqlite", "jsonl", "csv", "parquet"),
                   help="output format (default: from the --output extension)")
    deprecated(p, "--out", "out", "-o/--output VALUE", metavar="FILE")
    deprecated(p, "--out-format", "out_format", "--to VALUE", choices=("sqlite", "jsonl", "csv", "parquet"))
    add_wire(p, FORMATS, "format")
    deprecated(p, "--format", "format", "--wire VALUE", choices=FORMATS)
    p.add_argument("--workers", type=int, help="worker processes (default: CPU count)")
    p.add_argument("--backend", choices=BACKENDS, help="native or python (default: PYFANTASY_BACKEND, else native)")
    p.add_argument("--rescan", action="store_true",
                   help="scan every file again, also those already in the output (their rows are replaced)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--progress", action="store_true", help="draw a progress bar on stderr even when it is not a TTY")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_scan)

if __name__ == "__main__":  # pragma: no cover
    from pyfantasy.cli import main
    sys.exit(main(["scan", *sys.argv[1:]]))

"""The ``pyfantasy`` command line: one module per subcommand (decode, serve, scan,
report, bench), the options they share in ``common``; this module parses and runs.

Exit status: 0 when everything decoded, 1 when any interaction or file
failed (each failure is reported and the rest still processed), 2 for usage
errors.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, List, Optional, TextIO

from pyfantasy import __version__
from pyfantasy._errors import PyfantasyError

_SUBCOMMAND_MODULES = ("decode", "serve", "scan", "report", "bench")


DESCRIPTION = """\
Read and decode what Go's charm.land/fantasy records: go-vcr cassettes and raw
stream captures, into fantasy's messages.

subcommands: decode (print the decoded responses), serve (replay cassettes over
HTTP), scan (one row per interaction into SQLite, JSONL, CSV or Parquet), report
(summarise a scan: text table, HTML charts), bench (time pyfantasy and its peers).
"pyfantasy SUBCOMMAND --help" describes each one.

exit status: 0 when everything decoded, 1 when an interaction or file failed
(each failure is reported and the rest still processed), 2 for usage errors."""


def build_parser() -> argparse.ArgumentParser:
    from pyfantasy.cli.common import vocabulary_text
    p = argparse.ArgumentParser(prog="pyfantasy", description=DESCRIPTION, epilog=vocabulary_text(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"pyfantasy {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")
    # Each subcommand lives in its own module, with add_parser(subparsers),
    # which registers a parser whose ``func(args, out, err) -> int`` runs it.
    import importlib
    for name in _SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(f"pyfantasy.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"pyfantasy.cli.{name}":
                continue
            # an optional dependency of that subcommand is missing: the others still work
            _add_unavailable(sub, name, exc)
            continue
        mod.add_parser(sub)
    return p


def _needs(command: str, package: Optional[str]) -> str:
    """What a subcommand says when a package it imports is missing."""
    return (f"pyfantasy {command}: needs the Python package {package!r}, which is not installed "
            f"(pip install {package})\n")


def _add_unavailable(sub: Any, command: str, exc: ModuleNotFoundError) -> None:
    """A subcommand whose module cannot import: it says why when used, instead of breaking the CLI."""
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        err.write(_needs(command, exc.name))
        return 2
    q = sub.add_parser(command, help=f"(unavailable: {exc.name} is not installed)", add_help=False)
    q.add_argument("rest", nargs=argparse.REMAINDER)
    q.set_defaults(func=run)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    prepare = getattr(args, "prepare", None)  # a subcommand's fix-up of old spellings
    if prepare is not None:
        prepare(args)
    for message in getattr(args, "deprecations", None) or []:
        sys.stderr.write(message + "\n")
    try:
        return args.func(args, sys.stdout, sys.stderr)
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except PyfantasyError as exc:  # e.g. the native backend asked for but not built
        sys.stderr.write(f"pyfantasy: {exc}\n")
        return 2
    except ModuleNotFoundError as exc:
        # a package a command imports when it runs (report, bench and scan import theirs then:
        # sqlite3 in a Python built without it); a module of pyfantasy's own missing is a bug
        if not exc.name or exc.name.partition(".")[0] == "pyfantasy":
            raise
        sys.stderr.write(_needs(args.command, exc.name))
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``pyfantasy bench [PATH] [--json]``: time pyfantasy and its peers on your cassettes (see ``bench``).

PATH: cassette files or folders; default: the samples bundled in
``pyfantasy/samples``. Exit status: 0 when every contender's check passed,
1 when a pyfantasy contender failed its check, 2 when there is nothing to
decode (no cassette, no usable body).
"""
from __future__ import annotations

import argparse
import json
import os
from typing import TextIO

from pyfantasy._providers.formats import FORMATS
from pyfantasy._tools.bench.workload import DEFAULT_CHUNK, collect, samples_dir
from pyfantasy.cli.common import add_wire, plural


def cmd_bench(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    # imported here: every subcommand builds this parser, only this one times anything
    from pyfantasy._tools.bench.contenders import contenders
    from pyfantasy._tools.bench.output import format_table, to_json
    from pyfantasy._tools.bench.run import run_bench
    paths = args.paths
    if not paths:
        if not os.path.isdir(samples_dir()):
            err.write(f"pyfantasy bench: no bundled samples at {samples_dir()}; give a cassette file or folder\n")
            return 2
        paths = [samples_dir()]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        err.write(f"pyfantasy bench: no such file or folder: {', '.join(missing)}\n")
        return 2
    if args.chunk < 1 or args.repeat < 1 or args.min_time < 0:
        err.write("pyfantasy bench: --chunk and --repeat must be >= 1, --min-time >= 0\n")
        return 2
    names = [c.name for c in contenders()]
    unknown = [c for c in args.contender or [] if c not in names]
    if unknown:
        err.write(f"pyfantasy bench: unknown contender(s) {', '.join(unknown)}; known: {', '.join(names)}\n")
        return 2
    workloads, files, used = collect(paths, args.chunk, args.wire_format, err)
    as_json = args.to == "json"
    source = ", ".join(paths)
    if not any(wl.bodies for wl in workloads):
        err.write(f"pyfantasy bench: no response body to decode in {source} ({plural(files, 'cassette file')} read)\n")
        for wl in workloads:
            for why in wl.excluded:
                err.write(f"pyfantasy bench: left out {why}\n")
        return 2
    def timing(name: str) -> None:
        err.write(f"pyfantasy bench: timing {name}...\n")
    progress = None if as_json or args.quiet else timing
    runs = run_bench(workloads, repeat=args.repeat, min_time=args.min_time, only=args.contender, progress=progress)
    if as_json:
        out.write(json.dumps(to_json(runs, source, args.chunk, args.repeat, args.min_time, files), indent=1) + "\n")
    else:
        out.write(format_table(runs, source, args.chunk, args.repeat, files))
    broken = [f"{wl.name}: {r.name}: {r.reason}" for wl, rs in runs for r in rs
              if r.status == "failed" and r.name.startswith("pyfantasy")]
    for b in broken:
        err.write(f"pyfantasy bench: FAILED {b}\n")
    return 1 if broken else 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="time pyfantasy (native, python) beside httpx-sse, orjson and the provider SDKs",
        description="Decode the response bodies of cassettes with pyfantasy and each installed peer, "
                    "per wire format, and print MB/s, events/s and the ratio to the fastest.")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="cassette files or folders (default: pyfantasy's bundled samples)")
    p.add_argument("--to", choices=("text", "json"), default="text",
                   help="text: a table (default); json: one JSON document, for machines")
    p.add_argument("--json", dest="to", action="store_const", const="json", help="same as --to json")
    p.add_argument("--repeat", type=int, default=5, help="timed repetitions; the minimum is reported (default 5)")
    p.add_argument("--min-time", type=float, default=0.05,
                   help="seconds one repetition lasts at least (loops the workload; default 0.05)")
    p.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                   help=f"bytes per feed, as a socket read gives them (default {DEFAULT_CHUNK})")
    add_wire(p, FORMATS, "wire_format", repeat=True)
    p.add_argument("--contender", action="append", metavar="NAME", help="only this contender (repeatable)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=cmd_bench)

"""``pyfantasy serve PATH... [--host 127.0.0.1] [--port N]``: replay cassettes over HTTP.

What: starts ``_replay.server.ReplayServer`` on a loopback address, prints the URL
it listens on as the first line of standard output (so scripts can read it),
logs each request on standard error, and runs until Ctrl-C (SIGINT) or
SIGTERM, then closes every connection and exits 0.

Exit status: 0 after a clean shutdown; 2 when it cannot start (a cassette is
missing or malformed, no cassette found, a host that is not loopback, the
port in use), with one clear line on standard error.
"""
from __future__ import annotations

import argparse
import errno
import signal
import threading
from typing import TextIO

from pyfantasy._errors import CassetteError
from pyfantasy._replay.pacing import DEFAULT_CHUNK_SIZE


class _Stop(BaseException):
    """Raised in the main thread by the SIGTERM handler; not an Exception, so that no
    ``except Exception`` on the way (socketserver's, around taking a connection) swallows it."""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve", help="replay cassettes over HTTP on a loopback address",
        description="Replay a cassette, or a folder of cassettes, over HTTP on 127.0.0.1. "
                    "Requests are matched on method, path, query and body; a request path "
                    "may start with a cassette's name (relative path without .yaml) to "
                    "match in that cassette only. Prints the URL, then serves until Ctrl-C "
                    "or SIGTERM.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="cassette files or folders")
    p.add_argument("--host", default="127.0.0.1",
                   help="loopback address to listen on (default 127.0.0.1; ::1 and localhost work)")
    p.add_argument("--port", type=int, default=0,
                   help="port (default 0: any free port; the URL printed says which)")
    p.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, metavar="BYTES",
                   help=f"bodies are sent in chunks of this size (default {DEFAULT_CHUNK_SIZE}; "
                        "0: whole)")
    p.add_argument("--pace", type=float, default=0.0, metavar="FACTOR",
                   help="spread each body over FACTOR x its recorded duration (default 0: no wait)")
    p.add_argument("--repeat", action="store_true",
                   help="replay an interaction more than once (default: each once, in order)")
    p.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                   help="refuse request bodies larger than this with 413 (default 16 MiB)")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pyfantasy._replay.server import ReplayServer, load_sources

    def fail(message: str) -> int:
        err.write(f"pyfantasy serve: {message}\n")
        err.flush()
        return 2

    if not 0 <= args.port <= 65535:
        return fail(f"--port {args.port}: expected 0..65535")
    if args.pace < 0:
        return fail("--pace must not be negative")
    try:
        sources = load_sources(args.paths)
    except CassetteError as exc:
        return fail(str(exc))
    if not sources:
        return fail("no cassette found in " + ", ".join(args.paths))

    def log(line: str) -> None:
        if not args.quiet:
            err.write(f"pyfantasy serve: {line}\n")
            err.flush()

    if args.max_body is not None and args.max_body < 0:
        return fail("--max-body must not be negative")
    limits = {} if args.max_body is None else {"max_body": args.max_body}
    try:
        server = ReplayServer(sources, args.host, args.port, chunk_size=args.chunk_size,
                              pace=args.pace, allow_playback_repeats=args.repeat, log=log,
                              name=", ".join(args.paths), **limits)
    except ValueError as exc:
        return fail(str(exc))
    except OSError as exc:
        why = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        return fail(f"cannot listen on {args.host}:{args.port}: {why}")
    count = sum(len(c.interactions) for _, c in sources)
    main = threading.current_thread() is threading.main_thread()
    previous = {}
    if main:
        def on_term(signum, frame):
            raise _Stop()
        previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, on_term)
        # also when started with SIGINT ignored (e.g. from a non-interactive shell's '&')
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        out.write(server.url + "\n")
        out.flush()
        err.write(f"pyfantasy serve: replaying {count} interaction{'s' * (count != 1)} from "
                  f"{len(sources)} cassette{'s' * (len(sources) != 1)} at {server.url} "
                  "(Ctrl-C to stop)\n")
        err.flush()
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err.write("pyfantasy serve: stopped\n")
    err.flush()
    return 0

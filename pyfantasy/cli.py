"""The ``pyfantasy`` command line: ``decode`` here; ``serve``, ``scan``, ``report``
and ``bench`` in their own ``_cli_*`` modules.

Exit status: 0 when everything decoded, 1 when any interaction or file
failed (each failure is reported and the rest still processed), 2 for usage
errors.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
from typing import Any, Iterable, Iterator, List, Optional, TextIO

from . import __version__
from ._backend import BACKENDS
from ._errors import CassetteError, DecodeError, PyfantasyError
from ._formats import FORMATS

OUTPUTS = ("jsonl", "text")
_SUBCOMMAND_MODULES = ("_cli_serve", "_cli_scan", "_cli_report", "_cli_bench")


def iter_cassette_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; folders searched recursively for *.yaml / *.yml, sorted."""
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in files:
                    if f.endswith((".yaml", ".yml")):
                        found.append(os.path.join(root, f))
            yield from sorted(found)
        else:
            yield p


def _error_obj(exc: BaseException) -> dict:
    if isinstance(exc, DecodeError):
        return {"kind": exc.kind, "message": exc.message, "offset": exc.offset}
    if isinstance(exc, CassetteError):
        return {"kind": "cassette", "message": str(exc), "offset": None}
    return {"kind": type(exc).__name__, "message": str(exc), "offset": None}


def _jsonl(out: TextIO, path: str, iid: Optional[int], fmt: str, stream: bool, response, exc) -> None:
    head = '{"cassette":%s,"interaction":%s,"format":%s,"stream":%s' % (
        json.dumps(path, ensure_ascii=False), "null" if iid is None else iid, json.dumps(fmt),
        "true" if stream else "false")
    if exc is None:
        out.write(head + ',"response":' + response.to_json_bytes().decode("utf-8") + ',"error":null}\n')
        return
    partial = getattr(exc, "response", None)
    tail = ',"response":null,"error":' + json.dumps(_error_obj(exc), ensure_ascii=False, separators=(",", ":"))
    try:
        tail += ',"partial":' + ("null" if partial is None else partial.to_json_bytes().decode("utf-8"))
    except Exception:  # noqa: BLE001 - a partial that cannot be written: the error line still is
        tail += ',"partial":null'
    out.write(head + tail + "}\n")


def _text(out: TextIO, path: str, iid: Optional[int], fmt: str, stream: bool, response, exc) -> None:
    where = f"{path}" if iid is None else f"{path} #{iid}"
    kind = f"{fmt}, {'stream' if stream else 'single'}"
    if exc is not None:
        e = _error_obj(exc)
        at = f" (byte {e['offset']})" if e.get("offset") is not None else ""
        out.write(f"== {where} ({kind})\n   ERROR {e['kind']}{at}: {e['message']}\n")
        partial = getattr(exc, "response", None)
        if partial is not None and partial.content:
            out.write("   decoded before the error:\n")
            _text_content(out, partial, indent="     ")
        return
    u = response.usage
    out.write(f"== {where} ({kind}) finish={response.finish_reason} tokens in={u.input_tokens} "
              f"out={u.output_tokens} total={u.total_tokens}"
              + (f" reasoning={u.reasoning_tokens}" if u.reasoning_tokens else "")
              + (f" cached={u.cache_read_tokens}" if u.cache_read_tokens else "") + "\n")
    _text_content(out, response, indent="   ")


def _text_content(out: TextIO, response, indent: str) -> None:
    for part in response.content or []:
        t = part.type
        if t in ("text", "reasoning"):
            body = part.text.replace("\n", "\n" + indent + "  ")
            out.write(f"{indent}[{t}] {body}\n")
        elif t == "tool-call":
            flag = " (INVALID: %s)" % part.validation_error if part.invalid else ""
            who = " (provider)" if part.provider_executed else ""
            out.write(f"{indent}[tool-call{who}] {part.tool_name} {part.input}{flag}\n")
        elif t == "tool-result":
            out.write(f"{indent}[tool-result] {part.tool_name} ({part.tool_call_id})\n")
        elif t == "source":
            out.write(f"{indent}[source] {part.title or part.filename} {part.url}\n")
        else:
            out.write(f"{indent}[{t}]\n")


def _render(write, path: str, iid: Optional[int], fmt: str, stream: bool, response) -> str:
    """The output of one decoded interaction, made whole before any of it is written (an
    error while rendering then costs one error line, not half a record)."""
    buf = io.StringIO()
    write(buf, path, iid, fmt, stream, response, None)
    return buf.getvalue()


def cmd_decode(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .cassette import load
    from .decode import decode_interaction, detect_format
    output, wire = "text", None
    for f in args.format or []:
        if f in OUTPUTS:
            output = f
        elif f in FORMATS:
            wire = f
        else:
            err.write(f"pyfantasy decode: --format {f!r}: not an output format ({', '.join(OUTPUTS)}) "
                      f"nor a wire format ({', '.join(FORMATS)})\n")
            return 2
    output = args.output or output
    wire = args.wire_format or wire
    write = _jsonl if output == "jsonl" else _text
    failed = 0
    seen = 0
    for path in iter_cassette_paths(args.paths):
        seen += 1
        try:
            cas = load(path)
        except Exception as exc:  # noqa: BLE001 - one error line for the file, the run goes on
            failed += 1
            if isinstance(exc, OSError):
                exc = CassetteError(exc.strerror or str(exc), path=path)
            elif not isinstance(exc, CassetteError):  # a reader bug: still named and located
                exc = CassetteError(f"cannot read the cassette: {type(exc).__name__}: {exc}", path=path)
            write(out, path, None, wire or "unknown", False, None, exc)
            err.write(f"pyfantasy: {exc}\n")
            continue
        for it in cas.interactions:
            fmt, stream = wire or "unknown", bool(args.stream)
            try:
                wf = detect_format(it, wire, args.stream)
                fmt, stream = wf.format, wf.stream
                resp = decode_interaction(it, args.backend, format=wire, stream=args.stream)
                line = _render(write, path, it.id, fmt, stream, resp)
            except Exception as exc:  # noqa: BLE001 - DecodeError, or a decoder bug: one error line
                failed += 1
                write(out, path, it.id, fmt, stream, None, exc)
                continue
            out.write(line)
    if not seen:
        err.write("pyfantasy decode: no cassette found\n")
        return 1
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyfantasy", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"pyfantasy {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("decode", help="decode the responses of go-vcr cassettes into fantasy messages",
                       description="Decode every interaction of the cassettes (files or folders).")
    d.add_argument("paths", nargs="+", metavar="PATH")
    d.add_argument("--format", action="append", metavar="FORMAT",
                   help="output format (jsonl, text: default) and/or wire format override "
                        f"({', '.join(FORMATS)}); may be given twice")
    d.add_argument("--output", choices=OUTPUTS, help="output format (same as --format jsonl|text)")
    d.add_argument("--wire-format", choices=FORMATS, help="decode as this wire format (default: detected)")
    d.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="decode every body as a stream (or, --no-stream, as one document) "
                        "instead of deciding it from the request")
    d.add_argument("--backend", choices=BACKENDS, help="native or python (default: PYFANTASY_BACKEND, else native)")
    d.set_defaults(func=cmd_decode)
    # Other subcommands live in their own modules: each has add_parser(subparsers),
    # which registers a parser whose ``func(args, out, err) -> int`` runs it.
    import importlib
    for name in _SUBCOMMAND_MODULES:
        try:
            mod = importlib.import_module(f".{name}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue
            # an optional dependency of that subcommand is missing: the others still work
            _add_unavailable(sub, name[len("_cli_"):], exc)
            continue
        mod.add_parser(sub)
    return p


def _add_unavailable(sub: Any, command: str, exc: ModuleNotFoundError) -> None:
    """A subcommand whose module cannot import: it says why when used, instead of breaking the CLI."""
    def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        err.write(f"pyfantasy {command}: needs the Python package {exc.name!r}, which is not installed "
                  f"(pip install {exc.name})\n")
        return 2
    q = sub.add_parser(command, help=f"(unavailable: {exc.name} is not installed)", add_help=False)
    q.add_argument("rest", nargs=argparse.REMAINDER)
    q.set_defaults(func=run)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

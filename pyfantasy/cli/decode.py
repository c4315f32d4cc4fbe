"""``pyfantasy decode``: cassettes, stream captures and bodies -> fantasy's messages, as text or JSONL."""
from __future__ import annotations

import argparse
import io
import json
import sys
from typing import Any, List, Optional, Sequence, TextIO

from pyfantasy._errors import CassetteError, DecodeError, PyfantasyError
from pyfantasy._kernels import BACKENDS
from pyfantasy._providers.formats import FORMATS

OUTPUTS = ("jsonl", "text")


def add_parser(sub: Any) -> None:
    from pyfantasy.cli.common import add_paths, add_wire
    d = sub.add_parser("decode", help="decode the responses of cassettes and stream captures into fantasy messages",
                       description="Decode every interaction of the cassettes, and every raw stream "
                                   "capture (*.sse) or body given (files, folders, or - for standard input).")
    add_paths(d, "cassettes, .sse captures or folders; - reads one cassette or body from standard input")
    add_wire(d, FORMATS, "wire")
    d.add_argument("--to", choices=OUTPUTS, default="text", help="output format: text (default) or jsonl")
    d.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of standard output")
    d.add_argument("--format", metavar="FORMAT", action=_OldDecodeFormat, help=argparse.SUPPRESS)
    d.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="decode every body as a stream (or, --no-stream, as one document) "
                        "instead of deciding it from the request")
    d.add_argument("--backend", choices=BACKENDS, help="native or python (default: PYFANTASY_BACKEND, else native)")
    d.set_defaults(func=cmd_decode, prepare=_old_output)


class _OldDecodeFormat(argparse.Action):
    """decode's old ``--format``: an output format (now ``--to``) or a wire format (now ``--wire``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from pyfantasy.cli.common import note
        if values in OUTPUTS:
            namespace.to = values
            note(namespace, f"{parser.prog}: --format {values} is deprecated; use --to {values}")
        elif values in FORMATS:
            namespace.wire = values
            note(namespace, f"{parser.prog}: --format {values} is deprecated; use --wire {values}")
        else:
            parser.error(f"--format {values!r}: not an output format ({', '.join(OUTPUTS)}) "
                         f"nor a wire format ({', '.join(FORMATS)})")


def _error_obj(exc: BaseException) -> dict:
    if isinstance(exc, DecodeError):
        return {"kind": exc.kind, "message": exc.message, "offset": exc.offset}
    if isinstance(exc, CassetteError):
        return {"kind": "cassette", "message": str(exc), "offset": None}
    return {"kind": type(exc).__name__, "message": str(exc), "offset": None}


def _jsonl(out: TextIO, path: str, iid: Optional[int], fmt: str, stream: bool, response, exc,
           notes: Sequence[str] = ()) -> None:
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


def _text(out: TextIO, path: str, iid: Optional[int], fmt: str, stream: bool, response, exc,
          notes: Sequence[str] = ()) -> None:
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
    for n in notes:
        out.write(f"   (note: {n})\n")
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


def _render(write, path: str, iid: Optional[int], fmt: str, stream: bool, response, notes=None) -> str:
    """The output of one decoded interaction, made whole before any of it is written (an
    error while rendering then costs one error line, not half a record)."""
    buf = io.StringIO()
    write(buf, path, iid, fmt, stream, response, None, notes or ())
    return buf.getvalue()


def _read_input(path: str) -> bytes:
    """The bytes of a file, or of standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def _nothing_known(resp: Any) -> bool:
    """A Response with no content and no usage: the body held no event (or document field)
    that the wire format it was decoded as knows. (The decoders do not report how many
    events they recognised; this is the closest the command line can tell.)"""
    u = resp.usage
    return not resp.content and not any((u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
                                         u.cache_creation_tokens, u.cache_read_tokens))


def _check_forced(resp: Any, forced: Optional[str], looks_like: str) -> Any:
    """With a forced wire format, a body it recognises nothing in is an error naming the format
    (decoding an OpenAI chat body as ``anthropic`` gave an empty response, exit 0)."""
    if forced is None or not _nothing_known(resp) or looks_like == forced:
        return resp
    hint = f"; it looks like {looks_like}" if looks_like not in ("unknown", "", None) else ""
    raise DecodeError("wrong-format", f"the body holds no event or document the {forced} wire format "
                                      f"knows (forced with --wire {forced}){hint}", response=resp)


def _looks_like(it: Any) -> str:
    """The wire format the request says, else the one the response body looks like."""
    from pyfantasy.decode import detect_format
    from pyfantasy._tools.scan.rows import sniff_stream_format
    detected = detect_format(it).format
    return detected if detected != "unknown" else sniff_stream_format(it.response.body_bytes)


def _fantasy_notes(fmt: str, stream: bool, response: Any, url: str = "") -> List[str]:
    """Figures that look wrong but follow fantasy, said where the user sees them."""
    from pyfantasy._tools.report.notes import FANTASY_NOTES
    notes = []
    if fmt == "google" and stream and response is not None and response.usage.total_tokens:
        notes.append(FANTASY_NOTES["google-usage"])
    if fmt == "openai-chat" and stream and "openrouter" in url and response is not None \
            and any(p.type == "reasoning" for p in response.content or []):
        notes.append(FANTASY_NOTES["openrouter-reasoning"])
    return notes


def _old_output(args: argparse.Namespace) -> None:
    """The old ``--output jsonl|text`` (now ``--to``): honoured, with the first deprecation note."""
    if args.output in OUTPUTS:
        args.deprecations = [f"pyfantasy decode: --output {args.output} is deprecated; use --to {args.output} "
                             "(--output now names the output file)"] + (getattr(args, "deprecations", None) or [])
        args.to, args.output = args.output, None


def cmd_decode(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pyfantasy.cli.common import check_backend
    prog = "pyfantasy decode"
    if not check_backend(args.backend, prog, err):
        return 2
    wire = args.wire
    target = args.output
    if target is not None and target != "-":
        try:
            sink: TextIO = open(target, "w", encoding="utf-8")
        except OSError as exc:
            err.write(f"{prog}: cannot write {target}: {exc.strerror or exc}\n")
            return 1
    else:
        sink = out
    try:
        return _decode_all(args, sink, err, wire, prog)
    finally:
        if sink is not out:
            sink.close()


def _decode_all(args: argparse.Namespace, out: TextIO, err: TextIO, wire: Optional[str], prog: str) -> int:
    from pyfantasy.cassette import loads
    from pyfantasy.decode import decode_interaction, detect_format
    from pyfantasy._tools.scan.rows import is_cassette, iter_files
    write = _jsonl if args.to == "jsonl" else _text
    failed = 0
    seen = 0
    for path in iter_files(args.paths):
        seen += 1
        name = "<stdin>" if path == "-" else path
        try:
            data = _read_input(path)
            if not is_cassette(data, name):
                failed += _decode_capture(out, name, data, wire, args, write)
                continue
            cas = loads(data, name)
        except Exception as exc:  # noqa: BLE001 - one error line for the file, the run goes on
            failed += 1
            if isinstance(exc, OSError):
                exc = CassetteError(exc.strerror or str(exc), path=name)
            elif not isinstance(exc, CassetteError):  # a reader bug: still named and located
                exc = CassetteError(f"cannot read the cassette: {type(exc).__name__}: {exc}", path=name)
            write(out, name, None, wire or "unknown", False, None, exc)
            err.write(f"pyfantasy: {exc}\n")
            continue
        for it in cas.interactions:
            fmt, stream = wire or "unknown", bool(args.stream)
            try:
                wf = detect_format(it, wire, args.stream)
                fmt, stream = wf.format, wf.stream
                resp = decode_interaction(it, args.backend, format=wire, stream=args.stream)
                if wire is not None:
                    resp = _check_forced(resp, wire, _looks_like(it))
                line = _render(write, name, it.id, fmt, stream, resp,
                               _fantasy_notes(fmt, stream, resp, it.request.url or ""))
            except Exception as exc:  # noqa: BLE001 - DecodeError, or a decoder bug: one error line
                failed += 1
                write(out, name, it.id, fmt, stream, None, exc)
                continue
            out.write(line)
    if not seen:
        err.write(f"{prog}: no cassette or stream capture found\n")
        return 1
    return 1 if failed else 0


def _decode_capture(out: TextIO, path: str, data: bytes, wire: Optional[str], args: argparse.Namespace,
                    write: Any) -> int:
    """One raw body (a ``.sse`` capture, a JSON document, standard input): 1 if it failed."""
    from pyfantasy.decode import decode_body
    from pyfantasy._tools.scan.rows import sniff_stream_format
    looks_like = sniff_stream_format(data)
    fmt = wire or looks_like
    stream = args.stream if args.stream is not None else data.lstrip()[:1] not in (b"{", b"[")
    if fmt == "unknown":
        exc: Optional[PyfantasyError] = DecodeError(
            "unknown-format", "cannot tell the wire format of this body (give --wire FORMAT)")
        write(out, path, None, fmt, stream, None, exc)
        return 1
    try:
        resp = _check_forced(decode_body(data, fmt, stream, args.backend), wire, looks_like)
    except PyfantasyError as exc:
        write(out, path, None, fmt, stream, None, exc)
        return 1
    write(out, path, None, fmt, stream, resp, None, _fantasy_notes(fmt, stream, resp, ""))
    return 0

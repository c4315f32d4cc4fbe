"""Scan rows: the columns, and one row per interaction of a cassette or stream capture
(provider from the host, model, usage, cost, error) from bytes or a file."""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple
from urllib.parse import unquote

from pyfantasy._providers.formats import UNREAD, _stream_flag, request_json
from pyfantasy._providers.hosts import provider_for_host, url_parts
from pyfantasy._files import read_stat
from pyfantasy._files import CAPTURE_SUFFIXES, CASSETTE_SUFFIXES, walk
from pyfantasy._errors import CassetteError, DecodeError, PyfantasyError
from pyfantasy._providers.metadata import OpenAIMetadata, OpenRouterMetadata


# (name, SQLite type) in output order.
COLUMNS: Tuple[Tuple[str, str], ...] = (
    ("file", "TEXT"), ("interaction", "INTEGER"), ("provider", "TEXT"), ("model", "TEXT"),
    ("format", "TEXT"), ("stream", "INTEGER"), ("finish_reason", "TEXT"),
    ("input_tokens", "INTEGER"), ("output_tokens", "INTEGER"), ("total_tokens", "INTEGER"),
    ("reasoning_tokens", "INTEGER"), ("cache_creation_tokens", "INTEGER"),
    ("cache_read_tokens", "INTEGER"), ("cost_usd", "REAL"), ("duration_s", "REAL"),
    ("output_tokens_per_s", "REAL"), ("text_length", "INTEGER"), ("tool_calls", "INTEGER"),
    ("error_kind", "TEXT"), ("error_message", "TEXT"), ("error_offset", "INTEGER"),
)
NAMES = tuple(n for n, _ in COLUMNS)
XAI_TICKS_PER_USD = 10_000_000_000  # xAI's usage.cost_in_usd_ticks: 1e-10 USD each


def row_dict(row: Sequence[Any]) -> Dict[str, Any]:
    """A row tuple (``COLUMNS`` order) as a dict."""
    return dict(zip(NAMES, row))


# ---- per interaction ----------------------------------------------------------------

_URL_MODEL = re.compile(r"/models?/([^/:?]+)")


def _model(url: str, req: Any) -> str:
    if isinstance(req, dict):
        m = req.get("model")
        if isinstance(m, str) and m:
            return m
    return _url_model(url) if url else ""


@lru_cache(maxsize=4096)
def _url_model(url: str) -> str:
    """The model named in a URL's path (Gemini, Bedrock, Vertex), "" when none: logs repeat a few."""
    found = _URL_MODEL.search(url_parts(url)[2])
    return unquote(found.group(1)) if found else ""


def _cost(meta: Any) -> Optional[float]:
    """The call's cost in USD when the provider reported it (OpenRouter, Avian, xAI)."""
    if not meta:
        return None
    for value in meta.values():
        if isinstance(value, OpenRouterMetadata):
            u = value.usage
            if u.cost or u.total_tokens:
                return float(u.cost)
    for value in meta.values():
        if isinstance(value, OpenAIMetadata) and value.extra_fields:
            extra = value.extra_fields
            raw = extra.get("cost")
            if raw is not None:
                try:
                    return _finite(float(raw.text))
                except ValueError:
                    pass
            raw = extra.get("cost_in_usd_ticks")
            if raw is not None:
                try:
                    return _finite(int(raw.text) / XAI_TICKS_PER_USD)
                except (ValueError, OverflowError):  # not an integer; past float64 (a 400-digit one)
                    pass
    return None


def _finite(x: float) -> Optional[float]:
    """A cost past float64's range (``1e999``) is no cost: SQLite, CSV and JSON have no Inf."""
    return x if math.isfinite(x) else None


def _response_fields(resp: Any) -> tuple:
    """finish reason .. tool calls of a (possibly partial) Response; Nones without one."""
    if resp is None:
        return (None,) * 11
    text = 0
    calls = 0
    for part in resp.content or ():
        t = part.type
        if t == "text":
            text += len(part.text)
        elif t == "tool-call":
            calls += 1
    return _fields(resp.finish_reason, resp.usage, resp.provider_metadata, text, calls)


def _fields(finish: Any, u: Any, meta: Any, text: int, calls: int) -> tuple:
    """finish reason .. tool calls from a Response's figures (``decode_fields``'s, or the Response's)."""
    return (finish, u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
            u.cache_creation_tokens, u.cache_read_tokens, _cost(meta), None, text, calls)


def _error(exc: BaseException) -> Tuple[str, str]:
    if isinstance(exc, DecodeError):
        return exc.kind, exc.message
    if isinstance(exc, CassetteError):
        return "cassette", str(exc)
    return type(exc).__name__, str(exc) or type(exc).__name__


def make_row(path: str, iid: Optional[int], provider: str, model: str, fmt: str, stream: Optional[bool],
             resp: Any, duration_ns: Optional[int], exc: Optional[BaseException],
             fields: Optional[tuple] = None) -> tuple:
    """The row of one interaction: its decoded Response (or None), else its ``fields`` (``_fields``)."""
    (finish, i_tok, o_tok, t_tok, r_tok, cc_tok, cr_tok, cost, _, text, calls) = \
        fields if fields is not None else _response_fields(resp)
    dur = duration_ns / 1e9 if duration_ns is not None else None
    tps = o_tok / dur if dur and o_tok else None
    kind, message = _error(exc) if exc is not None else (None, None)
    offset = exc.offset if isinstance(exc, DecodeError) else None
    # missing text is None (not ""), so that every output format reads back the same
    return (path, iid, provider or None, model or None, fmt or None, stream, finish or None, i_tok,
            o_tok, t_tok, r_tok, cc_tok, cr_tok, cost, dur, tps, text, calls, kind, message or None,
            offset)


# pyfantasy.decode and the cassette readers (pyfantasy._kernels.vcr), imported on first use (the
# CLI starts without them) and then read from here, not imported again per file or interaction
_MODULES: Optional[Tuple[Any, Any]] = None


def _modules() -> Tuple[Any, Any]:
    global _MODULES
    if _MODULES is None:
        import pyfantasy._kernels.vcr as vcr
        import pyfantasy.decode as decode
        _MODULES = (decode, vcr)
    return _MODULES


# What a row reads of an interaction's URL, Content-Type and request stream flag (the same for every
# call to an endpoint) under a --wire and backend: (provider, WireFormat, the one decoded by, and
# the C decoder's figures of a body in place, or None: ``_fields_at``).
_ROUTES: Dict[tuple, tuple] = {}
_ROUTES_MAX = 4096


def _route(it: Any, url: str, req_json: Any, wire: Optional[str], backend: Optional[str]) -> tuple:
    """The row's routing of an interaction (``_ROUTES``); a key's value is computed once."""
    ctype = it.response.headers.get("Content-Type")
    key = (url, tuple(ctype) if ctype else (), _stream_flag(req_json), wire, backend)
    got = _ROUTES.get(key)
    if got is not None:
        return got
    detect_format = (_MODULES or _modules())[0].detect_format
    wf = detect_format(it, request=req_json)
    body_wf = wf if wire is None else detect_format(it, wire, request=req_json)
    got = (provider_for_host(url), wf, body_wf, _fields_at(body_wf, " ".join(ctype) if ctype else "", url, backend))
    if len(_ROUTES) >= _ROUTES_MAX:
        _ROUTES.clear()
    _ROUTES[key] = got
    return got


def _fields_at(wf: Any, ctype: str, url: str, backend: Optional[str]) -> Any:
    """``fields_reader`` of a route, for a body still in the cassette reader (a pointer and its
    size); None when ``decode_fields`` would not take the body of a status under 400 straight to
    C (python backend, a format or Content-Type refused)."""
    decode = (_MODULES or _modules())[0]
    try:
        if not decode.body_checks_pass(wf, ctype):
            return None
        return decode.fields_reader(wf.format, wf.stream, backend, variant=wf.variant or None, url=url)
    except Exception:  # noqa: BLE001 - a backend that cannot be used: the rows' own path says so
        return None


def _interaction_row(path: str, it: Any, backend: Optional[str], wire: Optional[str]) -> tuple:
    decode = (_MODULES or _modules())[0]
    req, res = it.request, it.response
    url = req.url
    # the body's model and stream as C read them (light_interactions), else parsed here once
    parsed = getattr(req, "parsed", UNREAD)
    req_json = request_json(req.body) if parsed is UNREAD else parsed
    model = _model(url, req_json)
    try:
        provider, wf, body_wf, fields_at = _route(it, url, req_json, wire, backend)
    except Exception as exc:  # noqa: BLE001 - a malformed request: still one row
        return make_row(path, it.id, provider_for_host(url), model, wire or "unknown", None, None,
                        res.duration_ns, exc)
    fmt, stream = wire or wf.format, wf.stream
    resp: Any = None
    failure: Optional[BaseException] = None
    at = getattr(res, "at", None)
    try:
        if at is not None and fields_at is not None and res.code < 400:
            # the body where the cassette reader left it (read_light(borrow=True)): no copy
            got = fields_at(at[1] + at[2], at[3])
            if got is not None:
                return make_row(path, it.id, provider, model, fmt, stream, None, res.duration_ns, None,
                                _fields(*got))
        # calls are counted, not checked: the request's tools are not read
        body, name, is_stream, variant, url, _ = decode.interaction_body(it, body_wf, False)
        # the figures straight from the C decoder's records; the Response when they cannot say
        got = None if at is not None and fields_at is not None else \
            decode.decode_fields(body, name, is_stream, backend, variant=variant, url=url)
        if got is not None:
            return make_row(path, it.id, provider, model, fmt, stream, None, res.duration_ns, None, _fields(*got))
        resp = decode.decode_body(body, name, is_stream, backend, variant=variant, url=url)
    except PyfantasyError as e:
        failure = e
        resp = getattr(e, "response", None)
    except Exception as e:  # noqa: BLE001 - a decoder bug must not end a scan of thousands of files
        failure = e
    return make_row(path, it.id, provider, model, fmt, stream, resp, res.duration_ns, failure)


# ---- per file ---------------------------------------------------------------------------

def is_cassette(data: bytes, path: str) -> bool:
    if path.endswith(CASSETTE_SUFFIXES):
        return True
    if path.endswith(CAPTURE_SUFFIXES):
        return False
    head = data[:64].lstrip()
    return head.startswith((b"---", b"version:", b"interactions:", b"%YAML"))


_SNIFF = (
    (b"chat.completion", "openai-chat"), (b'"type":"response.', "openai-responses"),
    (b"event: response.", "openai-responses"), (b"event: message_start", "anthropic"),
    (b'"type":"message_start"', "anthropic"), (b'"type": "message_start"', "anthropic"),
    (b'"candidates"', "google"), (b'"choices"', "openai-chat"),
)


def sniff_stream_format(data: bytes) -> str:
    """The wire format of a raw stream capture, from its first events ("unknown" if unclear).

    AWS event-stream framing (``:event-type`` headers in binary) is ``bedrock``.
    """
    head = data[:8192]
    if b":event-type" in head and b":message-type" in head:
        return "bedrock"
    for marker, fmt in _SNIFF:
        if marker in head:
            return fmt
    return "unknown"


_STREAM_MODEL = re.compile(rb'"model(?:Version)?"\s*:\s*"([^"\\]{1,200})"')


def _capture_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> List[tuple]:
    from pyfantasy.decode import decode_body
    fmt = wire or sniff_stream_format(data)
    m = _STREAM_MODEL.search(data, 0, 65536)
    model = m.group(1).decode("utf-8", "replace") if m else ""
    resp: Any = None
    exc: Optional[BaseException] = None
    if fmt == "unknown":
        exc = DecodeError("unknown-format", "cannot tell the wire format of this stream capture "
                                            "(give --wire FORMAT)")
    else:
        try:
            resp = decode_body(data, fmt, True, backend)
        except PyfantasyError as e:
            exc = e
            resp = getattr(e, "response", None)
        except Exception as e:  # noqa: BLE001
            exc = e
    return [make_row(path, 0, "", model, fmt, True, resp, None, exc)]


_ERROR_KIND = NAMES.index("error_kind")


def _failure_row(path: str, iid: Optional[int], fmt: str, exc: BaseException, what: str) -> tuple:
    """The error row of an unexpected exception (MemoryError, a reader bug...): its class
    name as the kind and a message naming the file, so one bad file never ends a scan."""
    detail = str(exc) or type(exc).__name__
    where = path if iid is None else f"{path}: interaction {iid}"
    row = make_row(path, iid, "", "", fmt, None, None, None, None)
    return row[:_ERROR_KIND] + (type(exc).__name__, f"{where}: {what}: {detail}", None)


def _safe_interaction_row(path: str, it: Any, backend: Optional[str], wire: Optional[str]) -> tuple:
    """``_interaction_row``, or an error row if anything unexpected fails (one interaction, one row)."""
    try:
        return _interaction_row(path, it, backend, wire)
    except Exception as exc:  # noqa: BLE001 - MemoryError included: the other interactions still count
        return _failure_row(path, getattr(it, "id", None), wire or "", exc, "cannot decode the interaction")


def _streamed_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> Optional[List[tuple]]:
    """``_cassette_rows`` reading one interaction at a time (peak memory: the file and one
    interaction, not every parsed interaction); None when the file cannot be read that way."""
    its = (_MODULES or _modules())[1].iter_interactions(data, path, backend, light=True)
    if its is None:
        return None
    rows = []
    try:
        for it in its:
            rows.append(_safe_interaction_row(path, it, backend, wire))
    except Exception:  # noqa: BLE001 - a piece that does not read: the whole file gives the error
        return None
    return rows


# Above this size a cassette is read one interaction at a time (_streamed_rows): the light read
# holds every body of the file at once, next to the file.
LIGHT_MAX_BYTES = 8 << 20


def _light_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> Optional[List[tuple]]:
    """The rows from one C parse of the whole file and a few fields per interaction
    (``light_interactions``); None when the backend has no such reader or the file needs the
    full read (which then gives the rows, or the error, as before)."""
    if len(data) > LIGHT_MAX_BYTES:
        return None
    try:
        # borrowed bodies: the rows are made before the next file is read
        its = (_MODULES or _modules())[1].read_light(data, backend, borrow=True)
    except Exception:  # noqa: BLE001 - a body that is not UTF-8, no memory: the full read says what
        return None
    if its is None:
        return None
    return [_safe_interaction_row(path, it, backend, wire) for it in its]


def _cassette_rows(path: str, data: bytes, backend: Optional[str], wire: Optional[str]) -> List[tuple]:
    """One row per interaction; one error row (interaction None) when the cassette cannot be read."""
    rows = _light_rows(path, data, backend, wire)
    if rows is not None:
        return rows
    rows = _streamed_rows(path, data, backend, wire)
    if rows is not None:
        return rows
    try:
        its = (_MODULES or _modules())[1].read_interactions(data, path, backend, light=True)
    except CassetteError as exc:  # its message already starts with the path
        return [make_row(path, None, "", "", wire or "", None, None, None, exc)]
    except Exception as exc:  # noqa: BLE001 - MemoryError, a reader bug: still one row
        return [_failure_row(path, None, wire or "", exc, "cannot read the cassette")]
    return [_safe_interaction_row(path, it, backend, wire) for it in its]


def scan_bytes(data: bytes, path: str = "<bytes>", *, backend: Optional[str] = None,
               format: Optional[str] = None) -> List[tuple]:
    """The rows (tuples in ``COLUMNS`` order) of one file's content; never raises.

    A cassette gives one row per interaction; a stream capture one row; a
    file that cannot be read or scanned at all gives one error row (interaction None).
    """
    try:
        if is_cassette(data, path):
            return _cassette_rows(path, data, backend, format)
        return _capture_rows(path, data, backend, format)
    except Exception as exc:  # noqa: BLE001 - whatever escaped the finer guards
        return [_failure_row(path, None, format or "", exc, "cannot scan the file")]


def scan_file(path: str, *, backend: Optional[str] = None, format: Optional[str] = None,
              size: int = -1) -> List[tuple]:
    """``scan_bytes`` of the file at ``path`` (an unreadable file is one error row); ``size``:
    its size when known (``read_bytes``)."""
    return scan_path(path, backend=backend, format=format, size=size)[2]


def scan_path(path: str, *, backend: Optional[str] = None, format: Optional[str] = None,
              size: int = -1) -> Tuple[int, int, List[tuple]]:
    """``scan_file``, and the file's size and mtime (ns) as read (``read_stat``; -1, -1 when it
    cannot be read)."""
    try:
        data, size, mtime = read_stat(path, size)
    except CassetteError as err:
        return -1, -1, [make_row(path, None, "", "", format or "", None, None, None, err)]
    return size, mtime, scan_bytes(data, path, backend=backend, format=format)


def iter_files(paths: Iterable[str]) -> Iterator[str]:
    """Files as given; folders searched recursively (sorted) for cassettes and stream captures."""
    return walk(paths, CASSETTE_SUFFIXES + CAPTURE_SUFFIXES)

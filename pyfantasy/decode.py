"""Decode recorded provider responses into the ``Response`` fantasy's agent records.

Entry points:
- ``decode_body(body, format, stream)``: one whole body (the hot path);
- ``StreamDecoder(format)``: incremental, ``feed(bytes) -> [StreamPart]``,
  ``close() -> Response``;
- ``decode_interaction(interaction)`` / ``decode_cassette(path)``: format,
  streaming flag, tools and HTTP status taken from the recorded request.

Pipeline: bytes -> scanner (SSE split + JSON scan; C or Python) -> the
provider's state machine -> stream parts -> the agent-step assembler. On the
native backend, chat-completions, Responses, Anthropic and Bedrock streams run
the whole of that up to the stream parts in C, one call per feed
(``_kernels.native.decoders``); a body the C side hands back goes through the Python
machine. A non-streaming body is one scanned document -> the provider's
Generate -> the agent step. Errors are ``DecodeError`` with ``kind``, ``message``,
``offset`` and ``response``: the partial Response with everything decoded
before the error.
"""
from __future__ import annotations

import os
import threading
from functools import partial
from typing import Any, Dict, List, Optional, Sequence, Union

from pyfantasy._providers.assemble import StreamAssembler, ToolSpec, generate_step
from pyfantasy._kernels import kernel, resolve
from pyfantasy._errors import DecodeError, UsageError
from pyfantasy._providers.formats import FORMATS, UNREAD, WireFormat, detect, request_json, stream_rule
from pyfantasy._providers._common import ProviderFormat
from pyfantasy._kernels.jsonscan import CHUNK_BAD_JSON, CHUNK_DONE, Chunk, scan_document
from pyfantasy.response import Response, StreamPart

__all__ = ["decode_body", "StreamDecoder", "decode_interaction", "decode_cassette", "detect_format",
           "FORMATS", "Response", "StreamPart", "DecodeError"]


# Wire format -> module of pyfantasy._providers defining ``FORMAT`` (a ProviderFormat).
_PROVIDER_MODULES = {
    "openai-chat": "openai_chat",
    "openai-responses": "openai_responses",
    "anthropic": "anthropic",
    "google": "google",
    "bedrock": "bedrock",
}
_REGISTRY: Dict[str, ProviderFormat] = {}


def _format(name: str) -> ProviderFormat:
    fmt = _REGISTRY.get(name)
    if fmt is not None:
        return fmt
    mod = _PROVIDER_MODULES.get(name)
    if mod is None:
        raise DecodeError("unknown-format", f"unknown wire format {name!r}; expected one of {', '.join(FORMATS)}")
    import importlib
    try:
        module = importlib.import_module(f"._providers.{mod}", __package__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}._providers.{mod}":
            raise
        raise DecodeError("unsupported-format", f"decoding the {name!r} format is not implemented yet") from None
    _REGISTRY[name] = fmt = module.FORMAT
    return fmt


# ---- streaming -----------------------------------------------------------------

class StreamDecoder:
    """Incremental decoder of one streamed response.

    Args:
        format: wire format (``openai-chat``, ...).
        backend: ``native``, ``python`` or None.
        variant: chat-completions hook set (``openai``, ``compat``,
            ``openrouter``, ``vercel``); default from ``url``, else ``compat``.
        url: the request URL (used to pick the variant).
        tools: the request's tools (validation of tool calls), or None.

    ``feed(data)`` returns the stream parts ``data`` completed (runs of
    deltas arrive merged); ``close()`` returns the Response or raises
    DecodeError whose ``.response`` holds what was decoded before the error.
    """

    def __init__(self, format: str, backend: Optional[str] = None, *, variant: Optional[str] = None,
                 url: Optional[str] = None, tools: Optional[Sequence[ToolSpec]] = None,
                 _c_machine: bool = True) -> None:
        self._fmt = _format(format)
        variant = _variant(self._fmt, variant, url)
        self.format = format
        self.variant = variant
        self.backend = resolve(backend)
        self._tools = tools
        self._asm = StreamAssembler(tools=tools)
        self._fed = 0
        self._ended = False   # the done marker or an error part was seen
        self._stream_done = False  # the format's end-of-stream parts were applied
        self._closed: Optional[Response] = None
        self.events = 0       # SSE events decoded
        # native: fantasy's state machine in C (``_kernels.native.decoders``); the bytes fed are kept
        # (up to KEEP_LIMIT) so that a body the C side hands back can be replayed into the
        # Python one; a longer stream moves to the Python one there, so memory stays bounded
        self._reader: Any = _native_reader(format, variant, self.backend) if _c_machine else None
        self._kept: Any = [] if self._reader is not None else None  # List[bytes] while native
        self._kept_bytes = 0
        self._given: List[StreamPart] = []   # native: parts returned that carry metadata (see _fallback)
        self._tail: List[int] = []   # native: the end-of-stream part records, applied at close()
        self._eof = False
        if self._reader is None:
            self._python_machine()

    def _python_machine(self) -> None:
        self._scanner = self._fmt.stream_scanner(self.backend)
        self._stream = self._fmt.new_stream(self.variant)

    @property
    def _input_closed(self) -> bool:
        return self._eof if self._reader is not None else self._scanner.closed

    def feed(self, data: bytes, *, last: bool = False) -> List[StreamPart]:
        """Decode the next bytes of the body; returns the parts they complete.

        Consecutive deltas of one block (same type and id; no metadata, or the same
        metadata object) come merged into one part per call, on both backends.
        ``last=True``: these are the body's last bytes (the same as feeding them and then
        calling ``close()``, with one call into the decoder instead of two).
        """
        if self._closed is not None:
            raise UsageError("StreamDecoder.feed() after close()")
        if self._input_closed:
            raise UsageError("StreamDecoder.feed() after the last bytes")
        self._fed += len(data)
        if self._reader is not None and self._kept_bytes + len(data) > KEEP_LIMIT:
            self._fallback()  # a long stream: bounded memory rather than the C state machine
        if self._reader is not None:
            parts = self._native_feed(data, last)
            if parts is not None:
                return parts
        return _merge(self._parts(self._scanner.feed(data, last)))

    def _parts(self, chunks: List[Chunk]) -> List[StreamPart]:
        out: List[StreamPart] = []
        for ch in chunks:
            if self._ended:
                break
            self.events += ch.merged
            if ch.status == CHUNK_DONE:
                self._ended = True
                break
            if ch.status == CHUNK_BAD_JSON:
                part = StreamPart("error", error=DecodeError(
                    "json", f"malformed JSON in the stream event at byte {ch.offset}", ch.offset))
                self._ended = True
                new = [part]
            else:
                new = self._stream.feed(ch)
            for p in new:
                self._asm.feed(p)
                out.append(p)
                if p.type == "error":
                    self._ended = True
        return out

    def _native_feed(self, data: bytes, last: bool) -> Optional[List[StreamPart]]:
        """The C state machine's parts for ``data``; None after handing the body to Python."""
        dn = kernel("decoders", "native")
        EOF, W = dn.EOF, dn.W
        reader = self._reader
        try:
            recs = reader.feed(data, last)
        except dn.Fallback:
            self._fallback()
            return None
        self.events = reader.events
        if last:
            self._eof = True
            self._kept = None
            self._given = []
        else:
            self._kept.append(bytes(data))
            self._kept_bytes += len(data)
        stop = len(recs)
        for i in range(0, len(recs), W):
            if recs[i] == EOF:
                stop = i
                self._tail = recs[i + W:]
                break
        parts = reader.parts(recs, 0, stop)
        for p in parts:
            self._asm.feed(p)
            if p.provider_metadata and not last:
                self._given.append(p)
        return parts

    def _fallback(self) -> None:
        """Replay what was fed into the Python state machine (over the native scanner).

        The metadata objects of the parts already returned stay the live ones: later
        events change them as fantasy's shared pointers do (``_adopt``)."""
        kept = self._kept or []
        self._reader = self._kept = None
        self._kept_bytes = 0
        self._asm = StreamAssembler(tools=self._tools)
        self._python_machine()
        replayed: List[StreamPart] = []
        for chunk in kept:
            replayed += [p for p in self._parts(self._scanner.feed(chunk, False)) if p.provider_metadata]
        _adopt(replayed, self._given, self._stream)
        self._given = []

    def close(self) -> Response:
        """End of body: the step Response. Raises DecodeError (with ``.response``)."""
        if self._closed is not None:
            return self._closed
        if self._reader is not None:
            if not self._eof:
                self._native_feed(b"", True)
            if self._reader is not None and not self._stream_done:
                self._stream_done = True
                if self._asm.error is None:
                    for p in self._reader.parts(self._tail):
                        self._asm.feed(p)
            cut = self._reader.cut if self._reader is not None else None
        if self._reader is None:
            if not self._scanner.closed:
                self._parts(self._scanner.feed(b"", True))
            if not self._stream_done:  # once, even when close() raises and is called again
                self._stream_done = True
                if self._asm.error is None:
                    for p in self._stream.done():
                        self._asm.feed(p)
            cut = self._scanner.cut
        err = self._asm.error
        if err is not None:
            if isinstance(err, DecodeError):
                _end_offset(err, self._fed)
                err.response = self._asm.snapshot(include_open=True)
            raise err
        if cut is not None:
            raise _cut_error(cut, self._asm.close())
        self._closed = self._asm.close()
        return self._closed

    @property
    def response(self) -> Response:
        """The Response as decoded so far (open blocks not included)."""
        return self._asm.snapshot()


def _end_offset(err: DecodeError, fed: int) -> None:
    """A ``truncated`` error found at the end of the body is located there."""
    if err.offset is None and err.kind == "truncated":
        err.offset = fed


def _cut_error(cut: int, response: Response) -> DecodeError:
    """The stream ended inside an event: fantasy would return ``response``; the bytes after
    ``cut`` were lost."""
    return DecodeError("truncated", f"the stream ends inside an event (starting at byte {cut}) "
                                    "that was not decoded", cut, response=response)


def _adopt(replayed: List[StreamPart], given: List[StreamPart], machine: Any) -> None:
    """After a fallback: the Python machine's metadata objects (in ``replayed``, the parts its
    replay gave) become the objects of the parts already returned (``given``, the same parts
    from C): their state is copied into the given objects, which then replace them in the
    replayed parts' maps (shared with the assembler) and in the machine's state."""
    import dataclasses
    live: Dict[int, Any] = {}
    for new, old in zip(replayed, given):
        for key, nv in (new.provider_metadata or {}).items():
            ov = (old.provider_metadata or {}).get(key)
            if ov is None or ov is nv or type(ov) is not type(nv) or id(nv) in live:
                continue
            for f in dataclasses.fields(nv):  # type: ignore[arg-type]  # metadata values are dataclasses
                setattr(ov, f.name, getattr(nv, f.name))
            live[id(nv)] = ov
    if not live:
        return
    for new in replayed:
        pm = new.provider_metadata
        if pm is None:
            continue
        for key, v in pm.items():
            pm[key] = live.get(id(v), v)
    state = vars(machine)
    for name, v in state.items():
        if id(v) in live:
            state[name] = live[id(v)]
        elif isinstance(v, dict):
            for k, x in v.items():
                v[k] = live.get(id(x), x)
        elif isinstance(v, list):
            v[:] = [live.get(id(x), x) for x in v]


def _variant(fmt: ProviderFormat, variant: Optional[str], url: Optional[str]) -> str:
    """The hook set: as given, else the request host's, else the format's default (only chat
    completions have variants)."""
    if variant is None:
        variant = (detect(url).variant if url and fmt.default_variant else "") or fmt.default_variant
    return variant


def _native_reader(format: str, variant: str, backend: Optional[str]):
    """A C decoder for this body when the backend has one for the format, else None."""
    dn = kernel("decoders", backend)
    if dn is None or format not in dn.FORMATS:
        return None
    return dn.PartReader(format, variant)


# A native StreamDecoder keeps at most this many bytes for a replay (see StreamDecoder.__init__).
KEEP_LIMIT = 8 << 20
_DELTAS = frozenset(("text-delta", "reasoning-delta", "tool-input-delta"))


def _merge(parts: List[StreamPart]) -> List[StreamPart]:
    """Consecutive deltas of one block as one part: same type and id, and no metadata or
    the very same metadata object (which the assembler would set again unchanged)."""
    if len(parts) < 2:
        return parts
    out: List[StreamPart] = []
    for p in parts:
        if out and p.type in _DELTAS:
            q = out[-1]
            if q.type == p.type and q.id == p.id and q.provider_metadata is p.provider_metadata:
                out[-1] = StreamPart(q.type, id=q.id, delta=q.delta + p.delta, provider_metadata=q.provider_metadata)
                continue
        out.append(p)
    return out


# ---- whole bodies ----------------------------------------------------------------

def decode_body(body: Union[bytes, str], format: str, stream: bool, backend: Optional[str] = None, *,
                variant: Optional[str] = None, url: Optional[str] = None,
                tools: Optional[Sequence[ToolSpec]] = None) -> Response:
    """Decode one whole response body into the step Response.

    Raises DecodeError: kind ``json`` (body or event not JSON), ``truncated``
    (stream ended early), ``provider-error`` (an error object in the
    stream), ``no-response``, ``unknown-format``...; its ``.response`` is the
    partial Response (streams) or None.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    dn = kernel("decoders", backend)
    if dn is not None:
        try:
            step = _steps.cache[format, stream, variant, url]
        except (AttributeError, KeyError):
            step = _native_step(dn, format, stream, variant, url)
        if step is not None:
            if not stream:
                resp = step(body, tools)
                if resp is not None:
                    return resp
            else:
                try:
                    done = step(body, tools)
                except DecodeError as err:
                    _end_offset(err, len(body))
                    raise
                if done is not None:
                    resp, cut = done
                    if cut is not None:
                        raise _cut_error(cut, resp)
                    return resp
    if stream:
        # the python backend, or a body the C side handed back: the Python state machine
        dec = StreamDecoder(format, backend, variant=variant, url=url, tools=tools, _c_machine=dn is None)
        dec.feed(body, last=True)
        return dec.close()
    fmt = _format(format)
    variant = _variant(fmt, variant, url)
    chunks = scan_document(body, fmt.generate_spec, backend)
    if not chunks or chunks[0].status != 0:
        raise DecodeError("json", fmt.bad_json_message, 0)
    provider = fmt.generate(chunks[0].value, variant)
    return generate_step(provider, tools)


# This thread's whole-body steps of the C decoders (``decoders.body_step`` / ``document_step``),
# by (format, stream, variant, url) as decode_body is given them: None where the format has no C
# machine. A few entries at most in practice; cleared past _STEPS_MAX (distinct URLs).
_steps = threading.local()
_STEPS_MAX = 256


def _native_step(dn: Any, format: str, stream: bool, variant: Optional[str], url: Optional[str]) -> Any:
    """The step ``decode_body`` runs for these arguments on the native backend (then kept in
    ``_steps``), or None; raises the DecodeError of an unknown format as the Python path would."""
    try:
        cache = _steps.cache
    except AttributeError:
        cache = _steps.cache = {}
    if stream:
        if format not in dn.FORMATS:
            return None
        step = dn.body_step(format, variant or _variant(_format(format), None, url))
    else:
        fmt = _format(format)
        if format not in dn.DOCUMENT_FORMATS:
            return None
        step = dn.document_step(format, _variant(fmt, variant, url))
    if len(cache) >= _STEPS_MAX:
        cache.clear()
    cache[format, stream, variant, url] = step
    return step


# ---- recorded interactions --------------------------------------------------------

def detect_format(interaction: Any, format: Optional[str] = None, stream: Optional[bool] = None, *,
                  request: Any = UNREAD) -> WireFormat:
    """The wire format of a recorded interaction, from its request (docs/semantics.md#recognising-the-wire-format).

    ``format`` overrides detection; streaming then follows that format's own
    rule (``stream_rule``), since an unknown URL tells nothing. ``stream`` forces it.
    ``request``: the request body as ``request_json`` reads it, when the caller has it.
    """
    req, resp = interaction.request, interaction.response
    ctype = " ".join(resp.headers.get("Content-Type", [])) if resp is not None else ""
    wf = detect(req.url, req.body, ctype, request)
    if format is not None:
        variant = wf.variant if wf.format == format else _host_variant(format, req.url)
        wf = WireFormat(format, stream_rule(format, req.url, req.body, ctype, request), variant, "format given")
    if stream is not None:
        wf = wf._replace(stream=stream, why=f"{wf.why}; stream given")
    return wf


def _host_variant(format: str, url: str) -> str:
    """The chat-completions hook set the host implies when the path did not reveal the format."""
    if format != "openai-chat":
        return ""
    from urllib.parse import urlsplit
    from pyfantasy._providers.hosts import variant_for_host
    return variant_for_host(urlsplit(url or "").netloc)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else body.encode("utf-8")


def _is_json_ctype(ctype: str) -> bool:
    base = ctype.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def decode_interaction(interaction: Any, backend: Optional[str] = None, *, format: Optional[str] = None,
                       stream: Optional[bool] = None) -> Response:
    """Decode one cassette interaction.

    The format is detected from the request unless ``format`` is given;
    ``stream`` forces streaming on or off (default: as ``detect_format`` decides).
    """
    return _decode_interaction(interaction, backend, detect_format(interaction, format, stream), True)


def _decode_interaction(interaction: Any, backend: Optional[str], wf: WireFormat, with_tools: bool) -> Response:
    """``decode_interaction`` with the wire format already told (``detect_format``);
    ``with_tools=False`` skips reading the request's tools (the agent's checks of the calls then
    only check their JSON: a scan row counts calls, valid or not)."""
    body, name, is_stream, variant, url, tools = interaction_body(interaction, wf, with_tools)
    return decode_body(body, name, is_stream, backend, variant=variant, url=url, tools=tools)


def interaction_body(interaction: Any, wf: WireFormat, with_tools: bool) -> tuple:
    """What ``decode_body`` is given for a recorded interaction: (body, format, stream, variant,
    url, tools); raises the DecodeError of an interaction with nothing to decode (unknown
    format, an HTTP error status, a non-JSON Content-Type)."""
    name, is_stream = wf.format, wf.stream
    if name == "unknown":
        raise DecodeError("unknown-format", f"cannot tell the wire format: {wf.why}; give it explicitly "
                                            f"(format=, CLI --wire) as one of {', '.join(FORMATS)}")
    fmt = _format(name)
    req, resp = interaction.request, interaction.response
    body = _body_bytes(resp.body)
    if resp.code >= 400:
        raise DecodeError("http-status", fmt.http_error(resp.code, resp.status, body, req.url))
    tools = fmt.request_tools(request_json(req.body)) if with_tools else None
    ctype = " ".join(resp.headers.get("Content-Type", []))
    if _refused_ctype(fmt, is_stream, ctype):
        raise DecodeError("content-type", "expected destination type of 'string' or '[]byte' for responses "
                                          f"with content-type '{ctype}' that is not 'application/json'")
    return body, name, is_stream, wf.variant or None, req.url, tools


def _refused_ctype(fmt: ProviderFormat, stream: bool, ctype: str) -> bool:
    """A non-streaming body whose Content-Type the format's client refuses (not JSON)."""
    return not stream and bool(ctype) and not _is_json_ctype(ctype) and fmt.check_json_content_type


def body_checks_pass(wf: WireFormat, ctype: str) -> bool:
    """Whether ``interaction_body`` gives the body of an interaction in wire format ``wf`` with
    this response Content-Type when its status is under 400 (a known format, a Content-Type its
    client takes): what does not depend on the interaction itself."""
    return wf.format != "unknown" and not _refused_ctype(_format(wf.format), wf.stream, ctype)


def decode_fields(body: bytes, format: str, stream: bool, backend: Optional[str] = None, *,
                  variant: Optional[str] = None, url: Optional[str] = None) -> Optional[tuple]:
    """(finish reason, usage, provider metadata, text length, tool calls) of what ``decode_body``
    would return, from the C decoder's records without making the Response (a scan row's
    figures; calls are counted, not checked); None when that takes the Response: the python
    backend, a body the C side hands back, an error, a stream cut short. Then ``decode_body``."""
    read = fields_reader(format, stream, backend, variant=variant, url=url)
    return None if read is None else read(body)


def fields_reader(format: str, stream: bool, backend: Optional[str] = None, *, variant: Optional[str] = None,
                  url: Optional[str] = None) -> Any:
    """``decode_fields`` bound to a format, variant and backend: called with the body (bytes, or a
    C pointer and its size: a body still in the cassette reader); None when the backend has no C
    decoder of that format (then ``decode_body``)."""
    dn = kernel("decoders", backend)
    if dn is None or format not in (dn.FORMATS if stream else dn.DOCUMENT_FORMATS):
        return None
    return partial(dn.whole_fields, format, variant or _variant(_format(format), None, url), stream)


def decode_cassette(path_or_cassette: Any, backend: Optional[str] = None, *, format: Optional[str] = None,
                    errors: str = "raise", stream: Optional[bool] = None) -> List[Any]:
    """Decode every interaction of a cassette, in order.

    ``errors="raise"`` (default) raises the first DecodeError (its message
    names the cassette and interaction); ``errors="return"`` puts the
    DecodeError in the list in place of the Response. ``format`` and
    ``stream`` are passed to ``decode_interaction`` for every interaction.
    """
    from pyfantasy.cassette import Cassette, load
    if isinstance(path_or_cassette, Cassette):
        cas, where = path_or_cassette, "<cassette>"
    else:
        where = os.fspath(path_or_cassette)
        cas = load(where)
    out: List[Any] = []
    for it in cas.interactions:
        try:
            out.append(decode_interaction(it, backend, format=format, stream=stream))
        except DecodeError as exc:
            located = exc.located(f"{where}#{it.id}")
            if errors == "raise":
                raise located.with_traceback(exc.__traceback__) from None
            out.append(located)
    return out

"""Anthropic Messages (direct and Vertex) as fantasy decodes them.

docs/semantics.md#anthropic-messages: ``providers/anthropic/anthropic.go`` serves
api.anthropic.com, Vertex ``rawPredict``/``streamRawPredict`` and (through
``bedrock.py``) Bedrock; all share this decoding. ``decode_generate`` is the
non-streaming path (docs/semantics.md#anthropic-non-streaming); ``AnthropicStream`` is the streaming state
machine (docs/semantics.md#anthropic-streaming): fantasy's part emission over anthropic-sdk-go's message
accumulator; ``SSEScanner`` is the SDK's event dispatch (docs/semantics.md#sse-readers). The native
backend runs the same machine in C (``native/pf_anthropic.c``), which must match
this one on every input.

Strategy
    The SDK reads SSE events by *name*: the six message/content-block names
    are parsed as JSON (then fantasy switches on the JSON ``type``), ``ping``
    and every other name (or none) are skipped, ``error`` stops the stream.
    ``SSEScanner`` wraps the shared ``Scanner`` and drops the skipped names
    before anything else sees them, so a malformed ``ping`` is no error (as
    in the SDK) while a malformed ``content_block_delta`` is.

    The accumulator keeps one record per content block (appended only when
    the start event's ``index`` is the next one), so a stop event finds the
    block's type, accumulated tool input and signature by index. Text and
    reasoning text come from the deltas (the agent's buffers), not the
    accumulator; tool input comes from the accumulator: the raw
    concatenation of ``partial_json`` strings, where the first non-empty
    one *replaces* the ``{}`` placeholder of the start event.

Coalescing (``STREAM_SPEC``)
    ``delta.text`` and ``delta.thinking`` are COALESCE: repeating them is
    pure concatenation for both the agent's buffers and the accumulator, so
    a run of deltas of one block reaches Python as one chunk (the type and
    index leaves are INERT: a run never crosses blocks). ``partial_json`` is
    *not*: the ``{}`` replacement rule makes ``"{" + "}" + "x"`` give ``"x"``
    delta by delta but ``"{}x"`` merged. ``signature`` is not either (each
    signature delta replaces the reasoning metadata; it comes once anyway).

Choices where fantasy's behaviour could not be read (docs/semantics.md#open-doubts)
    * An ``error`` event reads as fantasy's re-titled provider error:
      ``provider overloaded: <message>`` for ``overloaded_error``,
      ``rate limit exceeded: <message>`` for ``rate_limit_error``, else the
      error type with ``_`` as spaces; data without an ``error`` object gives
      ``received error while streaming: <data>``. Kind ``provider-error``.
    * Non-streaming ``tool_use`` input is the compact JSON of the parsed
      value (Anthropic sends compact JSON with raw UTF-8, so this equals the
      body's text for every recorded call; a body with escapes such as
      ``\\u00e9`` or spaces in ``input`` would differ from fantasy's raw copy).
    * SSE lines are split as WHATWG does (a lone CR also ends a line), and
      a blank line without data dispatches nothing; the SDK's reader splits
      on LF only and dispatches every blank line. No recorded stream differs.
"""
from __future__ import annotations

from typing import Any, List, NamedTuple, Optional

from pyfantasy._providers.assemble import ToolSpec
from pyfantasy._errors import DecodeError
from pyfantasy._go.json import UnsupportedValueError, encode_str
from pyfantasy._kernels.jsonscan import CHUNK_BAD_JSON, CHUNK_OK, COALESCE, INERT, JSONFloat, Scanner, Spec, map_json
from pyfantasy.response import (AnthropicReasoningMetadata, AnthropicWebSearchResultMetadata, ReasoningContent,
                        Response, SourceContent, StreamPart, TextContent, ToolCallContent,
                        ToolResultContent, Usage, WebSearchResultItem)
from pyfantasy._http_status import status_text, status_title
from pyfantasy._providers import _common as c
from pyfantasy._providers.values import lenient_int, lenient_object, lenient_str

STREAM_SPEC = Spec({
    "type": INERT,
    "index": INERT,
    "message.content": 0,
    "message.stop_reason": 0,
    "message.usage": 0,
    "content_block": 0,
    "delta.type": INERT,
    "delta.text": COALESCE,
    "delta.thinking": COALESCE,
    "delta.signature": 0,
    "delta.partial_json": 0,
    "delta.stop_reason": 0,
    "usage": 0,
    "error": 0,
})

GENERATE_SPEC = Spec({
    "content": 0,
    "stop_reason": 0,
    "usage": 0,
})

# SSE event names anthropic-sdk-go parses (the others, "ping" included, are skipped).
DISPATCHED = frozenset(("message_start", "message_delta", "message_stop", "content_block_start",
                        "content_block_delta", "content_block_stop", "error"))
# Name of the chunks a transport adds for its own errors (bedrock.py); cannot come from SSE,
# since SSEScanner drops every name not in DISPATCHED.
TRANSPORT_ERROR = "\x00transport-error"
# Value of an ``error`` event whose data is not JSON.
NOT_JSON = object()


class ErrorEvent(NamedTuple):
    """The value of an ``error`` chunk: its data scanned (``NOT_JSON`` when it is not
    JSON) and as received (the text fantasy quotes when it holds no error object)."""

    value: Any
    data: str


class EventTail:
    """The bytes of an SSE stream from the start of its last scanned event on.

    The scanner hands over pruned values; an ``error`` event's message quotes its
    data as received, so its bytes are read again from here. A bytearray trimmed
    after every feed: O(last event + feed) memory, O(n) time over the stream.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]

    def add(self, data: bytes) -> None:
        self._buf += data

    def data(self, start: int, end: Optional[int]) -> str:
        """The data of the event whose lines run from ``start`` to ``end`` (None: to the tail)."""
        from pyfantasy.sse import SSEDecoder
        block = bytes(self._buf[start - self._base:None if end is None else end - self._base])
        dec = SSEDecoder("python")
        events = dec.feed(block) + dec.close()
        return events[0].data if events else ""

    def trim(self, offset: int) -> None:
        """Forget the bytes before ``offset`` (the start of an event already scanned)."""
        if offset > self._base:
            del self._buf[:offset - self._base]
            self._base = offset

_FINISH = {"end_turn": "stop", "pause_turn": "stop", "stop_sequence": "stop",
           "max_tokens": "length", "model_context_window_exceeded": "length",
           "tool_use": "tool-calls",
           "refusal": "content-filter", "content_filtered": "content-filter",
           "guardrail_intervened": "content-filter"}


def map_finish(stop_reason: str) -> str:
    """``mapFinishReason`` (docs/semantics.md#anthropic-non-streaming)."""
    return _FINISH.get(stop_reason, "unknown")


def _usage(u: dict) -> Usage:
    inp, out = lenient_int(u.get("input_tokens")), lenient_int(u.get("output_tokens"))
    return Usage(input_tokens=inp, output_tokens=out, total_tokens=inp + out, reasoning_tokens=0,
                 cache_creation_tokens=lenient_int(u.get("cache_creation_input_tokens")),
                 cache_read_tokens=lenient_int(u.get("cache_read_input_tokens")))


def _raw_input(v: Any, present: bool) -> str:
    """A ``json.RawMessage`` field as text: the value's compact JSON, "" when absent."""
    return c.raw_text(v) if present else ""


def _go_float(v: Any) -> Any:
    return float(v) if type(v) is int or type(v) is JSONFloat else v


def _go_number(v: Any) -> Any:
    """A parsed value as Go's ``any`` holds it: every number a float64 (iterative: any depth)."""
    return map_json(v, _go_float)


def go_reencode(v: Any) -> str:
    """``json.Marshal`` of a value decoded into ``any`` (docs/semantics.md#go-json-encoding-rules,
    rule 10), "" if it cannot be encoded."""
    try:
        return encode_str(_go_number(v))
    except (UnsupportedValueError, OverflowError):
        return ""


def _reasoning_meta(signature: str = "", redacted: str = "") -> dict:
    return {"anthropic": AnthropicReasoningMetadata(signature=signature, redacted_data=redacted)}


def _web_search(block: dict):
    """Sources and the tool result of a ``web_search_tool_result`` block (docs/semantics.md#anthropic-non-streaming):
    ``(sources as (url, title), tool_use_id, metadata or None)``."""
    content = block.get("content")
    sources = []
    meta = None
    if isinstance(content, list) and content:
        items = []
        for r in content:
            r = lenient_object(r)
            url, title = lenient_str(r.get("url")), lenient_str(r.get("title"))
            sources.append((url, title))
            items.append(WebSearchResultItem(url=url, title=title,
                                             encrypted_content=lenient_str(r.get("encrypted_content")),
                                             page_age=lenient_str(r.get("page_age"))))
        meta = {"anthropic": AnthropicWebSearchResultMetadata(results=items)}
    elif isinstance(content, dict) and lenient_str(content.get("error_code")):
        meta = {"anthropic": AnthropicWebSearchResultMetadata(error_code=lenient_str(content["error_code"]))}
    return sources, lenient_str(block.get("tool_use_id")), meta


_GO_KIND = {list: "array", str: "string", bool: "bool", int: "number", JSONFloat: "number"}


def _not_an_object(v: Any, what: str) -> DecodeError:
    kind = _GO_KIND.get(type(v), "number")
    return DecodeError("json", f"json: cannot unmarshal {kind} into Go value of type {what}", 0)


# ---- non-streaming (docs/semantics.md#anthropic-non-streaming) ----------------------

def decode_generate(doc: Any, variant: str = "") -> Response:
    """The provider Response of a non-streaming body (scanned with GENERATE_SPEC)."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise _not_an_object(doc, "anthropic.Message")
    content: List[Any] = []
    blocks = doc.get("content")
    for b in blocks if isinstance(blocks, list) else ():
        if not isinstance(b, dict):
            continue
        t = lenient_str(b.get("type"))
        if t == "text":
            content.append(TextContent(text=lenient_str(b.get("text"))))  # citations are ignored
        elif t == "thinking":
            content.append(ReasoningContent(text=lenient_str(b.get("thinking")),
                                            provider_metadata=_reasoning_meta(lenient_str(b.get("signature")))))
        elif t == "redacted_thinking":
            meta = _reasoning_meta(redacted=lenient_str(b.get("data")))
            content.append(ReasoningContent(text="", provider_metadata=meta))
        elif t == "tool_use":
            content.append(ToolCallContent(tool_call_id=lenient_str(b.get("id")), tool_name=lenient_str(b.get("name")),
                                           input=_raw_input(b.get("input"), "input" in b)))
        elif t == "server_tool_use":
            content.append(ToolCallContent(tool_call_id=lenient_str(b.get("id")), tool_name=lenient_str(b.get("name")),
                                           input=go_reencode(b.get("input")), provider_executed=True))
        elif t == "web_search_tool_result":
            sources, tool_use_id, meta = _web_search(b)
            for url, title in sources:
                content.append(SourceContent(source_type="url", id=url, url=url, title=title))
            content.append(ToolResultContent(tool_call_id=tool_use_id, tool_name="web_search", result=None,
                                             provider_executed=True, provider_metadata=meta))
    return Response(content=content or None, finish_reason=map_finish(lenient_str(doc.get("stop_reason"))),
                    usage=_usage(lenient_object(doc.get("usage"))), warnings=None, provider_metadata={})


# ---- streaming (docs/semantics.md#anthropic-streaming) ---------------------------------

class _Block:
    """One content block of the SDK's accumulated message."""

    __slots__ = ("type", "id", "name", "input", "signature", "data", "raw")

    def __init__(self, cb: Any) -> None:
        cb = lenient_object(cb)
        self.raw = cb
        self.type = lenient_str(cb.get("type"))
        self.id = lenient_str(cb.get("id"))
        self.name = lenient_str(cb.get("name"))
        self.input = _raw_input(cb.get("input"), "input" in cb)
        self.signature = lenient_str(cb.get("signature"))
        self.data = lenient_str(cb.get("data"))


_USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")


class AnthropicStream:
    """fantasy's ``languageModel.Stream`` over scanned SSE chunks (``feed``
    per chunk, ``done`` at the end; both return stream parts). Text and
    reasoning ids are the block index as a decimal string; tool parts use
    the block id. After an error part everything is ignored."""

    def __init__(self, variant: str = "") -> None:
        self.blocks: List[_Block] = []
        self.usage = dict.fromkeys(_USAGE_KEYS, 0)
        self.stop_reason = ""
        self.stopped = False   # message_stop seen
        self.failed = False

    def feed(self, chunk: Any) -> List[StreamPart]:
        if self.failed:
            return []
        name, v = chunk.event, chunk.value
        if name == TRANSPORT_ERROR:
            kind, message, offset = v
            return self._fail(kind, message, offset)
        if name == "error":
            return self._fail("provider-error", stream_error_text(v), chunk.offset)
        if v is None:
            return []  # JSON null decodes into an empty event: nothing happens
        if not isinstance(v, dict):
            err = _not_an_object(v, "anthropic.MessageStreamEventUnion")
            return self._fail("json", f"{err.message} (the stream event at byte {chunk.offset})", chunk.offset)
        t = v.get("type")
        if t == "content_block_delta":
            return self._delta(v)
        if t == "content_block_start":
            return self._start(v)
        if t == "content_block_stop":
            return self._stop(v)
        if t == "message_start":
            m = lenient_object(v.get("message"))
            content = m.get("content")
            self.blocks = [_Block(b) for b in content] if isinstance(content, list) else []
            u = lenient_object(m.get("usage"))
            self.usage = {k: lenient_int(u.get(k)) for k in _USAGE_KEYS}
            self.stop_reason = lenient_str(m.get("stop_reason"))
        elif t == "message_delta":
            self.stop_reason = lenient_str(lenient_object(v.get("delta")).get("stop_reason"))
            u = lenient_object(v.get("usage"))
            self.usage["output_tokens"] = lenient_int(u.get("output_tokens"))
            for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
                if u.get(k) is not None:
                    self.usage[k] = lenient_int(u[k])
        elif t == "message_stop":
            self.stopped = True
        return []

    def _fail(self, kind: str, message: str, offset: Optional[int] = None) -> List[StreamPart]:
        self.failed = True
        return [c.error_part(kind, message, offset)]

    def _block(self, v: dict) -> Optional[_Block]:
        idx = lenient_int(v.get("index"))
        return self.blocks[idx] if 0 <= idx < len(self.blocks) else None

    def _start(self, v: dict) -> List[StreamPart]:
        idx = lenient_int(v.get("index"))
        cb = v.get("content_block")
        block = _Block(cb)
        if idx == len(self.blocks):
            self.blocks.append(block)
        t, bid = block.type, c.int_text(idx)
        if t == "text":
            return [StreamPart("text-start", id=bid)]
        if t == "thinking":
            return [StreamPart("reasoning-start", id=bid)]
        if t == "redacted_thinking":
            return [StreamPart("reasoning-start", id=bid,
                               provider_metadata=_reasoning_meta(redacted=block.data) if block.data else None)]
        if t == "tool_use":
            return [StreamPart("tool-input-start", id=block.id, tool_call_name=block.name)]
        if t == "server_tool_use":
            return [StreamPart("tool-input-start", id=block.id, tool_call_name=block.name,
                               provider_executed=True)]
        return []

    def _delta(self, v: dict) -> List[StreamPart]:
        d = lenient_object(v.get("delta"))
        t = d.get("type")
        bid = c.int_text(lenient_int(v.get("index")))
        if t == "text_delta":
            return [StreamPart("text-delta", id=bid, delta=lenient_str(d.get("text")))]
        if t == "thinking_delta":
            return [StreamPart("reasoning-delta", id=bid, delta=lenient_str(d.get("thinking")))]
        block = self._block(v)
        if t == "signature_delta":
            sig = lenient_str(d.get("signature"))
            if block is not None:
                block.signature += sig
            return [StreamPart("reasoning-delta", id=bid, provider_metadata=_reasoning_meta(sig))]
        if t == "input_json_delta":
            if block is None:
                return []
            pj = lenient_str(d.get("partial_json"))
            if pj:
                block.input = pj if block.input == "{}" else block.input + pj
            return [StreamPart("tool-input-delta", id=block.id, delta=pj)]
        return []  # citations_delta and unknown deltas

    def _stop(self, v: dict) -> List[StreamPart]:
        block = self._block(v)
        if block is None:
            return []
        t, bid = block.type, c.int_text(lenient_int(v.get("index")))
        if t == "text":
            return [StreamPart("text-end", id=bid)]
        if t == "thinking":
            return [StreamPart("reasoning-end", id=bid,
                               provider_metadata=_reasoning_meta(block.signature) if block.signature else None)]
        if t == "redacted_thinking":
            return [StreamPart("reasoning-end", id=bid,
                               provider_metadata=_reasoning_meta(redacted=block.data) if block.data else None)]
        if t in ("tool_use", "server_tool_use"):
            pe = t == "server_tool_use"
            return [StreamPart("tool-input-end", id=block.id, provider_executed=pe),
                    StreamPart("tool-call", id=block.id, tool_call_name=block.name, tool_call_input=block.input,
                               provider_executed=pe)]
        if t == "web_search_tool_result":
            sources, tool_use_id, meta = _web_search(block.raw)
            out = [StreamPart("source", id=url, source_type="url", url=url, title=title) for url, title in sources]
            out.append(StreamPart("tool-result", id=tool_use_id, tool_call_name="web_search",
                                  provider_executed=True, provider_metadata=meta))
            return out
        return []

    def done(self) -> List[StreamPart]:
        if self.failed:
            return []
        if not self.stopped or not self.stop_reason:
            return self._fail("truncated", "stream transport error: unexpected EOF")
        return [StreamPart("finish", usage=_usage(self.usage), finish_reason=map_finish(self.stop_reason),
                           provider_metadata={})]


_TITLES = {"overloaded_error": "provider overloaded", "rate_limit_error": "rate limit exceeded"}


def stream_error_text(ev: ErrorEvent) -> str:
    """The error of an SSE ``error`` event (see the module docstring)."""
    err = ev.value.get("error") if isinstance(ev.value, dict) else None
    if isinstance(err, dict):
        etype, msg = lenient_str(err.get("type")), lenient_str(err.get("message"))
        title = _TITLES.get(etype, etype.replace("_", " "))
        return f"{title}: {msg}" if title else msg
    return "received error while streaming: " + ev.data


class SSEScanner:
    """The shared SSE ``Scanner`` with anthropic-sdk-go's event dispatch:
    only the names in DISPATCHED come out; an ``error`` event comes out as OK
    with an ErrorEvent value (NOT_JSON inside when its data is not JSON). Same interface as
    ``Scanner`` (``backend``, ``feed``, ``closed``, ``cut``)."""

    def __init__(self, backend: Optional[str] = None) -> None:
        self._s = Scanner(STREAM_SPEC, True, None, True, backend)
        self.backend = self._s.backend
        self._tail = EventTail()

    @property
    def closed(self) -> bool:
        return self._s.closed

    @property
    def cut(self) -> Optional[int]:
        return self._s.cut

    def feed(self, data: bytes, eof: bool = False) -> list:
        self._tail.add(data)
        return dispatch(self._s.feed(data, eof), self._tail)


def dispatch(chunks: list, tail: EventTail) -> list:
    """Keep the chunks the SDK reads (see SSEScanner); an ``error`` chunk's value
    becomes an ErrorEvent with its data read again from ``tail``."""
    out = []
    for k, ch in enumerate(chunks):
        if ch.event not in DISPATCHED:
            continue
        if ch.event == "error":
            end = chunks[k + 1].offset if k + 1 < len(chunks) else None
            value = NOT_JSON if ch.status == CHUNK_BAD_JSON else ch.value
            ch = ch._replace(status=CHUNK_OK, value=ErrorEvent(value, tail.data(ch.offset, end)))
        out.append(ch)
    if chunks:
        tail.trim(chunks[-1].offset)
    return out


# ---- request and HTTP errors ------------------------------------------------------------

def request_tools(body: Any) -> Optional[List[ToolSpec]]:
    """The tools a Messages request offers, for tool-call validation (docs/semantics.md#tool-call-validation): function
    tools (``input_schema``) with their ``required`` keys, and the executable
    provider tool ``computer`` (``computer_*`` types). Server tools such as
    ``web_search`` are not client tools. None when the request has no tool list."""
    if not isinstance(body, dict) or not isinstance(body.get("tools"), list):
        return None
    specs = []
    for t in body["tools"]:
        t = lenient_object(t)
        typ, name = lenient_str(t.get("type")), lenient_str(t.get("name"))
        if typ.startswith("computer_"):
            specs.append(ToolSpec(name, (), provider_executable=True))
        elif typ in ("", "custom"):
            req = lenient_object(t.get("input_schema")).get("required")
            specs.append(ToolSpec(name, tuple(x for x in req if isinstance(x, str)) if isinstance(req, list) else ()))
    return specs


def go_quote(s: str) -> str:
    """Go's ``%q`` of a string (printable characters kept, the rest escaped)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif not ch.isprintable() and o > 0x7F:
            out.append("\\u%04x" % o if o <= 0xFFFF else "\\U%08x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def http_error(code: int, status: str, body: bytes, url: str) -> str:
    """docs/semantics.md#http-error-statuses, anthropic-sdk-go: ``<title>: POST "<url>":
    <code> <Status Text> <raw body>``."""
    return f"{status_title(code)}: POST {go_quote(url)}: {code} {status_text(code)} " \
           f"{body.decode('utf-8', 'replace')}"


FORMAT = c.ProviderFormat("anthropic", STREAM_SPEC, GENERATE_SPEC, AnthropicStream, decode_generate, request_tools,
                          http_error, scanner=SSEScanner,
                          bad_json_message="error parsing response json: the body is not valid JSON")

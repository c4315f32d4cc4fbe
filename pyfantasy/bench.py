"""``pyfantasy bench``: decoding throughput on the user's cassettes, pyfantasy beside its peers.

What is timed: each recorded response body, per wire format and streaming
flag (a "workload"), decoded from bytes to a final message by every
contender that applies and is installed:

- ``pyfantasy-native`` / ``pyfantasy-python``: ``StreamDecoder`` fed the
  body in socket-sized chunks, then ``close()`` (streams); ``decode_body``
  (single documents). Request tools and URL are passed as
  ``decode_interaction`` would.
- ``httpx-sse+json`` / ``httpx-sse+orjson``: httpx-sse's line and event
  decoders over incrementally decoded text, each event's data parsed and
  folded into a plain dict (text, reasoning, tool calls, finish, usage): the
  pipeline people write by hand.
- ``orjson-bytes``: the fastest hand-written pipeline: bytes split on LF,
  ``data:`` lines parsed with orjson, the same dict assembly.
- ``openai-sdk``: the openai SDK's SSE decoder, ``construct_type`` into its
  models, and ``ChatCompletionStreamState`` / ``ResponseStreamState``
  accumulation (what ``client.chat.completions.stream()`` does).
- ``anthropic-sdk``: the anthropic SDK's SSE decoder, its event models and
  ``accumulate_event`` (what ``client.messages.stream()`` does); on Bedrock
  after botocore's event-stream framing.
- ``google-genai``: the google-genai SDK's SSE line splitting and
  ``GenerateContentResponse`` per chunk (what ``generate_content_stream``
  yields).
- ``botocore+json``/``+orjson``: Bedrock's binary event stream framed by
  botocore's ``EventStreamBuffer``, base64 payloads decoded and parsed.
- single documents: ``json`` and ``orjson`` (parse only), and for the
  openai/anthropic SDKs their response models built from the parsed JSON.

Method: the bodies are split into chunks before timing; one warm-up call
per contender checks its result, so a broken path is reported FAILED and
never timed: a peer must have processed exactly the reference number of
events (SSE events dispatched per WHATWG, Bedrock frames, or documents);
pyfantasy must return, for every body, the Response its python backend
returned in a first pass (byte-identical JSON), which also checks native
against python. Bodies that first pass cannot decode are left out for all
contenders and listed.
Then each contender runs ``number`` times per repetition (enough to last
``min_time``), repetitions interleaved round-robin across contenders so
drift on a shared machine hits all alike; the figure is the minimum over
``repeat`` repetitions of ``time.perf_counter`` deltas, with the garbage
collector disabled while timing. Ratios are times relative to the fastest
contender of the workload (1.00 = fastest).

An SDK that rejects some events (e.g. a compatible API's chunk shape the
SDK's model cannot take) keeps going, as a user's loop with a try would;
the rejections are counted and shown in the row's notes.
"""
from __future__ import annotations

import base64
import codecs
import gc
import json
import math
import os
import platform
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

__all__ = ["Body", "Workload", "Contender", "Result", "collect", "contenders", "run_bench", "format_table",
           "to_json", "samples_dir", "reference_events"]

DEFAULT_CHUNK = 4096


def samples_dir() -> str:
    """The cassettes bundled with pyfantasy (``pyfantasy/samples``)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")


# ---- input ---------------------------------------------------------------------

@dataclass
class Body:
    """One recorded response body and what a decoder needs to know about it."""

    data: bytes
    format: str
    stream: bool
    variant: str
    url: str
    request_body: Any
    events: int           # reference count: SSE events, Bedrock frames, or 1 per document
    where: str = ""       # "path#id"
    expected: Optional[bytes] = None   # Response JSON from pyfantasy's python backend (the check)
    summary: Optional[Dict[str, Any]] = None   # what every peer's result is checked on (``summarize``)


@dataclass
class Workload:
    """The bodies of one wire format and streaming flag, with pre-split chunks."""

    format: str
    stream: bool
    bodies: List[Body] = field(default_factory=list)
    chunks: List[List[bytes]] = field(default_factory=list)
    excluded: List[str] = field(default_factory=list)    # "path#id: why" (pyfantasy could not decode it)
    pyfantasy_reason: Optional[str] = None                # why pyfantasy cannot run this workload, if so

    @property
    def name(self) -> str:
        return f"{self.format} {'stream' if self.stream else 'single'}"

    @property
    def nbytes(self) -> int:
        return sum(len(b.data) for b in self.bodies)

    @property
    def events(self) -> int:
        return sum(b.events for b in self.bodies)


def _eventstream_frames(data: bytes) -> int:
    """Complete AWS event-stream frames in ``data`` (prelude: total length, headers length, CRC)."""
    n = pos = 0
    while pos + 12 <= len(data):
        total = struct.unpack_from(">I", data, pos)[0]
        if total < 16 or pos + total > len(data):
            break
        pos += total
        n += 1
    return n


def reference_events(data: bytes, format: str, stream: bool) -> int:
    """The events a decoder of this body must process: SSE events dispatched
    (pyfantasy's python SSE decoder, WHATWG rules), Bedrock frames, or 1."""
    if not stream:
        return 1
    if format == "bedrock":
        return _eventstream_frames(data)
    from pyfantasy.sse import SSEDecoder
    dec = SSEDecoder("python")
    return len(dec.feed(data)) + len(dec.close())


def collect(paths: Sequence[str], chunk: int = DEFAULT_CHUNK, formats: Optional[Sequence[str]] = None,
            err: Optional[Any] = None) -> Tuple[List[Workload], int, int]:
    """Read the cassettes under ``paths``; returns (workloads, files read, interactions used).

    Interactions with an HTTP error status, an empty body or an unknown wire
    format are left out; so are bodies pyfantasy's python backend cannot
    decode (listed in ``Workload.excluded``), so that every contender works
    on the same bodies.
    """
    from pyfantasy._errors import CassetteError, DecodeError
    from pyfantasy.cassette import load
    from pyfantasy._files import CASSETTE_SUFFIXES, walk
    from pyfantasy.decode import decode_body, detect_format
    from pyfantasy._providers.formats import request_json
    work: Dict[Tuple[str, bool], Workload] = {}
    files = used = 0
    for path in walk(paths, CASSETTE_SUFFIXES):
        try:
            cas = load(path)
        except (CassetteError, OSError) as exc:
            if err is not None:
                err.write(f"pyfantasy bench: skipping {path}: {exc}\n")
            continue
        files += 1
        for it in cas.interactions:
            resp = it.response
            if resp is None or resp.code >= 400:
                continue
            wf = detect_format(it)
            if wf.format == "unknown" or (formats and wf.format not in formats):
                continue
            data = resp.body_bytes
            if not data:
                continue
            wl = work.setdefault((wf.format, wf.stream), Workload(wf.format, wf.stream))
            where = f"{path}#{it.id}"
            body = Body(data, wf.format, wf.stream, wf.variant, it.request.url, it.request.body,
                        reference_events(data, wf.format, wf.stream), where)
            if wl.pyfantasy_reason is None:
                try:
                    resp = decode_body(data, wf.format, wf.stream, "python", variant=wf.variant or None,
                                       url=it.request.url,
                                       tools=_tools(wf.format, it.request.body, request_json))
                    body.expected = resp.to_json_bytes()
                    body.summary = summarize(wf.format, resp) if wf.stream else \
                        response_document_summary(wf.format, resp)
                except DecodeError as exc:
                    if exc.kind in ("unsupported-format", "unknown-format"):
                        wl.pyfantasy_reason = exc.message
                    else:
                        wl.excluded.append(f"{where}: {exc.kind}: {exc.message}")
                        continue
            wl.bodies.append(body)
            wl.chunks.append([data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""])
            used += 1
    order = {f: i for i, f in enumerate(("openai-chat", "openai-responses", "anthropic", "google", "bedrock"))}
    out = sorted((w for w in work.values() if w.bodies or w.excluded), key=lambda w: (order.get(w.format, 99), not w.stream))
    return out, files, used


def _tools(fmt: str, request_body: Any, request_json: Callable[[Any], Any] = None):
    from pyfantasy.decode import _format
    if request_json is None:
        from pyfantasy._providers.formats import request_json
    return _format(fmt).request_tools(request_json(request_body))


# ---- dict assembly (the hand-written pipelines) ------------------------------------

def _assemble_chat(objs: Iterable[dict]) -> dict:
    text, reasoning, tools, finish, usage = [], [], {}, None, None
    for ch in objs:
        if ch.get("usage"):
            usage = ch["usage"]
        for choice in ch.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text.append(delta["content"])
            r = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(r, str):
                reasoning.append(r)
            for tc in delta.get("tool_calls") or ():
                slot = tools.setdefault(tc.get("index", 0), {"id": "", "name": "", "arguments": ""})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["name"] = slot["name"] or fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    return {"text": "".join(text), "reasoning": "".join(reasoning), "tools": tools, "finish": finish,
            "usage": usage}


def _assemble_responses(objs: Iterable[dict]) -> dict:
    text, reasoning, args, items, final = [], [], {}, {}, None
    for ev in objs:
        t = ev.get("type")
        if t == "response.output_text.delta":
            text.append(ev.get("delta") or "")
        elif t == "response.reasoning_summary_text.delta":
            reasoning.append(ev.get("delta") or "")
        elif t == "response.function_call_arguments.delta":
            args[ev.get("item_id")] = args.get(ev.get("item_id"), "") + (ev.get("delta") or "")
        elif t in ("response.output_item.added", "response.output_item.done"):
            item = ev.get("item") or {}
            items[item.get("id")] = item
        elif t in ("response.completed", "response.incomplete", "response.failed"):
            final = ev.get("response")
    return {"text": "".join(text), "reasoning": "".join(reasoning), "arguments": args, "items": items,
            "usage": (final or {}).get("usage"), "status": (final or {}).get("status")}


def _assemble_anthropic(objs: Iterable[dict]) -> dict:
    msg: dict = {}
    blocks: Dict[int, dict] = {}
    for ev in objs:
        t = ev.get("type")
        if t == "content_block_delta":  # the common event first
            b = blocks.setdefault(ev.get("index", 0), {})
            d = ev.get("delta") or {}
            dt = d.get("type")
            if dt == "text_delta":
                b["text"] = b.get("text", "") + d.get("text", "")
            elif dt == "thinking_delta":
                b["thinking"] = b.get("thinking", "") + d.get("thinking", "")
            elif dt == "input_json_delta":
                b["partial_json"] = b.get("partial_json", "") + d.get("partial_json", "")
            elif dt == "signature_delta":
                b["signature"] = d.get("signature")
        elif t == "content_block_start":
            blocks[ev.get("index", 0)] = dict(ev.get("content_block") or {})
        elif t == "message_start":
            msg = dict(ev.get("message") or {})
        elif t == "message_delta":
            msg.update(ev.get("delta") or {})
            msg["usage"] = {**(msg.get("usage") or {}), **(ev.get("usage") or {})}
    msg["content"] = [blocks[k] for k in sorted(blocks)]
    return msg


def _assemble_google(objs: Iterable[dict]) -> dict:
    text, thoughts, calls, finish, usage = [], [], [], None, None
    for ch in objs:
        if ch.get("usageMetadata"):
            usage = ch["usageMetadata"]
        for cand in ch.get("candidates") or ():
            for part in (cand.get("content") or {}).get("parts") or ():
                if "text" in part:
                    (thoughts if part.get("thought") else text).append(part["text"])
                elif "functionCall" in part:
                    calls.append(part["functionCall"])
            if cand.get("finishReason"):
                finish = cand["finishReason"]
    return {"text": "".join(text), "reasoning": "".join(thoughts), "calls": calls, "finish": finish,
            "usage": usage}


def summarize(fmt: str, result: Any) -> Dict[str, Any]:
    """What one decode produced, in terms every contender can be checked on: the text,
    the client tool calls as ``(name, arguments)`` (arguments only where the peer keeps
    them as fantasy does) and the output tokens (where the peer reports them as fantasy
    does). ``result`` is a pyfantasy Response or one of the hand-written assemblies."""
    if hasattr(result, "content"):  # a pyfantasy Response
        calls = [c for c in result.tool_calls if not c.provider_executed]
        out: Dict[str, Any] = {"text": result.text}
        if fmt == "google":
            out["tools"] = [c.tool_name for c in calls]
        else:
            out["tools"] = [(c.tool_name, c.input) for c in calls]
            out["output_tokens"] = result.usage.output_tokens
        return out
    if fmt == "openai-chat":
        usage = result["usage"] if isinstance(result["usage"], dict) else {}
        return {"text": result["text"],
                "tools": [(t["name"], t["arguments"] or "{}") for _, t in sorted(result["tools"].items())],
                "output_tokens": usage.get("completion_tokens") or 0}
    if fmt == "openai-responses":
        usage = result["usage"] if isinstance(result["usage"], dict) else {}
        items = [it for it in result["items"].values() if isinstance(it, dict) and it.get("type") == "function_call"]
        return {"text": result["text"], "tools": [(it.get("name", ""), it.get("arguments") or "") for it in items],
                "output_tokens": usage.get("output_tokens") or 0}
    if fmt in ("anthropic", "bedrock"):
        blocks = result.get("content") or []
        usage = result.get("usage") if isinstance(result.get("usage"), dict) else {}
        return {"text": "".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                "tools": [(b.get("name", ""), b.get("partial_json") or "{}") for b in blocks
                          if b.get("type") == "tool_use"],
                "output_tokens": usage.get("output_tokens") or 0}
    if fmt == "google":
        return {"text": result["text"], "tools": [c.get("name", "") for c in result["calls"]]}
    raise ValueError(f"no summary for {fmt!r}")


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def document_summary(fmt: str, doc: Any) -> Dict[str, Any]:
    """What a hand-written pipeline picks out of a parsed non-streaming body: text, tool
    names, output tokens (Gemini: none, fantasy reads its usage its own way)."""
    doc = _d(doc)
    if fmt == "openai-chat":
        msg = _d(_d((_l(doc.get("choices")) or [{}])[0]).get("message"))
        text = msg.get("content") if isinstance(msg.get("content"), str) else ""
        tools = [_d(_d(tc).get("function")).get("name", "") for tc in _l(msg.get("tool_calls"))]
        return {"text": text, "tools": tools, "output_tokens": _d(doc.get("usage")).get("completion_tokens") or 0}
    if fmt == "openai-responses":
        items = _l(doc.get("output"))
        text = "".join(c.get("text", "") for it in items if _d(it).get("type") == "message"
                       for c in _l(it.get("content")) if _d(c).get("type") == "output_text")
        tools = [it.get("name", "") for it in items if _d(it).get("type") == "function_call"]
        return {"text": text, "tools": tools, "output_tokens": _d(doc.get("usage")).get("output_tokens") or 0}
    if fmt in ("anthropic", "bedrock"):
        blocks = [_d(b) for b in _l(doc.get("content"))]
        return {"text": "".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                "tools": [b.get("name", "") for b in blocks if b.get("type") == "tool_use"],
                "output_tokens": _d(doc.get("usage")).get("output_tokens") or 0}
    if fmt == "google":
        parts = [_d(p) for c in _l(doc.get("candidates"))[:1] for p in _l(_d(_d(c).get("content")).get("parts"))]
        return {"text": "".join(p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought")),
                "tools": [_d(p.get("functionCall")).get("name", "") for p in parts if "functionCall" in p]}
    raise ValueError(fmt)


def response_document_summary(fmt: str, resp: Any) -> Dict[str, Any]:
    """``document_summary``'s picks from a pyfantasy Response."""
    out = {"text": resp.text, "tools": [c.tool_name for c in resp.tool_calls if not c.provider_executed]}
    if fmt != "google":
        out["output_tokens"] = resp.usage.output_tokens
    return out


def _check_results(wl: "Workload", results: Sequence[Any], counter: "_Counter",
                   summary: Callable[[str, Any], Dict[str, Any]]) -> Tuple[int, str]:
    """``verify`` of a hand-written pipeline: each body's result summarizes as the python
    backend's Response does (text, tool calls, output tokens)."""
    for b, got in zip(wl.bodies, results):
        if b.summary is not None and summary(b.format, got) != b.summary:
            return counter.events, f"{b.where}: the result differs from pyfantasy's ({summary(b.format, got)} != {b.summary})"
    return counter.events, ""


# The hand-written pipelines' assembly, per wire format (benches/ use these too).
ASSEMBLERS = {"openai-chat": _assemble_chat, "openai-responses": _assemble_responses,
              "anthropic": _assemble_anthropic, "google": _assemble_google, "bedrock": _assemble_anthropic}


class _Counter:
    """Counts the events a pipeline consumed (the check) and what an SDK rejected (notes)."""

    __slots__ = ("events", "rejected")

    def __init__(self) -> None:
        self.events = 0
        self.rejected = 0


# ---- SSE front ends ------------------------------------------------------------------

def _httpx_sse_data(chunks: Sequence[bytes], counter: _Counter) -> Iterator[str]:
    """What ``httpx_sse.EventSource.iter_sse`` does over ``response.iter_bytes()``."""
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines, dec = SSELineDecoder(), SSEDecoder()
    for c in chunks:
        s = text.decode(c)
        if not s:
            continue
        for line in lines.decode(s):
            ev = dec.decode(line)
            if ev is not None and ev.data != "":
                counter.events += 1
                yield ev.data
    tail = text.decode(b"", final=True)
    for line in (lines.decode(tail) if tail else []) + lines.flush():
        ev = dec.decode(line)
        if ev is not None and ev.data != "":
            counter.events += 1
            yield ev.data


def _bytes_sse_data(chunks: Sequence[bytes], counter: _Counter) -> Iterator[bytes]:
    """A minimal hand-written SSE split on bytes (LF or CRLF lines; no lone CR)."""
    buf = b""
    data: List[bytes] = []
    for c in chunks:
        buf += c
        if b"\n" not in c:
            continue
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line[-1:] == b"\r":
                line = line[:-1]
            if not line:
                if data:
                    counter.events += 1
                    yield b"\n".join(data)
                    data = []
            elif line[:5] == b"data:":
                v = line[5:]
                data.append(v[1:] if v[:1] == b" " else v)


def _json_objects(datas: Iterable[Any], loads: Callable[[Any], Any]) -> Iterator[dict]:
    for d in datas:
        if d[:6] in ("[DONE]", b"[DONE]"):
            continue
        obj = loads(d)
        if isinstance(obj, dict):
            yield obj


# ---- contenders ----------------------------------------------------------------------

RunFn = Callable[[], Any]


@dataclass
class Contender:
    """A way to decode a workload. ``make(workload) -> (run, counter[, verify])``
    where ``run()`` processes every body once and returns the events it
    processed, or, with ``verify``, a result that ``verify(result) -> (events,
    problem)`` checks outside the timing (pyfantasy: each Response must equal
    the python backend's). ``make`` raises ImportError when its library is
    missing. ``applies`` says which workloads (format, stream) it serves."""

    name: str
    dist: Optional[str]
    applies: Callable[[Workload], bool]
    make: Callable[[Workload], tuple]
    kind: str = "peer"     # "pyfantasy" or "peer"


def _pyfantasy(backend: str) -> Callable[[Workload], tuple]:
    def make(wl: Workload):
        from pyfantasy._kernels import resolve
        from pyfantasy.decode import StreamDecoder, decode_body
        resolve(backend)  # BackendUnavailableError (an ImportError) when native is not built
        if wl.pyfantasy_reason:
            raise NotImplementedError(wl.pyfantasy_reason)
        counter = _Counter()
        jobs = [(b, ch, _tools(b.format, b.request_body)) for b, ch in zip(wl.bodies, wl.chunks)]

        if wl.stream:
            def run() -> list:
                out = []
                for b, chunks, tools in jobs:
                    dec = StreamDecoder(b.format, backend, variant=b.variant or None, url=b.url, tools=tools)
                    for c in chunks:
                        dec.feed(c)
                    out.append(dec.close())
                return out
        else:
            def run() -> list:
                return [decode_body(b.data, b.format, False, backend, variant=b.variant or None, url=b.url,
                                    tools=tools) for b, _, tools in jobs]

        def verify(responses: list) -> Tuple[int, str]:
            """Every Response equals the python backend's (computed by ``collect``)."""
            n = 0
            for b, resp in zip(wl.bodies, responses):
                if b.expected is not None and resp.to_json_bytes() != b.expected:
                    return n, f"{b.where}: the Response differs from the python backend's"
                n += b.events
            return n, ""
        return run, counter, verify
    return make


def _loads(name: str) -> Callable[[Any], Any]:
    """The JSON parser a hand-written pipeline uses: ``orjson`` (ImportError when missing) or ``json``."""
    if name == "orjson":
        import orjson
        return orjson.loads
    return json.loads


def _sse_pipeline(front: str, loads_name: str) -> Callable[[Workload], Tuple[RunFn, _Counter]]:
    def make(wl: Workload):
        loads = _loads(loads_name)
        if front == "httpx-sse":
            import httpx_sse  # noqa: F401  (ImportError when missing)
            split = _httpx_sse_data
        else:
            split = _bytes_sse_data
        assemble = ASSEMBLERS[wl.format]
        counter = _Counter()
        chunk_lists = wl.chunks

        def run() -> list:
            counter.events = 0
            return [assemble(_json_objects(split(chunks, counter), loads)) for chunks in chunk_lists]
        return run, counter, lambda results: _check_results(wl, results, counter, summarize)
    return make


def _openai_sdk(wl: Workload):
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    counter = _Counter()
    chunk_lists = wl.chunks
    if wl.format == "openai-chat":
        from openai.lib.streaming.chat import ChatCompletionStreamState
        from openai.types.chat import ChatCompletionChunk

        def handle(state, data):
            state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=data))
        new_state = ChatCompletionStreamState
    else:
        from openai import omit
        from openai.lib.streaming.responses import ResponseStreamState
        from openai.types.responses import ResponseStreamEvent

        def handle(state, data):
            state.handle_event(construct_type(type_=ResponseStreamEvent, value=data))

        def new_state():
            return ResponseStreamState(input_tools=omit, text_format=omit)

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            state = new_state()
            for sse in SSEDecoder().iter_bytes(iter(chunks)):
                if sse.data == "":
                    continue
                counter.events += 1
                if sse.data.startswith("[DONE]"):
                    continue
                data = sse.json()
                try:
                    handle(state, data)
                except Exception:  # the SDK's accumulator refuses this event; a user would catch and go on
                    counter.rejected += 1
        return counter.events
    return run, counter


_ANTHROPIC_ACCUMULATED = ("message_start", "message_delta", "message_stop", "content_block_start",
                          "content_block_delta", "content_block_stop")


def _anthropic_accumulate(datas: Iterable[dict], counter: _Counter) -> None:
    from anthropic._models import construct_type
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent
    snapshot, json_bufs = None, {}
    for data in datas:
        if data.get("type") not in _ANTHROPIC_ACCUMULATED:
            continue
        try:
            event = construct_type(type_=RawMessageStreamEvent, value=data)
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
        except Exception:
            counter.rejected += 1


def _anthropic_sdk(wl: Workload):
    from anthropic._streaming import SSEDecoder
    import anthropic.lib.streaming._messages  # noqa: F401
    counter = _Counter()
    chunk_lists = wl.chunks
    if wl.format == "bedrock":
        from botocore.eventstream import EventStreamBuffer

        def datas(chunks):
            buf = EventStreamBuffer()
            for c in chunks:
                buf.add_data(c)
                for msg in buf:
                    counter.events += 1
                    payload = json.loads(msg.payload)
                    if "bytes" in payload:
                        yield json.loads(base64.b64decode(payload["bytes"]))
    else:
        def datas(chunks):
            for sse in SSEDecoder().iter_bytes(iter(chunks)):
                if sse.data == "":
                    continue
                counter.events += 1
                yield sse.json()

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            _anthropic_accumulate(datas(chunks), counter)
        return counter.events
    return run, counter


def _google_genai(wl: Workload):
    from google.genai import types
    from google.genai._api_client import _iter_sse_lines
    counter = _Counter()
    chunk_lists = wl.chunks

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            buf: List[str] = []
            parts = []
            lines = list(_iter_sse_lines(chunks)) + [""]
            for line in lines:
                if not line:
                    if buf:
                        counter.events += 1
                        try:
                            r = types.GenerateContentResponse._from_response(
                                response=json.loads("\n".join(buf)), kwargs={})
                            for c in r.candidates or ():
                                parts.extend((c.content.parts or ()) if c.content else ())
                        except Exception:
                            counter.rejected += 1
                        buf = []
                elif line.startswith("data:"):
                    buf.append(line[6:] if line.startswith("data: ") else line[5:])
        return counter.events
    return run, counter


def _botocore_pipeline(loads_name: str):
    def make(wl: Workload):
        from botocore.eventstream import EventStreamBuffer
        loads = _loads(loads_name)
        counter = _Counter()
        chunk_lists = wl.chunks
        b64 = base64.b64decode

        def datas(chunks):
            buf = EventStreamBuffer()
            for c in chunks:
                buf.add_data(c)
                for msg in buf:
                    counter.events += 1
                    payload = loads(msg.payload)
                    if "bytes" in payload:
                        yield loads(b64(payload["bytes"]))

        def run() -> list:
            counter.events = 0
            return [_assemble_anthropic(datas(chunks)) for chunks in chunk_lists]
        return run, counter, lambda results: _check_results(wl, results, counter, summarize)
    return make


def _document(loads_name: str):
    def make(wl: Workload):
        loads = _loads(loads_name)
        counter = _Counter()
        docs = [b.data for b in wl.bodies]

        def run() -> list:
            counter.events = len(docs)
            return [loads(d) for d in docs]
        return run, counter, lambda results: _check_results(wl, results, counter, document_summary)
    return make


def _sdk_document(wl: Workload):
    """The SDK's own models built from the parsed document (what ``client.*.create()`` returns)."""
    counter = _Counter()
    docs = [b.data for b in wl.bodies]
    if wl.format in ("openai-chat", "openai-responses"):
        from openai._models import construct_type
        if wl.format == "openai-chat":
            from openai.types.chat import ChatCompletion as T
        else:
            from openai.types.responses import Response as T
    else:
        from anthropic._models import construct_type
        from anthropic.types import Message as T

    def run() -> int:
        for d in docs:
            construct_type(type_=T, value=json.loads(d))
        return len(docs)
    return run, counter


def _openai_any(wl: Workload):
    return _openai_sdk(wl) if wl.stream else _sdk_document(wl)


def _anthropic_any(wl: Workload):
    return _anthropic_sdk(wl) if wl.stream else _sdk_document(wl)


def _sse_stream(wl: Workload) -> bool:
    return wl.stream and wl.format != "bedrock"


def contenders() -> List[Contender]:
    """Every contender pyfantasy knows, in table order."""
    return [
        Contender("pyfantasy-native", None, lambda w: True, _pyfantasy("native"), "pyfantasy"),
        Contender("pyfantasy-python", None, lambda w: True, _pyfantasy("python"), "pyfantasy"),
        Contender("httpx-sse+json", "httpx-sse", _sse_stream, _sse_pipeline("httpx-sse", "json")),
        Contender("httpx-sse+orjson", "httpx-sse", _sse_stream, _sse_pipeline("httpx-sse", "orjson")),
        Contender("orjson-bytes", "orjson", _sse_stream, _sse_pipeline("bytes", "orjson")),
        Contender("openai-sdk", "openai", lambda w: w.format in ("openai-chat", "openai-responses"),
                  _openai_any),
        Contender("anthropic-sdk", "anthropic",
                  lambda w: w.format == "anthropic" or (w.stream and w.format == "bedrock"), _anthropic_any),
        Contender("google-genai", "google-genai", lambda w: w.stream and w.format == "google", _google_genai),
        Contender("botocore+json", "botocore", lambda w: w.stream and w.format == "bedrock",
                  _botocore_pipeline("json")),
        Contender("botocore+orjson", "botocore", lambda w: w.stream and w.format == "bedrock",
                  _botocore_pipeline("orjson")),
        Contender("json", None, lambda w: not w.stream, _document("json")),
        Contender("orjson", "orjson", lambda w: not w.stream, _document("orjson")),
    ]


# ---- running -------------------------------------------------------------------------

@dataclass
class Result:
    """One contender on one workload. ``status``: ok, failed (wrong event count
    or an exception: never timed) or skipped (library missing, not applicable)."""

    name: str
    status: str
    version: Optional[str] = None
    seconds: Optional[float] = None
    events: Optional[int] = None
    number: int = 0
    reason: str = ""
    notes: str = ""
    ratio: Optional[float] = None
    mb_per_s: Optional[float] = None
    events_per_s: Optional[float] = None


def _version(dist: Optional[str]) -> Optional[str]:
    if dist is None:
        return None
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


def _timed(fn: RunFn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def run_workload(wl: Workload, cands: Sequence[Contender], repeat: int = 5,
                 min_time: float = 0.05) -> List[Result]:
    """Check, calibrate and time every applicable contender on one workload."""
    from pyfantasy import __version__
    from pyfantasy._errors import BackendUnavailableError
    results: List[Result] = []
    live: List[Tuple[Result, RunFn]] = []
    for c in cands:
        if not c.applies(wl):
            continue
        version = __version__ if c.kind == "pyfantasy" else _version(c.dist)
        res = Result(c.name, "ok", version)
        results.append(res)
        try:
            prepared = c.make(wl)
        except NotImplementedError as exc:
            res.status, res.reason = "skipped", str(exc)
            continue
        except BackendUnavailableError:
            res.status, res.reason = "skipped", "native extension not built"
            continue
        except ImportError as exc:
            res.status, res.reason = "skipped", f"{c.dist or exc.name} not installed"
            continue
        fn, counter = prepared[0], prepared[1]
        verify = prepared[2] if len(prepared) > 2 else None
        try:
            t0 = time.perf_counter()
            got = fn()
            first = time.perf_counter() - t0
            events, problem = verify(got) if verify is not None else (got, "")
        except Exception as exc:
            res.status, res.reason = "failed", f"{type(exc).__name__}: {exc}"
            continue
        res.events = events
        if not problem and events != wl.events:
            problem = f"processed {events} events, expected {wl.events}"
        if problem:
            res.status, res.reason = "failed", problem
            continue
        if counter.rejected:
            res.notes = f"the SDK rejected {counter.rejected} of {wl.events} events"
        res.number = max(1, math.ceil(min_time / first)) if first > 0 and min_time > 0 else 1
        live.append((res, fn))
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        best = {id(r): math.inf for r, _ in live}
        for _ in range(max(1, repeat)):
            for res, fn in live:
                best[id(res)] = min(best[id(res)], _timed(fn, res.number))
    finally:
        if was_enabled:
            gc.enable()
    for res, _ in live:
        res.seconds = best[id(res)]
    ok = [r for r in results if r.status == "ok" and r.seconds]
    fastest = min((r.seconds for r in ok), default=None)
    for r in ok:
        r.ratio = r.seconds / fastest if fastest else None
        r.mb_per_s = wl.nbytes / r.seconds / 1e6
        r.events_per_s = wl.events / r.seconds
    return results


def run_bench(workloads: Sequence[Workload], cands: Optional[Sequence[Contender]] = None, repeat: int = 5,
              min_time: float = 0.05, only: Optional[Sequence[str]] = None,
              progress: Optional[Callable[[str], None]] = None) -> List[Tuple[Workload, List[Result]]]:
    """Run every workload; ``only`` keeps contenders whose names are listed."""
    cands = list(cands if cands is not None else contenders())
    if only:
        cands = [c for c in cands if c.name in only]
    out = []
    for wl in workloads:
        if not wl.bodies:  # pyfantasy could decode none of them: nothing to compare on
            out.append((wl, []))
            continue
        if progress:
            progress(wl.name)
        out.append((wl, run_workload(wl, cands, repeat, min_time)))
    return out


# ---- output ----------------------------------------------------------------------------

def environment() -> Dict[str, Any]:
    """Python, machine and pyfantasy facts printed with the figures."""
    from pyfantasy import __version__
    from pyfantasy._kernels import native_available
    return {"pyfantasy": __version__, "native": native_available(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": f"{platform.system()} {platform.machine()}", "cpus": os.cpu_count()}


def _si(v: Optional[float]) -> str:
    if v is None:
        return "-"
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{unit}"
    return f"{v:.1f}"


def _kb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def format_table(runs: Sequence[Tuple[Workload, List[Result]]], source: str = "", chunk: int = DEFAULT_CHUNK,
                 repeat: int = 5, files: int = 0) -> str:
    """The results as text: one table per workload, fastest first."""
    from pyfantasy.cli.common import plural
    env = environment()
    lines = [f"pyfantasy bench: {source or '-'} ({plural(files, 'cassette file')}); chunks of {chunk} B; "
             f"min of {repeat} runs, GC off",
             f"Python {env['python']} ({env['implementation']}), {env['platform']}, {env['cpus']} CPUs; "
             f"pyfantasy {env['pyfantasy']} (native {'built' if env['native'] else 'NOT built'})", ""]
    if not runs:
        lines.append("no response bodies to decode")
    for wl, results in runs:
        lines.append(f"{wl.name}: {len(wl.bodies)} {'body' if len(wl.bodies) == 1 else 'bodies'}, "
                     f"{_kb(wl.nbytes)}, {wl.events:,} events"
                     + (f" ({len(wl.excluded)} left out: pyfantasy cannot decode them)" if wl.excluded else ""))
        for why in wl.excluded[:3]:
            lines.append(f"  left out {why}")
        if len(wl.excluded) > 3:
            lines.append(f"  ... and {len(wl.excluded) - 3} more (--json lists them all)")
        if not results:
            lines.append("")
            continue
        ok = sorted((r for r in results if r.status == "ok"), key=lambda r: r.seconds)
        rest = [r for r in results if r.status != "ok"]
        head = ["contender", "version", "MB/s", "events/s", "vs fastest", "notes"]
        rows = [[r.name, r.version or "", f"{r.mb_per_s:.2f}", _si(r.events_per_s), f"{r.ratio:.2f}x", r.notes]
                for r in ok]
        rows += [[r.name, r.version or "", "-", "-", r.status.upper(), r.reason] for r in rest]
        widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
        fmt = lambda r: "  ".join(  # noqa: E731
            (c.ljust(widths[i]) if i in (0, 1, 5) else c.rjust(widths[i])) for i, c in enumerate(r)).rstrip()
        lines.append("  " + fmt(head))
        lines += ["  " + fmt(r) for r in rows]
        lines.append("")
    lines.append("vs fastest: time relative to the fastest contender of the workload (1.00x = fastest). "
                 "Each result was checked before timing\n"
                 "(peers: events processed, and text, tool calls and output tokens equal to pyfantasy's; pyfantasy: every Response equal to the python backend's).")
    return "\n".join(lines) + "\n"


def to_json(runs: Sequence[Tuple[Workload, List[Result]]], source: str = "", chunk: int = DEFAULT_CHUNK,
            repeat: int = 5, min_time: float = 0.05, files: int = 0) -> Dict[str, Any]:
    """The results for machines (``--json``)."""
    return {
        "environment": environment(), "source": source, "files": files, "chunk": chunk, "repeat": repeat,
        "min_time": min_time,
        "workloads": [{
            "format": wl.format, "stream": wl.stream, "bodies": len(wl.bodies), "bytes": wl.nbytes,
            "events": wl.events, "excluded": wl.excluded,
            "results": [{"name": r.name, "version": r.version, "status": r.status, "reason": r.reason or None,
                         "notes": r.notes or None, "seconds": r.seconds, "number": r.number, "events": r.events,
                         "mb_per_s": r.mb_per_s, "events_per_s": r.events_per_s, "ratio": r.ratio}
                        for r in results]}
            for wl, results in runs],
    }

"""OpenAI Responses API (OpenAI and Azure) as fantasy decodes it.

docs/semantics.md#responses-api: ``responsesLanguageModel`` in fantasy's
``providers/openai/responses_language_model.go`` serves api.openai.com and
Azure alike (only the base URL differs). ``ResponsesStream`` is the
streaming state machine (docs/semantics.md#responses-streaming) over scanned SSE events, dispatched on the
JSON ``type`` field; ``decode_generate`` is the non-streaming path (docs/semantics.md#responses-non-streaming).
Both produce what the provider layer yields; the agent step (``_assemble``)
turns it into the Response.

Reading rules
    Fields are read as openai-go's lenient decoder does (``values.lenient_str``,
    ``lenient_int``, ``lenient_object``): null or missing strings are ``""``, missing integers 0,
    a value of the wrong shape reads as empty. The SSE reader is openai-go's
    (docs/semantics.md#sse-readers): an event whose data has a top-level ``error`` key stops the
    stream (``stream error: ...``, as for chat completions, docs/semantics.md#errors-inside-streams); data
    starting with ``[DONE]`` ends it; the SSE event name is ignored, except
    that names starting with ``thread.`` are not Responses events.

Random ids
    fantasy gives each citation source a fresh UUIDv4. Here the n-th source
    of a response (counted from 0, in the order they are produced: the
    ``annotation.added`` events of a stream, the annotations of the output
    of a body) gets ``deterministic_uuid(<response id>, "citation", n)``,
    the response id being the ``response.created`` id in streams and the
    body's ``id`` otherwise. So the streamed and non-streamed decodes of
    one response give the same ids, and the same input always the same
    output.

Coalescing (see ``_scan``)
    ``delta`` is COALESCE and ``type``, ``item_id``, ``output_index``,
    ``summary_index`` INERT; every other leaf of the spec stops a merge.
    So a run of text, reasoning-summary or argument deltas of one item
    becomes one chunk whose ``delta`` is the concatenation: for these three
    event types the handler's only use of ``delta`` is to append it (to a
    text block, a summary entry, or tool input that fantasy ignores), so
    one pass over the concatenation equals the passes over the pieces. Any
    other event type can only merge with identical copies of itself (its
    stray ``delta`` aside, which its handler never reads); such a chunk is
    replayed ``merged`` times, which is exactly what the originals did.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from pyfantasy._providers.assemble import ToolSpec, deterministic_uuid
from pyfantasy._errors import DecodeError
from pyfantasy._kernels.jsonscan import COALESCE, INERT, Spec
from pyfantasy.response import (OpenAIResponsesMetadata, ReasoningContent, ResponsesReasoningMetadata, Response,
                        SourceContent, StreamPart, TextContent, ToolCallContent, ToolResultContent, Usage,
                        WebSearchAction, WebSearchCallMetadata, WebSearchSource)
from pyfantasy._providers import _common as c
from pyfantasy._providers.values import lenient_int, lenient_object, lenient_str

__all__ = ["STREAM_SPEC", "GENERATE_SPEC", "ResponsesStream", "decode_generate", "request_tools",
           "map_finish", "FORMAT"]

# ---- what the scanner keeps ------------------------------------------------------

_ITEM_KEYS = ("type", "id", "call_id", "name", "arguments", "encrypted_content", "action")

STREAM_SPEC = Spec({
    "type": INERT,
    "error": 0,                 # openai-go's reader: any top-level `error` key stops the stream
    "item_id": INERT,
    "output_index": INERT,
    "summary_index": INERT,
    "delta": COALESCE,
    "response.id": 0,
    "response.incomplete_details.reason": 0,
    "response.usage": 0,
    "response.error": 0,
    "annotation": 0,
    "code": 0,                  # `error` events
    "message": 0,
    **{"item." + k: 0 for k in _ITEM_KEYS},
})

GENERATE_SPEC = Spec({
    "id": 0,
    "error": 0,
    "incomplete_details": 0,
    "usage": 0,
    "output.*.summary": 0,
    "output.*.content.*.type": 0,
    "output.*.content.*.text": 0,
    "output.*.content.*.annotations": 0,
    **{"output.*." + k: 0 for k in _ITEM_KEYS},
})

# The event types whose handler appends `delta` (merged chunks are handled once).
_DELTA_TYPES = frozenset(("response.output_text.delta", "response.reasoning_summary_text.delta",
                          "response.function_call_arguments.delta"))


# ---- finish reason, usage, metadata ------------------------------------------------
# docs/semantics.md#responses-non-streaming, steps 3-5

_INCOMPLETE = {"": "stop", "max_output_tokens": "length", "max_tokens": "length",
               "content_filter": "content-filter"}


def map_finish(reason: str, has_function_call: bool) -> str:
    """``mapResponsesFinishReason``: any function call wins, then ``incomplete_details.reason``."""
    if has_function_call:
        return "tool-calls"
    return _INCOMPLETE.get(reason, "other")


def _usage(u: Any) -> Usage:
    """``responsesUsage``: cached tokens leave the input; the total is raw input + output."""
    u = lenient_object(u)
    inp, out = lenient_int(u.get("input_tokens")), lenient_int(u.get("output_tokens"))
    cached = lenient_int(lenient_object(u.get("input_tokens_details")).get("cached_tokens"))
    return Usage(input_tokens=max(inp - cached, 0), output_tokens=out, total_tokens=inp + out,
                 reasoning_tokens=lenient_int(lenient_object(u.get("output_tokens_details")).get("reasoning_tokens")),
                 cache_creation_tokens=0, cache_read_tokens=cached)


def _metadata(response_id: str) -> dict:
    """``responsesProviderMetadata``: ``{"openai": response id}``, or ``{}`` without an id."""
    return {"openai": OpenAIResponsesMetadata(response_id=response_id)} if response_id else {}


def _web_search_metadata(item_id: str, action: Any) -> WebSearchCallMetadata:
    """The tool result's metadata; ``action`` only when the item's action has a type."""
    meta = WebSearchCallMetadata(item_id=item_id)
    a = lenient_object(action)
    typ = lenient_str(a.get("type"))
    if typ:
        srcs = a.get("sources") if isinstance(a.get("sources"), list) else []
        sources = [WebSearchSource(type=lenient_str(lenient_object(x).get("type")),
                                   url=lenient_str(lenient_object(x).get("url"))) for x in srcs]
        meta.action = WebSearchAction(type=typ, query=lenient_str(a.get("query")), sources=sources or None)
    return meta


def _error_text(prefix: str, message: str, code: str) -> str:
    return f"{prefix}: {message}" + (f" (code: {code})" if code else "")


def _list(v: Any) -> list:
    return v if isinstance(v, list) else []


# ---- non-streaming (docs/semantics.md#responses-non-streaming) ---------------------

def decode_generate(doc: Any, variant: str = "") -> Response:
    """The provider Response of a non-streaming body (already scanned with GENERATE_SPEC).

    Raises DecodeError ``provider-error`` when the body carries an
    ``error.message``. Citation sources get ``deterministic_uuid(<id>,
    "citation", n)`` (module docstring).
    """
    if not isinstance(doc, dict):
        raise DecodeError("provider-response", "the response body is not a JSON object")
    err = lenient_object(doc.get("error"))
    if lenient_str(err.get("message")):
        raise DecodeError("provider-error", f"provider error: {lenient_str(err.get('message'))} "
                                            f"(code: {lenient_str(err.get('code'))})")
    rid = lenient_str(doc.get("id"))
    content: List[Any] = []
    has_call = False
    sources = 0
    for item in _list(doc.get("output")):
        item = lenient_object(item)
        typ = lenient_str(item.get("type"))
        if typ == "message":
            for part in _list(item.get("content")):
                part = lenient_object(part)
                if lenient_str(part.get("type")) != "output_text":
                    continue  # refusals and other content types are ignored
                content.append(TextContent(text=lenient_str(part.get("text"))))
                for a in _list(part.get("annotations")):
                    a = lenient_object(a)
                    at = lenient_str(a.get("type"))
                    if at == "url_citation":
                        content.append(SourceContent(source_type="url",
                                                     id=deterministic_uuid(rid, "citation", sources),
                                                     url=lenient_str(a.get("url")), title=lenient_str(a.get("title"))))
                        sources += 1
                    elif at == "file_citation":
                        fn = lenient_str(a.get("filename"))
                        content.append(SourceContent(source_type="document",
                                                     id=deterministic_uuid(rid, "citation", sources),
                                                     title=fn or "Document", media_type="text/plain",
                                                     filename=fn or lenient_str(a.get("file_id"))))
                        sources += 1
        elif typ == "function_call":
            has_call = True
            content.append(ToolCallContent(tool_call_id=lenient_str(item.get("call_id")),
                                           tool_name=lenient_str(item.get("name")),
                                           input=lenient_str(item.get("arguments"))))
        elif typ == "web_search_call":
            wid = lenient_str(item.get("id"))
            content.append(ToolCallContent(tool_call_id=wid, tool_name="web_search", input="",
                                           provider_executed=True))
            content.append(ToolResultContent(tool_call_id=wid, tool_name="web_search", result=None,
                                             provider_executed=True, provider_metadata={
                                                 "openai": _web_search_metadata(wid, item.get("action"))}))
        elif typ == "reasoning":
            summary = _list(item.get("summary"))
            enc = lenient_str(item.get("encrypted_content"))
            if not summary and not enc:
                continue
            texts = [lenient_str(lenient_object(x).get("text")) for x in summary] or [""]
            content.append(ReasoningContent(text="\n".join(texts), provider_metadata={
                "openai": ResponsesReasoningMetadata(item_id=lenient_str(item.get("id")), encrypted_content=enc or None,
                                                     summary=texts)}))
    reason = lenient_str(lenient_object(doc.get("incomplete_details")).get("reason"))
    return Response(content=content or None, finish_reason=map_finish(reason, has_call),
                    usage=_usage(doc.get("usage")), warnings=None, provider_metadata=_metadata(rid))


# ---- streaming (docs/semantics.md#responses-streaming) -----------------------------

class ResponsesStream:
    """fantasy's ``responsesLanguageModel.Stream`` over scanned events: ``feed(chunk)``
    for each event, ``done()`` at the end; both return stream parts. After an
    error part, everything is ignored.

    State (docs/semantics.md#responses-streaming): output_index -> (call_id, name) of open function calls;
    "has function call"; item id -> reasoning metadata of open reasoning
    items (the object is shared with the parts already yielded and keeps
    changing, as the Go pointer does); response id; finish reason; usage;
    whether a terminal event (``response.completed``/``incomplete``) came.
    """

    def __init__(self, variant: str = "") -> None:
        self.calls: Dict[int, Tuple[str, str]] = {}
        self.has_call = False
        self.reasoning: Dict[str, ResponsesReasoningMetadata] = {}
        self.response_id = ""
        self.finish = "unknown"
        self.usage = Usage()
        self.terminal = False
        self.failed = False
        self.sources = 0
        self._offset: Optional[int] = None   # byte offset of the event being handled

    # -- one event ----------------------------------------------------------------

    def feed(self, chunk: Any) -> List[StreamPart]:
        """One scanned event (a ``_scan.Chunk`` with status OK)."""
        out: List[StreamPart] = []
        if self.failed:
            return out
        ev = chunk.value
        self._offset = chunk.offset
        if not isinstance(ev, dict):
            return out  # not an object: the union reads as an event without a type
        if "error" in ev:
            return self._fail(out, "provider-error", c.stream_error_text(ev["error"]))
        if chunk.event.startswith("thread."):
            return out  # openai-go wraps these as {"event", "data"}: no `type`, ignored
        typ = lenient_str(ev.get("type"))
        handler = _HANDLERS.get(typ)
        if handler is None:
            return out  # response.in_progress, *.done text events, content parts, ...
        for _ in range(1 if typ in _DELTA_TYPES else chunk.merged):
            handler(self, ev, out)
            if self.failed:
                break
        return out

    def _fail(self, out: List[StreamPart], kind: str, message: str) -> List[StreamPart]:
        """An error part (offset: the event that caused it; None at the end of the body)."""
        out.append(c.error_part(kind, message, self._offset))
        self.failed = True
        return out

    def _created(self, ev: dict, out: List[StreamPart]) -> None:
        self.response_id = lenient_str(lenient_object(ev.get("response")).get("id"))

    def _item_added(self, ev: dict, out: List[StreamPart]) -> None:
        item = lenient_object(ev.get("item"))
        typ = lenient_str(item.get("type"))
        if typ == "function_call":
            cid, name = lenient_str(item.get("call_id")), lenient_str(item.get("name"))
            self.calls[lenient_int(ev.get("output_index"))] = (cid, name)
            out.append(StreamPart("tool-input-start", id=cid, tool_call_name=name))
        elif typ == "web_search_call":
            out.append(StreamPart("tool-input-start", id=lenient_str(item.get("id")), tool_call_name="web_search",
                                  provider_executed=True))
        elif typ == "message":
            out.append(StreamPart("text-start", id=lenient_str(item.get("id"))))
        elif typ == "reasoning":
            iid = lenient_str(item.get("id"))
            # the *added* item's encrypted content is kept (the done item carries another blob)
            enc = lenient_str(item.get("encrypted_content")) or None
            meta = ResponsesReasoningMetadata(item_id=iid, encrypted_content=enc, summary=[])
            self.reasoning[iid] = meta
            out.append(StreamPart("reasoning-start", id=iid, provider_metadata={"openai": meta}))

    def _item_done(self, ev: dict, out: List[StreamPart]) -> None:
        item = lenient_object(ev.get("item"))
        typ = lenient_str(item.get("type"))
        if typ == "function_call":
            idx = lenient_int(ev.get("output_index"))
            if idx in self.calls:
                del self.calls[idx]
                self.has_call = True
                cid = lenient_str(item.get("call_id"))
                out.append(StreamPart("tool-input-end", id=cid))
                # the input is the done item's arguments, not the concatenated deltas
                out.append(StreamPart("tool-call", id=cid, tool_call_name=lenient_str(item.get("name")),
                                      tool_call_input=lenient_str(item.get("arguments"))))
        elif typ == "web_search_call":
            wid = lenient_str(item.get("id"))
            out.append(StreamPart("tool-input-end", id=wid))
            out.append(StreamPart("tool-call", id=wid, tool_call_name="web_search", tool_call_input="",
                                  provider_executed=True))
            out.append(StreamPart("tool-result", id=wid, tool_call_name="web_search", provider_executed=True,
                                  provider_metadata={"openai": _web_search_metadata(wid, item.get("action"))}))
        elif typ == "message":
            out.append(StreamPart("text-end", id=lenient_str(item.get("id"))))
        elif typ == "reasoning":
            iid = lenient_str(item.get("id"))
            meta = self.reasoning.pop(iid, None)
            if meta is not None:
                out.append(StreamPart("reasoning-end", id=iid, provider_metadata={"openai": meta}))

    def _text_delta(self, ev: dict, out: List[StreamPart]) -> None:
        out.append(StreamPart("text-delta", id=lenient_str(ev.get("item_id")), delta=lenient_str(ev.get("delta"))))

    def _annotation(self, ev: dict, out: List[StreamPart]) -> None:
        # The SDK leaves `annotation` untyped (Go `any`); fantasy reads it as a map.
        a = ev.get("annotation")
        if not isinstance(a, dict):
            return
        typ = a.get("type")
        if typ == "url_citation":
            url, title = a.get("url"), a.get("title")
            out.append(StreamPart("source", id=self._source_id(), source_type="url",
                                  url=url if isinstance(url, str) else "",
                                  title=title if isinstance(title, str) else ""))
        elif typ == "file_citation":
            fn = a.get("filename")
            out.append(StreamPart("source", id=self._source_id(), source_type="document",
                                  title=fn if isinstance(fn, str) and fn else "Document"))

    def _source_id(self) -> str:
        # fantasy: a random UUIDv4; here: from the response id and the source's position
        sid = deterministic_uuid(self.response_id, "citation", self.sources)
        self.sources += 1
        return sid

    def _arguments_delta(self, ev: dict, out: List[StreamPart]) -> None:
        call = self.calls.get(lenient_int(ev.get("output_index")))
        if call is not None:
            out.append(StreamPart("tool-input-delta", id=call[0], delta=lenient_str(ev.get("delta"))))

    def _summary_part(self, ev: dict, out: List[StreamPart]) -> None:
        iid = lenient_str(ev.get("item_id"))
        meta = self.reasoning.get(iid)
        if meta is not None:
            meta.summary.append("")
            # each summary part opens with a "\n" delta: streamed text starts with "\n"
            out.append(StreamPart("reasoning-delta", id=iid, delta="\n", provider_metadata={"openai": meta}))

    def _summary_delta(self, ev: dict, out: List[StreamPart]) -> None:
        iid = lenient_str(ev.get("item_id"))
        meta = self.reasoning.get(iid)
        if meta is None:
            return
        idx = lenient_int(ev.get("summary_index"))
        delta = lenient_str(ev.get("delta"))
        if idx < 0:
            self._fail(out, "provider-response", f"reasoning summary_index {idx} is negative "
                                                 "(fantasy panics here)")
            return
        if idx < len(meta.summary):
            meta.summary[idx] += delta
        out.append(StreamPart("reasoning-delta", id=iid, delta=delta, provider_metadata={"openai": meta}))

    def _completed(self, ev: dict, out: List[StreamPart]) -> None:
        r = lenient_object(ev.get("response"))
        self.terminal = True
        self.response_id = lenient_str(r.get("id"))
        self.finish = map_finish(lenient_str(lenient_object(r.get("incomplete_details")).get("reason")), self.has_call)
        self.usage = _usage(r.get("usage"))

    def _failed(self, ev: dict, out: List[StreamPart]) -> None:
        err = lenient_object(lenient_object(ev.get("response")).get("error"))
        self._fail(out, "provider-error", _error_text("response failed", lenient_str(err.get("message")),
                                                      lenient_str(err.get("code"))))

    def _error(self, ev: dict, out: List[StreamPart]) -> None:
        self._fail(out, "provider-error", _error_text("response error", lenient_str(ev.get("message")),
                                                      lenient_str(ev.get("code"))))

    # -- end of stream ---------------------------------------------------------------

    def done(self) -> List[StreamPart]:
        out: List[StreamPart] = []
        if self.failed:
            return out
        if not self.terminal:
            self._offset = None  # the decoder reports the end of the body
            return self._fail(out, "truncated", "stream transport error: unexpected EOF")
        out.append(StreamPart("finish", usage=self.usage, finish_reason=self.finish,
                              provider_metadata=_metadata(self.response_id)))
        return out


_Handler = Callable[[ResponsesStream, dict, List[StreamPart]], None]
_HANDLERS: Dict[str, _Handler] = {
    "response.created": ResponsesStream._created,
    "response.output_item.added": ResponsesStream._item_added,
    "response.output_item.done": ResponsesStream._item_done,
    "response.output_text.delta": ResponsesStream._text_delta,
    "response.output_text.annotation.added": ResponsesStream._annotation,
    "response.function_call_arguments.delta": ResponsesStream._arguments_delta,
    "response.reasoning_summary_part.added": ResponsesStream._summary_part,
    "response.reasoning_summary_text.delta": ResponsesStream._summary_delta,
    "response.completed": ResponsesStream._completed,
    "response.incomplete": ResponsesStream._completed,
    "response.failed": ResponsesStream._failed,
    "error": ResponsesStream._error,
}


# ---- request tools (docs/semantics.md#tool-call-validation) --------------------------

def request_tools(body: Any) -> Optional[List[ToolSpec]]:
    """The function tools of a Responses request (``{"type": "function", "name",
    "parameters"}``), for tool-call validation. Provider tools such as
    ``web_search`` are executed by the provider and never validated, so they
    are not listed. None when the request has no tool list."""
    if not isinstance(body, dict) or not isinstance(body.get("tools"), list):
        return None
    specs = []
    for t in body["tools"]:
        t = lenient_object(t)
        if t.get("type") != "function":
            continue
        req = lenient_object(t.get("parameters")).get("required")
        specs.append(ToolSpec(lenient_str(t.get("name")), tuple(x for x in req if isinstance(x, str))
                              if isinstance(req, list) else ()))
    return specs


FORMAT = c.ProviderFormat("openai-responses", STREAM_SPEC, GENERATE_SPEC, ResponsesStream, decode_generate,
                          request_tools, c.openai_http_error, done=b"[DONE]")

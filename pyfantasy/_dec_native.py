"""Native stream decoders: fantasy's per-chunk state machines in C (native/pf_dec.c, pf_chat.c,
pf_responses.c).

One C call per feed runs the SSE split, the strict JSON scan and the wire
format's state machine; what comes back is a handful of part records per
body, never the chunks. This module turns those records into what the
Python pipeline produces from the same body: ``StreamPart`` objects for
``StreamDecoder.feed`` (``PartReader.parts``), or the step ``Response``
directly for whole bodies (``PartReader.response``), applying the agent's
assembly rules (``_assemble.StreamAssembler``) to records. Python's work
grows with the parts, not the chunks.

Metadata objects are numbered by the C side; later META records change
objects already handed out, as fantasy's shared pointers do.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ._assemble import ToolSpec, deterministic_uuid, validate_tool_call
from ._errors import DecodeError
from ._native_lib import ffi, lib
from ._scan import loads, number
from .response import (AnthropicReasoningMetadata, GoogleReasoningMetadata, OpenAIMetadata,
                       OpenAIResponsesMetadata, OpenRouterMetadata, ReasoningContent, Response,
                       ResponsesReasoningMetadata, SourceContent, StreamPart, TextContent, ToolCallContent,
                       ToolResultContent, Usage, VercelMetadata, WebSearchAction, WebSearchCallMetadata,
                       WebSearchSource)

W = lib.PF_PART_W
(TEXT_START, TEXT_DELTA, TEXT_END, REASONING_START, REASONING_DELTA, REASONING_END, TOOL_INPUT_START,
 TOOL_INPUT_DELTA, TOOL_INPUT_END, TOOL_CALL, SOURCE, FINISH, ERROR, META, EOF, TOOL_RESULT) = range(1, 17)
assert (lib.PF_PT_TEXT_START, lib.PF_PT_EOF, lib.PF_PT_META) == (TEXT_START, EOF, META)
assert lib.PF_PT_TOOL_RESULT == TOOL_RESULT
# flags above the type in a record's value 0 (openai-responses); SOURCE's only flag is DOCUMENT
MASK, PROVIDER_EXECUTED = lib.PF_PT_MASK, lib.PF_PT_PROVIDER_EXECUTED

_FINISH = ("stop", "length", "content-filter", "tool-calls", "error", "other", "unknown")
_ERROR_KIND = {lib.PF_EK_JSON: "json", lib.PF_EK_PROVIDER_ERROR: "provider-error",
               lib.PF_EK_PROVIDER_RESPONSE: "provider-response", lib.PF_EK_TRUNCATED: "truncated"}
_NO_OFFSET = int(ffi.cast("size_t", -1))
_META_KEY = {ResponsesReasoningMetadata: "openai", GoogleReasoningMetadata: "google",
             AnthropicReasoningMetadata: "anthropic", WebSearchCallMetadata: "openai"}
_PART_TYPE = {TEXT_START: "text-start", TEXT_DELTA: "text-delta", TEXT_END: "text-end",
              REASONING_START: "reasoning-start", REASONING_DELTA: "reasoning-delta",
              REASONING_END: "reasoning-end", TOOL_INPUT_START: "tool-input-start",
              TOOL_INPUT_DELTA: "tool-input-delta", TOOL_INPUT_END: "tool-input-end"}
_CHAT_VARIANTS = {"openai": lib.PF_CHAT_OPENAI, "compat": lib.PF_CHAT_COMPAT,
                  "openrouter": lib.PF_CHAT_OPENROUTER, "vercel": lib.PF_CHAT_VERCEL}
_KNOWN_USAGE = frozenset(("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                          "completion_tokens_details"))
K_NULL, K_FALSE, K_TRUE, K_NUMBER, K_STRING, K_OBJECT, K_ARRAY, K_RAW = range(8)
_ZERO = Usage()


class Fallback(Exception):
    """The body has a shape the C state machine hands to the Python one."""


def value(kind: int, raw: bytes) -> Any:
    """A value from its record kind and bytes (strings unescaped, numbers and raw JSON as text)."""
    if kind == K_STRING:
        return raw.decode("utf-8", "replace")
    if kind == K_NUMBER:
        return number(raw.decode("ascii"))
    if kind == K_RAW:
        return loads(raw.decode("utf-8", "replace"))
    if kind == K_TRUE:
        return True
    if kind == K_FALSE:
        return False
    return None


class PartReader:
    """One body's C decoder and the Python objects its records stand for.

    ``new(format, variant)`` makes the C decoder; ``feed(data, eof)`` returns the
    records of that feed as a flat list (``W`` values per part) and keeps the
    arena for the readers below.
    """

    __slots__ = ("_d", "_out", "format", "variant", "_meta", "arena", "events", "cut", "done_seen", "_fin")

    def __init__(self, format: str, variant: str) -> None:
        if format == "openai-chat":
            d = lib.pf_chat_new(_CHAT_VARIANTS[variant])
        elif format == "openai-responses":
            d = lib.pf_responses_new()
        else:
            raise ValueError(f"no native decoder for {format!r}")
        if d == ffi.NULL:
            raise MemoryError(f"no native decoder for {format!r} (out of memory)")
        self._d = ffi.gc(d, lib.pf_dec_free)
        self._out = ffi.new("pf_dec_out *")
        self.format = format
        self.variant = variant
        self._meta: List[Any] = []
        self.arena = b""
        self.events = 0
        self.cut: Optional[int] = None
        self.done_seen = False
        self._fin: Any = None

    def feed(self, data: bytes, eof: bool) -> List[int]:
        """The part records of ``data``; raises Fallback when the C side hands the body back."""
        out = self._out
        rc = lib.pf_dec_feed(self._d, data, len(data), eof, out)
        if rc:
            if rc == lib.PF_ERR_NOMEM:
                raise MemoryError("pyfantasy decoder: out of memory")
            raise ValueError(f"pf_dec_feed failed ({rc})")
        if out.status:
            raise Fallback()
        self.events = out.events
        n = out.nparts
        self.arena = ffi.buffer(out.arena, out.arena_len)[:] if out.arena_len else b""
        if eof:
            self.cut = out.cut_offset if out.cut else None
            self.done_seen = bool(out.done_seen)
        return ffi.unpack(out.parts, W * n) if n else []

    # -- pieces ----------------------------------------------------------------

    def _s(self, off: int, n: int) -> str:
        return self.arena[off:off + n].decode("utf-8", "replace") if n else ""

    def _meta_op(self, r: Sequence[int], i: int) -> None:
        obj, op, a, b, arg = r[i + 1], r[i + 2], self._s(r[i + 3], r[i + 4]), self._s(r[i + 5], r[i + 6]), r[i + 7]
        meta = self._meta
        if op == lib.PF_MO_RESPONSES_NEW:
            meta.append(ResponsesReasoningMetadata(summary=[a]))
        elif op == lib.PF_MO_GOOGLE_NEW:
            meta.append(GoogleReasoningMetadata(signature=a, tool_id=b))
        elif op == lib.PF_MO_ANTHROPIC_NEW:
            meta.append(AnthropicReasoningMetadata(signature=a))
        elif op == lib.PF_MO_RESPONSES_ENCRYPTED:
            m = meta[obj]
            m.item_id, m.encrypted_content = a, b
        elif op == lib.PF_MO_RESPONSES_SUMMARY:
            s = meta[obj].summary
            if arg < len(s):
                s[arg] += a
            else:
                s.append(a)
        elif op == lib.PF_MO_GOOGLE_SET:
            m = meta[obj]
            m.signature, m.tool_id = a, b
        elif op == lib.PF_MO_RESPONSES_ITEM:
            meta.append(ResponsesReasoningMetadata(item_id=a, encrypted_content=b or None, summary=[]))
        elif op == lib.PF_MO_WEB_SEARCH_NEW:
            meta.append(WebSearchCallMetadata(item_id=a))
        elif op == lib.PF_MO_WEB_SEARCH_ACTION:
            meta[obj].action = WebSearchAction(type=a, query=b)
        elif op == lib.PF_MO_WEB_SEARCH_SOURCE:
            action = meta[obj].action
            if action.sources is None:
                action.sources = []
            action.sources.append(WebSearchSource(type=a, url=b))

    def _pm(self, k: int) -> Optional[Dict[str, Any]]:
        if not k:
            return None
        m = self._meta[k - 1]
        return {_META_KEY[type(m)]: m}

    def _error(self, r: Sequence[int], i: int) -> DecodeError:
        kind = r[i + 1]
        raw = self.arena[r[i + 3]:r[i + 3] + r[i + 4]]
        if kind == lib.PF_EK_PROVIDER_ERROR and r[i + 5] != _NO_OFFSET:  # a value kind: made from the value
            from ._providers._common import stream_error_text
            msg = stream_error_text(value(r[i + 5], raw))
        else:
            msg = raw.decode("utf-8", "replace")
        off = r[i + 2]
        return DecodeError(_ERROR_KIND[kind], msg, None if off == _NO_OFFSET else off)

    def _finish(self, r: Sequence[int], i: int) -> tuple:
        """(finish reason, usage, provider metadata) of a FINISH record."""
        out, flags = self._out, r[i + 2]
        usage = Usage(*out.fin_usage) if flags & lib.PF_FIN_USAGE else _ZERO
        meta: Optional[Dict[str, Any]] = None
        if self.format == "openai-responses":
            rid = self._s(r[i + 3], r[i + 4])
            return _FINISH[r[i + 1]], usage, {"openai": OpenAIResponsesMetadata(response_id=rid)} if rid else {}
        if flags & lib.PF_FIN_USAGE:
            variant = self.variant
            if variant in ("openrouter", "vercel"):
                from ._providers import _common as c
                raw = self.arena[out.fin_provider_off:out.fin_provider_off + out.fin_provider_len]
                prov = "" if out.fin_provider_kind < 0 else c.raw_text(value(out.fin_provider_kind, raw))
                if variant == "openrouter":
                    from ._providers.openai_chat import _router_usage_meta
                    u = loads(self._s(out.fin_usage_off, out.fin_usage_len))
                    meta = {variant: OpenRouterMetadata(provider=prov, usage=_router_usage_meta(u))}
                else:
                    meta = {variant: VercelMetadata(provider=prov)}
            else:
                om = OpenAIMetadata()
                if out.fin_accepted > 0:
                    om.accepted_prediction_tokens = out.fin_accepted
                if out.fin_rejected > 0:
                    om.rejected_prediction_tokens = out.fin_rejected
                if flags & lib.PF_FIN_EXTRAS:
                    from ._providers import _common as c
                    u = loads(self.arena[out.fin_extras_off:out.fin_extras_off + out.fin_extras_len]
                              .decode("utf-8", "replace"))
                    extra = {k: c.raw(v) for k, v in u.items() if k not in _KNOWN_USAGE and v is not None}
                    if extra:
                        om.extra_fields = extra
                meta = {"openai": om}
        if flags & lib.PF_FIN_CHOICE0:
            meta = dict(meta) if meta is not None else {}
            om = meta.get("openai")
            if not isinstance(om, OpenAIMetadata):
                om = OpenAIMetadata()
                meta["openai"] = om
            om.logprobs = None
        return _FINISH[r[i + 1]], usage, meta

    # -- stream parts (StreamDecoder) -----------------------------------------------

    def parts(self, r: Sequence[int], start: int = 0, stop: Optional[int] = None) -> List[StreamPart]:
        """StreamPart objects of records ``r[start:stop]`` (META records applied, not returned)."""
        s = self._s
        out: List[StreamPart] = []
        stop = len(r) if stop is None else stop
        for i in range(start, stop, W):
            t = r[i]
            if t > MASK:
                out.append(self._flagged(r, i))
            elif t <= REASONING_END:
                out.append(StreamPart(_PART_TYPE[t], id=s(r[i + 1], r[i + 2]), delta=s(r[i + 3], r[i + 4]),
                                      provider_metadata=self._pm(r[i + 7])))
            elif t == TOOL_INPUT_START:
                out.append(StreamPart("tool-input-start", id=s(r[i + 1], r[i + 2]),
                                      tool_call_name=s(r[i + 5], r[i + 6])))
            elif t <= TOOL_INPUT_END:
                out.append(StreamPart(_PART_TYPE[t], id=s(r[i + 1], r[i + 2]), delta=s(r[i + 3], r[i + 4])))
            elif t == TOOL_CALL:
                out.append(StreamPart("tool-call", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                                      tool_call_input=s(r[i + 3], r[i + 4]), provider_metadata=self._pm(r[i + 7])))
            elif t == SOURCE:
                out.append(StreamPart("source", id=deterministic_uuid(s(r[i + 1], r[i + 2]), "citation", r[i + 7]),
                                      source_type="url", url=s(r[i + 3], r[i + 4]), title=s(r[i + 5], r[i + 6])))
            elif t == FINISH:
                fr, usage, meta = self._finish(r, i)
                out.append(StreamPart("finish", usage=usage, finish_reason=fr, provider_metadata=meta))
            elif t == ERROR:
                out.append(StreamPart("error", error=self._error(r, i)))
            elif t == META:
                self._meta_op(r, i)
            elif t == TOOL_RESULT:
                out.append(self._flagged(r, i))
        return out

    def _flagged(self, r: Sequence[int], i: int) -> StreamPart:
        """The StreamPart of a record whose type carries flags (provider-executed tools,
        document sources)."""
        s, t = self._s, r[i] & MASK
        if t == SOURCE:
            return StreamPart("source", id=deterministic_uuid(s(r[i + 1], r[i + 2]), "citation", r[i + 7]),
                              source_type="document", title=s(r[i + 5], r[i + 6]))
        pe = bool(r[i] & PROVIDER_EXECUTED)
        if t == TOOL_INPUT_START:
            return StreamPart("tool-input-start", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                              provider_executed=pe)
        if t == TOOL_CALL:
            return StreamPart("tool-call", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                              tool_call_input=s(r[i + 3], r[i + 4]), provider_executed=pe,
                              provider_metadata=self._pm(r[i + 7]))
        return StreamPart("tool-result", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                          provider_executed=pe, provider_metadata=self._pm(r[i + 7]))

    # -- the step Response of a whole body (StreamAssembler's rules on records) -----

    def response(self, r: Sequence[int], tools: Optional[Sequence[ToolSpec]]) -> Response:
        """The step Response of a whole body's records; DecodeError (with the partial
        Response) when an error part came."""
        s = self._s
        content: Optional[List[Any]] = None
        text: Dict[str, List[str]] = {}
        reasoning: Dict[str, list] = {}
        finish, usage, meta = "unknown", None, None
        for i in range(0, len(r), W):
            t = r[i]
            if t == TEXT_DELTA:
                chunks = text.get(s(r[i + 1], r[i + 2]))
                if chunks is not None:
                    chunks.append(s(r[i + 3], r[i + 4]))
            elif t == TEXT_START:
                text[s(r[i + 1], r[i + 2])] = []
            elif t == TEXT_END:
                chunks = text.pop(s(r[i + 1], r[i + 2]), None)
                if chunks is not None:
                    if content is None:
                        content = []
                    content.append(TextContent(text="".join(chunks), provider_metadata=self._pm(r[i + 7])))
            elif t == REASONING_START:
                reasoning[s(r[i + 1], r[i + 2])] = [[s(r[i + 3], r[i + 4])], self._pm(r[i + 7])]
            elif t == REASONING_DELTA:
                block = reasoning.get(s(r[i + 1], r[i + 2]))
                if block is not None:
                    block[0].append(s(r[i + 3], r[i + 4]))
                    if r[i + 7]:
                        block[1] = self._pm(r[i + 7])
            elif t == REASONING_END:
                block = reasoning.pop(s(r[i + 1], r[i + 2]), None)
                if block is not None:
                    if content is None:
                        content = []
                    pm = block[1] if not r[i + 7] else self._pm(r[i + 7])
                    content.append(ReasoningContent(text="".join(block[0]), provider_metadata=pm))
            elif t == TOOL_CALL:
                call = ToolCallContent(tool_call_id=s(r[i + 1], r[i + 2]), tool_name=s(r[i + 5], r[i + 6]),
                                       input=s(r[i + 3], r[i + 4]), provider_metadata=self._pm(r[i + 7]))
                if content is None:
                    content = []
                content.append(validate_tool_call(call, tools))
            elif t == SOURCE:
                if content is None:
                    content = []
                content.append(SourceContent(source_type="url", id=deterministic_uuid(s(r[i + 1], r[i + 2]),
                                                                                      "citation", r[i + 7]),
                                             url=s(r[i + 3], r[i + 4]), title=s(r[i + 5], r[i + 6])))
            elif t == FINISH:
                finish, usage, meta = self._finish(r, i)
            elif t == META:
                self._meta_op(r, i)
            elif t > MASK or t == TOOL_RESULT:
                content = self._flagged_content(self._flagged(r, i), content, tools)
            elif t == ERROR:
                err = self._error(r, i)
                if reasoning or text:
                    content = (content or []) + [
                        ReasoningContent(text="".join(b[0]), provider_metadata=b[1]) for b in reasoning.values()] + [
                        TextContent(text="".join(c)) for c in text.values()]
                err.response = Response(content=content, finish_reason=finish, usage=usage or _ZERO,
                                        warnings=None, provider_metadata=meta)
                raise err
        return Response(content=content, finish_reason=finish, usage=usage or _ZERO, warnings=None,
                        provider_metadata=meta)

    @staticmethod
    def _flagged_content(p: StreamPart, content: Optional[List[Any]],
                         tools: Optional[Sequence[ToolSpec]]) -> Optional[List[Any]]:
        """``content`` with what StreamAssembler appends for a flagged or tool-result part."""
        if p.type == "tool-call":
            item: Any = validate_tool_call(ToolCallContent(
                tool_call_id=p.id, tool_name=p.tool_call_name, input=p.tool_call_input,
                provider_executed=p.provider_executed, provider_metadata=p.provider_metadata), tools)
        elif p.type == "tool-result":
            if not p.provider_executed:
                return content
            item = ToolResultContent(tool_call_id=p.id, tool_name=p.tool_call_name, result=None,
                                     provider_executed=True, provider_metadata=p.provider_metadata)
        elif p.type == "source":
            item = SourceContent(source_type=p.source_type, id=p.id, url=p.url, title=p.title)
        else:
            return content
        if content is None:
            return [item]
        content.append(item)
        return content


def available(format: str) -> bool:
    """Whether a C state machine exists for this wire format."""
    return format in ("openai-chat", "openai-responses")

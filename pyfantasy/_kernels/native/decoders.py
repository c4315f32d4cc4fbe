"""Native stream decoders: fantasy's per-chunk state machines in C (native/pf_dec.c, pf_chat.c, pf_gemini.c,
pf_anthropic.c, pf_responses.c).

One C call per feed runs the SSE split, the strict JSON scan and the wire
format's state machine; what comes back is a handful of part records per
body, never the chunks. This module turns those records into what the
Python pipeline produces from the same body: ``StreamPart`` objects for
``StreamDecoder.feed`` (``PartReader.parts``), or the step ``Response`` for
whole bodies. A whole body is one call (``pf_dec_whole``) that also folds
the parts as the agent's assembler (``StreamAssembler``) does, so that
``PartReader.content`` makes one object per content record; a body the fold
leaves alone (an error part) goes through ``PartReader.response``, the same
rules on stream parts. Python's work grows with the parts, not the chunks.

Metadata objects are numbered by the C side; later META records change
objects already handed out, as fantasy's shared pointers do.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Sequence

from pyfantasy._errors import NativeFallback as Fallback
from pyfantasy._providers.assemble import ToolSpec, deterministic_uuid, validate_tool_call
from pyfantasy._errors import DecodeError

from pyfantasy._kernels.native import check, ffi, lib, owned
from pyfantasy._providers import _common as c
from pyfantasy._providers.openai_chat import _router_usage_meta
from pyfantasy._go.json import go_string
from pyfantasy._kernels.jsonscan import loads, number
from pyfantasy.response import (AnthropicReasoningMetadata, AnthropicWebSearchResultMetadata, GoogleReasoningMetadata,
                       OpenAIMetadata, OpenAIResponsesMetadata, OpenRouterMetadata, OpenRouterUsage, RawJSON,
                       ReasoningContent, Response, ResponsesReasoningMetadata, SourceContent, StreamPart,
                       TextContent, ToolCallContent, ToolResultContent, Usage, VercelMetadata, WebSearchAction,
                       WebSearchCallMetadata, WebSearchResultItem, WebSearchSource, fast_constructor, new_usage)

# the wire formats with a C state machine for streams (every one)
FORMATS = frozenset(("openai-chat", "openai-responses", "anthropic", "bedrock", "google"))
# the wire formats whose non-streaming bodies have a C machine (the others: the Python Generate)
DOCUMENT_FORMATS = frozenset(("openai-chat", "openai-responses", "google", "anthropic", "bedrock"))
W = lib.PF_PART_W
# the cdef's constants as module globals (a lib attribute costs a lookup each time)
EK_JSON = lib.PF_EK_JSON
EK_PROVIDER_ERROR = lib.PF_EK_PROVIDER_ERROR
EK_PROVIDER_RESPONSE = lib.PF_EK_PROVIDER_RESPONSE
EK_TRUNCATED = lib.PF_EK_TRUNCATED
FIN_CHOICE0 = lib.PF_FIN_CHOICE0
FIN_EXTRAS = lib.PF_FIN_EXTRAS
FIN_USAGE = lib.PF_FIN_USAGE
FIN_EXTRA_RECORDS = lib.PF_FIN_EXTRA_RECORDS
FIN_PREDICTION = lib.PF_FIN_PREDICTION
(TEXT_START, TEXT_DELTA, TEXT_END, REASONING_START, REASONING_DELTA, REASONING_END, TOOL_INPUT_START,
 TOOL_INPUT_DELTA, TOOL_INPUT_END, TOOL_CALL, SOURCE, FINISH, ERROR, META, EOF, USAGE, EXTRA, ROUTER) = (
    lib.PF_PT_TEXT_START, lib.PF_PT_TEXT_DELTA, lib.PF_PT_TEXT_END, lib.PF_PT_REASONING_START,
    lib.PF_PT_REASONING_DELTA, lib.PF_PT_REASONING_END, lib.PF_PT_TOOL_INPUT_START, lib.PF_PT_TOOL_INPUT_DELTA,
    lib.PF_PT_TOOL_INPUT_END, lib.PF_PT_TOOL_CALL, lib.PF_PT_SOURCE, lib.PF_PT_FINISH, lib.PF_PT_ERROR, lib.PF_PT_META,
    lib.PF_PT_EOF, lib.PF_PT_USAGE, lib.PF_PT_EXTRA, lib.PF_PT_ROUTER)
# parts() relies on the text and reasoning types coming first and the tool input ones next
assert TEXT_START < TEXT_DELTA < TEXT_END < REASONING_START < REASONING_DELTA < REASONING_END < TOOL_INPUT_START
assert TOOL_INPUT_START < TOOL_INPUT_DELTA < TOOL_INPUT_END < TOOL_CALL
TOOL_RESULT, PROVIDER_TOOL_CALL = lib.PF_PT_TOOL_RESULT, lib.PF_PT_PROVIDER_TOOL_CALL
TOOL_CALL_OBJECT = lib.PF_PT_TOOL_CALL_OBJECT   # a TOOL_CALL whose input C checked is a JSON object Go reads
WEB_SEARCH_RESULT = lib.PF_PT_WEB_SEARCH_RESULT   # a source part and its result item (Anthropic)
# pf_dec_whole's content records: a whole text or reasoning block
TEXT_CONTENT, REASONING_CONTENT = lib.PF_PT_TEXT_CONTENT, lib.PF_PT_REASONING_CONTENT
FIN_STASH = (USAGE, EXTRA, ROUTER)   # records kept for the FINISH after them
# records that are one content item each (PartReader._item)
_ITEMS = frozenset((TOOL_CALL, TOOL_CALL_OBJECT, PROVIDER_TOOL_CALL, TOOL_RESULT, SOURCE, WEB_SEARCH_RESULT))
_NO_CONTENT = frozenset((TOOL_INPUT_START, TOOL_INPUT_DELTA, TOOL_INPUT_END, EOF))
FIN_PLAIN = lib.PF_FIN_PLAIN
FIN_NO_METADATA = lib.PF_FIN_NO_METADATA
FIN_GIVEN = FIN_PLAIN | FIN_NO_METADATA   # a finish whose usage is fin_usage's (whole(): the head's), no other flag
FIN_OPENAI_KEY = lib.PF_FIN_OPENAI_KEY
# flags above the type in a record's value 0 (openai-responses); SOURCE's only flag is DOCUMENT
MASK, PROVIDER_EXECUTED = lib.PF_PT_MASK, lib.PF_PT_PROVIDER_EXECUTED

# metadata operations (PF_MO_*)
MO_ANTHROPIC_NEW = lib.PF_MO_ANTHROPIC_NEW
MO_GENAI_SIGNATURE_NEW = lib.PF_MO_GENAI_SIGNATURE_NEW
MO_GOOGLE_NEW = lib.PF_MO_GOOGLE_NEW
MO_GOOGLE_SET = lib.PF_MO_GOOGLE_SET
MO_OPENAI_WEB_SEARCH_ACTION = lib.PF_MO_OPENAI_WEB_SEARCH_ACTION
MO_OPENAI_WEB_SEARCH_NEW = lib.PF_MO_OPENAI_WEB_SEARCH_NEW
MO_OPENAI_WEB_SEARCH_SOURCE = lib.PF_MO_OPENAI_WEB_SEARCH_SOURCE
MO_RESPONSES_ENCRYPTED = lib.PF_MO_RESPONSES_ENCRYPTED
MO_RESPONSES_ITEM = lib.PF_MO_RESPONSES_ITEM
MO_RESPONSES_NEW = lib.PF_MO_RESPONSES_NEW
MO_RESPONSES_SUMMARY = lib.PF_MO_RESPONSES_SUMMARY
MO_WEB_SEARCH_NEW = lib.PF_MO_WEB_SEARCH_NEW
MO_UCS4 = lib.PF_MO_UCS4   # a META record's value 7: its a is code points (_go_text), not bytes

# finish reason by PF_FR_* value
_FINISH_BY_CODE = {lib.PF_FR_STOP: "stop", lib.PF_FR_LENGTH: "length", lib.PF_FR_CONTENT_FILTER: "content-filter",
                   lib.PF_FR_TOOL_CALLS: "tool-calls", lib.PF_FR_ERROR: "error", lib.PF_FR_OTHER: "other",
                   lib.PF_FR_UNKNOWN: "unknown"}
_FINISH = tuple(_FINISH_BY_CODE[k] for k in range(len(_FINISH_BY_CODE)))
_ERROR_KIND = {EK_JSON: "json", EK_PROVIDER_ERROR: "provider-error",
               EK_PROVIDER_RESPONSE: "provider-response", EK_TRUNCATED: "truncated"}
_NO_OFFSET = int(ffi.cast("size_t", -1))
_FIN_USAGE_N = len(ffi.new("pf_dec_out *").fin_usage)   # pf_dec_out.fin_usage's length
HEAD_N = lib.PF_DEC_HEAD_N   # the head of pf_dec_whole's values (the records start after it)
_HANDED_BACK = lib.PF_DEC_HANDED_BACK
assert (lib.PF_DEC_HEAD_WHOLE, lib.PF_DEC_HEAD_ARENA_LEN, lib.PF_DEC_HEAD_CUT, lib.PF_DEC_HEAD_USAGE_SIGNED,
        lib.PF_DEC_HEAD_USAGE, _FIN_USAGE_N) == (0, 1, 2, 3, 4, 6)   # as whole() reads the head
_META_KEY = {ResponsesReasoningMetadata: "openai", GoogleReasoningMetadata: "google",
             AnthropicReasoningMetadata: "anthropic", AnthropicWebSearchResultMetadata: "anthropic",
             WebSearchCallMetadata: "openai"}
_PART_TYPE = {TEXT_START: "text-start", TEXT_DELTA: "text-delta", TEXT_END: "text-end",
              REASONING_START: "reasoning-start", REASONING_DELTA: "reasoning-delta",
              REASONING_END: "reasoning-end", TOOL_INPUT_START: "tool-input-start",
              TOOL_INPUT_DELTA: "tool-input-delta", TOOL_INPUT_END: "tool-input-end"}
_CHAT_VARIANTS = {"openai": lib.PF_CHAT_OPENAI, "compat": lib.PF_CHAT_COMPAT,
                  "openrouter": lib.PF_CHAT_OPENROUTER, "vercel": lib.PF_CHAT_VERCEL}
_KNOWN_USAGE = frozenset(("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                          "completion_tokens_details"))
K_NULL, K_FALSE, K_TRUE, K_NUMBER, K_STRING, K_OBJECT, K_ARRAY, K_RAW = (
    lib.PF_K_NULL, lib.PF_K_FALSE, lib.PF_K_TRUE, lib.PF_K_NUMBER, lib.PF_K_STRING, lib.PF_K_OBJECT, lib.PF_K_ARRAY,
    lib.PF_K_RAW)
_ZERO = Usage()
_new_text = fast_constructor(TextContent)            # (text, provider_metadata)
_new_reasoning = fast_constructor(ReasoningContent)  # (text, provider_metadata)
_new_response = fast_constructor(Response)           # (content, finish_reason, usage, warnings, metadata)
_new_source = fast_constructor(SourceContent)      # (source_type, id, url, title)
_new_rr_meta = fast_constructor(ResponsesReasoningMetadata)    # (item_id, encrypted_content, summary)
_new_responses_meta = fast_constructor(OpenAIResponsesMetadata)   # (response_id)
_new_anthropic_meta = fast_constructor(AnthropicReasoningMetadata)  # (signature, redacted_data)
_new_google_meta = fast_constructor(GoogleReasoningMetadata)        # (signature, tool_id)
_new_result_item = fast_constructor(WebSearchResultItem)            # (url, title, encrypted_content, page_age)
_new_search_meta = fast_constructor(AnthropicWebSearchResultMetadata)   # (results, error_code)
_new_tool_call = fast_constructor(ToolCallContent)  # (id, name, input, provider_executed, metadata)
_new_openai_meta = fast_constructor(OpenAIMetadata)  # all defaults: no logprobs, no extra fields
_new_router_usage = fast_constructor(OpenRouterUsage)
_new_router_meta = fast_constructor(OpenRouterMetadata)  # (provider, usage)
_new_vercel_meta = fast_constructor(VercelMetadata)      # (provider)
_trusted = RawJSON.trusted
_dec_whole = lib.pf_dec_whole
_unpack = ffi.unpack


def _go_text(arena: bytes, off: int, n: int) -> str:
    """The Go string whose code points C wrote at ``arena[off:off + n]`` (PF_MO_UCS4): what
    ``go_string`` makes of its bytes, without a slow path per invalid byte."""
    return _unpack(ffi.from_buffer("char32_t[]", arena) + off // 4, n // 4)


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

    __slots__ = ("_d", "_out", "format", "variant", "_meta", "arena", "events", "cut", "folded", "_head",
                 "_responses")

    def __init__(self, format: str, variant: str, d: Any = None) -> None:
        """``d``: a C decoder to use (reset, owned by the caller), else a new one."""
        if d is None:
            d = _new_decoder(format, variant)
        self._d = d
        self._out = ffi.new("pf_dec_out *")
        self.format = format.rpartition(":")[2]   # "document:<format>": the format's non-streaming machine
        self.variant = variant
        self._meta: List[Any] = []
        self.arena = b""
        self.events = 0
        self.cut: Optional[int] = None
        self.folded = 0
        self._head: Optional[List[int]] = None   # whole()'s values (their head holds the finish's usage)
        self._responses = self.format == "openai-responses"

    def feed(self, data: bytes, eof: bool) -> List[int]:
        """The part records of ``data``; raises Fallback when the C side hands the body back."""
        out = self._out
        rc = lib.pf_dec_feed(self._d, data, len(data), eof, out)
        if rc:
            check(rc, "decoder")
        if out.status:
            raise Fallback()
        self.events = out.events
        n = out.nparts
        self._head = None
        self.arena = ffi.unpack(out.arena, out.arena_len) if out.arena_len else b""
        if eof and out.cut:
            self.cut = out.cut_offset
        return ffi.unpack(out.parts, W * n) if n else []

    def whole(self, body: Any, size: int = -1) -> Optional[List[int]]:
        """The values of a whole body from one C call (reset, feed, fold: pf_dec_whole): a head
        of HEAD_N values, then the step's content records when ``self.folded``, else the
        stream parts; None when the C side hands the body back. ``body``: bytes, or a C pointer
        to ``size`` bytes (a body in the cassette reader's arena, not copied out)."""
        out = self._out
        n = _dec_whole(self._d, body, len(body) if size < 0 else size, out)
        if n < 0:
            if n == _HANDED_BACK:
                return None
            check(n, "decoder")
        r = _unpack(out.parts, n)
        if self._meta:   # the last body's objects stay with its Response
            self._meta = []
        self.arena = _unpack(out.arena, r[1]) if r[1] else b""
        self.cut = r[2] - 1 if r[2] else None
        self.folded = r[0]
        self._head = r
        return r

    def stream_body(self, body: bytes, tools: Optional[Sequence[ToolSpec]]) -> Any:
        """A whole streamed body in one C call: ``(Response, cut)``, where ``cut`` is where the
        stream ended inside an event (or None), or None when the C side hands the body to the
        Python state machine. An error part raises its DecodeError, with the partial Response."""
        recs = self.whole(body)
        if recs is None:
            return None
        return (self.content(recs, tools) if self.folded else self.response(recs, tools, False, HEAD_N)), self.cut

    def document(self, body: bytes, tools: Optional[Sequence[ToolSpec]]) -> Any:
        """A non-streaming body (a ``document:`` reader): the agent step Response
        (agent.Generate's), or None when the C side hands the body to the Python Generate."""
        recs = self.whole(body)
        if recs is None:
            return None
        return self.content(recs, tools, True) if self.folded else self.response(recs, tools, True, HEAD_N)

    # -- pieces ----------------------------------------------------------------

    def _s(self, off: int, n: int) -> str:
        return self.arena[off:off + n].decode("utf-8", "replace") if n else ""

    def _meta_op(self, r: Sequence[int], i: int) -> None:
        """Apply a META record: a new metadata object, or a change to one handed out."""
        op, arena = r[i + 2], self.arena
        ao, an = r[i + 3], r[i + 4]
        meta = self._meta
        if op == MO_GENAI_SIGNATURE_NEW:   # a signature's bytes, kept as Go keeps them (go_string)
            meta.append(_new_google_meta(_go_text(arena, ao, an) if r[i + 7] == MO_UCS4 else
                                         go_string(arena[ao:ao + an]),
                                         arena[r[i + 5]:r[i + 5] + r[i + 6]].decode("utf-8", "replace")))
            return
        a = arena[ao:ao + an].decode("utf-8", "replace") if an else ""
        b = arena[r[i + 5]:r[i + 5] + r[i + 6]].decode("utf-8", "replace") if r[i + 6] else ""
        if op == MO_ANTHROPIC_NEW:
            meta.append(_new_anthropic_meta(a, b))
        elif op == MO_RESPONSES_NEW:
            meta.append(_new_rr_meta("", None, [a]))
        elif op == MO_GOOGLE_NEW:
            meta.append(_new_google_meta(a, b))
        elif op == MO_WEB_SEARCH_NEW:
            meta.append(_new_search_meta(None, a))
        elif op == MO_RESPONSES_ENCRYPTED:
            m = meta[r[i + 1]]
            m.item_id, m.encrypted_content = a, b
        elif op == MO_RESPONSES_SUMMARY:
            sm, arg = meta[r[i + 1]].summary, r[i + 7]
            if arg < len(sm):
                sm[arg] += a
            else:
                sm.append(a)
        elif op == MO_GOOGLE_SET:
            m = meta[r[i + 1]]
            m.signature, m.tool_id = a, b
        elif op == MO_RESPONSES_ITEM:
            meta.append(_new_rr_meta(a, b or None, []))
        elif op == MO_OPENAI_WEB_SEARCH_NEW:
            meta.append(WebSearchCallMetadata(item_id=a))
        elif op == MO_OPENAI_WEB_SEARCH_ACTION:
            meta[r[i + 1]].action = WebSearchAction(type=a, query=b)
        elif op == MO_OPENAI_WEB_SEARCH_SOURCE:
            action = meta[r[i + 1]].action
            if action.sources is None:
                action.sources = []
            action.sources.append(WebSearchSource(type=a, url=b))

    def _search_result(self, r: Sequence[int], i: int) -> Any:
        """A WEB_SEARCH_RESULT record: its item appended to the metadata object's results; the
        SourceContent of its url and title."""
        a, o = self.arena, r[i + 2]
        k1 = o + r[i + 3]
        k2 = k1 + r[i + 4]
        k3 = k2 + r[i + 5]
        url, title = a[o:k1].decode("utf-8", "replace"), a[k1:k2].decode("utf-8", "replace")
        m = self._meta[r[i + 1]]
        if m.results is None:
            m.results = []
        m.results.append(_new_result_item(url, title, a[k2:k3].decode("utf-8", "replace"),
                                          a[k3:k3 + r[i + 6]].decode("utf-8", "replace")))
        return _new_source("url", url, url, title)

    def _pm(self, k: int) -> Optional[Dict[str, Any]]:
        if not k:
            return None
        m = self._meta[k - 1]
        return {_META_KEY[type(m)]: m}

    def _error(self, r: Sequence[int], i: int) -> DecodeError:
        kind = r[i + 1]
        raw = self.arena[r[i + 3]:r[i + 3] + r[i + 4]]
        if kind == lib.PF_EK_EVSTREAM:   # the event stream failed (bedrock): worded as the Python path does
            from pyfantasy._kernels.evstream_contract import EvError, describe
            ekind, msg = describe(EvError(r[i + 5], r[i + 2], r[i + 6], r[i + 7], raw))
            return DecodeError(ekind, msg, r[i + 2])
        if kind == EK_PROVIDER_ERROR and r[i + 5] != _NO_OFFSET:  # else the message is given
            msg = c.stream_error_text(value(r[i + 5], raw))
        else:
            msg = raw.decode("utf-8", "replace")
        off = r[i + 2]
        return DecodeError(_ERROR_KIND[kind], msg, None if off == _NO_OFFSET else off)

    def _finish(self, r: Sequence[int], i: int, fin: Dict[int, Any]) -> tuple:
        """(finish reason, usage, provider metadata) of a FINISH record; ``fin``: the USAGE,
        EXTRA and ROUTER records before it (record type -> index in ``r``; EXTRA: a list)."""
        flags = r[i + 2]
        if flags & FIN_GIVEN:
            return _FINISH[r[i + 1]], new_usage(*self._fin_usage()), {} if flags & FIN_PLAIN else None
        u = fin.get(USAGE)
        if u is None:  # formats that give their usage in pf_dec_out
            usage = new_usage(*self._fin_usage()) if flags & FIN_USAGE else _ZERO
        elif r[u + 7]:  # a negative count: the record holds it as unsigned
            usage = new_usage(*self._fin_usage())
        else:
            usage = new_usage(r[u + 1], r[u + 2], r[u + 3], r[u + 4], r[u + 5], r[u + 6])
        meta: Optional[Dict[str, Any]] = None
        if self._responses:
            rid = self._s(r[i + 3], r[i + 4])
            return _FINISH[r[i + 1]], usage, {"openai": _new_responses_meta(rid)} if rid else {}
        if flags & FIN_USAGE:
            variant = self.variant
            a = self.arena
            if variant == "openrouter" or variant == "vercel":
                pk = r[i + 7]
                prov = a[r[i + 5]:r[i + 5] + r[i + 6]].decode("utf-8", "replace") if pk == 1 else \
                    c.raw_text(value(pk - 2, a[r[i + 5]:r[i + 5] + r[i + 6]])) if pk else ""
                if variant == "openrouter":
                    ro = fin.get(ROUTER)
                    if ro is not None:   # the costs as Go reads them, in pf_dec_out
                        ru = _new_router_usage(r[ro + 1], r[ro + 2], r[ro + 3], r[ro + 4], r[ro + 5],
                                               *self._out.fin_costs)
                    else:
                        ru = _router_usage_meta(loads(a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace")))
                    meta = {variant: _new_router_meta(prov, ru)}
                else:
                    meta = {variant: _new_vercel_meta(prov)}
            else:
                om = _new_openai_meta()
                if flags & FIN_PREDICTION:
                    out = self._out
                    if out.fin_accepted > 0:
                        om.accepted_prediction_tokens = out.fin_accepted
                    if out.fin_rejected > 0:
                        om.rejected_prediction_tokens = out.fin_rejected
                if flags & FIN_EXTRA_RECORDS:
                    extra = fin.get(EXTRA)
                    if extra:
                        om.extra_fields = {a[r[x + 1]:r[x + 1] + r[x + 2]].decode("utf-8", "replace"):
                                           _trusted(a[r[x + 3]:r[x + 3] + r[x + 4]].decode("utf-8")) for x in extra}
                elif flags & FIN_EXTRAS:
                    out = self._out
                    doc = loads(a[out.fin_extras_off:out.fin_extras_off + out.fin_extras_len]
                                .decode("utf-8", "replace"))
                    extra = {k: c.raw(v) for k, v in doc.items() if k not in _KNOWN_USAGE and v is not None}
                    if extra:
                        om.extra_fields = extra
                meta = {"openai": om}
        if flags & FIN_OPENAI_KEY and meta and "openai" not in meta:   # non-streaming chat: the variant's
            meta = {"openai": next(iter(meta.values()))}                # metadata under "openai"
        if flags & FIN_CHOICE0:
            if meta is None:
                meta = {"openai": _new_openai_meta()}
            elif "openai" not in meta:   # meta is this call's own dict
                meta["openai"] = _new_openai_meta()
            # logprobs stay None: a body with logprobs is decoded by the Python machine
        return _FINISH[r[i + 1]], usage, meta

    def _fin_usage(self) -> List[int]:
        """pf_dec_out.fin_usage: the FINISH part's usage where the record does not hold it (whole()'s
        head holds it too, unless a count is negative)."""
        h = self._head
        return ffi.unpack(self._out.fin_usage, _FIN_USAGE_N) if h is None or h[3] else h[4:10]

    @staticmethod
    def _stash(fin: Dict[int, Any], t: int, r: Sequence[int], i: int) -> None:
        """Keep where a USAGE, EXTRA or ROUTER record is, for the FINISH after it."""
        if t == EXTRA:
            fin.setdefault(EXTRA, []).append(i)
        else:
            fin[t] = i

    # -- stream parts (StreamDecoder) -----------------------------------------------

    def parts(self, r: Sequence[int], start: int = 0, stop: Optional[int] = None) -> List[StreamPart]:
        """StreamPart objects of records ``r[start:stop]`` (META records applied, not returned)."""
        s = self._s
        out: List[StreamPart] = []
        fin: Dict[int, Any] = {}
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
                                      tool_call_name=s(r[i + 5], r[i + 6]), provider_executed=bool(r[i + 7])))
            elif t <= TOOL_INPUT_END:
                out.append(StreamPart(_PART_TYPE[t], id=s(r[i + 1], r[i + 2]), delta=s(r[i + 3], r[i + 4]),
                                      provider_executed=bool(r[i + 7])))
            elif t == TOOL_CALL or t == TOOL_CALL_OBJECT or t == PROVIDER_TOOL_CALL:
                pe = t == PROVIDER_TOOL_CALL
                out.append(StreamPart("tool-call", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                                      tool_call_input=s(r[i + 3], r[i + 4]), provider_executed=pe,
                                      provider_metadata=None if pe else self._pm(r[i + 7])))
            elif t == TOOL_RESULT:
                out.append(StreamPart("tool-result", id=s(r[i + 1], r[i + 2]), tool_call_name=s(r[i + 5], r[i + 6]),
                                      provider_executed=True, provider_metadata=self._pm(r[i + 7])))
            elif t == WEB_SEARCH_RESULT:
                src = self._search_result(r, i)
                out.append(StreamPart("source", id=src.id, source_type="url", url=src.url, title=src.title))
            elif t == SOURCE:
                out.append(StreamPart("source", id=deterministic_uuid(s(r[i + 1], r[i + 2]), "citation", r[i + 7]),
                                      source_type="url", url=s(r[i + 3], r[i + 4]), title=s(r[i + 5], r[i + 6])))
            elif t in FIN_STASH:
                self._stash(fin, t, r, i)
            elif t == FINISH:
                fr, usage, meta = self._finish(r, i, fin)
                out.append(StreamPart("finish", usage=usage, finish_reason=fr, provider_metadata=meta))
            elif t == ERROR:
                out.append(StreamPart("error", error=self._error(r, i)))
            elif t == META:
                self._meta_op(r, i)
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

    def content(self, r: Sequence[int], tools: Optional[Sequence[ToolSpec]], document: bool = False) -> Response:
        """The step Response of pf_dec_whole's content records (after its head; no error part
        among them): one object per record, in order."""
        a = self.arena
        content: List[Any] = []
        add = content.append
        finish, usage, meta = "unknown", _ZERO, None
        fin: Dict[int, Any] = {}
        for i in range(HEAD_N, len(r), W):
            t = r[i]
            if t == TEXT_CONTENT:
                add(_new_text(a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace"),
                              self._pm(r[i + 7]) if r[i + 7] else None))
            elif t == FINISH:
                flags = r[i + 2]
                if flags & FIN_GIVEN and not r[3]:   # _finish's first case, inline (the usage: the head's)
                    finish, usage, meta = (_FINISH[r[i + 1]], new_usage(r[4], r[5], r[6], r[7], r[8], r[9]),
                                           {} if flags & FIN_PLAIN else None)
                else:
                    finish, usage, meta = self._finish(r, i, fin)
            elif t == REASONING_CONTENT:
                add(_new_reasoning(a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace"), self._pm(r[i + 7])))
            elif t in _ITEMS:
                add(self._item(r, i, t, tools))
            elif t == META:
                self._meta_op(r, i)
            elif t == USAGE:
                fin[USAGE] = i
            elif t in FIN_STASH:
                self._stash(fin, t, r, i)
            elif t > MASK:
                self._flagged_content(self._flagged(r, i), content, tools)
        return _new_response(content if content or document else None, finish, usage, None, meta)

    def fields(self, r: Sequence[int]) -> tuple:
        """(finish reason, usage, provider metadata, text length, tool calls) of the Response
        ``content`` would make of the same records, without making it (a scan row's figures):
        text length in characters of the text parts, tool calls counted whatever their input."""
        a = self.arena
        text = calls = 0
        finish, usage, meta = "unknown", _ZERO, None
        fin: Dict[int, Any] = {}
        for i in range(HEAD_N, len(r), W):
            t = r[i]
            if t == TEXT_CONTENT:
                n = r[i + 4]
                if n:
                    piece = a[r[i + 3]:r[i + 3] + n]
                    text += n if piece.isascii() else len(piece.decode("utf-8", "replace"))
            elif t == FINISH:
                finish, usage, meta = self._finish(r, i, fin)
            elif t == TOOL_CALL or t == TOOL_CALL_OBJECT or t == PROVIDER_TOOL_CALL:
                calls += 1
            elif t == USAGE:
                fin[USAGE] = i
            elif t in FIN_STASH:
                self._stash(fin, t, r, i)
            elif t > MASK and t & MASK == TOOL_CALL:
                calls += 1
        return finish, usage, meta, text, calls

    def _item(self, r: Sequence[int], i: int, t: int, tools: Optional[Sequence[ToolSpec]]) -> Any:
        """The content item of a tool call, tool result, source or web search result record
        (``_ITEMS``), as StreamAssembler makes it."""
        if t == TOOL_CALL_OBJECT or t == TOOL_CALL or t == PROVIDER_TOOL_CALL:   # the most common: first
            a, o1, o3, o5 = self.arena, r[i + 1], r[i + 3], r[i + 5]
            pe = t == PROVIDER_TOOL_CALL
            call = _new_tool_call(a[o1:o1 + r[i + 2]].decode("utf-8", "replace"),
                                  a[o5:o5 + r[i + 6]].decode("utf-8", "replace"),
                                  a[o3:o3 + r[i + 4]].decode("utf-8", "replace"), pe,
                                  None if pe or not r[i + 7] else self._pm(r[i + 7]))
            # an input C proved to be a JSON object passes the agent's check when no tools are given
            return call if t == TOOL_CALL_OBJECT and tools is None else validate_tool_call(call, tools)
        if t == WEB_SEARCH_RESULT:
            return self._search_result(r, i)
        s = self._s
        if t == TOOL_RESULT:
            return ToolResultContent(tool_call_id=s(r[i + 1], r[i + 2]), tool_name=s(r[i + 5], r[i + 6]),
                                     result=None, provider_executed=True, provider_metadata=self._pm(r[i + 7]))
        return _new_source("url", deterministic_uuid(s(r[i + 1], r[i + 2]), "citation", r[i + 7]),
                           s(r[i + 3], r[i + 4]), s(r[i + 5], r[i + 6]))

    def response(self, r: Sequence[int], tools: Optional[Sequence[ToolSpec]], document: bool = False,
                 start: int = 0) -> Response:
        """The step Response of a whole body's records; DecodeError (with the partial
        Response) when an error part came. ``document``: a non-streaming body (agent.Generate
        gives an empty content list, not none)."""
        a = self.arena
        content: Optional[List[Any]] = None
        text: Dict[bytes, List[str]] = {}
        reasoning: Dict[bytes, list] = {}
        finish, usage, meta = "unknown", _ZERO, None
        fin: Dict[int, Any] = {}
        for i in range(start, len(r), W):
            t = r[i]
            if t in _NO_CONTENT:  # tool input parts, the end marker: nothing for the Response
                continue
            if t == TEXT_DELTA:
                chunks = text.get(a[r[i + 1]:r[i + 1] + r[i + 2]])
                if chunks is not None:
                    chunks.append(a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace"))
            elif t == TEXT_START:
                text[a[r[i + 1]:r[i + 1] + r[i + 2]]] = []
            elif t == TEXT_END:
                chunks = text.pop(a[r[i + 1]:r[i + 1] + r[i + 2]], None)
                if chunks is not None:
                    if content is None:
                        content = []
                    content.append(_new_text(chunks[0] if len(chunks) == 1 else "".join(chunks),
                                             self._pm(r[i + 7]) if r[i + 7] else None))
            elif t == REASONING_START:
                first = a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace")
                reasoning[a[r[i + 1]:r[i + 1] + r[i + 2]]] = [[first], self._pm(r[i + 7])]
            elif t == REASONING_DELTA:
                block = reasoning.get(a[r[i + 1]:r[i + 1] + r[i + 2]])
                if block is not None:
                    block[0].append(a[r[i + 3]:r[i + 3] + r[i + 4]].decode("utf-8", "replace"))
                    if r[i + 7]:
                        block[1] = self._pm(r[i + 7])
            elif t == REASONING_END:
                block = reasoning.pop(a[r[i + 1]:r[i + 1] + r[i + 2]], None)
                if block is not None:
                    if content is None:
                        content = []
                    pm = block[1] if not r[i + 7] else self._pm(r[i + 7])
                    content.append(_new_reasoning("".join(block[0]), pm))
            elif t in _ITEMS:
                if content is None:
                    content = []
                content.append(self._item(r, i, t, tools))
            elif t in FIN_STASH:
                self._stash(fin, t, r, i)
            elif t == FINISH:
                finish, usage, meta = self._finish(r, i, fin)
            elif t == META:
                self._meta_op(r, i)
            elif t > MASK:
                content = self._flagged_content(self._flagged(r, i), content, tools)
            elif t == ERROR:
                err = self._error(r, i)
                if reasoning or text:
                    content = (content or []) + [
                        ReasoningContent(text="".join(b[0]), provider_metadata=b[1]) for b in reasoning.values()] + [
                        TextContent(text="".join(c)) for c in text.values()]
                err.response = Response(content=content, finish_reason=finish, usage=usage,
                                        warnings=None, provider_metadata=meta)
                raise err
        if content is None and document:
            content = []
        return _new_response(content, finish, usage, None, meta)

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


_local = threading.local()


# the C constructor of each format's decoder, given chat's variant; "document:<format>": the format's
# non-streaming machine (Bedrock's invoke body is a Messages body)
_CONSTRUCTORS = {
    "openai-chat": lambda v: lib.pf_chat_new(_CHAT_VARIANTS[v]),
    "anthropic": lambda v: lib.pf_anthropic_new(),
    "bedrock": lambda v: lib.pf_bedrock_new(),
    "openai-responses": lambda v: lib.pf_responses_new(),
    "google": lambda v: lib.pf_gemini_new(),
    "document:openai-chat": lambda v: lib.pf_chat_document_new(_CHAT_VARIANTS[v]),
    "document:openai-responses": lambda v: lib.pf_responses_document_new(),
    "document:google": lambda v: lib.pf_gemini_document_new(),
    "document:anthropic": lambda v: lib.pf_anthropic_document_new(),
    "document:bedrock": lambda v: lib.pf_anthropic_document_new(),
}


def _new_decoder(format: str, variant: str) -> Any:
    """A new C decoder for the format (freed with its last reference); ``document:<format>``:
    its non-streaming machine."""
    new = _CONSTRUCTORS.get(format)
    if new is None:
        raise ValueError(f"no native decoder for {format!r}")
    return owned(new(variant), lib.pf_dec_free, f"{format} decoder")


def _reader(format: str, variant: str) -> PartReader:
    """This thread's PartReader for (format, variant): whole bodies reuse one decoder, its
    buffers and its output struct (pf_dec_whole resets it) instead of making them each time."""
    try:
        return _local.readers[format, variant]
    except AttributeError:
        _local.readers = {}
    except KeyError:
        pass
    reader = _local.readers[format, variant] = PartReader(format, variant)
    return reader


def body_step(format: str, variant: str) -> Any:
    """This thread's ``PartReader.stream_body`` of (format, variant): a caller decoding many
    bodies keeps it instead of finding the reader each time (``decode.decode_body``)."""
    return _reader(format, variant).stream_body


def document_step(format: str, variant: str) -> Any:
    """This thread's ``PartReader.document`` of (format, variant) (see ``body_step``)."""
    return _reader("document:" + format, variant).document


def whole_fields(format: str, variant: str, stream: bool, body: Any, size: int = -1) -> Optional[tuple]:
    """``PartReader.fields`` of a whole body (stream or not) through this thread's C decoder; None
    when the Response has to be made to tell (the body is handed back, holds an error part or
    ends inside an event): then ``decode.decode_body`` says what it is. ``body``
    and ``size``: as ``PartReader.whole`` takes them."""
    reader = _reader(format if stream else "document:" + format, variant)
    recs = reader.whole(body, size)
    if recs is None or not reader.folded or reader.cut is not None:
        return None
    return reader.fields(recs)


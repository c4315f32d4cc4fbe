"""OpenAI Chat Completions (and compatible APIs) as fantasy decodes them.

docs/semantics.md#chat-completions: one implementation serves plain OpenAI/Azure,
openaicompat (xAI, Groq, z.ai, Hugging Face, Avian, llama.cpp, ...),
OpenRouter and Vercel AI Gateway; the variants differ in their usage,
metadata and reasoning hooks. ``ChatStream`` is the streaming state machine
(docs/semantics.md#chat-completions-streaming) over scanned chunks; ``decode_generate`` is the non-streaming path
(docs/semantics.md#chat-completions-non-streaming). Both produce what the provider layer yields; the agent step
(``_assemble``) turns it into the Response.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

from pyfantasy._providers.assemble import deterministic_uuid
from pyfantasy._errors import DecodeError
from pyfantasy._kernels.jsonscan import COALESCE, INERT, INERT_NULL, Spec
from pyfantasy.response import (AnthropicReasoningMetadata, GoogleReasoningMetadata, OpenAIMetadata,
                        OpenRouterMetadata, OpenRouterUsage, ReasoningContent,
                        ResponsesReasoningMetadata, Response, SourceContent, StreamPart,
                        TextContent, TokenLogProb, ToolCallContent, Usage, VercelMetadata)
from pyfantasy._providers import _common as c
from pyfantasy._providers.values import lenient_int, lenient_object, lenient_str

VARIANTS = ("openai", "compat", "openrouter", "vercel")

_DELTA = "choices.*.delta."
STREAM_SPEC = Spec({
    "id": INERT,
    "error": 0,
    "provider": INERT,
    "usage": INERT_NULL,
    "choices.*.index": INERT,
    "choices.*.finish_reason": INERT_NULL,
    "choices.*.logprobs": INERT_NULL,
    _DELTA + "content": COALESCE | INERT_NULL,
    _DELTA + "tool_calls.*.index": INERT,
    _DELTA + "tool_calls.*.id": INERT,
    _DELTA + "tool_calls.*.type": INERT,
    _DELTA + "tool_calls.*.function.name": INERT,
    _DELTA + "tool_calls.*.function.arguments": COALESCE | INERT_NULL,
    _DELTA + "reasoning_content": COALESCE | INERT_NULL,
    _DELTA + "reasoning": COALESCE | INERT_NULL,
    _DELTA + "reasoning_details": INERT_NULL,
    _DELTA + "annotations": INERT_NULL,
})

_MSG = "choices.*.message."
GENERATE_SPEC = Spec({
    "id": 0,
    "error": 0,
    "provider": 0,
    "usage": 0,
    "choices.*.finish_reason": 0,
    "choices.*.logprobs": 0,
    _MSG + "content": 0,
    _MSG + "tool_calls": 0,
    _MSG + "annotations": 0,
    _MSG + "reasoning_content": 0,
    _MSG + "reasoning": 0,
    _MSG + "reasoning_details": 0,
})

_FINISH = {"stop": "stop", "length": "length", "content_filter": "content-filter",
           "tool_calls": "tool-calls", "function_call": "tool-calls"}


def map_finish(reason: str) -> str:
    """``DefaultMapFinishReasonFunc`` (docs/semantics.md#chat-completions-finish-reasons)."""
    return _FINISH.get(reason, "unknown")


# ---- usage and metadata -------------------------------------------------------
# docs/semantics.md#chat-completions-usage-and-metadata, docs/semantics.md#openrouter-usage-and-metadata and
# docs/semantics.md#vercel-ai-gateway

_KNOWN_USAGE = ("prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details",
                "completion_tokens_details")


def _usage_default(u: dict) -> Usage:
    ptd, ctd = lenient_object(u.get("prompt_tokens_details")), lenient_object(u.get("completion_tokens_details"))
    cached = lenient_int(ptd.get("cached_tokens"))
    return Usage(input_tokens=max(lenient_int(u.get("prompt_tokens")) - cached, 0),
                 output_tokens=lenient_int(u.get("completion_tokens")),
                 total_tokens=lenient_int(u.get("total_tokens")),
                 reasoning_tokens=lenient_int(ctd.get("reasoning_tokens")),
                 cache_creation_tokens=0, cache_read_tokens=cached)


def _usage_router(u: dict) -> Usage:
    ptd, ctd = lenient_object(u.get("prompt_tokens_details")), lenient_object(u.get("completion_tokens_details"))
    cached = lenient_int(ptd.get("cached_tokens"))
    completion = lenient_int(u.get("completion_tokens"))
    inp = max(lenient_int(u.get("prompt_tokens")) - cached, 0)
    return Usage(input_tokens=inp, output_tokens=completion, total_tokens=inp + completion + cached,
                 reasoning_tokens=lenient_int(ctd.get("reasoning_tokens")),
                 cache_creation_tokens=0, cache_read_tokens=cached)


def _fill_openai_meta(meta: OpenAIMetadata, u: dict) -> None:
    ctd = lenient_object(u.get("completion_tokens_details"))
    acc, rej = lenient_int(ctd.get("accepted_prediction_tokens")), lenient_int(ctd.get("rejected_prediction_tokens"))
    if acc > 0:
        meta.accepted_prediction_tokens = acc
    if rej > 0:
        meta.rejected_prediction_tokens = rej
    extra = {k: c.raw(v) for k, v in u.items() if k not in _KNOWN_USAGE and v is not None}
    if extra:
        meta.extra_fields = extra


def _go_int(v: Any) -> int:
    """Go's standard decoder into an int field: only JSON integers count; one outside int64
    is an UnmarshalTypeError, which the re-read ignores (the field stays 0)."""
    return v if type(v) is int and -(1 << 63) <= v < (1 << 63) else 0


def _go_float(v: Any) -> float:
    """Go's standard decoder into a float64 field: a number out of float64 range (a 400-digit
    integer, 1e999) is an UnmarshalTypeError, which the re-read ignores (the field stays 0)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return 0.0
    try:
        f = float(v)
    except OverflowError:
        return 0.0
    return f if math.isfinite(f) else 0.0


def _router_usage_meta(u: Any) -> OpenRouterUsage:
    """``usage`` re-read into openrouter's fixed shape (wrong types read as 0)."""
    u = lenient_object(u)
    ptd, ctd, cd = (lenient_object(u.get("prompt_tokens_details")), lenient_object(u.get("completion_tokens_details")),
                    lenient_object(u.get("cost_details")))
    return OpenRouterUsage(
        prompt_tokens=_go_int(u.get("prompt_tokens")), cached_tokens=_go_int(ptd.get("cached_tokens")),
        completion_tokens=_go_int(u.get("completion_tokens")),
        reasoning_tokens=_go_int(ctd.get("reasoning_tokens")), total_tokens=_go_int(u.get("total_tokens")),
        cost=_go_float(u.get("cost")),
        upstream_inference_cost=_go_float(cd.get("upstream_inference_cost")),
        upstream_inference_prompt_cost=_go_float(cd.get("upstream_inference_prompt_cost")),
        upstream_inference_completions_cost=_go_float(cd.get("upstream_inference_completions_cost")))


def _provider_text(chunk: dict) -> str:
    """The raw JSON text of the top-level ``provider`` field (quotes included), or ""."""
    return c.raw_text(chunk["provider"]) if "provider" in chunk else ""


# ---- reasoning details (OpenRouter / Vercel) ----------------------------------

def _details(v: Any) -> Optional[List[dict]]:
    """``reasoning_details`` when well formed, else None (malformed means none at all)."""
    if not isinstance(v, list):
        return None
    out = []
    for x in v:
        if not isinstance(x, dict):
            return None
        for k in ("type", "format", "text", "summary", "data", "signature", "id"):
            if x.get(k) is not None and not isinstance(x.get(k), str):
                return None
        if x.get("index") is not None and type(x.get("index")) is not int:
            return None
        out.append(x)
    return out


def _fmt(x: dict) -> str:
    return x.get("format") or ""


def generate_reasoning_details(details: List[dict], variant: str) -> List[ReasoningContent]:
    """Non-stream OpenRouter/Vercel reasoning (docs/semantics.md#openrouter-reasoning-in-bodies)."""
    responses: List[dict] = []
    google: List[dict] = []
    anthropic: List[ReasoningContent] = []
    other: List[ReasoningContent] = []

    def block(blocks: List[dict], idx: int, new: dict) -> Optional[dict]:
        if idx == len(blocks):
            blocks.append(new)
        elif idx > len(blocks) or idx < 0:
            raise DecodeError("provider-response", "reasoning_details index out of range "
                              "(fantasy panics here)")
        return blocks[idx]

    for x in details:
        fmt, typ = _fmt(x), x.get("type") or ""
        idx = x.get("index") or 0
        if fmt.startswith(("openai-responses", "xai-responses")):
            b = block(responses, idx, {"summary": [], "encrypted": None, "item_id": ""})
            if typ == "reasoning.summary":
                b["summary"].append(x.get("summary") or "")
            elif typ == "reasoning.encrypted":
                b["encrypted"] = x.get("data") or ""
            if x.get("id"):
                b["item_id"] = x["id"]
        elif fmt.startswith("google-gemini"):
            b = block(google, idx, {"text": "", "signature": "", "tool_id": ""})
            if typ == "reasoning.text":
                b["text"] = x.get("text") or ""
            elif typ == "reasoning.encrypted":
                b["signature"] = x.get("data") or ""
                b["tool_id"] = x.get("id") or ""
        elif fmt.startswith("anthropic-claude"):
            anthropic.append(ReasoningContent(text=x.get("text") or "", provider_metadata={
                "anthropic": AnthropicReasoningMetadata(signature=x.get("signature") or "")}))
        else:
            text = x.get("text") or ""
            if variant == "vercel" and not text:
                continue
            other.append(ReasoningContent(text=text))
    out: List[ReasoningContent] = []
    for b in responses:
        summary = b["summary"] or [""]
        out.append(ReasoningContent(text="\n".join(summary), provider_metadata={
            "openai": ResponsesReasoningMetadata(item_id=b["item_id"], encrypted_content=b["encrypted"],
                                                 summary=list(summary))}))
    out += anthropic
    for b in google:
        out.append(ReasoningContent(text=b["text"], provider_metadata={
            "google": GoogleReasoningMetadata(signature=b["signature"], tool_id=b["tool_id"])}))
    return out + other


# ---- non-streaming (docs/semantics.md#chat-completions-non-streaming) ----------

def decode_generate(doc: Any, variant: str) -> Response:
    """The provider Response of a non-streaming body (already scanned with GENERATE_SPEC).

    Citation sources get ``deterministic_uuid(<response id>, "citation", n)``
    where fantasy draws a random UUIDv4.
    """
    if not isinstance(doc, dict):
        raise DecodeError("provider-response", "the response body is not a JSON object")
    request_key = lenient_str(doc.get("id"))
    choices = doc.get("choices")
    if not isinstance(choices, list) or not choices:
        raise DecodeError("no-response", "no response: no response generated")
    choice = lenient_object(choices[0])
    msg = lenient_object(choice.get("message"))
    content: List[Any] = []
    text = lenient_str(msg.get("content"))
    if text:
        content.append(TextContent(text=text))
    content += _generate_extra(msg, variant)
    calls = msg.get("tool_calls") if isinstance(msg.get("tool_calls"), list) else []
    for tc in calls:
        tc = lenient_object(tc)
        fn = lenient_object(tc.get("function"))
        content.append(ToolCallContent(tool_call_id=lenient_str(tc.get("id")), tool_name=lenient_str(fn.get("name")),
                                       input=lenient_str(fn.get("arguments"))))
    anns = msg.get("annotations") if isinstance(msg.get("annotations"), list) else []
    for k, a in enumerate(anns):
        a = lenient_object(a)
        if a.get("type") == "url_citation":
            uc = lenient_object(a.get("url_citation"))
            content.append(SourceContent(source_type="url", id=deterministic_uuid(request_key, "citation", k),
                                         url=lenient_str(uc.get("url")), title=lenient_str(uc.get("title"))))
    finish = map_finish(lenient_str(choice.get("finish_reason")))
    if calls:
        finish = "tool-calls"
    u = lenient_object(doc.get("usage"))
    if variant in ("openrouter", "vercel"):
        usage = _usage_router(u)
        if variant == "openrouter":
            meta: Any = OpenRouterMetadata(provider=_provider_text(doc), usage=_router_usage_meta(doc.get("usage")))
        else:
            meta = VercelMetadata(provider=_provider_text(doc))
    else:
        usage = _usage_default(u)
        meta = OpenAIMetadata()
        lp = lenient_object(choice.get("logprobs")).get("content")
        if isinstance(lp, list) and lp:
            meta.logprobs = [_logprob(x) for x in lp]
        _fill_openai_meta(meta, u)
    return Response(content=content, finish_reason=finish, usage=usage, warnings=None,
                    provider_metadata={"openai": meta})


def _logprob(x: Any) -> TokenLogProb:
    return TokenLogProb.from_json(x if isinstance(x, dict) else {}, "logprobs")


def _generate_extra(msg: dict, variant: str) -> List[ReasoningContent]:
    if variant == "compat":
        if "reasoning_content" in msg or "reasoning" in msg:
            rc, r = msg.get("reasoning_content"), msg.get("reasoning")
            if (rc is not None and not isinstance(rc, str)) or (r is not None and not isinstance(r, str)):
                return []  # cannot be read into the two-string shape: no reasoning
            return [ReasoningContent(text=rc or r or "")]
        return []
    if variant in ("openrouter", "vercel"):
        details = _details(msg.get("reasoning_details")) if "reasoning_details" in msg else None
        if "reasoning_details" in msg and details is None and msg.get("reasoning_details") is not None:
            return []  # malformed: no reasoning at all
        if details:
            return generate_reasoning_details(details, variant)
        if variant == "vercel" and isinstance(msg.get("reasoning"), str) and msg["reasoning"]:
            return [ReasoningContent(text=msg["reasoning"])]
    return []


# ---- streaming (docs/semantics.md#chat-completions-streaming) ------------------

class _Call:
    __slots__ = ("id", "name", "args", "finished")

    def __init__(self, id: str, name: str, args: str) -> None:
        self.id, self.name, self.args, self.finished = id, name, args, False


class ChatStream:
    """fantasy's ``languageModel.Stream`` over scanned chunks: ``chunk(value)``
    for each event, ``done()`` at the end; both return stream parts. After an
    error part, everything is ignored. Citation sources get
    ``deterministic_uuid(<first chunk id>, "citation", n)``."""

    def __init__(self, variant: str) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown chat-completions variant {variant!r}")
        self.variant = variant
        self.text_open = False
        self.calls: Dict[int, _Call] = {}
        self.finish_raw = ""
        self.usage: Optional[Usage] = None  # None: zero (made at the end, not per chunk)
        self.meta: Optional[dict] = None
        self.acc_id: Optional[str] = None
        self.acc_choice0 = False
        self.acc_tools = False
        self.acc_logprobs: List[TokenLogProb] = []
        self.reasoning_open = False        # openaicompat
        self.cur: Optional[dict] = None    # openrouter/vercel current reasoning
        self.failed = False
        self.sources = 0

    # -- one event --------------------------------------------------------------

    def feed(self, chunk: Any) -> List[StreamPart]:
        """One scanned event (a ``_scan.Chunk`` with status OK)."""
        return self.chunk(chunk.value)

    def chunk(self, ch: Any) -> List[StreamPart]:
        out: List[StreamPart] = []
        if self.failed:
            return out
        if not isinstance(ch, dict):
            ch = {}
        if "error" in ch:
            return self._fail(out, "provider-error", c.stream_error_text(ch["error"]))
        choices = ch.get("choices") if isinstance(ch.get("choices"), list) else []
        self._accumulate(ch, choices)
        self.usage, self.meta = self._stream_usage(ch)
        if not choices:
            return out
        for idx, choice in enumerate(choices):
            choice = lenient_object(choice)
            delta = choice.get("delta")
            fr = lenient_str(choice.get("finish_reason"))
            if fr:
                self.finish_raw = fr
            dd = lenient_object(delta)
            text = lenient_str(dd.get("content"))
            if text:
                if not self.text_open:
                    out.append(StreamPart("text_start", id="0"))
                    self.text_open = True
                out.append(StreamPart("text_delta", id="0", delta=text))
            tcs = dd.get("tool_calls") if isinstance(dd.get("tool_calls"), list) else []
            if tcs:
                if self.text_open:
                    out.append(StreamPart("text_end", id="0"))
                    self.text_open = False
                for tc in tcs:
                    if self._tool_delta(lenient_object(tc), out):
                        return out
            if self.variant != "openai":
                if delta is None or not isinstance(delta, dict):
                    return self._fail(out, "provider-response", "stream error: error unmarshalling delta")
                if self._stream_extra(idx, dd, text, tcs, out):
                    return out
        for choice in choices:
            anns = lenient_object(lenient_object(choice).get("delta")).get("annotations")
            if isinstance(anns, list):
                for a in anns:
                    a = lenient_object(a)
                    uc = lenient_object(a.get("url_citation"))
                    if a.get("type") == "url_citation" and isinstance(uc.get("url"), str) \
                            and isinstance(uc.get("title"), str):
                        # fantasy: a random UUIDv4; here: from the stream's id and the position
                        out.append(StreamPart("source", id=deterministic_uuid(self.acc_id or "", "citation",
                                                                              self.sources),
                                              source_type="url", url=uc["url"], title=uc["title"]))
                        self.sources += 1
        return out

    def _fail(self, out: List[StreamPart], kind: str, message: str) -> List[StreamPart]:
        out.append(c.error_part(kind, message))
        self.failed = True
        return out

    def _accumulate(self, ch: dict, choices: list) -> None:
        cid = lenient_str(ch.get("id"))
        if self.acc_id is None or self.acc_id == "":
            self.acc_id = cid
        elif cid != self.acc_id:
            return  # the SDK's accumulator ignores chunks of another id
        for choice in choices:
            choice = lenient_object(choice)
            if lenient_int(choice.get("index")) != 0:
                continue
            self.acc_choice0 = True
            dd = lenient_object(choice.get("delta"))
            if isinstance(dd.get("tool_calls"), list) and dd["tool_calls"]:
                self.acc_tools = True
            lp = lenient_object(choice.get("logprobs")).get("content")
            if isinstance(lp, list):
                self.acc_logprobs += [_logprob(x) for x in lp]

    def _stream_usage(self, ch: dict):
        u = ch.get("usage")
        ud = lenient_object(u)
        if lenient_int(ud.get("total_tokens")) == 0:
            return None, None
        if self.variant in ("openrouter", "vercel"):
            if self.variant == "openrouter":
                m: Any = OpenRouterMetadata(provider=_provider_text(ch), usage=_router_usage_meta(u))
            else:
                m = VercelMetadata(provider=_provider_text(ch))
            return _usage_router(ud), {self.variant: m}
        prev = (self.meta or {}).get("openai")
        meta = prev if isinstance(prev, OpenAIMetadata) else OpenAIMetadata()
        _fill_openai_meta(meta, ud)
        return _usage_default(ud), {"openai": meta}

    def _tool_delta(self, tc: dict, out: List[StreamPart]) -> bool:
        index = lenient_int(tc.get("index"))
        fn = lenient_object(tc.get("function"))
        args = lenient_str(fn.get("arguments"))
        call = self.calls.get(index)
        if call is not None:
            if call.finished:
                return False
            if args:
                call.args += args
                out.append(StreamPart("tool_input_delta", id=call.id, delta=args))
            return False
        name = lenient_str(fn.get("name"))
        if not name and not args:
            return False
        typ = lenient_str(tc.get("type")) or "function"
        if typ != "function":
            self._fail(out, "provider-response", "invalid provider response: expected 'function' type.")
            return True
        cid = lenient_str(tc.get("id")) or f"tool-call-{index}"
        for k in sorted(self.calls):
            prev = self.calls[k]
            if k < index and not prev.finished:
                self._finish_call(prev, out)
        out.append(StreamPart("tool_input_start", id=cid, tool_call_name=name))
        self.calls[index] = call = _Call(cid, name, args)
        if args:
            out.append(StreamPart("tool_input_delta", id=cid, delta=args))
        return False

    @staticmethod
    def _finish_call(call: _Call, out: List[StreamPart]) -> None:
        if not call.args:
            call.args = "{}"
        out.append(StreamPart("tool_input_end", id=call.id))
        call.finished = True

    # -- reasoning hooks -----------------------------------------------------------

    def _stream_extra(self, idx: int, dd: dict, text: str, tcs: list, out: List[StreamPart]) -> bool:
        if self.variant == "compat":
            return self._compat_reasoning(idx, dd, text, tcs, out)
        if idx != 0:
            return False
        return self._router_reasoning(dd, text, tcs, out)

    def _compat_reasoning(self, idx: int, dd: dict, text: str, tcs: list, out: List[StreamPart]) -> bool:
        has_key = "reasoning_content" in dd or "reasoning" in dd
        rc, r = dd.get("reasoning_content"), dd.get("reasoning")
        if (rc is not None and not isinstance(rc, str)) or (r is not None and not isinstance(r, str)):
            self._fail(out, "provider-response", "stream error: error unmarshalling delta")
            return True
        rtext = rc or r or ""
        rid = str(idx)
        if rtext or has_key:
            if not self.reasoning_open:
                out.append(StreamPart("reasoning_start", id=rid))
                self.reasoning_open = True
            out.append(StreamPart("reasoning_delta", id=rid, delta=rtext))
        elif self.reasoning_open and (text or tcs):
            out.append(StreamPart("reasoning_end", id=rid))
            self.reasoning_open = False
        return False

    def _router_reasoning(self, dd: dict, text: str, tcs: list, out: List[StreamPart]) -> bool:
        vercel = self.variant == "vercel"
        raw_details = dd.get("reasoning_details")
        details = _details(raw_details) if raw_details is not None else []
        if details is None:
            self._fail(out, "provider-response", "stream error: error unmarshalling delta")
            return True
        plain = dd.get("reasoning") if isinstance(dd.get("reasoning"), str) else ""
        cur = self.cur
        if cur is None:
            if not details:
                if vercel and plain:
                    self.cur = {"format": "", "meta": None}
                    out.append(StreamPart("reasoning_start", id="0"))
                    out.append(StreamPart("reasoning_delta", id="0", delta=plain))
                return False
            x = details[0]
            fmt, typ = _fmt(x), x.get("type") or ""
            responses = fmt.startswith(("openai-responses", "xai-responses"))
            if responses and x.get("data"):
                summary = x.get("summary") or ""
                out.append(StreamPart("reasoning_start", id="0", delta=summary, provider_metadata={
                    "openai": ResponsesReasoningMetadata(summary=[summary])}))
                out.append(StreamPart("reasoning_end", id="0", provider_metadata={
                    "openai": ResponsesReasoningMetadata(item_id=x.get("id") or "",
                                                         encrypted_content=x["data"], summary=[summary])}))
                return False
            if fmt.startswith("google-gemini") and typ == "reasoning.encrypted":
                out.append(StreamPart("reasoning_start", id="0"))
                out.append(StreamPart("reasoning_end", id="0", provider_metadata={
                    "google": GoogleReasoningMetadata(signature=x.get("data") or "", tool_id=x.get("id") or "")}))
                return False
            meta: Any = None
            if responses:
                obj = ResponsesReasoningMetadata(summary=[x.get("summary") or ""])
                meta = {"openai": obj}
            elif fmt.startswith("google-gemini"):
                obj = GoogleReasoningMetadata()
                meta = {"google": obj}
            self.cur = {"format": fmt, "meta": meta}
            out.append(StreamPart("reasoning_start", id="0", provider_metadata=meta))
            if vercel:
                if "google-gemini" in fmt or "anthropic-claude" in fmt:
                    first = x.get("text") or ""
                else:
                    first = x.get("summary") or x.get("text") or ""
            elif "google-gemini" in fmt or "anthropic-claude" in fmt:
                first = x.get("text") or ""
            else:
                first = x.get("summary") or ""
            if first:
                out.append(StreamPart("reasoning_delta", id="0", delta=first))
            return False
        fmt = cur["format"]
        if not details:
            if vercel and plain:
                out.append(StreamPart("reasoning_delta", id="0", delta=plain))
                return False
            if not vercel and fmt.startswith("anthropic-claude"):
                return False
            if text or tcs:
                out.append(StreamPart("reasoning_end", id="0"))
                self.cur = None
            return False
        x = details[0]
        typ = x.get("type") or ""
        meta = cur["meta"]
        if fmt.startswith(("openai-responses", "xai-responses")):
            obj = meta["openai"]
            if x.get("data"):
                obj.encrypted_content = x["data"]
                obj.item_id = x.get("id") or ""
                out.append(StreamPart("reasoning_end", id="0", provider_metadata=meta))
                self.cur = None
            else:
                idx = x.get("index") or 0
                summary = x.get("summary") or ""
                if 0 <= idx < len(obj.summary):
                    obj.summary[idx] += summary
                    out.append(StreamPart("reasoning_delta", id="0", delta=summary, provider_metadata=meta))
                else:
                    obj.summary.append(summary)
                    out.append(StreamPart("reasoning_delta", id="0", delta="\n" + summary, provider_metadata=meta))
        elif fmt.startswith("anthropic-claude"):
            if x.get("signature"):
                out.append(StreamPart("reasoning_delta", id="0", delta=x.get("text") or "", provider_metadata={
                    "anthropic": AnthropicReasoningMetadata(signature=x["signature"])}))
                out.append(StreamPart("reasoning_end", id="0"))
                self.cur = None
            else:
                out.append(StreamPart("reasoning_delta", id="0", delta=x.get("text") or ""))
        elif fmt.startswith("google-gemini"):
            if typ == "reasoning.encrypted":
                obj = meta["google"]
                obj.signature = x.get("data") or ""
                obj.tool_id = x.get("id") or ""
                out.append(StreamPart("reasoning_end", id="0", provider_metadata=meta))
                self.cur = None
            else:
                out.append(StreamPart("reasoning_delta", id="0", delta=x.get("text") or ""))
        else:
            out.append(StreamPart("reasoning_delta", id="0", delta=x.get("text") or ""))
        return False

    # -- end of stream (docs/semantics.md#chat-completions-streaming, step 6) ----------

    def done(self) -> List[StreamPart]:
        out: List[StreamPart] = []
        if self.failed:
            return out
        if self.text_open:
            out.append(StreamPart("text_end", id="0"))
            self.text_open = False
        for k in sorted(self.calls):
            call = self.calls[k]
            if not call.finished:
                self._finish_call(call, out)
            out.append(StreamPart("tool_call", id=call.id, tool_call_name=call.name,
                                  tool_call_input=call.args))
        meta = self.meta
        if self.acc_choice0:
            meta = dict(meta) if meta is not None else {}
            om = meta.get("openai")
            if not isinstance(om, OpenAIMetadata):
                om = OpenAIMetadata()
                meta["openai"] = om
            om.logprobs = list(self.acc_logprobs) or None
        finish = map_finish(self.finish_raw)
        if self.acc_tools:
            finish = "tool-calls"
        if not self.finish_raw and finish != "tool-calls":
            return self._fail(out, "truncated", "stream transport error: unexpected EOF")
        out.append(StreamPart("finish", usage=self.usage if self.usage is not None else Usage(),
                              finish_reason=finish, provider_metadata=meta))
        return out


def request_tools(body: Any):
    """The function tools of a chat-completions request, for tool-call validation
    (docs/semantics.md#tool-call-validation)."""
    from pyfantasy._providers.assemble import ToolSpec
    if not isinstance(body, dict) or not isinstance(body.get("tools"), list):
        return None
    specs = []
    for t in body["tools"]:
        fn = lenient_object(lenient_object(t).get("function"))
        req = lenient_object(fn.get("parameters")).get("required")
        specs.append(ToolSpec(lenient_str(fn.get("name")), tuple(x for x in req if isinstance(x, str))
                              if isinstance(req, list) else ()))
    return specs


FORMAT = c.ProviderFormat("openai-chat", STREAM_SPEC, GENERATE_SPEC, ChatStream, decode_generate, request_tools,
                          c.openai_http_error, done=b"[DONE]",
                          default_variant="compat")

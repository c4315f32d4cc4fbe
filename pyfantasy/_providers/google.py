"""Google Gemini (Gemini API and Vertex) as fantasy decodes it.

What
    docs/semantics.md#google-gemini: ``generateContent`` (non-streaming,
    ``decode_generate``) and ``streamGenerateContent?alt=sse`` (streaming,
    ``GoogleStream``) bodies, read the way the genai SDK reads them and turned
    into what fantasy's ``providers/google/google.go`` yields. Both back-ends
    (Gemini API, Vertex) send the same JSON and are decoded identically.
    ``FORMAT`` plugs this into ``pyfantasy.decode``.

Why a stream reader of its own (``GenaiScanner``)
    genai does not read SSE the WHATWG way (docs/semantics.md#sse-readers): the body is cut into
    blocks at ``\\n\\n`` or ``\\r\\n\\r\\n`` (the earlier of the two here, so
    the result does not depend on how the bytes arrive; genai's own choice
    depends on its read buffer when a body mixes both), one trailing CR is
    dropped, empty blocks are skipped and the last block counts even
    without a terminator. A block must start with ``data:``; the whole rest,
    line breaks included, is one JSON value. Any other block ends the
    stream: a JSON ``{"error": {...}}`` is an API error (this is how Gemini
    reports a failure mid-stream), anything else (comments, ``event:``
    lines, a stray blank line at the end of the body) is "invalid stream
    chunk". The block splitting and scanning is the ``genai-scan`` kernel
    (``_kernels/python/genai.py`` and its C twin); ``GenaiScanner`` turns
    the block that ends the stream into its error.

Rules reproduced (headings of docs/semantics.md)
    * parts (docs/semantics.md#gemini-parts): thought text -> reasoning, text -> text, functionCall ->
      tool call, everything else (empty text, inline data, a part with only
      a signature) ignored; only ``candidates[0]`` counts.
    * thought signatures are base64 in JSON; the decoded *bytes* are the
      ``signature`` (a Go string: ``pyfantasy._go.json.go_string``), written
      by Go with one ``\\ufffd`` per invalid byte. Base64 is decoded with Go's
      ``encoding/json`` rules (standard alphabet, padding required, CR/LF
      ignored; anything else is an error, with Go's message).
    * function-call input: ``args`` re-encoded as Go does (sorted keys,
      numbers as float64, compact, HTML-safe); missing/null ``args`` -> the
      text ``null``.
    * finish reasons (docs/semantics.md#gemini-finish-reasons); any tool call forces ``tool-calls``.
    * usage (the table in docs/semantics.md#gemini-non-streaming; streams
      docs/semantics.md#gemini-streaming: the first chunk with a non-zero
      ``totalTokenCount`` sets it, later ones *add* output, reasoning and
      cache-read counts, inflating them as fantasy does).
    * provider metadata is ``null``.

Tool-call ids (fantasy draws a random UUIDv4 where the response has none)
    Rule: a function call without a non-empty ``id`` gets ``"1"``, ``"2"``,
    ... in the order such calls appear in *this* response (every decoded
    response starts again at ``"1"``). That is what fantasy's test harness
    (``generateIDMock``, a counter per cassette) recorded whenever only one
    response of a cassette has id-less calls, which holds for the whole
    corpus; the follow-up requests recorded in the cassettes carry the same
    ids. Deterministic: same body, same ids.

Types
    genai converts each JSON value into Go structs, so a wrong JSON type in
    a field fantasy reads is an error in Go, not a default: text/name/id/
    finishReason must be strings, ``thought`` a bool, ``args`` an object,
    token counts whole numbers that fit an int32 (``null`` always reads as
    absent). pyfantasy checks the fields it reads (the scan prunes the
    others, which Go would check too) and reports ``provider-response``
    errors with Go-style messages.

Choices where fantasy has no answer (flagged in the tests)
    * a non-streaming body without ``usageMetadata``: fantasy panics (nil
      pointer in ``mapUsage``); here usage is all zeros.
    * ``null`` entries in ``candidates`` or ``parts``: fantasy dereferences
      a nil pointer; here a null candidate counts as no candidate and a null
      part is ignored.
    * ``data: {"error": ...}`` is a response chunk to genai (no candidates,
      nothing happens); the stream then usually ends without a finish reason
      (``stream transport error: unexpected EOF``).
"""
from __future__ import annotations

import base64
import re
from typing import Any, List, Optional, Tuple

from pyfantasy._errors import DecodeError
from pyfantasy._go.json import UnsupportedValueError, encode_str, format_float, go_string
from pyfantasy._kernels import kernel, resolve
from pyfantasy._kernels.jsonscan import CHUNK_OK, CHUNK_OTHER, COALESCE, INERT, Chunk, JSONFloat, Spec, loads, map_json
from pyfantasy.response import (GoogleReasoningMetadata, ReasoningContent, Response, StreamPart, TextContent,
                        ToolCallContent, Usage)
from pyfantasy._http_status import status_title
from pyfantasy._providers import _common as c
from pyfantasy._providers.values import (lenient_object, lenient_str, strict_array, strict_bool, strict_object,
                                         strict_str)

_PART = "candidates.*.content.parts.*."
# the counts fantasy reads (single leaves: cheaper to scan than the whole usageMetadata object)
_USAGE_KEYS = ("promptTokenCount", "candidatesTokenCount", "totalTokenCount", "thoughtsTokenCount",
               "cachedContentTokenCount")

# Every Gemini chunk seen so far carries (changing) usage, so chunks rarely
# merge; when they do, only a run of chunks whose single text part is the
# only difference, which fantasy handles as plain concatenation (one open
# block, deltas appended). Signatures, function calls, usage: never inert
# (usage is summed per chunk, so two chunks must never count as one).
STREAM_SPEC = Spec({
    _PART + "text": COALESCE,
    _PART + "thought": INERT,
    _PART + "thoughtSignature": 0,
    _PART + "functionCall": 0,
    "candidates.*.finishReason": INERT,
    **{"usageMetadata." + k: 0 for k in _USAGE_KEYS},
})

GENERATE_SPEC = Spec({
    _PART + "text": 0,
    _PART + "thought": 0,
    _PART + "thoughtSignature": 0,
    _PART + "functionCall": 0,
    "candidates.*.finishReason": 0,
    **{"usageMetadata." + k: 0 for k in _USAGE_KEYS},
})

_FINISH = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "content-filter", "BLOCKLIST": "content-filter", "PROHIBITED_CONTENT": "content-filter",
    "SPII": "content-filter", "IMAGE_SAFETY": "content-filter",
    "RECITATION": "error", "LANGUAGE": "error", "MALFORMED_FUNCTION_CALL": "error",
    "OTHER": "other",
}


def map_finish(reason: str) -> str:
    """``mapFinishReason`` (docs/semantics.md#gemini-finish-reasons): unknown or absent values are ``unknown``."""
    return _FINISH.get(reason, "unknown")


# ---- Go's typed view of the JSON (genai's mapToStruct) ---------------------------

def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _type_error(v: Any, go_type: str, struct: str, field: str) -> DecodeError:
    """genai's typed-decode error (the ``error`` of the ``strict_*`` readers)."""
    what = _json_kind(v)
    if what == "number":
        what = "number " + _number_text(v)
    return DecodeError("provider-response",
                       f"json: cannot unmarshal {what} into Go struct field {struct}.{field} of type {go_type}")


def _number_text(v: Any) -> str:
    """A number as genai re-marshals it before the typed decode (float64, Go spelling)."""
    try:
        return format_float(_float64(v))
    except (UnsupportedValueError, DecodeError):
        return v.raw if isinstance(v, JSONFloat) else c.int_text(v)


def _float64(v: Any) -> float:
    """A JSON number as Go's decoder reads it into ``any`` (float64); out of range is an error."""
    try:
        f = float(v)
    except OverflowError:
        f = float("inf")
    if f != f or f in (float("inf"), float("-inf")):
        raw = v.raw if isinstance(v, JSONFloat) else c.int_text(v)
        raise DecodeError("provider-response", f"json: cannot unmarshal number {raw} into Go value of type float64")
    return f


def _int32(v: Any, field: str) -> int:
    """A token count: genai's int32 field, reached through a float64 (so ``5.0`` is fine, ``5.5`` is not)."""
    if type(v) is int and -2147483648 <= v <= 2147483647:
        return v
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _type_error(v, "int32", "GenerateContentResponseUsageMetadata", "usageMetadata." + field)
    f = _float64(v)
    if f != int(f) or not -2 ** 31 <= f < 2 ** 31:
        raise _type_error(v, "int32", "GenerateContentResponseUsageMetadata", "usageMetadata." + field)
    return int(f)


def _go_number(v: Any) -> Any:
    return _float64(v) if isinstance(v, (int, float)) and type(v) is not bool else v


def _go_any(v: Any) -> Any:
    """A parsed JSON value as Go's ``map[string]any`` holds it (numbers become float64;
    one out of float64 range is genai's decode error). Iterative: any nesting depth."""
    return map_json(v, _go_number)


_B64_CANONICAL = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
_B64_MAP = {ch: i for i, ch in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def decode_signature(text: str) -> bytes:
    """``thoughtSignature`` as Go's ``encoding/json`` decodes a ``[]byte``: ``base64.StdEncoding``.

    Raises DecodeError with Go's ``illegal base64 data at input byte N``.
    """
    if _B64_CANONICAL.fullmatch(text):
        return base64.b64decode(text)
    return _go_base64(text.encode("utf-8", "surrogatepass"))


def _go_base64(src: bytes) -> bytes:
    """Port of Go's ``base64.Encoding.Decode`` (padded, non-strict) for the non-canonical cases."""
    out = bytearray()
    si, n = 0, len(src)

    def corrupt(at: int) -> DecodeError:
        return DecodeError("provider-response", f"illegal base64 data at input byte {at}")

    while si < n:
        dbuf = [0, 0, 0, 0]
        dlen = 4
        j = 0
        trailing: Optional[int] = None
        while j < 4:
            if si == n:
                if j == 0:
                    return bytes(out)
                raise corrupt(si - j)  # padding is required
            ch = src[si]
            si += 1
            val = _B64_MAP.get(ch)
            if val is not None:
                dbuf[j] = val
                j += 1
                continue
            if ch in (10, 13):
                continue
            if ch != 61:  # '='
                raise corrupt(si - 1)
            if j in (0, 1):
                raise corrupt(si - 1)
            if j == 2:
                while si < n and src[si] in (10, 13):
                    si += 1
                if si == n:
                    raise corrupt(n)
                if src[si] != 61:
                    raise corrupt(si - 1)
                si += 1
            while si < n and src[si] in (10, 13):
                si += 1
            if si < n:
                trailing = si
            dlen = j
            break
        val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3]
        out += bytes(((val >> 16) & 0xFF, (val >> 8) & 0xFF, val & 0xFF))[:dlen - 1]
        if trailing is not None:
            raise corrupt(trailing)
    return bytes(out)


class _Part:
    __slots__ = ("text", "thought", "signature", "call")

    def __init__(self, text: str, thought: bool, signature: bytes, call: Optional[Tuple[str, str, str]]):
        self.text, self.thought, self.signature, self.call = text, thought, signature, call


class _Parsed:
    """What fantasy reads of one response (or stream chunk), type-checked like genai."""

    __slots__ = ("has_candidate", "has_content", "parts", "finish", "usage")

    def __init__(self) -> None:
        self.has_candidate = False
        self.has_content = False
        self.parts: List[_Part] = []
        self.finish = ""
        self.usage: Optional[dict] = None


def _parse(doc: Any, where: str) -> _Parsed:
    """Check and read a pruned response. ``where`` names the Go decode step for top-level errors."""
    out = _Parsed()
    if doc is None:
        return out  # JSON null unmarshals into an empty map
    if type(doc) is not dict:
        raise DecodeError("json", f"{where}: json: cannot unmarshal {_json_kind(doc)} into Go value of "
                                  "type map[string]interface {}")
    cands = strict_array(doc.get("candidates"), _type_error, "[]*genai.Candidate",
                         "GenerateContentResponse", "candidates") or []
    for k, cand in enumerate(cands):
        cand = strict_object(cand, _type_error, "genai.Candidate", "GenerateContentResponse", "candidates")
        if cand is None:
            continue  # fantasy would dereference nil here
        finish = strict_str(cand.get("finishReason"), _type_error, "Candidate", "candidates.finishReason")
        content = strict_object(cand.get("content"), _type_error, "genai.Content",
                                "Candidate", "candidates.content")
        parts = []
        if content is not None:
            for p in strict_array(content.get("parts"), _type_error, "[]*genai.Part",
                                  "Content", "candidates.content.parts") or []:
                p = strict_object(p, _type_error, "genai.Part", "Content", "candidates.content.parts")
                if p is not None:
                    parts.append(_read_part(p))
        if k == 0:
            out.has_candidate = True
            out.has_content = content is not None
            out.parts = parts
            out.finish = finish
    usage = strict_object(doc.get("usageMetadata"), _type_error, "genai.GenerateContentResponseUsageMetadata",
                          "GenerateContentResponse", "usageMetadata")
    if usage is not None:
        out.usage = {k: _int32(usage.get(k), k) for k in _USAGE_KEYS}
    return out


def _read_part(p: dict) -> _Part:
    text = strict_str(p.get("text"), _type_error, "Part", "candidates.content.parts.text")
    thought = strict_bool(p.get("thought"), _type_error, "Part", "candidates.content.parts.thought")
    sig_text = strict_str(p.get("thoughtSignature"), _type_error,
                          "Part", "candidates.content.parts.thoughtSignature")
    sig = decode_signature(sig_text) if sig_text else b""
    call = None
    fc = strict_object(p.get("functionCall"), _type_error, "genai.FunctionCall",
                       "Part", "candidates.content.parts.functionCall")
    if fc is not None:
        name = strict_str(fc.get("name"), _type_error,
                          "FunctionCall", "candidates.content.parts.functionCall.name")
        cid = strict_str(fc.get("id"), _type_error, "FunctionCall", "candidates.content.parts.functionCall.id")
        args = strict_object(fc.get("args"), _type_error, "map[string]interface {}",
                             "FunctionCall", "candidates.content.parts.functionCall.args")
        # fantasy: json.Marshal(part.FunctionCall.Args); a nil map is "null"
        call = (name, cid, "null" if args is None else encode_str(_go_any(args)))
    return _Part(text, thought, sig, call)


def _usage(u: Optional[dict]) -> Usage:
    """``mapUsage`` (docs/semantics.md#gemini-non-streaming): nothing subtracted, total as sent."""
    if u is None:
        return Usage()
    return Usage(input_tokens=u["promptTokenCount"], output_tokens=u["candidatesTokenCount"],
                 total_tokens=u["totalTokenCount"], reasoning_tokens=u["thoughtsTokenCount"],
                 cache_creation_tokens=0, cache_read_tokens=u["cachedContentTokenCount"])


def _meta(signature: bytes, tool_id: str) -> dict:
    return {"google": GoogleReasoningMetadata(signature=go_string(signature), tool_id=tool_id)}


# ---- non-streaming (docs/semantics.md#gemini-non-streaming) ------------------------

def decode_generate(doc: Any, variant: str = "") -> Response:
    """The provider Response of a ``generateContent`` body (scanned with GENERATE_SPEC)."""
    r = _parse(doc, "deserializeUnaryResponse: error unmarshalling response")
    if not r.has_candidate or not r.has_content:
        raise DecodeError("no-response", "no response from model")
    content: List[Any] = []
    generated = 0
    calls = 0
    for p in r.parts:
        if p.text and p.thought:
            content.append(ReasoningContent(text=p.text, provider_metadata=_meta(p.signature, "")
                                            if p.signature else None))
        elif p.text:
            if p.signature:
                # the most recent reasoning part without google metadata takes the signature
                for k in range(len(content) - 1, -1, -1):
                    part = content[k]
                    if isinstance(part, ReasoningContent) and not (part.provider_metadata or {}).get("google"):
                        content[k] = ReasoningContent(text=part.text, provider_metadata=_meta(p.signature, ""))
                        break
                else:
                    content.append(ReasoningContent(text="", provider_metadata=_meta(p.signature, "")))
            content.append(TextContent(text=p.text))
        elif p.call is not None:
            name, cid, args = p.call
            if not cid:
                generated += 1
                cid = str(generated)
            if p.signature:
                # the most recent reasoning part takes it, whatever it carried before
                for k in range(len(content) - 1, -1, -1):
                    if isinstance(content[k], ReasoningContent):
                        content[k] = ReasoningContent(text=content[k].text,
                                                      provider_metadata=_meta(p.signature, cid))
                        break
                else:
                    content.append(ReasoningContent(text="", provider_metadata=_meta(p.signature, cid)))
            content.append(ToolCallContent(tool_call_id=cid, tool_name=name, input=args))
            calls += 1
    finish = "tool-calls" if calls else map_finish(r.finish)
    return Response(content=content or None, finish_reason=finish, usage=_usage(r.usage), warnings=None,
                    provider_metadata=None)


# ---- streaming (docs/semantics.md#gemini-streaming) ----------------------------------

_API_ERROR = "genai-api-error"
_INVALID = "genai-invalid-chunk"


class GoogleStream:
    """fantasy's ``languageModel.Stream`` for Gemini over scanned chunks.

    ``feed(chunk)`` per event, ``done()`` at the end; both return stream
    parts. After an error part everything is ignored.
    """

    def __init__(self, variant: str = "") -> None:
        self.blocks = 0            # one counter for text and reasoning block ids
        self.text_open = False
        self.text_id = ""
        self.reasoning_open = False
        self.reasoning_id = ""     # the current reasoning id ("" before any)
        self.usage: Optional[Usage] = None
        self.finish_raw = ""
        self.finish_seen = False
        self.calls = 0
        self.generated = 0
        self.failed = False

    def _fail(self, out: List[StreamPart], kind: str, message: str, offset: Optional[int]) -> List[StreamPart]:
        out.append(c.error_part(kind, message, offset))
        self.failed = True
        return out

    def _new_id(self) -> str:
        bid = str(self.blocks)
        self.blocks += 1
        return bid

    def feed(self, chunk: Chunk) -> List[StreamPart]:
        out: List[StreamPart] = []
        if self.failed:
            return out
        if chunk.event == _API_ERROR:
            return self._fail(out, "provider-error", chunk.value, chunk.offset)
        if chunk.event == _INVALID:
            return self._fail(out, "provider-response", chunk.value, chunk.offset)
        try:
            r = _parse(chunk.value, "iterateResponseStream: error unmarshalling data")
        except DecodeError as exc:
            return self._fail(out, exc.kind, exc.message, chunk.offset)
        for p in r.parts:
            if p.text and p.thought:
                if self.text_open:
                    out.append(StreamPart("text_end", id=self.text_id))
                    self.text_open = False
                if not self.reasoning_open:
                    self.reasoning_id = self._new_id()
                    self.reasoning_open = True
                    out.append(StreamPart("reasoning_start", id=self.reasoning_id))
                out.append(StreamPart("reasoning_delta", id=self.reasoning_id, delta=p.text))
            elif p.text:
                if not self.text_open:
                    self.text_id = self._new_id()
                    self.text_open = True
                    out.append(StreamPart("text_start", id=self.text_id))
                if self.reasoning_open:
                    out.append(StreamPart("reasoning_end", id=self.reasoning_id,
                                          provider_metadata=_meta(p.signature, "")))
                    self.reasoning_open = False
                elif p.signature:
                    meta = _meta(p.signature, "")
                    out.append(StreamPart("reasoning_start", id=self.reasoning_id, provider_metadata=meta))
                    out.append(StreamPart("reasoning_end", id=self.reasoning_id, provider_metadata=meta))
                out.append(StreamPart("text_delta", id=self.text_id, delta=p.text))
            elif p.call is not None:
                if self.text_open:
                    out.append(StreamPart("text_end", id=self.text_id))
                    self.text_open = False
                name, cid, args = p.call
                if not cid:
                    self.generated += 1
                    cid = str(self.generated)
                if self.reasoning_open:
                    out.append(StreamPart("reasoning_end", id=self.reasoning_id,
                                          provider_metadata=_meta(p.signature, cid)))
                    self.reasoning_open = False
                elif p.signature:
                    meta = _meta(p.signature, cid)
                    out.append(StreamPart("reasoning_start", id=self.reasoning_id, provider_metadata=meta))
                    out.append(StreamPart("reasoning_end", id=self.reasoning_id, provider_metadata=meta))
                out.append(StreamPart("tool_input_start", id=cid, tool_call_name=name))
                out.append(StreamPart("tool_input_delta", id=cid, delta=args))
                out.append(StreamPart("tool_input_end", id=cid))
                out.append(StreamPart("tool_call", id=cid, tool_call_name=name, tool_call_input=args))
                self.calls += 1
        u = r.usage
        if u is not None and u["totalTokenCount"] != 0:
            if self.usage is None:
                self.usage = _usage(u)
            else:
                prev = self.usage
                self.usage = Usage(input_tokens=prev.input_tokens,
                                   output_tokens=prev.output_tokens + u["candidatesTokenCount"],
                                   total_tokens=prev.total_tokens,
                                   reasoning_tokens=prev.reasoning_tokens + u["thoughtsTokenCount"],
                                   cache_creation_tokens=0,
                                   cache_read_tokens=prev.cache_read_tokens + u["cachedContentTokenCount"])
        if r.finish:
            self.finish_raw = r.finish
            self.finish_seen = True
        return out

    def done(self) -> List[StreamPart]:
        out: List[StreamPart] = []
        if self.failed:
            return out
        if self.text_open:
            out.append(StreamPart("text_end", id=self.text_id))
            self.text_open = False
        if self.reasoning_open:
            out.append(StreamPart("reasoning_end", id=self.reasoning_id))
            self.reasoning_open = False
        if self.calls:
            finish = "tool-calls"
        elif self.finish_seen:
            finish = map_finish(self.finish_raw)
        else:
            return self._fail(out, "truncated", "stream transport error: unexpected EOF", None)
        out.append(StreamPart("finish", usage=self.usage or Usage(), finish_reason=finish, provider_metadata=None))
        return out


# ---- genai's stream reader -------------------------------------------------------------

def _api_error(text: str) -> Optional[str]:
    """fantasy's text for a genai ``APIError`` read from ``{"error": {code, message, status, details}}``
    (title from *its* code, then its message), or None when the text does not unmarshal into that
    shape (not JSON, no ``error`` object, or a field of the wrong type)."""
    try:
        doc = loads(text)
    except ValueError:
        return None
    err = doc.get("error") if type(doc) is dict else None
    if type(err) is not dict:
        return None
    code, msg, status, details = err.get("code"), err.get("message"), err.get("status"), err.get("details")
    if not ((code is None or (type(code) is int and -2 ** 63 <= code < 2 ** 63)) and
            (msg is None or type(msg) is str) and (status is None or type(status) is str) and
            (details is None or (type(details) is list and all(d is None or type(d) is dict for d in details)))):
        return None
    return f"{status_title(code or 0)}: {msg or ''}"


def _error_block(block: str) -> Tuple[str, str]:
    """A non-``data:`` block (decoded with U+FFFD for invalid UTF-8): ``(event, message)``
    for an API error object or an invalid chunk."""
    message = _api_error(block)
    if message is not None:
        return _API_ERROR, message
    prefix, _, rest = block.partition(":")  # ":" never splits a UTF-8 sequence
    return _INVALID, f"iterateResponseStream: invalid stream chunk: {prefix}:{rest}"


def genai_scanner(backend: Optional[str] = None) -> "GenaiScanner":
    """The stream scanner of this format (genai's block reader)."""
    return GenaiScanner(backend)


class GenaiScanner(c.FramedScanner):
    """genai's block reader as a ``Scanner`` for ``StreamDecoder``: the kernel splits the
    blocks and scans the ``data:`` ones; a block that is not ``data:`` becomes one chunk with
    event ``genai-api-error`` or ``genai-invalid-chunk`` (value: the message) and ends the
    stream. ``cut`` is always None (genai reads an unterminated last block)."""

    _name = "GenaiScanner"

    def __init__(self, backend: Optional[str] = None) -> None:
        self.backend = resolve(backend)
        self._k = kernel("genai-scan", self.backend)(STREAM_SPEC)

    def feed(self, data: bytes, eof: bool = False) -> List[Chunk]:
        self._begin_feed(eof)
        chunks = self._k.feed(data, eof)
        if chunks and chunks[-1].status == CHUNK_OTHER:  # a block that is not data: the end
            last = chunks[-1]
            event, message = _error_block(last.event)
            chunks[-1] = Chunk(event, message, CHUNK_OK, last.offset, 1)
        return chunks


# ---- request and errors -------------------------------------------------------------------

def request_tools(body: Any):
    """The function declarations of a ``generateContent`` request, for tool-call validation
    (docs/semantics.md#tool-call-validation)."""
    from pyfantasy._providers.assemble import ToolSpec
    if not isinstance(body, dict) or not isinstance(body.get("tools"), list):
        return None
    specs = []
    for tool in body["tools"]:
        decls = lenient_object(tool).get("functionDeclarations")
        for fd in decls if isinstance(decls, list) else ():
            fd = lenient_object(fd)
            schema = fd.get("parameters") if isinstance(fd.get("parameters"), dict) \
                else lenient_object(fd.get("parametersJsonSchema"))
            req = schema.get("required")
            specs.append(ToolSpec(lenient_str(fd.get("name")),
                                  tuple(x for x in req if isinstance(x, str)) if isinstance(req, list) else ()))
    return specs


def http_error(code: int, status: str, body: bytes, url: str) -> str:
    """docs/semantics.md#http-error-statuses, genai: ``{"error": {code, message, ...}}`` ->
    title of *its* code + its message; any other body -> title of the HTTP
    status + the body text."""
    text = body.decode("utf-8", "replace")
    return _api_error(text) or f"{status_title(code)}: {text}"


FORMAT = c.ProviderFormat(
    "google", STREAM_SPEC, GENERATE_SPEC, GoogleStream, decode_generate, request_tools, http_error,
    scanner=genai_scanner, check_json_content_type=False,
    bad_json_message="deserializeUnaryResponse: error unmarshalling response: the body is not valid JSON")

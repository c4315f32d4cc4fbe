"""The data model of a decoded model call: fantasy's ``Response``, content parts, stream parts.

What
    Python twins of the Go types in charm.land/fantasy (``model.go``,
    ``content.go``, ``content_json.go``, ``provider_registry.go`` and each
    provider's ``provider_options.go``), with the exact JSON Go's
    ``encoding/json`` writes for them (fantasy-semantics.md §1):

    * content parts: :class:`TextContent`, :class:`ReasoningContent`,
      :class:`FileContent`, :class:`SourceContent`, :class:`ToolCallContent`,
      :class:`ToolResultContent` — each written as ``{"type": T, "data": {...}}``;
    * :class:`Usage`, :class:`CallWarning`, :class:`FinishReason`,
      :class:`StreamPart` / :class:`StreamPartType`, :class:`Response`;
    * provider metadata values (one class per Go type id, §1.3) written as
      ``{"type": <type id>, "data": {...}}``; a ``ProviderMetadata`` is a plain
      ``dict`` from provider name to such a value (``None`` is Go's nil map).

Strategy
    Every class has ``_go_json()`` returning a tree for :mod:`pyfantasy._go.json`
    (``Struct`` = Go struct in field order, ``dict`` = Go map, sorted), so the
    bytes come from one encoder: ``Response.to_json_bytes()``.
    ``Response.to_json()`` is what a JSON reader makes of those bytes.
    ``Response.from_json()`` reads either form back.

Conventions
    * ``None`` versus empty matters where Go distinguishes nil and empty:
      ``Response.content`` (``null`` vs ``[]``), ``Response.warnings``,
      ``Response.provider_metadata`` (``null`` vs ``{}``), slices inside
      metadata (``summary``, ``logprobs``).
    * Strings are Go strings: raw bytes that are not UTF-8 are carried as
      ``U+DC80``..``U+DCFF`` (see :func:`pyfantasy._go.json.go_string`); they
      are written as ``\\ufffd``, so such values do not survive a JSON round
      trip as objects (see ``Response.from_json(..., exact=True)`` for the bytes).
    * Content parts, usage, warnings and responses are frozen dataclasses;
      stream parts are not (for speed; treat them as read-only). Provider
      metadata values are *mutable* dataclasses on purpose: in fantasy they
      are shared pointers that a provider may keep changing after yielding
      them, and the JSON shows their final state (semantics §3.2). Metadata
      dicts are kept by reference, never copied.
    * ``Response.from_json(r.to_json()) == r`` holds for responses in
      canonical form: content-part metadata ``None`` rather than ``{}`` (both
      are omitted), ``validation_error`` ``None`` rather than ``""``, strings
      without invalid UTF-8. ``Response.from_json(b, exact=True).to_json_bytes()
      == b`` holds for every ``b`` produced by ``to_json_bytes`` (without
      ``exact`` too, unless a string held invalid UTF-8).
"""
from __future__ import annotations

import base64
import binascii
import json
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Dict, List, Optional, Type, Union

from pyfantasy._errors import DecodeError
from pyfantasy._go.json import RawJSON, SpanDict, Struct, encode, parse, plain_string

__all__ = [
    "FinishReason", "StreamPartType", "SourceType", "CallWarningType", "ContentType",
    "Usage", "CallWarning",
    "TextContent", "ReasoningContent", "FileContent", "SourceContent", "ToolCallContent",
    "ToolResultContent", "Content", "CONTENT_TYPES",
    "ProviderMetadata", "ProviderMetadataValue", "PROVIDER_METADATA_TYPES",
    "TokenLogProb", "TopLogProb", "OpenAIMetadata", "OpenAIResponsesMetadata",
    "ResponsesReasoningMetadata", "WebSearchSource", "WebSearchAction", "WebSearchCallMetadata",
    "OpenRouterUsage", "OpenRouterMetadata", "VercelMetadata", "AnthropicReasoningMetadata",
    "WebSearchResultItem", "AnthropicWebSearchResultMetadata", "GoogleReasoningMetadata",
    "UnknownMetadata",
    "StreamPart", "Response", "RawJSON",
]

if sys.version_info >= (3, 10):
    def _frozen(cls):  # type: ignore[no-untyped-def]
        return dataclass(frozen=True, slots=True)(cls)

    def _mutable(cls):  # type: ignore[no-untyped-def]
        return dataclass(slots=True)(cls)
else:  # pragma: no cover - Python 3.9 has no slots= for dataclasses
    def _frozen(cls):  # type: ignore[no-untyped-def]
        return dataclass(frozen=True)(cls)

    def _mutable(cls):  # type: ignore[no-untyped-def]
        return dataclass(cls)


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# ---------------------------------------------------------------------------
# Constants (the Go string values)
# ---------------------------------------------------------------------------


class FinishReason(str, Enum):
    """Why generation stopped (``content.go`` ``FinishReason*``). Values are the Go strings."""

    STOP = "stop"
    LENGTH = "length"
    CONTENT_FILTER = "content-filter"
    TOOL_CALLS = "tool-calls"
    ERROR = "error"
    OTHER = "other"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class StreamPartType(str, Enum):
    """``StreamPart.type`` (``model.go`` ``StreamPartType*``).

    Values use pyfantasy's public, hyphenated spelling (``text-start``, as
    the content types ``tool-call``...); Go's constants spell them with
    underscores (``text_start``), which are accepted as aliases:
    ``StreamPartType("text_start") is StreamPartType.TEXT_START``.
    """

    WARNINGS = "warnings"
    TEXT_START = "text-start"
    TEXT_DELTA = "text-delta"
    TEXT_END = "text-end"
    REASONING_START = "reasoning-start"
    REASONING_DELTA = "reasoning-delta"
    REASONING_END = "reasoning-end"
    TOOL_INPUT_START = "tool-input-start"
    TOOL_INPUT_DELTA = "tool-input-delta"
    TOOL_INPUT_END = "tool-input-end"
    TOOL_CALL = "tool-call"
    TOOL_RESULT = "tool-result"
    SOURCE = "source"
    FINISH = "finish"
    ERROR = "error"

    @classmethod
    def _missing_(cls, value: object) -> Optional["StreamPartType"]:
        if isinstance(value, str):
            alt = value.replace("_", "-")
            for member in cls:
                if member.value == alt:
                    return member
        return None

    def __str__(self) -> str:
        return self.value


class SourceType(str, Enum):
    """``SourceContent.source_type`` values."""

    URL = "url"
    DOCUMENT = "document"

    def __str__(self) -> str:
        return self.value


class CallWarningType(str, Enum):
    """``CallWarning.type`` values."""

    UNSUPPORTED_SETTING = "unsupported-setting"
    UNSUPPORTED_TOOL = "unsupported-tool"
    OTHER = "other"

    def __str__(self) -> str:
        return self.value


class ContentType(str, Enum):
    """The ``type`` of a content envelope."""

    TEXT = "text"
    REASONING = "reasoning"
    FILE = "file"
    SOURCE = "source"
    TOOL_CALL = "tool-call"
    TOOL_RESULT = "tool-result"

    def __str__(self) -> str:
        return self.value


def _plain(s: Any) -> str:
    """A str enum member (or any str) as a plain ``str``."""
    return str.__str__(s) if isinstance(s, str) else str(s)


# ---------------------------------------------------------------------------
# Reading helpers (from_json)
# ---------------------------------------------------------------------------


def _bad(path: str, what: str) -> DecodeError:
    return DecodeError("json", "%s: %s" % (path, what))


def _obj(v: Any, path: str) -> dict:
    if not isinstance(v, dict):
        raise _bad(path, "expected an object, got %s" % type(v).__name__)
    return v


def _opt_obj(v: Any, path: str) -> Optional[dict]:
    return None if v is None else _obj(v, path)


def _list(v: Any, path: str) -> Optional[list]:
    if v is None:
        return None
    if not isinstance(v, list):
        raise _bad(path, "expected an array, got %s" % type(v).__name__)
    return v


def _str(d: dict, key: str, path: str) -> str:
    v = d.get(key)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise _bad(path + "." + key, "expected a string")
    return v


def _int(d: dict, key: str, path: str) -> int:
    v = d.get(key)
    if v is None or (type(v) is float and v == 0.0):  # -0 reads as the float -0.0
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(path + "." + key, "expected an integer")
    return v


def _float(d: dict, key: str, path: str) -> float:
    v = d.get(key)
    if v is None:
        return 0.0
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _bad(path + "." + key, "expected a number")
    return float(v)


def _bool(d: dict, key: str, path: str) -> bool:
    v = d.get(key)
    if v is None:
        return False
    if not isinstance(v, bool):
        raise _bad(path + "." + key, "expected a boolean")
    return v


def _raw(d: dict, key: str) -> Optional[RawJSON]:
    """The member ``key`` as raw JSON: verbatim text when ``d`` was parsed from text."""
    if key not in d:
        return None
    if isinstance(d, SpanDict):
        a, b = d.spans[key]
        return RawJSON(d.source[a:b])
    return RawJSON.from_value(d[key])


def _raw_or_none(v: Any) -> Optional[RawJSON]:
    """A free-form JSON value as RawJSON; ``None`` and raw ``null`` are both ``None`` (nil)."""
    if v is None:
        return None
    if not isinstance(v, RawJSON):
        v = RawJSON.from_value(v)
    return None if v.text == "null" else v


def _str_list(v: Any, path: str) -> Optional[List[str]]:
    items = _list(v, path)
    if items is None:
        return None
    for i, s in enumerate(items):
        if not isinstance(s, str):
            raise _bad("%s[%d]" % (path, i), "expected a string")
    return list(items)


# ---------------------------------------------------------------------------
# Usage and warnings
# ---------------------------------------------------------------------------


@_frozen
class Usage:
    """Token counts (``model.go`` ``Usage``); every key is always written, in this order."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    reasoning_tokens: int = 0
    cache_creation_tokens: int = 0
    cache_read_tokens: int = 0

    def _go_json(self) -> Struct:
        return Struct(input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                      total_tokens=self.total_tokens, reasoning_tokens=self.reasoning_tokens,
                      cache_creation_tokens=self.cache_creation_tokens,
                      cache_read_tokens=self.cache_read_tokens)

    @classmethod
    def from_json(cls, obj: Any, path: str = "usage") -> "Usage":
        d = _obj(obj, path)
        return cls(*(_int(d, k, path) for k in _USAGE_KEYS))


_USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
               "cache_creation_tokens", "cache_read_tokens")


@_frozen
class CallWarning:
    """A call warning (``model.go`` ``CallWarning``); all five keys are always written.

    ``tool`` is the tool's own JSON envelope as :class:`RawJSON` (any other
    JSON-ready value is converted), or ``None`` (``null``).
    """

    type: str = CallWarningType.OTHER.value
    setting: str = ""
    tool: Optional[RawJSON] = None
    details: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        _set(self, "type", _plain(self.type))
        _set(self, "tool", _raw_or_none(self.tool))

    def _go_json(self) -> Struct:
        return Struct(type=self.type, setting=self.setting, tool=self.tool,
                      details=self.details, message=self.message)

    @classmethod
    def from_json(cls, obj: Any, path: str = "warning") -> "CallWarning":
        d = _obj(obj, path)
        tool = _raw(d, "tool") if d.get("tool") is not None else None
        return cls(type=_str(d, "type", path), setting=_str(d, "setting", path), tool=tool,
                   details=_str(d, "details", path), message=_str(d, "message", path))


# ---------------------------------------------------------------------------
# Provider metadata values (§1.3)
# ---------------------------------------------------------------------------


def _envelope(type_id: str, data: Any) -> Struct:
    return Struct(type=type_id, data=data)


@_mutable
class TopLogProb:
    """One entry of ``top_logprobs`` (openai-go ``ChatCompletionTokenLogprobTopLogprob``)."""

    token: str = ""
    bytes: Optional[List[int]] = None
    logprob: float = 0.0

    def _go_json(self) -> Struct:
        return Struct(token=self.token, bytes=self.bytes, logprob=float(self.logprob))

    @classmethod
    def from_json(cls, obj: Any, path: str) -> "TopLogProb":
        d = _obj(obj, path)
        return cls(token=_str(d, "token", path), bytes=_int_list(d.get("bytes"), path + ".bytes"),
                   logprob=_float(d, "logprob", path))


@_mutable
class TokenLogProb:
    """One ``logprobs`` item of ``openai.metadata`` (openai-go ``ChatCompletionTokenLogprob``)."""

    token: str = ""
    bytes: Optional[List[int]] = None
    logprob: float = 0.0
    top_logprobs: Optional[List[TopLogProb]] = None

    def _go_json(self) -> Struct:
        return Struct(token=self.token, bytes=self.bytes, logprob=float(self.logprob),
                      top_logprobs=self.top_logprobs)

    @classmethod
    def from_json(cls, obj: Any, path: str) -> "TokenLogProb":
        d = _obj(obj, path)
        tops = _list(d.get("top_logprobs"), path + ".top_logprobs")
        return cls(token=_str(d, "token", path), bytes=_int_list(d.get("bytes"), path + ".bytes"),
                   logprob=_float(d, "logprob", path),
                   top_logprobs=None if tops is None else [
                       TopLogProb.from_json(t, "%s.top_logprobs[%d]" % (path, i))
                       for i, t in enumerate(tops)])


def _int_list(v: Any, path: str) -> Optional[List[int]]:
    items = _list(v, path)
    if items is None:
        return None
    for i, x in enumerate(items):
        if isinstance(x, bool) or not isinstance(x, int):
            raise _bad("%s[%d]" % (path, i), "expected an integer")
    return list(items)


@_mutable
class OpenAIMetadata:
    """``openai.metadata`` (``providers/openai/provider_options.go`` ``ProviderMetadata``).

    ``extra_fields`` maps usage keys to their raw JSON (``json.RawMessage``);
    values given as Python values are converted to :class:`RawJSON`. It is
    omitted when ``None`` or empty.
    """

    type_id: ClassVar[str] = "openai.metadata"
    logprobs: Optional[List[TokenLogProb]] = None
    accepted_prediction_tokens: int = 0
    rejected_prediction_tokens: int = 0
    extra_fields: Optional[Dict[str, RawJSON]] = None

    def __post_init__(self) -> None:
        if self.extra_fields:
            self.extra_fields = {k: v if isinstance(v, RawJSON) else RawJSON.from_value(v)
                                 for k, v in self.extra_fields.items()}

    def to_data(self) -> Struct:
        d = Struct(logprobs=self.logprobs,
                   accepted_prediction_tokens=self.accepted_prediction_tokens,
                   rejected_prediction_tokens=self.rejected_prediction_tokens)
        if self.extra_fields:
            d["extra_fields"] = {k: v if isinstance(v, RawJSON) else RawJSON.from_value(v)
                                 for k, v in self.extra_fields.items()}
        return d

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "OpenAIMetadata":
        lps = _list(d.get("logprobs"), path + ".logprobs")
        extra = _opt_obj(d.get("extra_fields"), path + ".extra_fields")
        return cls(
            logprobs=None if lps is None else [
                TokenLogProb.from_json(x, "%s.logprobs[%d]" % (path, i)) for i, x in enumerate(lps)],
            accepted_prediction_tokens=_int(d, "accepted_prediction_tokens", path),
            rejected_prediction_tokens=_int(d, "rejected_prediction_tokens", path),
            extra_fields=None if not extra else {k: _raw(extra, k) for k in extra})


@_mutable
class OpenAIResponsesMetadata:
    """``openai.responses.metadata`` (``ResponsesProviderMetadata``)."""

    type_id: ClassVar[str] = "openai.responses.metadata"
    response_id: str = ""

    def to_data(self) -> Struct:
        return Struct(response_id=self.response_id)

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "OpenAIResponsesMetadata":
        return cls(response_id=_str(d, "response_id", path))


@_mutable
class ResponsesReasoningMetadata:
    """``openai.responses.reasoning_metadata`` (``ResponsesReasoningMetadata``).

    ``encrypted_content`` ``None`` is ``null``; ``summary`` ``None`` is
    ``null`` and ``[]`` is ``[]`` (streams start with an empty, non-nil list).
    """

    type_id: ClassVar[str] = "openai.responses.reasoning_metadata"
    item_id: str = ""
    encrypted_content: Optional[str] = None
    summary: Optional[List[str]] = None

    def to_data(self) -> Struct:
        return Struct(item_id=self.item_id, encrypted_content=self.encrypted_content,
                      summary=self.summary)

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "ResponsesReasoningMetadata":
        enc = d.get("encrypted_content")
        if enc is not None and not isinstance(enc, str):
            raise _bad(path + ".encrypted_content", "expected a string or null")
        return cls(item_id=_str(d, "item_id", path), encrypted_content=enc,
                   summary=_str_list(d.get("summary"), path + ".summary"))


@_mutable
class WebSearchSource:
    """One ``action.sources`` entry of a web search call."""

    type: str = ""
    url: str = ""

    def _go_json(self) -> Struct:
        return Struct(type=self.type, url=self.url)


@_mutable
class WebSearchAction:
    """``action`` of ``openai.responses.web_search_call_metadata``; ``query`` and ``sources`` omitempty."""

    type: str = ""
    query: str = ""
    sources: Optional[List[WebSearchSource]] = None

    def _go_json(self) -> Struct:
        d = Struct(type=self.type)
        if self.query:
            d["query"] = self.query
        if self.sources:
            d["sources"] = self.sources
        return d

    @classmethod
    def from_json(cls, obj: Any, path: str) -> "WebSearchAction":
        d = _obj(obj, path)
        srcs = _list(d.get("sources"), path + ".sources") or []
        sources = []
        for i, s in enumerate(srcs):
            sd = _obj(s, "%s.sources[%d]" % (path, i))
            sources.append(WebSearchSource(type=_str(sd, "type", path), url=_str(sd, "url", path)))
        return cls(type=_str(d, "type", path), query=_str(d, "query", path),
                   sources=sources or None)


@_mutable
class WebSearchCallMetadata:
    """``openai.responses.web_search_call_metadata``; ``action`` omitted when ``None``."""

    type_id: ClassVar[str] = "openai.responses.web_search_call_metadata"
    item_id: str = ""
    action: Optional[WebSearchAction] = None

    def to_data(self) -> Struct:
        d = Struct(item_id=self.item_id)
        if self.action is not None:
            d["action"] = self.action
        return d

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "WebSearchCallMetadata":
        act = d.get("action")
        return cls(item_id=_str(d, "item_id", path),
                   action=None if act is None else WebSearchAction.from_json(act, path + ".action"))


@_mutable
class OpenRouterUsage:
    """The ``usage`` of ``openrouter.metadata``, flattened; written nested with every key.

    JSON: ``{"prompt_tokens", "prompt_tokens_details": {"cached_tokens"},
    "completion_tokens", "completion_tokens_details": {"reasoning_tokens"},
    "total_tokens", "cost", "cost_details": {"upstream_inference_cost",
    "upstream_inference_prompt_cost", "upstream_inference_completions_cost"}}``;
    the costs are float64 (Go float formatting).
    """

    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0
    cost: float = 0.0
    upstream_inference_cost: float = 0.0
    upstream_inference_prompt_cost: float = 0.0
    upstream_inference_completions_cost: float = 0.0

    def _go_json(self) -> Struct:
        return Struct(
            prompt_tokens=self.prompt_tokens,
            prompt_tokens_details=Struct(cached_tokens=self.cached_tokens),
            completion_tokens=self.completion_tokens,
            completion_tokens_details=Struct(reasoning_tokens=self.reasoning_tokens),
            total_tokens=self.total_tokens,
            cost=float(self.cost),
            cost_details=Struct(
                upstream_inference_cost=float(self.upstream_inference_cost),
                upstream_inference_prompt_cost=float(self.upstream_inference_prompt_cost),
                upstream_inference_completions_cost=float(self.upstream_inference_completions_cost)))

    @classmethod
    def from_json(cls, obj: Any, path: str) -> "OpenRouterUsage":
        d = _obj(obj, path)
        ptd = _opt_obj(d.get("prompt_tokens_details"), path + ".prompt_tokens_details") or {}
        ctd = _opt_obj(d.get("completion_tokens_details"), path + ".completion_tokens_details") or {}
        cd = _opt_obj(d.get("cost_details"), path + ".cost_details") or {}
        return cls(prompt_tokens=_int(d, "prompt_tokens", path),
                   cached_tokens=_int(ptd, "cached_tokens", path),
                   completion_tokens=_int(d, "completion_tokens", path),
                   reasoning_tokens=_int(ctd, "reasoning_tokens", path),
                   total_tokens=_int(d, "total_tokens", path),
                   cost=_float(d, "cost", path),
                   upstream_inference_cost=_float(cd, "upstream_inference_cost", path),
                   upstream_inference_prompt_cost=_float(cd, "upstream_inference_prompt_cost", path),
                   upstream_inference_completions_cost=_float(
                       cd, "upstream_inference_completions_cost", path))


@_mutable
class OpenRouterMetadata:
    """``openrouter.metadata``. ``provider`` is the raw JSON text of the response's
    ``provider`` field, quotes included (``'"OpenAI"'``), or ``""``."""

    type_id: ClassVar[str] = "openrouter.metadata"
    provider: str = ""
    usage: OpenRouterUsage = field(default_factory=OpenRouterUsage)

    def to_data(self) -> Struct:
        return Struct(provider=self.provider, usage=self.usage)

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "OpenRouterMetadata":
        u = d.get("usage")
        return cls(provider=_str(d, "provider", path),
                   usage=OpenRouterUsage() if u is None else OpenRouterUsage.from_json(u, path + ".usage"))


@_mutable
class VercelMetadata:
    """``vercel.metadata``; ``provider`` (raw JSON text, quotes included) omitted when empty."""

    type_id: ClassVar[str] = "vercel.metadata"
    provider: str = ""

    def to_data(self) -> Struct:
        d = Struct()
        if self.provider:
            d["provider"] = self.provider
        return d

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "VercelMetadata":
        return cls(provider=_str(d, "provider", path))


@_mutable
class AnthropicReasoningMetadata:
    """``anthropic.reasoning_metadata`` (``ReasoningOptionMetadata``); both keys always written."""

    type_id: ClassVar[str] = "anthropic.reasoning_metadata"
    signature: str = ""
    redacted_data: str = ""

    def to_data(self) -> Struct:
        return Struct(signature=self.signature, redacted_data=self.redacted_data)

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "AnthropicReasoningMetadata":
        return cls(signature=_str(d, "signature", path), redacted_data=_str(d, "redacted_data", path))


@_mutable
class WebSearchResultItem:
    """One result of ``anthropic.web_search_result_metadata``; ``page_age`` omitted when empty."""

    url: str = ""
    title: str = ""
    encrypted_content: str = ""
    page_age: str = ""

    def _go_json(self) -> Struct:
        d = Struct(url=self.url, title=self.title, encrypted_content=self.encrypted_content)
        if self.page_age:
            d["page_age"] = self.page_age
        return d

    @classmethod
    def from_json(cls, obj: Any, path: str) -> "WebSearchResultItem":
        d = _obj(obj, path)
        return cls(url=_str(d, "url", path), title=_str(d, "title", path),
                   encrypted_content=_str(d, "encrypted_content", path),
                   page_age=_str(d, "page_age", path))


@_mutable
class AnthropicWebSearchResultMetadata:
    """``anthropic.web_search_result_metadata``; ``results`` and ``error_code`` omitempty."""

    type_id: ClassVar[str] = "anthropic.web_search_result_metadata"
    results: Optional[List[WebSearchResultItem]] = None
    error_code: str = ""

    def to_data(self) -> Struct:
        d = Struct()
        if self.results:
            d["results"] = self.results
        if self.error_code:
            d["error_code"] = self.error_code
        return d

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "AnthropicWebSearchResultMetadata":
        res = _list(d.get("results"), path + ".results") or []
        return cls(results=[WebSearchResultItem.from_json(r, "%s.results[%d]" % (path, i))
                            for i, r in enumerate(res)] or None,
                   error_code=_str(d, "error_code", path))


@_mutable
class GoogleReasoningMetadata:
    """``google.reasoning_metadata``; both keys always written.

    For the native Google provider ``signature`` holds the *decoded* thought
    signature bytes as a Go string (build it with
    :func:`pyfantasy._go.json.go_string`); Vercel/OpenRouter give base64 text.
    """

    type_id: ClassVar[str] = "google.reasoning_metadata"
    signature: str = ""
    tool_id: str = ""

    def to_data(self) -> Struct:
        return Struct(signature=self.signature, tool_id=self.tool_id)

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.to_data())

    @classmethod
    def from_data(cls, d: dict, path: str) -> "GoogleReasoningMetadata":
        return cls(signature=_str(d, "signature", path), tool_id=_str(d, "tool_id", path))


@_mutable
class UnknownMetadata:
    """A metadata envelope of a type id pyfantasy does not know; ``data`` kept as raw JSON."""

    type_id: str = ""
    data: RawJSON = RawJSON.trusted("null")

    def __post_init__(self) -> None:
        if not isinstance(self.data, RawJSON):
            self.data = RawJSON.from_value(self.data)  # None becomes RawJSON("null")

    def to_data(self) -> RawJSON:
        return self.data

    def _go_json(self) -> Struct:
        return _envelope(self.type_id, self.data)


ProviderMetadataValue = Union[
    OpenAIMetadata, OpenAIResponsesMetadata, ResponsesReasoningMetadata, WebSearchCallMetadata,
    OpenRouterMetadata, VercelMetadata, AnthropicReasoningMetadata,
    AnthropicWebSearchResultMetadata, GoogleReasoningMetadata, UnknownMetadata]
ProviderMetadata = Dict[str, ProviderMetadataValue]

PROVIDER_METADATA_TYPES: Dict[str, Any] = {
    c.type_id: c for c in (
        OpenAIMetadata, OpenAIResponsesMetadata, ResponsesReasoningMetadata,
        WebSearchCallMetadata, OpenRouterMetadata, VercelMetadata, AnthropicReasoningMetadata,
        AnthropicWebSearchResultMetadata, GoogleReasoningMetadata)
}


def _metadata_json(pm: Optional[ProviderMetadata]) -> Optional[dict]:
    """A ProviderMetadata map for the encoder (a dict: Go sorts map keys)."""
    if pm is None:
        return None
    return dict(pm)


def _metadata_from_json(v: Any, path: str) -> Optional[ProviderMetadata]:
    if v is None:
        return None
    d = _obj(v, path)
    out: ProviderMetadata = {}
    for name, env in d.items():
        p = "%s.%s" % (path, name)
        e = _obj(env, p)
        type_id = _str(e, "type", p)
        data = e.get("data")
        cls = PROVIDER_METADATA_TYPES.get(type_id)
        if cls is None or not isinstance(data, dict):
            out[name] = UnknownMetadata(type_id=type_id, data=_raw(e, "data") or RawJSON.trusted("null"))
        else:
            out[name] = cls.from_data(data, p + ".data")
    return out


def _with_metadata(d: Struct, pm: Optional[ProviderMetadata]) -> Struct:
    if pm:  # omitempty: nil or empty map
        d["provider_metadata"] = _metadata_json(pm)
    return d


# ---------------------------------------------------------------------------
# Content parts (§1.2)
# ---------------------------------------------------------------------------


@_frozen
class TextContent:
    """``text`` content: ``{"text", "provider_metadata" (omitempty)}``."""

    type: ClassVar[str] = "text"
    text: str = ""
    provider_metadata: Optional[ProviderMetadata] = None

    def _go_json(self) -> Struct:
        return _envelope(self.type, _with_metadata(Struct(text=self.text), self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "TextContent":
        return cls(text=_str(d, "text", path),
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@_frozen
class ReasoningContent:
    """``reasoning`` content: ``{"text", "provider_metadata" (omitempty)}``."""

    type: ClassVar[str] = "reasoning"
    text: str = ""
    provider_metadata: Optional[ProviderMetadata] = None

    def _go_json(self) -> Struct:
        return _envelope(self.type, _with_metadata(Struct(text=self.text), self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "ReasoningContent":
        return cls(text=_str(d, "text", path),
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@_frozen
class FileContent:
    """``file`` content: ``{"media_type", "data" (base64; null when None), "provider_metadata"}``.

    No provider of fantasy v0.41.2 produces one; the type exists for completeness.
    """

    type: ClassVar[str] = "file"
    media_type: str = ""
    data: Optional[bytes] = None
    provider_metadata: Optional[ProviderMetadata] = None

    def _go_json(self) -> Struct:
        return _envelope(self.type, _with_metadata(
            Struct(media_type=self.media_type,
                   data=None if self.data is None else bytes(self.data)),
            self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "FileContent":
        raw = d.get("data")
        if raw is None:
            data = None
        elif isinstance(raw, str):
            try:
                data = base64.b64decode(raw.encode("ascii"), validate=True)
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise _bad(path + ".data", "invalid base64") from None
        else:
            raise _bad(path + ".data", "expected a base64 string")
        return cls(media_type=_str(d, "media_type", path), data=data,
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@_frozen
class SourceContent:
    """``source`` content (a citation); ``url``, ``title``, ``media_type``, ``filename`` omitempty."""

    type: ClassVar[str] = "source"
    source_type: str = SourceType.URL.value
    id: str = ""
    url: str = ""
    title: str = ""
    media_type: str = ""
    filename: str = ""
    provider_metadata: Optional[ProviderMetadata] = None

    def __post_init__(self) -> None:
        _set(self, "source_type", _plain(self.source_type))

    def _go_json(self) -> Struct:
        d = Struct(source_type=self.source_type, id=self.id)
        if self.url:
            d["url"] = self.url
        if self.title:
            d["title"] = self.title
        if self.media_type:
            d["media_type"] = self.media_type
        if self.filename:
            d["filename"] = self.filename
        return _envelope(self.type, _with_metadata(d, self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "SourceContent":
        return cls(source_type=_str(d, "source_type", path), id=_str(d, "id", path),
                   url=_str(d, "url", path), title=_str(d, "title", path),
                   media_type=_str(d, "media_type", path), filename=_str(d, "filename", path),
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@_frozen
class ToolCallContent:
    """``tool-call`` content.

    ``input`` is the arguments as text, exactly as the provider gave them
    (written as a JSON *string*). ``provider_executed`` is always written;
    ``invalid`` only when true; ``validation_error`` (the message of the Go
    error) only when set.
    """

    type: ClassVar[str] = "tool-call"
    tool_call_id: str = ""
    tool_name: str = ""
    input: str = ""
    provider_executed: bool = False
    provider_metadata: Optional[ProviderMetadata] = None
    invalid: bool = False
    validation_error: Optional[str] = None

    def _go_json(self) -> Struct:
        d = _with_metadata(Struct(tool_call_id=self.tool_call_id, tool_name=self.tool_name,
                                  input=self.input, provider_executed=bool(self.provider_executed)),
                           self.provider_metadata)
        if self.invalid:
            d["invalid"] = True
        if self.validation_error:
            d["validation_error"] = self.validation_error
        return _envelope(self.type, d)

    @classmethod
    def from_data(cls, d: dict, path: str) -> "ToolCallContent":
        ve = d.get("validation_error")
        if ve is not None and not isinstance(ve, str):
            raise _bad(path + ".validation_error", "expected a string")
        return cls(tool_call_id=_str(d, "tool_call_id", path), tool_name=_str(d, "tool_name", path),
                   input=_str(d, "input", path), provider_executed=_bool(d, "provider_executed", path),
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"),
                   invalid=_bool(d, "invalid", path), validation_error=ve or None)


@_frozen
class ToolResultContent:
    """``tool-result`` content (only provider-executed web search in decoded responses).

    ``result`` is always written: ``None`` is ``null`` (provider-executed
    results carry no output); anything else is kept as :class:`RawJSON`.
    ``client_metadata`` and ``provider_metadata`` are omitempty.
    """

    type: ClassVar[str] = "tool-result"
    tool_call_id: str = ""
    tool_name: str = ""
    result: Optional[RawJSON] = None
    client_metadata: str = ""
    provider_executed: bool = False
    provider_metadata: Optional[ProviderMetadata] = None

    def __post_init__(self) -> None:
        _set(self, "result", _raw_or_none(self.result))

    def _go_json(self) -> Struct:
        d = Struct(tool_call_id=self.tool_call_id, tool_name=self.tool_name, result=self.result)
        if self.client_metadata:
            d["client_metadata"] = self.client_metadata
        d["provider_executed"] = bool(self.provider_executed)
        return _envelope(self.type, _with_metadata(d, self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "ToolResultContent":
        result = _raw(d, "result") if d.get("result") is not None else None
        return cls(tool_call_id=_str(d, "tool_call_id", path), tool_name=_str(d, "tool_name", path),
                   result=result, client_metadata=_str(d, "client_metadata", path),
                   provider_executed=_bool(d, "provider_executed", path),
                   provider_metadata=_metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


Content = Union[TextContent, ReasoningContent, FileContent, SourceContent, ToolCallContent,
                ToolResultContent]

CONTENT_TYPES: Dict[str, Any] = {
    c.type: c for c in (TextContent, ReasoningContent, FileContent, SourceContent,
                        ToolCallContent, ToolResultContent)
}


def content_from_json(obj: Any, path: str = "content") -> Content:
    """One content envelope ``{"type", "data"}`` → its content part."""
    d = _obj(obj, path)
    t = d.get("type")
    cls = CONTENT_TYPES.get(t) if isinstance(t, str) else None
    if cls is None:
        raise _bad(path + ".type", "unknown content type %r" % (t,))
    return cls.from_data(_obj(d.get("data"), path + ".data"), path + ".data")


# ---------------------------------------------------------------------------
# Stream parts (§3.1)
# ---------------------------------------------------------------------------


@_mutable
class StreamPart:
    """One part of a provider stream (``model.go`` ``StreamPart``), as a provider decoder yields it.

    Only the fields that matter for a part's type need to be set (§3.1):
    ``id``, ``delta`` (text/reasoning/tool-input deltas; a reasoning start
    may carry text), ``tool_call_name``, ``tool_call_input``,
    ``provider_executed``, ``usage``, ``finish_reason`` and
    ``provider_metadata`` (finish, ends, tool calls, sources, reasoning
    deltas), ``warnings``, ``source_type``/``url``/``title``, ``error`` (an
    exception, normally a :class:`~pyfantasy.DecodeError`, or a message).

    ``type`` accepts a :class:`StreamPartType`, its value (``"text-start"``)
    or Go's underscore spelling (``"text_start"``) and is stored as the value.
    ``provider_metadata`` ``None`` is Go's nil map; ``{}`` is a non-nil map
    (which, e.g., replaces a reasoning block's metadata).

    Unlike the other value types this dataclass is not frozen: one is built
    per stream event, and a frozen dataclass costs about six times more to
    construct. Treat stream parts as read-only.
    """

    type: str
    id: str = ""
    tool_call_name: str = ""
    tool_call_input: str = ""
    delta: str = ""
    provider_executed: bool = False
    usage: Usage = Usage()
    finish_reason: str = ""
    error: Union[BaseException, str, None] = None
    warnings: Optional[List[CallWarning]] = None
    source_type: str = ""
    url: str = ""
    title: str = ""
    provider_metadata: Optional[ProviderMetadata] = None

    def __post_init__(self) -> None:
        t = self.type
        canon = _STREAM_PART_TYPE_CANON.get(t) if type(t) is str else None
        if canon is None:
            self.type = StreamPartType(t).value
        elif canon is not t:  # Go's underscore spelling
            self.type = canon
        if type(self.finish_reason) is not str:
            self.finish_reason = _plain(self.finish_reason)
        if type(self.source_type) is not str:
            self.source_type = _plain(self.source_type)

    def __repr__(self) -> str:
        args = [repr(self.type)]
        for name in _STREAM_PART_FIELDS[1:]:
            v = getattr(self, name)
            if v != _STREAM_PART_DEFAULTS[name]:
                args.append("%s=%r" % (name, v))
        return "StreamPart(%s)" % ", ".join(args)


_STREAM_PART_TYPE_VALUES = frozenset(m.value for m in StreamPartType)
_STREAM_PART_TYPE_CANON = {v: v for v in _STREAM_PART_TYPE_VALUES}
_STREAM_PART_TYPE_CANON.update({v.replace("-", "_"): v for v in _STREAM_PART_TYPE_VALUES})
_STREAM_PART_FIELDS = ("type", "id", "tool_call_name", "tool_call_input", "delta",
                       "provider_executed", "usage", "finish_reason", "error", "warnings",
                       "source_type", "url", "title", "provider_metadata")
_STREAM_PART_DEFAULTS: Dict[str, Any] = {
    "id": "", "tool_call_name": "", "tool_call_input": "", "delta": "",
    "provider_executed": False, "usage": Usage(), "finish_reason": "", "error": None,
    "warnings": None, "source_type": "", "url": "", "title": "", "provider_metadata": None}


# ---------------------------------------------------------------------------
# Response
# ---------------------------------------------------------------------------


@_frozen
class Response:
    """A model call's result as fantasy records it (``model.go`` ``Response``).

    Fields (JSON keys in this order): ``content`` (list of parts; ``None`` is
    ``null``, ``[]`` is ``[]``), ``finish_reason`` (a :class:`FinishReason`
    value, stored as a plain ``str``), ``usage``, ``warnings`` (``None`` is
    ``null``), ``provider_metadata`` (``None`` is ``null``, ``{}`` is ``{}``).
    """

    content: Optional[List[Content]] = None
    finish_reason: str = FinishReason.UNKNOWN.value
    usage: Usage = Usage()
    warnings: Optional[List[CallWarning]] = None
    provider_metadata: Optional[ProviderMetadata] = None

    def __post_init__(self) -> None:
        _set(self, "finish_reason", _plain(self.finish_reason))
        if self.content is not None and not isinstance(self.content, list):
            _set(self, "content", list(self.content))
        if self.warnings is not None and not isinstance(self.warnings, list):
            _set(self, "warnings", list(self.warnings))

    # -- JSON -------------------------------------------------------------

    def _go_json(self) -> Struct:
        return Struct(content=self.content, finish_reason=self.finish_reason, usage=self.usage,
                      warnings=self.warnings,
                      provider_metadata=_metadata_json(self.provider_metadata))

    def to_json_bytes(self) -> bytes:
        """The exact bytes Go's ``json.Marshal`` writes for this ``fantasy.Response``.

        Raises:
            UnsupportedValueError: a float field holds NaN or ±Inf (Go refuses them too).
        """
        return encode(self)

    dumps = to_json_bytes

    def to_json(self) -> Dict[str, Any]:
        """The JSON object Go writes, as Python values (what ``json.loads`` of the bytes gives).

        Keys come in Go's order; invalid UTF-8 in strings reads as U+FFFD.
        """
        data = self.to_json_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # raw bytes inside a RawMessage value
            text = plain_string(data.decode("utf-8", "surrogateescape"))
        try:
            return json.loads(text)
        except (RecursionError, ValueError):  # a raw value nested too deep, or an int past 4,300 digits
            from pyfantasy._kernels.jsonscan import loads
            return loads(text)

    @classmethod
    def from_json(cls, obj: Union[bytes, bytearray, memoryview, str, Dict[str, Any]],
                  exact: bool = False) -> "Response":
        """Read a Response from Go's JSON (bytes or text) or from the object ``to_json`` returns.

        From bytes/text, raw values (``extra_fields``, a warning's ``tool``,
        a tool result's ``result``, unknown metadata ``data``) keep their
        exact spelling. Missing keys read as Go's zero values.

        A Go string with invalid UTF-8 was written with ``\\ufffd`` escapes;
        by default they read back as the character U+FFFD (which Go writes
        raw, so such bytes differ when written again). With ``exact=True``
        (bytes/text input only) each such escape reads as the stand-in invalid
        byte ``U+DCFF`` instead, and ``from_json(b, exact=True).to_json_bytes()
        == b`` holds for every ``b`` Go (or ``to_json_bytes``) writes.

        Raises:
            DecodeError: kind ``"json"``: invalid JSON or a value of the wrong shape.
        """
        if isinstance(obj, (bytes, bytearray, memoryview, str)):
            obj = parse(obj, exact=exact)
        d = _obj(obj, "response")
        content = _list(d.get("content"), "content")
        warnings = _list(d.get("warnings"), "warnings")
        fr = d.get("finish_reason")
        if fr is not None and not isinstance(fr, str):
            raise _bad("finish_reason", "expected a string")
        usage = d.get("usage")
        return cls(
            content=None if content is None else [
                content_from_json(c, "content[%d]" % i) for i, c in enumerate(content)],
            finish_reason=fr if fr is not None else "",
            usage=Usage() if usage is None else Usage.from_json(usage),
            warnings=None if warnings is None else [
                CallWarning.from_json(w, "warnings[%d]" % i) for i, w in enumerate(warnings)],
            provider_metadata=_metadata_from_json(d.get("provider_metadata"), "provider_metadata"))

    loads = from_json

    # -- conveniences -----------------------------------------------------

    def _parts(self, cls: Type[Any]) -> List[Any]:
        return [c for c in (self.content or ()) if isinstance(c, cls)]

    @property
    def text(self) -> str:
        """All text parts joined (no separator)."""
        return "".join(c.text for c in self._parts(TextContent))

    @property
    def reasoning_text(self) -> str:
        """All reasoning parts joined (no separator)."""
        return "".join(c.text for c in self._parts(ReasoningContent))

    @property
    def tool_calls(self) -> List[ToolCallContent]:
        """The tool-call parts, in order."""
        return self._parts(ToolCallContent)

    @property
    def sources(self) -> List[SourceContent]:
        """The source parts, in order."""
        return self._parts(SourceContent)


# ---------------------------------------------------------------------------
# Fast construction (the decoders' hot path)
# ---------------------------------------------------------------------------


def fast_constructor(cls: Type[Any]) -> Any:
    """A function ``(*values) -> cls`` that fills a frozen slotted dataclass through its
    slot descriptors, in field order, skipping ``__init__``'s per-field ``object.__setattr__``
    and ``__post_init__``: for values already of the right types (a decoder's output).
    Fields left out keep their defaults (shared: only immutable defaults are used here)."""
    from dataclasses import MISSING, fields
    fs = fields(cls)
    ns: Dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    params, body = [], []
    for k, f in enumerate(fs):
        ns[f"_s{k}"] = getattr(cls, f.name).__set__
        ns[f"_d{k}"] = f.default if f.default is not MISSING else None
        params.append(f"a{k}=_d{k}")
        body.append(f"    _s{k}(obj, a{k})\n")
    src = f"def make({', '.join(params)}):\n    obj = _new(_cls)\n{''.join(body)}    return obj\n"
    exec(src, ns)  # noqa: S102 - generated from the dataclass's own field list
    return ns["make"]


new_usage = fast_constructor(Usage)

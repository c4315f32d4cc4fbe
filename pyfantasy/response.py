"""The data model of a decoded model call: fantasy's ``Response``, content parts, stream parts.

What
    Python twins of the Go types in charm.land/fantasy (``model.go``,
    ``content.go``, ``content_json.go``, ``provider_registry.go`` and each
    provider's ``provider_options.go``), with the exact JSON Go's
    ``encoding/json`` writes for them (docs/semantics.md#the-response-value-and-its-go-json):

    * content parts: :class:`TextContent`, :class:`ReasoningContent`,
      :class:`FileContent`, :class:`SourceContent`, :class:`ToolCallContent`,
      :class:`ToolResultContent` — each written as ``{"type": T, "data": {...}}``;
    * :class:`Usage`, :class:`CallWarning`, :class:`FinishReason`,
      :class:`StreamPart` / :class:`StreamPartType`, :class:`Response`;
    * provider metadata values (one class per Go type id, docs/semantics.md#provider-metadata-values) written as
      ``{"type": <type id>, "data": {...}}``; a ``ProviderMetadata`` is a plain
      ``dict`` from provider name to such a value (``None`` is Go's nil map).
      They are declared field by field in :mod:`pyfantasy._providers.metadata`
      and re-exported here.

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
      them, and the JSON shows their final state (docs/semantics.md#step-assembly-from-a-stream). Metadata
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
from enum import Enum
from typing import Any, ClassVar, Dict, List, Optional, Type, TypeVar, Union

from pyfantasy._dataclasses import frozen_dataclass, mutable_dataclass
from pyfantasy._errors import DecodeError
from pyfantasy._go.json import RawJSON, Struct, encode, parse, plain_string
from pyfantasy._providers.metadata import (  # re-exported: the public names live here
    PROVIDER_METADATA_TYPES, AnthropicReasoningMetadata, AnthropicWebSearchResultMetadata,
    GoogleReasoningMetadata, OpenAIMetadata, OpenAIResponsesMetadata, OpenRouterMetadata,
    OpenRouterUsage, ProviderMetadata, ProviderMetadataValue, ResponsesReasoningMetadata,
    TokenLogProb, TopLogProb, UnknownMetadata, VercelMetadata, WebSearchAction,
    WebSearchCallMetadata, WebSearchResultItem, WebSearchSource, metadata_from_json,
    metadata_json)
from pyfantasy._providers.values import (member_bool, member_int, member_raw, member_str,
                                         object_at, optional_array, raw_or_none)

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
# Reading helpers (from_json): pyfantasy._providers.values
# ---------------------------------------------------------------------------


def _bad(path: str, what: str) -> DecodeError:
    return DecodeError("json", "%s: %s" % (path, what))


# ---------------------------------------------------------------------------
# Usage and warnings
# ---------------------------------------------------------------------------


@frozen_dataclass
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
        d = object_at(obj, path)
        return cls(*(member_int(d, k, path) for k in _USAGE_KEYS))


_USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens", "reasoning_tokens",
               "cache_creation_tokens", "cache_read_tokens")


@frozen_dataclass
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
        _set(self, "tool", raw_or_none(self.tool))

    def _go_json(self) -> Struct:
        return Struct(type=self.type, setting=self.setting, tool=self.tool,
                      details=self.details, message=self.message)

    @classmethod
    def from_json(cls, obj: Any, path: str = "warning") -> "CallWarning":
        d = object_at(obj, path)
        tool = member_raw(d, "tool") if d.get("tool") is not None else None
        return cls(type=member_str(d, "type", path), setting=member_str(d, "setting", path), tool=tool,
                   details=member_str(d, "details", path), message=member_str(d, "message", path))


# ---------------------------------------------------------------------------
# Provider metadata values (docs/semantics.md#provider-metadata-values): declared in pyfantasy._providers.metadata
# ---------------------------------------------------------------------------


def _envelope(type_id: str, data: Any) -> Struct:
    return Struct(type=type_id, data=data)


def _with_metadata(d: Struct, pm: Optional[ProviderMetadata]) -> Struct:
    if pm:  # omitempty: nil or empty map
        d["provider_metadata"] = metadata_json(pm)
    return d


# ---------------------------------------------------------------------------
# Content parts (docs/semantics.md#content-parts)
# ---------------------------------------------------------------------------


_T = TypeVar("_T", bound="_TextPart")


@frozen_dataclass
class _TextPart:
    """What text and reasoning content share: ``{"text", "provider_metadata" (omitempty)}``."""

    type: ClassVar[str]
    text: str = ""
    provider_metadata: Optional[ProviderMetadata] = None

    def _go_json(self) -> Struct:
        return _envelope(self.type, _with_metadata(Struct(text=self.text), self.provider_metadata))

    @classmethod
    def from_data(cls: Type[_T], d: dict, path: str) -> _T:
        return cls(text=member_str(d, "text", path),
                   provider_metadata=metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@frozen_dataclass
class TextContent(_TextPart):
    """``text`` content: ``{"text", "provider_metadata" (omitempty)}``."""

    type: ClassVar[str] = "text"


@frozen_dataclass
class ReasoningContent(_TextPart):
    """``reasoning`` content: ``{"text", "provider_metadata" (omitempty)}``."""

    type: ClassVar[str] = "reasoning"


@frozen_dataclass
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
        return cls(media_type=member_str(d, "media_type", path), data=data,
                   provider_metadata=metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@frozen_dataclass
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
        return cls(source_type=member_str(d, "source_type", path), id=member_str(d, "id", path),
                   url=member_str(d, "url", path), title=member_str(d, "title", path),
                   media_type=member_str(d, "media_type", path), filename=member_str(d, "filename", path),
                   provider_metadata=metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


@frozen_dataclass
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
        return cls(tool_call_id=member_str(d, "tool_call_id", path), tool_name=member_str(d, "tool_name", path),
                   input=member_str(d, "input", path), provider_executed=member_bool(d, "provider_executed", path),
                   provider_metadata=metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"),
                   invalid=member_bool(d, "invalid", path), validation_error=ve or None)


@frozen_dataclass
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
        _set(self, "result", raw_or_none(self.result))

    def _go_json(self) -> Struct:
        d = Struct(tool_call_id=self.tool_call_id, tool_name=self.tool_name, result=self.result)
        if self.client_metadata:
            d["client_metadata"] = self.client_metadata
        d["provider_executed"] = bool(self.provider_executed)
        return _envelope(self.type, _with_metadata(d, self.provider_metadata))

    @classmethod
    def from_data(cls, d: dict, path: str) -> "ToolResultContent":
        result = member_raw(d, "result") if d.get("result") is not None else None
        return cls(tool_call_id=member_str(d, "tool_call_id", path), tool_name=member_str(d, "tool_name", path),
                   result=result, client_metadata=member_str(d, "client_metadata", path),
                   provider_executed=member_bool(d, "provider_executed", path),
                   provider_metadata=metadata_from_json(d.get("provider_metadata"),
                                                         path + ".provider_metadata"))


Content = Union[TextContent, ReasoningContent, FileContent, SourceContent, ToolCallContent,
                ToolResultContent]

CONTENT_TYPES: Dict[str, Any] = {
    c.type: c for c in (TextContent, ReasoningContent, FileContent, SourceContent,
                        ToolCallContent, ToolResultContent)
}


def content_from_json(obj: Any, path: str = "content") -> Content:
    """One content envelope ``{"type", "data"}`` → its content part."""
    d = object_at(obj, path)
    t = d.get("type")
    cls = CONTENT_TYPES.get(t) if isinstance(t, str) else None
    if cls is None:
        raise _bad(path + ".type", "unknown content type %r" % (t,))
    return cls.from_data(object_at(d.get("data"), path + ".data"), path + ".data")


# ---------------------------------------------------------------------------
# Stream parts (docs/semantics.md#stream-parts)
# ---------------------------------------------------------------------------


@mutable_dataclass
class StreamPart:
    """One part of a provider stream (``model.go`` ``StreamPart``), as a provider decoder yields it.

    Only the fields that matter for a part's type need to be set (docs/semantics.md#stream-parts):
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


@frozen_dataclass
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
                      provider_metadata=metadata_json(self.provider_metadata))

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
        d = object_at(obj, "response")
        content = optional_array(d.get("content"), "content")
        warnings = optional_array(d.get("warnings"), "warnings")
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
            provider_metadata=metadata_from_json(d.get("provider_metadata"), "provider_metadata"))

    loads = from_json

    # -- conveniences -----------------------------------------------------

    # (the properties below are read once per message by log processing: a list comprehension
    # each, no helper call or generator)

    @property
    def text(self) -> str:
        """All text parts joined (no separator)."""
        return "".join([c.text for c in self.content or () if isinstance(c, TextContent)])

    @property
    def reasoning_text(self) -> str:
        """All reasoning parts joined (no separator)."""
        return "".join([c.text for c in self.content or () if isinstance(c, ReasoningContent)])

    @property
    def tool_calls(self) -> List[ToolCallContent]:
        """The tool-call parts, in order."""
        return [c for c in self.content or () if isinstance(c, ToolCallContent)]

    @property
    def sources(self) -> List[SourceContent]:
        """The source parts, in order."""
        return [c for c in self.content or () if isinstance(c, SourceContent)]


# ---------------------------------------------------------------------------
# Fast construction (the decoders' hot path)
# ---------------------------------------------------------------------------


def fast_constructor(cls: Type[Any]) -> Any:
    """A function ``(*values) -> cls`` for a frozen slotted dataclass that skips ``__init__``'s
    per-field ``object.__setattr__`` and ``__post_init__``: for values already of the right
    types (a decoder's output). Fields left out keep their defaults (shared: only immutable
    defaults are used here).

    With four fields or more and slots, the object is made as an instance of a mutable twin
    with the same slots and then given ``cls`` as its class (one plain ``__init__``: a third
    cheaper for Usage's six fields); else through the fields' slot descriptors."""
    from dataclasses import MISSING, fields
    fs = fields(cls)
    ns: Dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_bases": cls.__bases__}
    params, body = [], []
    for k, f in enumerate(fs):
        ns[f"_d{k}"] = f.default if f.default is not MISSING else None
        params.append(f"a{k}=_d{k}")
    slots = cls.__dict__.get("__slots__")
    if len(fs) >= 4 and slots is not None and tuple(slots) == tuple(f.name for f in fs):
        init = "".join(f"        self.{f.name} = a{k}\n" for k, f in enumerate(fs))
        src = (f"class _Twin(*_bases):\n    __slots__ = {tuple(slots)!r}\n"
               f"    def __init__(self, {', '.join(params)}):\n{init}\n"
               f"def make({', '.join(params)}):\n    obj = _Twin({', '.join(f'a{k}' for k in range(len(fs)))})\n"
               f"    obj.__class__ = _cls\n    return obj\n")
        exec(src, ns)  # noqa: S102 - generated from the dataclass's own field list
        try:   # the layouts must match (the same bases, no __weakref__ slot)
            ns["make"]()
            return ns["make"]
        except TypeError:
            pass
    for k, f in enumerate(fs):
        ns[f"_s{k}"] = getattr(cls, f.name).__set__
        body.append(f"    _s{k}(obj, a{k})\n")
    src = f"def make({', '.join(params)}):\n    obj = _new(_cls)\n{''.join(body)}    return obj\n"
    exec(src, ns)  # noqa: S102 - generated from the dataclass's own field list
    return ns["make"]


new_usage = fast_constructor(Usage)

"""Provider metadata values (docs/semantics.md#provider-metadata-values), each class declared by data.

What
    The Python twins of the provider metadata types of charm.land/fantasy
    (each provider's ``provider_options.go``) and the structs inside them.
    A top-level value has a ``type_id`` (its Go type id) and is written as
    the envelope ``{"type": <type id>, "data": {...}}``; a ``ProviderMetadata``
    is a plain ``dict`` from provider name to such a value (``None`` is Go's
    nil map). The public names are re-exported by :mod:`pyfantasy.response`.

How
    Each class is a *mutable* slotted dataclass (in fantasy these are shared
    pointers that a provider may keep changing after yielding them; the JSON
    shows their final state, docs/semantics.md#step-assembly-from-a-stream) whose fields are declared with
    :func:`go`: the field's Go kind (:data:`STRING`, :data:`INT`,
    :data:`FLOAT`, :data:`NULLABLE_STRING`, :data:`RAW_MAP`,
    :func:`list_of`, :func:`struct_value`, :func:`pointer`), its JSON key
    (default: the field name; ``"group.key"`` writes the field inside the
    nested object ``group``) and ``omitempty``. One implementation,
    :class:`GoStruct`, writes them in field order (``_go_json``/``to_data``),
    reads them back (``from_json``/``from_data``, with ``"json"``
    :class:`~pyfantasy.DecodeError` naming the path on a wrong shape) and
    normalises constructor arguments (raw maps become :class:`RawJSON`).

Rules of the generic implementation
    * ``omitempty``: the key is left out when the value is falsy (Go: "",
      0, nil, an empty slice or map); on reading, an empty slice or map of
      an ``omitempty`` field reads as ``None`` (the canonical form).
    * Slices that are not ``omitempty`` keep Go's nil/empty distinction:
      ``None`` is ``null``, ``[]`` is ``[]``.
    * Floats are written as float64 (``2`` is written ``2``, Go formatting).
"""
from __future__ import annotations

from dataclasses import field, fields
from typing import Any, Callable, ClassVar, Dict, List, NamedTuple, Optional, Tuple, Union

from pyfantasy._dataclasses import mutable_dataclass
from pyfantasy._go.json import RawJSON, Struct
from pyfantasy._providers.values import (int_list, member_float, member_int, member_nullable_str,
                                         member_raw, member_str, object_at, optional_array,
                                         optional_object, str_list)

__all__ = [
    "GoStruct", "go", "go_struct",
    "STRING", "INT", "FLOAT", "NULLABLE_STRING", "RAW_MAP", "list_of", "struct_value", "pointer",
    "TopLogProb", "TokenLogProb", "OpenAIMetadata", "OpenAIResponsesMetadata",
    "ResponsesReasoningMetadata", "WebSearchSource", "WebSearchAction", "WebSearchCallMetadata",
    "OpenRouterUsage", "OpenRouterMetadata", "VercelMetadata", "AnthropicReasoningMetadata",
    "WebSearchResultItem", "AnthropicWebSearchResultMetadata", "GoogleReasoningMetadata",
    "UnknownMetadata", "ProviderMetadataValue", "ProviderMetadata", "PROVIDER_METADATA_TYPES",
    "metadata_json", "metadata_from_json",
]


# ---------------------------------------------------------------------------
# Go kinds: how a field is defaulted, written and read
# ---------------------------------------------------------------------------


class Kind(NamedTuple):
    """One Go field type.

    ``default``/``factory``: the zero value; ``encode(v)``: the value for the
    encoder (None: as is); ``read(d, key, path)``: the value of member ``key``
    of the object ``d`` at ``path``; ``normalize(v)``: applied to a truthy
    constructor argument (None: none); ``collection``: a slice or map (an
    ``omitempty`` one reads empty as None).
    """

    go_type: str
    read: Callable[[dict, str, str], Any]
    default: Any = None
    factory: Optional[Callable[[], Any]] = None
    encode: Optional[Callable[[Any], Any]] = None
    normalize: Optional[Callable[[Any], Any]] = None
    collection: bool = False


def _raw_map(m: Dict[str, Any]) -> Dict[str, RawJSON]:
    return {k: v if isinstance(v, RawJSON) else RawJSON.from_value(v) for k, v in m.items()}


def _read_raw_map(d: dict, key: str, path: str) -> Optional[Dict[str, Any]]:
    m = optional_object(d.get(key), path + "." + key)
    return None if m is None else {k: member_raw(m, k) for k in m}


STRING = Kind("string", member_str, "")
INT = Kind("int", member_int, 0)
FLOAT = Kind("float64", member_float, 0.0, encode=float)
NULLABLE_STRING = Kind("*string", member_nullable_str)
RAW_MAP = Kind("map[string]json.RawMessage", _read_raw_map, encode=_raw_map, normalize=_raw_map,
               collection=True)


def list_of(item: Union[Kind, type]) -> Kind:
    """A Go slice of strings, integers or structs (declared with :func:`go_struct`)."""
    if item is STRING:
        return Kind("[]string", lambda d, key, path: str_list(d.get(key), path + "." + key),
                    collection=True)
    if item is INT:
        return Kind("[]int", lambda d, key, path: int_list(d.get(key), path + "." + key),
                    collection=True)
    if isinstance(item, Kind):
        raise TypeError("list_of: no slices of %s" % item.go_type)

    def read(d: dict, key: str, path: str) -> Optional[list]:
        p = path + "." + key
        items = optional_array(d.get(key), p)
        if items is None:
            return None
        return [item.from_json(x, "%s[%d]" % (p, k)) for k, x in enumerate(items)]  # type: ignore[attr-defined]
    return Kind("[]" + item.__name__, read, collection=True)


def struct_value(cls: type) -> Kind:
    """A nested Go struct (not a pointer): always written; null/missing reads as ``cls()``."""
    def read(d: dict, key: str, path: str) -> Any:
        v = d.get(key)
        return cls() if v is None else cls.from_json(v, path + "." + key)  # type: ignore[attr-defined]
    return Kind(cls.__name__, read, factory=cls)


def pointer(cls: type) -> Kind:
    """A Go pointer to a struct: ``None`` is nil."""
    def read(d: dict, key: str, path: str) -> Any:
        v = d.get(key)
        return None if v is None else cls.from_json(v, path + "." + key)  # type: ignore[attr-defined]
    return Kind("*" + cls.__name__, read)


def go(kind: Kind, key: Optional[str] = None, omitempty: bool = False) -> Any:
    """Declare a field: its Go ``kind``, JSON ``key`` (default the field name; ``"group.key"``
    nests it in the object ``group``) and ``omitempty``."""
    meta = {"go": (kind, key, omitempty)}
    if kind.factory is not None:
        return field(default_factory=kind.factory, metadata=meta)
    return field(default=kind.default, metadata=meta)


class _Field(NamedTuple):
    name: str
    key: str
    group: Optional[str]
    kind: Kind
    omitempty: bool


# ---------------------------------------------------------------------------
# The one implementation
# ---------------------------------------------------------------------------


class GoStruct:
    """What every declared metadata class does: JSON out, JSON in (see the module doc)."""

    __slots__ = ()
    _go_fields: ClassVar[Tuple[_Field, ...]] = ()
    _envelope: ClassVar[bool] = False

    def to_data(self) -> Struct:
        """The struct's JSON object (for an envelope type, its ``data``); compiled per class
        from the field table by :func:`_compile_to_data`."""
        raise NotImplementedError  # replaced by go_struct

    def _go_json(self) -> Struct:
        if self._envelope:
            return Struct(type=self.type_id, data=self.to_data())  # type: ignore[attr-defined]
        return self.to_data()

    @classmethod
    def from_data(cls, d: dict, path: str) -> Any:
        """Read the struct from its (already checked) JSON object ``d`` at ``path``."""
        values = []
        for f in cls._go_fields:
            src, p = d, path
            if f.group is not None:
                p = path + "." + f.group
                src = optional_object(d.get(f.group), p) or {}
            v = f.kind.read(src, f.key, p)
            if f.omitempty and f.kind.collection and not v:
                v = None
            values.append(v)
        return cls(*values)

    @classmethod
    def from_json(cls, obj: Any, path: str) -> Any:
        """Read the struct from a JSON value (an object) at ``path``."""
        return cls.from_data(object_at(obj, path), path)


def _compile_to_data(name: str, table: Tuple[_Field, ...]) -> Callable[[Any], Struct]:
    """``to_data`` for one field table, as straight-line code (it is on the encoding path):
    fields in order, ``omitempty`` ones only when truthy, each through its kind's ``encode``;
    a ``group`` object is created at its first field (a Go struct value: always written)."""
    ns: Dict[str, Any] = {"Struct": Struct}
    body = ["    d = Struct()"]
    groups: Dict[str, str] = {}
    for k, f in enumerate(table):
        value = "self.%s" % f.name
        if f.kind.encode is not None:
            ns["_e%d" % k] = f.kind.encode
            value = "_e%d(%s)" % (k, value)
        target = "d"
        if f.group is not None:
            if f.group not in groups:
                groups[f.group] = target = "g%d" % len(groups)
                body.append("    d[%r] = %s = Struct()" % (f.group, target))
            target = groups[f.group]
        if f.omitempty:
            body.append("    if self.%s:" % f.name)
            body.append("        %s[%r] = %s" % (target, f.key, value))
        else:
            body.append("    %s[%r] = %s" % (target, f.key, value))
    src = "def to_data(self):\n%s\n    return d\n" % "\n".join(body)
    exec(compile(src, "<%s.to_data>" % name, "exec"), ns)  # noqa: S102 - generated from the field table
    fn = ns["to_data"]
    fn.__doc__ = GoStruct.to_data.__doc__
    fn.__qualname__ = name + ".to_data"
    return fn  # type: ignore[no-any-return]


def _post_init(self: Any) -> None:
    for f in self._go_fields:
        if f.kind.normalize is not None:
            v = getattr(self, f.name)
            if v:
                setattr(self, f.name, f.kind.normalize(v))


def go_struct(cls: type) -> Any:
    """Make a :class:`GoStruct` subclass whose fields are declared with :func:`go` a mutable
    slotted dataclass; a class with a ``type_id`` is written as a metadata envelope."""
    kinds = [v.metadata["go"] for v in cls.__dict__.values() if hasattr(v, "metadata") and "go" in v.metadata]
    if any(kind.normalize is not None for kind, _, _ in kinds):
        cls.__post_init__ = _post_init  # type: ignore[attr-defined]
    out = mutable_dataclass(cls)
    table = []
    for f in fields(out):
        kind, key, omitempty = f.metadata["go"]
        group, _, leaf = (key or f.name).rpartition(".")
        table.append(_Field(f.name, leaf, group or None, kind, omitempty))
    out._go_fields = tuple(table)
    out.to_data = _compile_to_data(out.__name__, out._go_fields)
    out._envelope = isinstance(out.__dict__.get("type_id"), str)
    return out


# ---------------------------------------------------------------------------
# The declarations
# ---------------------------------------------------------------------------


@go_struct
class TopLogProb(GoStruct):
    """One entry of ``top_logprobs`` (openai-go ``ChatCompletionTokenLogprobTopLogprob``)."""

    token: str = go(STRING)
    bytes: Optional[List[int]] = go(list_of(INT))
    logprob: float = go(FLOAT)


@go_struct
class TokenLogProb(GoStruct):
    """One ``logprobs`` item of ``openai.metadata`` (openai-go ``ChatCompletionTokenLogprob``)."""

    token: str = go(STRING)
    bytes: Optional[List[int]] = go(list_of(INT))
    logprob: float = go(FLOAT)
    top_logprobs: Optional[List[TopLogProb]] = go(list_of(TopLogProb))


@go_struct
class OpenAIMetadata(GoStruct):
    """``openai.metadata`` (``providers/openai/provider_options.go`` ``ProviderMetadata``).

    ``extra_fields`` maps usage keys to their raw JSON (``json.RawMessage``);
    values given as Python values are converted to :class:`RawJSON`. It is
    omitted when ``None`` or empty.
    """

    type_id: ClassVar[str] = "openai.metadata"
    logprobs: Optional[List[TokenLogProb]] = go(list_of(TokenLogProb))
    accepted_prediction_tokens: int = go(INT)
    rejected_prediction_tokens: int = go(INT)
    extra_fields: Optional[Dict[str, RawJSON]] = go(RAW_MAP, omitempty=True)


@go_struct
class OpenAIResponsesMetadata(GoStruct):
    """``openai.responses.metadata`` (``ResponsesProviderMetadata``)."""

    type_id: ClassVar[str] = "openai.responses.metadata"
    response_id: str = go(STRING)


@go_struct
class ResponsesReasoningMetadata(GoStruct):
    """``openai.responses.reasoning_metadata`` (``ResponsesReasoningMetadata``).

    ``encrypted_content`` ``None`` is ``null``; ``summary`` ``None`` is
    ``null`` and ``[]`` is ``[]`` (streams start with an empty, non-nil list).
    """

    type_id: ClassVar[str] = "openai.responses.reasoning_metadata"
    item_id: str = go(STRING)
    encrypted_content: Optional[str] = go(NULLABLE_STRING)
    summary: Optional[List[str]] = go(list_of(STRING))


@go_struct
class WebSearchSource(GoStruct):
    """One ``action.sources`` entry of a web search call."""

    type: str = go(STRING)
    url: str = go(STRING)


@go_struct
class WebSearchAction(GoStruct):
    """``action`` of ``openai.responses.web_search_call_metadata``; ``query`` and ``sources`` omitempty."""

    type: str = go(STRING)
    query: str = go(STRING, omitempty=True)
    sources: Optional[List[WebSearchSource]] = go(list_of(WebSearchSource), omitempty=True)


@go_struct
class WebSearchCallMetadata(GoStruct):
    """``openai.responses.web_search_call_metadata``; ``action`` omitted when ``None``."""

    type_id: ClassVar[str] = "openai.responses.web_search_call_metadata"
    item_id: str = go(STRING)
    action: Optional[WebSearchAction] = go(pointer(WebSearchAction), omitempty=True)


@go_struct
class OpenRouterUsage(GoStruct):
    """The ``usage`` of ``openrouter.metadata``, flattened; written nested with every key.

    JSON: ``{"prompt_tokens", "prompt_tokens_details": {"cached_tokens"},
    "completion_tokens", "completion_tokens_details": {"reasoning_tokens"},
    "total_tokens", "cost", "cost_details": {"upstream_inference_cost",
    "upstream_inference_prompt_cost", "upstream_inference_completions_cost"}}``;
    the costs are float64 (Go float formatting).
    """

    prompt_tokens: int = go(INT)
    cached_tokens: int = go(INT, "prompt_tokens_details.cached_tokens")
    completion_tokens: int = go(INT)
    reasoning_tokens: int = go(INT, "completion_tokens_details.reasoning_tokens")
    total_tokens: int = go(INT)
    cost: float = go(FLOAT)
    upstream_inference_cost: float = go(FLOAT, "cost_details.upstream_inference_cost")
    upstream_inference_prompt_cost: float = go(FLOAT, "cost_details.upstream_inference_prompt_cost")
    upstream_inference_completions_cost: float = go(FLOAT, "cost_details.upstream_inference_completions_cost")


@go_struct
class OpenRouterMetadata(GoStruct):
    """``openrouter.metadata``. ``provider`` is the raw JSON text of the response's
    ``provider`` field, quotes included (``'"OpenAI"'``), or ``""``."""

    type_id: ClassVar[str] = "openrouter.metadata"
    provider: str = go(STRING)
    usage: OpenRouterUsage = go(struct_value(OpenRouterUsage))


@go_struct
class VercelMetadata(GoStruct):
    """``vercel.metadata``; ``provider`` (raw JSON text, quotes included) omitted when empty."""

    type_id: ClassVar[str] = "vercel.metadata"
    provider: str = go(STRING, omitempty=True)


@go_struct
class AnthropicReasoningMetadata(GoStruct):
    """``anthropic.reasoning_metadata`` (``ReasoningOptionMetadata``); both keys always written."""

    type_id: ClassVar[str] = "anthropic.reasoning_metadata"
    signature: str = go(STRING)
    redacted_data: str = go(STRING)


@go_struct
class WebSearchResultItem(GoStruct):
    """One result of ``anthropic.web_search_result_metadata``; ``page_age`` omitted when empty."""

    url: str = go(STRING)
    title: str = go(STRING)
    encrypted_content: str = go(STRING)
    page_age: str = go(STRING, omitempty=True)


@go_struct
class AnthropicWebSearchResultMetadata(GoStruct):
    """``anthropic.web_search_result_metadata``; ``results`` and ``error_code`` omitempty."""

    type_id: ClassVar[str] = "anthropic.web_search_result_metadata"
    results: Optional[List[WebSearchResultItem]] = go(list_of(WebSearchResultItem), omitempty=True)
    error_code: str = go(STRING, omitempty=True)


@go_struct
class GoogleReasoningMetadata(GoStruct):
    """``google.reasoning_metadata``; both keys always written.

    For the native Google provider ``signature`` holds the *decoded* thought
    signature bytes as a Go string (build it with
    :func:`pyfantasy._go.json.go_string`); Vercel/OpenRouter give base64 text.
    """

    type_id: ClassVar[str] = "google.reasoning_metadata"
    signature: str = go(STRING)
    tool_id: str = go(STRING)


@mutable_dataclass
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
        return Struct(type=self.type_id, data=self.data)


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


def metadata_json(pm: Optional[ProviderMetadata]) -> Optional[dict]:
    """A ProviderMetadata map for the encoder (a dict: Go sorts map keys)."""
    if pm is None:
        return None
    return dict(pm)


def metadata_from_json(v: Any, path: str) -> Optional[ProviderMetadata]:
    """A ProviderMetadata map read from JSON (null is None); unknown type ids (or a ``data``
    that is not an object) become :class:`UnknownMetadata`."""
    if v is None:
        return None
    d = object_at(v, path)
    out: ProviderMetadata = {}
    for name, env in d.items():
        p = "%s.%s" % (path, name)
        e = object_at(env, p)
        type_id = member_str(e, "type", p)
        data = e.get("data")
        cls = PROVIDER_METADATA_TYPES.get(type_id)
        if cls is None or not isinstance(data, dict):
            out[name] = UnknownMetadata(type_id=type_id, data=member_raw(e, "data") or RawJSON.trusted("null"))
        else:
            out[name] = cls.from_data(data, p + ".data")
    return out

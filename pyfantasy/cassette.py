"""go-vcr cassettes (format version 2): load, and write back byte for byte as the Go recorder does.

What: fantasy's provider tests record HTTP traffic with go-vcr; the YAML
files ("cassettes") are the data pyfantasy decodes and replays. This module
reads them into mutable dataclasses mirroring go-vcr's structs and writes
them back so that, for every file the Go recorder wrote,
``loads(b).dumps() == b`` (docs/cassettes.md).

Strategy:
- Loading composes the YAML into nodes with a ``CSafeLoader`` subclass whose
  resolver types every plain scalar as a string (docs/cassettes.md#no-implicit-typing), falling back
  to the pure-Python ``SafeLoader`` when libyaml rejects the text (docs/cassettes.md#the-pure-python-fallback).
  The tiny schema is then converted by hand from the nodes, so that every
  schema error carries the node's line and column. Missing keys take Go's
  zero values, unknown keys are ignored, as Go does.
- The layout (indent width, compact sequences) is detected from the first
  interaction and kept (docs/cassettes.md#older-layouts); so are the goccy-era
  "legacy quoting" (docs/cassettes.md#legacy-quoting) and the rc.5+ writer
  (``Layout.folded``), detected exactly by re-emitting only when a scalar shows
  a hint of them (a double-quoted string that the current rules would not
  double-quote; a folded scalar, a single-quoted YAML 1.1 word, a block scalar
  starting with a line break).
- Writing is a schema walk that places each field at its column (docs/cassettes.md#columns) and
  asks ``_go.yaml`` for the text of each scalar (docs/cassettes.md#scalars); ``yaml.dump`` is never
  used. Map keys are sorted in Go's natural order (``_go.natsort``).
"""
from __future__ import annotations

import binascii
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from pyfantasy._go import yaml as _goyaml
from pyfantasy._files import read_bytes, remove_stale_temp_files, write_atomic
from pyfantasy._go.duration import (INT64_MAX, INT64_MIN, DurationError, GoDuration, format_duration,
                        parse_duration, timedelta_to_ns)
from pyfantasy._errors import CassetteError
from pyfantasy._go.natsort import natural_sorted

__all__ = [
    "Cassette", "Interaction", "RecordedRequest", "RecordedResponse", "Request", "Response", "Layout",
    "GoDuration",
    "LAYOUT_CURRENT", "LAYOUT_RC6", "load", "loads", "dumps", "CassetteError",
    "format_duration", "parse_duration",
]

Body = Union[str, bytes]
Headers = Dict[str, List[str]]

FORMAT_VERSION = 2


# --- model -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """How a cassette file is indented (docs/cassettes.md#older-layouts).

    ``indent`` is the indentation width (2 to 9; 2 today, 4 in some older
    files); ``compact`` means sequences under a key are pulled back by 2
    columns (``- id: 0`` at column 0 with indent 2). ``folded`` is the
    writer of go.yaml.in/yaml/v4 rc.5 and later (what charm.land/x/vcr
    writes once it moves to rc.6, checked against rc.6 itself): plain and
    quoted scalars folded at spaces past column 80, YAML 1.1 words
    (``yes``, ``on``, ``12:30``, ``<<``) single-quoted instead of
    double-quoted, and no indentation indicator on a block scalar that
    starts with a line break.
    """

    indent: int = 2
    compact: bool = True
    folded: bool = False


LAYOUT_CURRENT = Layout(2, True)
# x/vcr's marshaler settings (indent 2, compact sequences, no line width set) on rc.5+.
LAYOUT_RC6 = Layout(2, True, True)


def _body_bytes(body: Body) -> bytes:
    if isinstance(body, bytes):
        return body
    return body.encode("utf-8")


@dataclass
class RecordedRequest:
    """go-vcr's ``cassette.Request`` (alias ``Request``). Maps keep load order; they are sorted
    only when written."""

    proto: str = ""
    proto_major: int = 0
    proto_minor: int = 0
    content_length: int = 0
    transfer_encoding: List[str] = field(default_factory=list)
    trailer: Headers = field(default_factory=dict)
    host: str = ""
    remote_addr: str = ""
    request_uri: str = ""
    body: Body = ""
    form: Headers = field(default_factory=dict)
    headers: Headers = field(default_factory=dict)
    url: str = ""
    method: str = ""

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes (UTF-8 encoding of a ``str`` body)."""
        return _body_bytes(self.body)


@dataclass
class RecordedResponse:
    """go-vcr's ``cassette.Response`` (alias ``Response``; not ``pyfantasy.Response``, the decoded
    message); ``duration_ns`` (int nanoseconds) is the exact duration."""

    proto: str = ""
    proto_major: int = 0
    proto_minor: int = 0
    transfer_encoding: List[str] = field(default_factory=list)
    trailer: Headers = field(default_factory=dict)
    content_length: int = 0
    uncompressed: bool = False
    body: Body = ""
    headers: Headers = field(default_factory=dict)
    status: str = ""
    code: int = 0
    duration_ns: int = 0

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes (UTF-8 encoding of a ``str`` body)."""
        return _body_bytes(self.body)

    @property
    def duration(self) -> GoDuration:
        """The duration as a ``timedelta`` subclass carrying the exact ``.nanoseconds``.

        Assigning a ``GoDuration`` keeps its nanoseconds; a plain ``timedelta``
        gives ``((days * 86400 + seconds) * 10**6 + microseconds) * 1000``; a
        string is parsed as Go text (``"1.5s"``).
        """
        return GoDuration(self.duration_ns)

    @duration.setter
    def duration(self, value: Union[timedelta, str]) -> None:
        if isinstance(value, timedelta):
            self.duration_ns = timedelta_to_ns(value)
        elif isinstance(value, str):
            self.duration_ns = parse_duration(value)
        else:
            raise TypeError(f"duration must be a timedelta or a Go duration string, "
                            f"not {type(value).__name__}")


# go-vcr's names, kept as aliases
Request = RecordedRequest
Response = RecordedResponse


@dataclass
class Interaction:
    """One recorded request and its response. ``id`` is rewritten as the index on save."""

    id: int = 0
    request: RecordedRequest = field(default_factory=RecordedRequest)
    response: RecordedResponse = field(default_factory=RecordedResponse)


@dataclass
class Cassette:
    """A go-vcr cassette: its interactions, plus how the file was laid out.

    ``layout`` and ``legacy_quoting`` are found on load and kept on save so
    that old files round-trip; new cassettes use the current layout.
    """

    interactions: List[Interaction] = field(default_factory=list)
    layout: Layout = LAYOUT_CURRENT
    legacy_quoting: bool = False

    def dumps(self) -> bytes:
        """The file as the Go recorder writes it (UTF-8 bytes starting with ``---``).

        Raises:
            CassetteError: a value cannot be written (wrong type, lone
                surrogate in a string, duration outside int64, ...).
        """
        return _Writer(self).dump()

    def save(self, path: "Union[str, os.PathLike[str]]") -> None:
        """Write the cassette to ``path`` atomically.

        The text is built first, written to a temporary file in the same
        folder (created if needed, as go-vcr does), then moved over ``path``
        with ``os.replace``: a failure at any point leaves the old file as it
        was and no temporary file behind (a SIGTERM included; those a SIGKILL
        left are removed by the next save or load, ``_files``).

        Raises:
            CassetteError: the cassette cannot be written, or an OS error.
        """
        data = self.dumps()
        path = os.fspath(path)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, exist_ok=True)
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o644
            write_atomic(path, data, mode)
        except OSError as exc:
            raise CassetteError(f"cannot write the file: {exc}", path=path) from exc


# --- loading -------------------------------------------------------------------------------
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_BINARY_TAG = "tag:yaml.org,2002:binary"
_INT_TAG = "tag:yaml.org,2002:int"
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset("true True TRUE y Y yes Yes YES on On ON".split())
_FALSE = frozenset("false False FALSE n N no No NO off Off OFF".split())


def _resolve(self, kind, value, implicit):
    # No implicit typing (docs/cassettes.md#no-implicit-typing): every untagged scalar is a string.
    if kind is ScalarNode:
        return _STR_TAG
    if kind is SequenceNode:
        return _SEQ_TAG
    return _MAP_TAG


class _PyLoader(yaml.SafeLoader):
    yaml_implicit_resolvers: dict = {}
    resolve = _resolve


_CLoader: Optional[type]
if getattr(yaml, "__with_libyaml__", False):
    class _CLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        yaml_implicit_resolvers: dict = {}
        resolve = _resolve
else:  # pragma: no cover - PyYAML built without libyaml
    _CLoader = None


def _compose(loader_cls: type, stream: Union[bytes, str]):
    loader = loader_cls(stream)
    try:
        return loader.get_single_node()
    except RecursionError as exc:  # where the reader was when the nesting got too deep
        try:
            mark = loader.get_mark()
            exc.yaml_line_col = (mark.line + 1, mark.column + 1)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the C loader has no mark: the Python one is tried next
            pass
        raise
    finally:
        loader.dispose()


def _line_col(data: Union[bytes, str], pos: int) -> Tuple[int, int]:
    nl: Any = "\n" if isinstance(data, str) else b"\n"
    line = data.count(nl, 0, pos) + 1
    col = pos - (data.rfind(nl, 0, pos) + 1) + 1
    return line, col


def _yaml_error(exc: BaseException, text: str, path: Optional[str]) -> CassetteError:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]
        reason = "invalid YAML: " + ", ".join(parts)
        if mark is not None:
            return CassetteError(reason, path=path, line=mark.line + 1, column=mark.column + 1)
        return CassetteError(reason, path=path)
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col(text, exc.position)
        return CassetteError(f"invalid YAML: {exc.reason} (character #x{exc.character:04x})"
                             if isinstance(exc.character, int) else f"invalid YAML: {exc.reason}",
                             path=path, line=line, column=col)
    if isinstance(exc, RecursionError):
        at = getattr(exc, "yaml_line_col", (None, None))
        return CassetteError("invalid cassette: YAML nested too deeply", path=path, line=at[0], column=at[1])
    return CassetteError(f"invalid YAML: {exc}", path=path)


def _parse_nodes(data: bytes, path: Optional[str]):
    """Compose the single YAML document of ``data``; CassetteError on any failure."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CassetteError("the file is not UTF-8 (it starts with a UTF-16 byte-order mark)",
                            path=path, line=1, column=1)
    if _CLoader is not None:
        try:
            return _compose(_CLoader, data)
        except (yaml.YAMLError, RecursionError):
            # validate the encoding, then let the pure-Python loader try (docs/cassettes.md#the-pure-python-fallback)
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise CassetteError(f"the file is not valid UTF-8 (byte 0x{data[exc.start]:02x}: "
                            f"{exc.reason})", path=path, line=line, column=col) from None
    try:
        return _compose(_PyLoader, text)
    except (yaml.YAMLError, RecursionError) as exc:
        raise _yaml_error(exc, text, path) from None


_KIND = {ScalarNode: "a scalar", SequenceNode: "a list", MappingNode: "a mapping"}


class _Reader:
    """Converts composed nodes to the model; every error names the node's line and column."""

    def __init__(self, path: Optional[str]):
        self.path = path
        self.legacy_hint = False
        self.rc6_hint = False

    def error(self, node, reason: str) -> CassetteError:
        mark = node.start_mark
        return CassetteError(reason, path=self.path, line=mark.line + 1, column=mark.column + 1)

    def is_null(self, node) -> bool:
        return (type(node) is ScalarNode and not node.style and node.tag == _STR_TAG
                and node.value in _NULLS)

    def mapping(self, node, what: str) -> List[tuple]:
        if type(node) is not MappingNode:
            if self.is_null(node):
                return []
            raise self.error(node, f"{what} must be a mapping, found {_KIND[type(node)]}")
        pairs = node.value
        if len(pairs) > 1:
            seen = set()
            for key, _ in pairs:
                k = key.value if type(key) is ScalarNode else None
                if k in seen:
                    raise self.error(key, f"duplicate key {k!r} in {what}")
                seen.add(k)
        return pairs

    def key(self, node, what: str) -> str:
        if type(node) is not ScalarNode:
            raise self.error(node, f"keys of {what} must be strings, found {_KIND[type(node)]}")
        if node.tag == _BINARY_TAG:
            value = self.binary(node, what)
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                raise self.error(node, f"a key of {what} is binary data that is not "
                                       "UTF-8") from None
        return self.text_value(node)

    def text_value(self, node) -> str:
        value = node.value
        style = node.style
        if not self.rc6_hint and (
                value[:1] in _goyaml._BREAKS if style == "|"
                else node.end_mark.line != node.start_mark.line
                or style == "'" and _goyaml._yaml11_only(value)):
            # what only the rc.5+ writer does: a folded scalar, a single-quoted YAML 1.1
            # word, or a block scalar whose indicator differs from rc.4 on
            self.rc6_hint = True
        if not style:
            if value in _NULLS and node.tag == _STR_TAG:
                return ""
        elif style == '"':
            if _goyaml._SURROGATE.search(value) is not None:
                raise self.error(node, "a double-quoted string holds an escaped lone surrogate")
            if not self.legacy_hint and _goyaml.choose_style(value) is not _goyaml.DOUBLE:
                self.legacy_hint = True
        return value

    def binary(self, node, what: str) -> bytes:
        try:
            return binascii.a2b_base64(node.value.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise self.error(node, f"{what}: invalid !!binary data ({exc})") from None

    def string(self, node, what: str) -> Union[str, bytes]:
        """A string field; ``!!binary`` gives bytes unless they are valid UTF-8."""
        if type(node) is not ScalarNode:
            raise self.error(node, f"{what} must be a string, found {_KIND[type(node)]}")
        if node.tag == _BINARY_TAG:
            value = self.binary(node, what)
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value
        return self.text_value(node)

    def body(self, node, what: str) -> Union[str, bytes]:
        """A body: ``!!binary`` always gives bytes (docs/cassettes.md#binary-bodies)."""
        if type(node) is ScalarNode and node.tag == _BINARY_TAG:
            return self.binary(node, what)
        return self.string(node, what)

    def integer(self, node, what: str, lo: int = INT64_MIN, hi: int = INT64_MAX) -> int:
        if type(node) is not ScalarNode:
            raise self.error(node, f"{what} must be an integer, found {_KIND[type(node)]}")
        value = node.value
        if node.style and node.tag != _INT_TAG:
            raise self.error(node, f"{what} must be an integer, found the quoted string {value!r}")
        if not node.style and value in _NULLS:
            return 0
        number = _goyaml.parse_go_int(value)
        if number is None:
            raise self.error(node, f"{what} must be an integer, found {value!r}")
        if not lo <= number <= hi:
            raise self.error(node, f"{what} is out of range: {value}")
        return number

    def boolean(self, node, what: str) -> bool:
        if type(node) is ScalarNode:
            value = node.value
            if value in _TRUE:
                return True
            if value in _FALSE or (not node.style and value in _NULLS):
                return False
        raise self.error(node, f"{what} must be a boolean (true or false), found "
                               f"{node.value if type(node) is ScalarNode else _KIND[type(node)]!r}")

    def duration(self, node, what: str) -> int:
        if type(node) is not ScalarNode:
            raise self.error(node, f"{what} must be a Go duration, found {_KIND[type(node)]}")
        if not node.style and node.value in _NULLS:
            return 0
        try:
            return parse_duration(node.value)
        except DurationError as exc:
            raise self.error(node, f"{what}: {exc}") from None

    def strings(self, node, what: str) -> List[Any]:
        if type(node) is not SequenceNode:
            if self.is_null(node):
                return []
            raise self.error(node, f"{what} must be a list of strings, found {_KIND[type(node)]}")
        string = self.string
        return [string(item, what) for item in node.value]

    def map_of_lists(self, node, what: str) -> Headers:
        out: Headers = {}
        key = self.key
        strings = self.strings
        for k, v in self.mapping(node, what):
            name = key(k, what)
            out[name] = strings(v, f"{what}[{name!r}]")
        return out

    # --- schema --------------------------------------------------------------------------
    def fields(self, node, where: str, obj: Any, readers: "Dict[str, _Field]") -> Any:
        """Set ``obj``'s fields from the mapping ``node`` (unknown keys are ignored, as Go does)."""
        for k, v in self.mapping(node, where):
            name = k.value if type(k) is ScalarNode else ""
            read = readers.get(name)
            if read is not None:
                setattr(obj, "duration_ns" if name == "duration" else name, read(self, v, f"{where}.{name}"))
        return obj

    def request(self, node, where: str) -> RecordedRequest:
        return self.fields(node, where, RecordedRequest(), _REQUEST_FIELDS)

    def response(self, node, where: str) -> RecordedResponse:
        return self.fields(node, where, RecordedResponse(), _RESPONSE_FIELDS)

    def interaction(self, node, index: int) -> Interaction:
        where = f"interactions[{index}]"
        if type(node) is not MappingNode:
            raise self.error(node, f"{where} must be a mapping, found {_KIND[type(node)]}")
        it = Interaction()
        for k, v in self.mapping(node, where):
            name = k.value if type(k) is ScalarNode else None
            if name == "id":
                it.id = self.integer(v, f"{where}.id")
            elif name == "request":
                it.request = self.request(v, f"{where}.request")
            elif name == "response":
                it.response = self.response(v, f"{where}.response")
        return it

    def cassette(self, root) -> Cassette:
        if root is None:
            raise CassetteError("the file holds no YAML document (missing 'version: 2')",
                                path=self.path, line=1, column=1)
        if type(root) is not MappingNode:
            raise self.error(root, f"a cassette must be a mapping, found {_KIND[type(root)]}")
        version = None
        interactions_node = None
        for k, v in self.mapping(root, "the cassette"):
            name = k.value if type(k) is ScalarNode else None
            if name == "version":
                version = v
            elif name == "interactions":
                interactions_node = v
        if version is None:
            raise self.error(root, "missing 'version' (this reader supports version 2)")
        number = self.integer(version, "version")
        if number != FORMAT_VERSION:
            raise self.error(version, f"unsupported cassette version {number} "
                                      f"(only version {FORMAT_VERSION} is supported)")
        cassette = Cassette()
        if interactions_node is not None:
            if type(interactions_node) is SequenceNode:
                items = interactions_node.value
            elif self.is_null(interactions_node):
                items = []
            else:
                raise self.error(interactions_node, "interactions must be a list, found "
                                                    f"{_KIND[type(interactions_node)]}")
            cassette.interactions = [self.interaction(n, i) for i, n in enumerate(items)]
            if items:
                cassette.layout = _detect_layout(interactions_node)
        return cassette


_Field = Callable[["_Reader", Any, str], Any]  # reads one schema field's node
_REQUEST_FIELDS: Dict[str, _Field] = {
    "proto": _Reader.string, "proto_major": _Reader.integer, "proto_minor": _Reader.integer,
    "content_length": _Reader.integer, "transfer_encoding": _Reader.strings,
    "trailer": _Reader.map_of_lists, "host": _Reader.string, "remote_addr": _Reader.string,
    "request_uri": _Reader.string, "body": _Reader.body, "form": _Reader.map_of_lists,
    "headers": _Reader.map_of_lists, "url": _Reader.string, "method": _Reader.string,
}
_RESPONSE_FIELDS: Dict[str, _Field] = {
    "proto": _Reader.string, "proto_major": _Reader.integer, "proto_minor": _Reader.integer,
    "transfer_encoding": _Reader.strings, "trailer": _Reader.map_of_lists,
    "content_length": _Reader.integer, "uncompressed": _Reader.boolean, "body": _Reader.body,
    "headers": _Reader.map_of_lists, "status": _Reader.string, "code": _Reader.integer,
    "duration": _Reader.duration,
}


def _layout_for(dash: int, fields: int) -> Optional[Layout]:
    for indent in range(2, 10):
        for compact in (True, False):
            d = indent - 2 if compact else indent
            if d == dash and fields == ((d + 2) // indent + 1) * indent:
                return Layout(indent, compact)
    return None


def _detect_layout(seq) -> Layout:
    """docs/cassettes.md#older-layouts: from the column of ``- id:`` and of the first request (or response) field."""
    if seq.flow_style:
        return LAYOUT_CURRENT
    first = seq.value[0]
    if type(first) is not MappingNode or first.flow_style or not first.value:
        return LAYOUT_CURRENT
    dash = first.value[0][0].start_mark.column - 2
    for k, v in first.value:
        if (type(v) is MappingNode and not v.flow_style and v.value
                and type(k) is ScalarNode and k.value in ("request", "response")):
            layout = _layout_for(dash, v.value[0][0].start_mark.column)
            return layout if layout is not None else LAYOUT_CURRENT
    return LAYOUT_CURRENT


def loads(data: Union[bytes, str],
          path: "Optional[Union[str, os.PathLike[str]]]" = None) -> Cassette:
    """Read a cassette from its bytes (or text).

    Args:
        data: the file content; ``str`` is encoded as UTF-8 first.
        path: only used to name the file in error messages.

    Raises:
        CassetteError: not UTF-8, invalid YAML, not a mapping, missing or
            wrong ``version`` (must be 2), ``interactions`` not a list, a
            field of the wrong type, a bad duration. The message and the
            attributes give the file, line and column.
    """
    where = os.fspath(path) if path is not None else None
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CassetteError(f"the text holds a lone surrogate ({exc.reason})",
                                path=where) from None
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads() takes bytes or str, not {type(data).__name__}")
    data = bytes(data)
    reader = _Reader(where)
    cassette = reader.cassette(_parse_nodes(data, where))
    if reader.legacy_hint or reader.rc6_hint:
        _detect_writer(cassette, data, reader.legacy_hint, reader.rc6_hint)
    return cassette


def _detect_writer(cassette: Cassette, data: bytes, legacy: bool, rc6: bool) -> None:
    """Keep the rc.5+ writer, or the legacy quoting (docs/cassettes.md#legacy-quoting), only when it
    reproduces ``data``.

    Called only when the loader saw a hint (a double-quoted scalar that the
    current rules would not double-quote; a scalar spread over lines, a
    single-quoted YAML 1.1 word, a block scalar starting with a line break),
    so a plain load costs no extra dump.
    """
    base = cassette.layout
    candidates = [(base, False)]
    if rc6 and not base.folded:
        candidates.append((Layout(base.indent, base.compact, True), False))
    if legacy:
        candidates.append((base, True))
    for layout, legacy_quoting in candidates:
        cassette.layout, cassette.legacy_quoting = layout, legacy_quoting
        try:
            if cassette.dumps() == data:
                return
        except CassetteError:
            pass
    cassette.layout, cassette.legacy_quoting = base, False


def load(path: "Union[str, os.PathLike[str]]") -> Cassette:
    """Read the cassette file at ``path``.

    Raises:
        CassetteError: the file cannot be read (missing, a folder, no
            permission), or any error of :func:`loads`.
    """
    where = os.fspath(path)
    data = read_bytes(where)
    remove_stale_temp_files(where)  # what a killed save of this cassette left beside it
    return loads(data, path=where)


def dumps(cassette: Cassette) -> bytes:
    """``cassette.dumps()``: the file's bytes."""
    return cassette.dumps()


# --- writing -------------------------------------------------------------------------------
class _Writer:
    """Schema walk of docs/cassettes.md#schema and docs/cassettes.md#layout: each field at its
    column, scalars from ``_go.yaml``."""

    def __init__(self, cassette: Cassette):
        self.cassette = cassette
        layout = cassette.layout
        if not isinstance(layout, Layout) or not 2 <= layout.indent <= 9:
            raise CassetteError(f"unsupported layout {layout!r} (indent must be 2 to 9)")
        i = layout.indent
        shift = 2 if layout.compact else 0

        def nxt(c: int) -> int:
            return (c // i + 1) * i

        self.digit = str(i)
        self.legacy = bool(cassette.legacy_quoting)
        self.rc6 = bool(layout.folded)
        self.dash = i - shift                      # "- id:" of interactions
        self.item = self.dash + 2                  # id, request, response
        self.fld = nxt(self.item)                  # request/response fields
        self.fld_cont = nxt(self.fld)              # block scalar lines of a field
        self.fld_seq = nxt(self.fld) - shift       # transfer_encoding dashes
        self.hkey = nxt(self.fld)                  # header/form/trailer names
        self.hseq = nxt(self.hkey) - shift         # their list dashes
        self.cseq = nxt(self.hkey)                 # list dashes after a complex key's ":"
        self.where = ""

    # scalars
    def fail(self, name: str, reason: str) -> CassetteError:
        return CassetteError(f"cannot write {self.where}.{name}: {reason}")

    def text(self, value, cont: int, name: str, col: int = 0,
             simple_key: bool = False) -> Tuple[str, bool]:
        """A scalar starting at column ``col`` (a ``key:`` is never folded)."""
        if isinstance(value, str):
            try:
                if self.legacy:
                    return _goyaml.legacy_scalar(value), False
                return _goyaml.scalar(value, cont, self.digit, col, self.rc6, simple_key)
            except _goyaml.SurrogateError:
                raise self.fail(name, "the string holds a lone surrogate, which UTF-8 "
                                      "cannot encode") from None
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value)
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                return _goyaml.binary(value, cont)
            return self.text(value, cont, name, col, simple_key)
        raise self.fail(name, f"expected str or bytes, got {type(value).__name__}")

    def key_text(self, key, name: str) -> str:
        if not isinstance(key, str):
            raise self.fail(name, f"keys must be str, got {type(key).__name__}")
        return self.text(key, 0, name, 0, True)[0]

    def integer(self, value, name: str) -> str:
        if type(value) is bool or not isinstance(value, int):
            raise self.fail(name, f"expected an int, got {type(value).__name__}")
        if not INT64_MIN <= value <= INT64_MAX:
            raise self.fail(name, f"{value} does not fit in int64")
        return "%d" % value

    # lines
    def scalar_field(self, out: list, name: str, value) -> None:
        text, ends = self.text(value, self.fld_cont, name, self.fld + len(name) + 2)
        out.append(f"{' ' * self.fld}{name}: {text}" if ends else
                   f"{' ' * self.fld}{name}: {text}\n")

    def int_field(self, out: list, name: str, value) -> None:
        out.append(f"{' ' * self.fld}{name}: {self.integer(value, name)}\n")

    def string_list(self, out: list, name: str, values) -> None:
        out.append(f"{' ' * self.fld}{name}:\n")
        pad = " " * self.fld_seq + "- "
        cont = self.fld_seq + 2
        for value in values:
            text, ends = self.text(value, cont, name, cont)
            out.append(pad + text if ends else pad + text + "\n")

    def map_field(self, out: list, name: str, mapping, always: bool) -> None:
        if not mapping:
            if always:
                out.append(f"{' ' * self.fld}{name}: {{}}\n")
            return
        if not isinstance(mapping, dict):
            raise self.fail(name, f"expected a dict of lists, got {type(mapping).__name__}")
        out.append(f"{' ' * self.fld}{name}:\n")
        kpad = " " * self.hkey
        dash = " " * self.hseq + "- "
        cont = self.hseq + 2
        try:
            keys = natural_sorted(mapping)
        except TypeError:
            raise self.fail(name, "keys must be str") from None
        for key in keys:
            values = mapping[key]
            what = f"{name}[{key!r}]"
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise self.fail(what, f"expected a list of strings, got {type(values).__name__}")
            if not isinstance(key, str):
                raise self.fail(name, f"keys must be str, got {type(key).__name__}")
            if _goyaml.is_simple_key(key):
                ktext = self.key_text(key, what)
                if not values:
                    out.append(f"{kpad}{ktext}: []\n")
                    continue
                out.append(f"{kpad}{ktext}:\n")
                for value in values:
                    text, ends = self.text(value, cont, what, cont)
                    out.append(dash + text if ends else dash + text + "\n")
            else:
                # docs/cassettes.md#keys: "? key" then ": - first" with the dash at next(key column).
                ktext, ends = self.text(key, self.cseq, what, self.hkey + 2)
                out.append(f"{kpad}? {ktext}" if ends else f"{kpad}? {ktext}\n")
                if not values:
                    out.append(f"{kpad}: []\n")
                    continue
                ccont = self.cseq + 2
                first = True
                for value in values:
                    text, ends = self.text(value, ccont, what, ccont)
                    lead = kpad + ":" + " " * (self.cseq - self.hkey - 1) if first \
                        else " " * self.cseq
                    first = False
                    out.append(f"{lead}- {text}" if ends else f"{lead}- {text}\n")

    def request(self, out: list, r: RecordedRequest) -> None:
        self.scalar_field(out, "proto", r.proto)
        self.int_field(out, "proto_major", r.proto_major)
        self.int_field(out, "proto_minor", r.proto_minor)
        self.int_field(out, "content_length", r.content_length)
        if r.transfer_encoding:
            self.string_list(out, "transfer_encoding", r.transfer_encoding)
        self.map_field(out, "trailer", r.trailer, False)
        self.scalar_field(out, "host", r.host)
        if r.remote_addr:
            self.scalar_field(out, "remote_addr", r.remote_addr)
        if r.request_uri:
            self.scalar_field(out, "request_uri", r.request_uri)
        if r.body:
            self.scalar_field(out, "body", r.body)
        self.map_field(out, "form", r.form, False)
        self.map_field(out, "headers", r.headers, False)
        self.scalar_field(out, "url", r.url)
        self.scalar_field(out, "method", r.method)

    def response(self, out: list, r: RecordedResponse) -> None:
        self.scalar_field(out, "proto", r.proto)
        self.int_field(out, "proto_major", r.proto_major)
        self.int_field(out, "proto_minor", r.proto_minor)
        if r.transfer_encoding:
            self.string_list(out, "transfer_encoding", r.transfer_encoding)
        self.map_field(out, "trailer", r.trailer, False)
        self.int_field(out, "content_length", r.content_length)
        if r.uncompressed:
            out.append(f"{' ' * self.fld}uncompressed: true\n")
        self.scalar_field(out, "body", r.body if r.body is not None else "")
        self.map_field(out, "headers", r.headers, True)
        self.scalar_field(out, "status", r.status)
        self.int_field(out, "code", r.code)
        ns = r.duration_ns
        if type(ns) is bool or not isinstance(ns, int):
            raise self.fail("duration_ns", f"expected an int, got {type(ns).__name__}")
        try:
            text = format_duration(ns)
        except DurationError as exc:
            raise self.fail("duration", str(exc)) from None
        out.append(f"{' ' * self.fld}duration: {text}\n")

    def dump(self) -> bytes:
        interactions = self.cassette.interactions
        if not interactions:
            return b"---\nversion: 2\ninteractions: []\n"
        out = ["---\nversion: 2\ninteractions:\n"]
        dash = " " * self.dash
        item = " " * self.item
        for index, it in enumerate(interactions):
            self.where = f"interactions[{index}]"
            out.append(f"{dash}- id: {index}\n{item}request:\n")
            self.where = f"interactions[{index}].request"
            self.request(out, it.request)
            out.append(f"{item}response:\n")
            self.where = f"interactions[{index}].response"
            self.response(out, it.response)
        return "".join(out).encode("utf-8")

"""JSON path scanning of response bodies: the contract both backends share.

A provider decoder declares which values it needs as a ``Spec`` (paths such
as ``choices.*.delta.content``). A ``Scanner`` takes the body's bytes (an
SSE stream, or one JSON document), validates every JSON value strictly
(RFC 8259) and returns one ``Chunk`` per event: the event name and the
*pruned* value, i.e. the parsed JSON with everything off the spec's paths
left out. Pruning rule (identical in both backends):

- at a leaf path the value is kept whole;
- at an interior path an object keeps only the keys on the spec, an array
  keeps its length and the elements the spec reaches (``*``; elements it
  does not reach are None), and a scalar is kept as is.

Strings are decoded as Go does: invalid UTF-8 and lone surrogate escapes
become U+FFFD. The native backend does the SSE splitting and the scanning
in C in one call per feed.

Coalescing (both backends, same rule): a chunk is merged into the previous
one when both have the same event name and the same pruned structure except
for exactly one string at a COALESCE leaf (same place), and every other leaf
is INERT (any scalar, equal: strings and booleans by value, integers by
value, other numbers by spelling) or INERT_NULL (null). A spec marks as
inert only what cannot change a decoder's output when repeated, so a run of
text deltas becomes one chunk with the concatenated text and Python's work
grows with the number of messages, not chunks; ``Chunk.merged`` counts the
events a chunk stands for.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from pyfantasy._kernels import kernel, resolve

STAR = 1
LEAF = 2
COALESCE = 4      # a string leaf whose consecutive values may be merged
INERT = 8         # a leaf whose null/bool/string value does not stop a merge
INERT_NULL = 16   # a leaf whose null value does not stop a merge

CHUNK_OK = 0
CHUNK_BAD_JSON = 1
CHUNK_DONE = 2
CHUNK_OTHER = 3  # Gemini's block reader: a block that is not data: (event: its text); ends the input


class Chunk(NamedTuple):
    """One scanned event: ``event`` name ("" for a document), pruned ``value``
    (None unless status is OK), ``status`` (CHUNK_OK/BAD_JSON/DONE),
    ``offset`` (byte offset of the event in the stream), ``merged`` (events
    merged into this chunk)."""

    event: str
    value: Any
    status: int
    offset: int
    merged: int = 1


class Node:
    __slots__ = ("index", "key", "flags", "children", "star")

    def __init__(self, index: int, key: str, flags: int) -> None:
        self.index = index
        self.key = key
        self.flags = flags
        self.children: Dict[str, "Node"] = {}
        self.star: Optional["Node"] = None

    @property
    def leaf(self) -> bool:
        return bool(self.flags & LEAF)


class Spec:
    """The paths a decoder needs. ``paths`` maps ``"a.*.b"`` to extra flags
    (0 or COALESCE); every listed path is a leaf, its prefixes interior."""

    def __init__(self, paths: Dict[str, int]) -> None:
        self.root = Node(0, "", 0)
        self.nodes: List[Node] = [self.root]
        self.parents: List[int] = [-1]
        for path, flags in paths.items():
            node = self.root
            for part in path.split("."):
                if part == "*":
                    child = node.star
                else:
                    child = node.children.get(part)
                if child is None:
                    child = Node(len(self.nodes), part, STAR if part == "*" else 0)
                    self.nodes.append(child)
                    self.parents.append(node.index)
                    if part == "*":
                        node.star = child
                    else:
                        node.children[part] = child
                node = child
            node.flags |= LEAF | flags
        self._native: Any = None  # the compiled C spec, made by the native twin on first use


# ---- value helpers shared by both backends -----------------------------------

_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONFloat(float):
    """A JSON number with a fraction or exponent; ``raw`` keeps its spelling
    (fantasy re-emits some numbers verbatim, e.g. usage ``extra_fields``)."""

    __slots__ = ("raw",)

    def __new__(cls, text: str) -> "JSONFloat":
        obj = float.__new__(cls, text)
        obj.raw = text
        return obj

    def __reduce__(self):
        return (JSONFloat, (self.raw,))


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _big_int(text: str) -> int:
    neg = text.startswith("-")
    digits = text[1:] if neg else text
    if len(digits) <= 4000:
        v = int(digits)
    else:
        half = len(digits) // 2
        v = _big_int(digits[:half]) * 10 ** (len(digits) - half) + _big_int(digits[half:])
    return -v if neg else v


_DECODER = json.JSONDecoder(parse_constant=_no_constants, parse_float=JSONFloat)
_DECODER_BIG = json.JSONDecoder(parse_constant=_no_constants, parse_float=JSONFloat, parse_int=_big_int)


def map_json(v: Any, leaf: Callable[[Any], Any], key: Optional[Callable[[str], str]] = None) -> Any:
    """A copy of the parsed JSON ``v`` with ``leaf`` applied to every scalar (and ``key`` to
    every object key). Iterative (explicit stack): any nesting depth, no RecursionError."""
    if not isinstance(v, (dict, list)):
        return leaf(v)
    root: Any = {} if isinstance(v, dict) else []
    stack = [(v, root)]
    while stack:
        src, dst = stack.pop()
        for k, x in (src.items() if isinstance(src, dict) else enumerate(src)):
            if isinstance(x, (dict, list)):
                c: Any = {} if isinstance(x, dict) else []
                stack.append((x, c))
            else:
                c = leaf(x)
            if isinstance(dst, dict):
                dst[k if key is None else key(k)] = c
            else:
                dst.append(c)
    return root


def _fix_str(v: Any) -> Any:
    return _SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v


def fix_surrogates(v: Any) -> Any:
    """Replace lone surrogates (from ``\\ud800``-style escapes) with U+FFFD, as Go does."""
    return map_json(v, _fix_str, _fix_str)


def loads(text: str, whole: bool = True) -> Any:
    """Strict JSON (no NaN/Infinity, no digit limit) with Go's string rules.

    ``whole``: only whitespace may follow the value; otherwise the rest is ignored.
    Raises ValueError (json.JSONDecodeError is one) on invalid input.
    """
    start = 0 if whole else len(text) - len(text.lstrip(" \t\n\r"))
    try:
        try:
            v, end = _DECODER.raw_decode(text, start) if not whole else (_DECODER.decode(text), len(text))
        except ValueError as exc:
            if "digits" not in str(exc):  # CPython's int(str) length limit
                raise
            v, end = _DECODER_BIG.raw_decode(text, start) if not whole else (_DECODER_BIG.decode(text), len(text))
    except RecursionError:
        v, end = _loads_deep(text, whole)
    if not whole and type(v) in (int, JSONFloat) and text[end:end + 1] in (".", "e", "E"):
        # A number whose fraction or exponent has no digits ("0e", "1.", "1.5e"):
        # Go's decoder rejects it. After a complete part, the rest is ignored.
        num = text[start:end]
        has_exp = "e" in num or "E" in num
        nxt = text[end]
        if (nxt == "." and "." not in num and not has_exp) or (nxt in "eE" and not has_exp):
            raise ValueError("invalid number")
    if "\\u" in text and _LONE_SURROGATE_ESCAPE.search(text):
        v = fix_surrogates(v)
    return v


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_scanstring = json.decoder.scanstring


def _object_key(text: str, i: int):
    """At ``text[i]``: a key string, a colon and whitespace; returns (key, index of the value)."""
    if i >= len(text) or text[i] != '"':
        raise ValueError(f"expected a key at {i}")
    key, i = _scanstring(text, i + 1, True)
    i = _WS.match(text, i).end()
    if i >= len(text) or text[i] != ":":
        raise ValueError(f"expected ':' at {i}")
    return key, _WS.match(text, i + 1).end()


def _loads_deep(text: str, whole: bool):
    """Iterative JSON parser (explicit stack) for documents nested deeper than
    the ``json`` module's recursion allows; same results and error classes.
    Returns ``(value, end)``."""
    ws = _WS.match
    i = ws(text, 0).end()
    stack: list = []  # [container, pending key]
    result: Any = None
    n = len(text)
    while True:
        if i >= n:
            raise ValueError("unexpected end of JSON input")
        c = text[i]
        if c == "{" or c == "[":
            cont: Any = {} if c == "{" else []
            i = ws(text, i + 1).end()
            closer = "}" if c == "{" else "]"
            if i < n and text[i] == closer:
                value = cont
                i += 1
            else:
                if c == "{":
                    key, i = _object_key(text, i)
                    stack.append([cont, key])
                else:
                    stack.append([cont, None])
                continue
        elif c == '"':
            value, i = _scanstring(text, i + 1, True)
        else:
            m = _NUMBER.match(text, i)
            if m and m.end() > i:
                value = number(m.group(0))
                i = m.end()
            elif text.startswith("true", i):
                value, i = True, i + 4
            elif text.startswith("false", i):
                value, i = False, i + 5
            elif text.startswith("null", i):
                value, i = None, i + 4
            else:
                raise ValueError(f"expected a value at {i}")
        # attach the finished value, closing containers as far as they end
        while True:
            if not stack:
                result = value
                break
            top = stack[-1]
            if top[1] is not None:
                top[0][top[1]] = value
            else:
                top[0].append(value)
            i = ws(text, i).end()
            closer = "}" if isinstance(top[0], dict) else "]"
            if i < n and text[i] == ",":
                i = ws(text, i + 1).end()
                if closer == "}":
                    top[1], i = _object_key(text, i)
                value = None
                break
            if i < n and text[i] == closer:
                i += 1
                value = stack.pop()[0]
                continue
            raise ValueError(f"expected ',' or '{closer}' at {i}")
        if not stack:
            break
    if whole and ws(text, i).end() != n:
        raise ValueError(f"extra data at {i}")
    return result, i


def number(text: str) -> Any:
    """A JSON number's text as json.loads would give it (int, or float)."""
    for ch in ".eE":
        if ch in text:
            return JSONFloat(text)
    try:
        return int(text)
    except ValueError:
        return _big_int(text)


class Scanner:
    """Incremental scanner over one response body.

    Args:
        spec: the paths to extract.
        sse: True for an event stream (one JSON value per event), False for
            one JSON document (leading whitespace skipped, anything after the
            first value ignored, as Go's decoders do).
        done: SSE data prefix that ends the stream (``b"[DONE]"``); later
            events are skipped.
        coalesce: merge runs of chunks that differ only in one COALESCE string.
        backend: ``"native"``, ``"python"`` or None.
        eof_dispatch: at the end of an SSE body, dispatch the last event even
            without its blank line (Google's genai reader does; WHATWG drops it).
    """

    def __init__(self, spec: Spec, sse: bool, done: Optional[bytes] = None,
                 coalesce: bool = True, backend: Optional[str] = None, eof_dispatch: bool = False) -> None:
        self.backend = resolve(backend)
        self._k = kernel("scan", self.backend)(spec, sse, done or b"", coalesce)
        if eof_dispatch and sse:
            self._k.set_eof_dispatch(True)
        self.closed = False

    @property
    def cut(self) -> Optional[int]:
        """After the end of an SSE body: byte offset of the event the stream
        ended inside (cut before its blank line), or None."""
        return self._k.cut if self.closed else None

    def feed(self, data: bytes, eof: bool = False) -> List[Chunk]:
        if self.closed:
            raise ValueError("Scanner.feed() after the end of the body")
        if eof:
            self.closed = True
        return self._k.feed(data, eof)


def scan_document(body: bytes, spec: Spec, backend: Optional[str] = None) -> List[Chunk]:
    """One whole JSON document scanned (the native twin reuses a scanner per spec and thread)."""
    return kernel("scan-document", backend)(body, spec)


def scan_body(body: bytes, spec: Spec, sse: bool, done: Optional[bytes] = None,
              coalesce: bool = True, backend: Optional[str] = None) -> List[Chunk]:
    """Scan a whole body in one call."""
    return Scanner(spec, sse, done, coalesce, backend).feed(body, True)



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
import threading
from typing import Any, Callable, Dict, List, NamedTuple, Optional

from pyfantasy._backend import resolve

STAR = 1
LEAF = 2
COALESCE = 4      # a string leaf whose consecutive values may be merged
INERT = 8         # a leaf whose null/bool/string value does not stop a merge
INERT_NULL = 16   # a leaf whose null value does not stop a merge

CHUNK_OK = 0
CHUNK_BAD_JSON = 1
CHUNK_DONE = 2


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
        self._native = None

    def native(self):
        """The compiled C spec (built once, freed with the Spec)."""
        if self._native is None:
            from pyfantasy._native_lib import ffi, lib
            keys = bytearray()
            offs, lens = [], []
            for n in self.nodes:
                k = b"" if n.flags & STAR else n.key.encode("utf-8")
                offs.append(len(keys))
                lens.append(len(k))
                keys += k
            c_parent = ffi.new("int32_t[]", self.parents)
            c_keys = ffi.new("uint8_t[]", bytes(keys) or b"\0")
            c_off = ffi.new("size_t[]", offs)
            c_len = ffi.new("size_t[]", lens)
            c_flags = ffi.new("uint8_t[]", [n.flags for n in self.nodes])
            sp = lib.pf_jspec_new(c_parent, c_keys, c_off, c_len, c_flags, len(self.nodes))
            if sp == ffi.NULL:
                raise MemoryError("pf_jspec_new")
            self._native = ffi.gc(sp, lib.pf_jspec_free)
        return self._native


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


def merge_key(v: Any, node: Node):
    """``(shape, path, text)`` of a pruned value that may be merged, else None.

    ``shape`` equals another chunk's when they may be merged: it is the value
    with its single COALESCE string blanked; ``path`` locates that string.
    """
    found: list = []
    shape = _shape(v, node, (), found)
    if shape is None or len(found) != 1:
        return None
    return shape, found[0][0], found[0][1]


def prune_key(v: Any, node: Node):
    """``(prune(v, node), merge_key(...) of it)`` in one walk (the Python backend's hot path)."""
    found: list = []
    pruned, shape = _prune_shape(v, node, (), found)
    if shape is None or len(found) != 1:
        return pruned, None
    return pruned, (shape, found[0][0], found[0][1])


def _leaf_shape(v: Any, f: int, path: tuple, found: list):
    t = type(v)
    if t is str and f & COALESCE:
        found.append((path, v))
        return ("coalesce",)
    if v is None and f & (INERT | INERT_NULL):
        return ("null",)
    if f & INERT:
        if t is str or t is bool or t is int:
            return (t.__name__, v)
        if t is JSONFloat:
            return ("float", v.raw)
    return None


def _prune_shape(v: Any, node: Node, path: tuple, found: list):
    if node.flags & LEAF:
        return v, _leaf_shape(v, node.flags, path, found)
    t = type(v)
    if t is dict:
        ch = node.children
        out = {}
        shape: Any = []
        for k, x in v.items():
            child = ch.get(k)
            if child is None:
                continue
            px, sx = _prune_shape(x, child, path + (k,), found)
            out[k] = px
            if shape is not None:
                if sx is None:
                    shape = None
                else:
                    shape.append((k, sx))
        return out, (None if shape is None else ("{", tuple(shape)))
    if t is list:
        star = node.star
        if star is None:
            return [None] * len(v), ("[", len(v))
        outl = []
        shapel: Any = []
        for idx, x in enumerate(v):
            px, sx = _prune_shape(x, star, path + (idx,), found)
            outl.append(px)
            if shapel is not None:
                if sx is None:
                    shapel = None
                else:
                    shapel.append(sx)
        return outl, (None if shapel is None else ("[*", tuple(shapel)))
    return v, None  # a scalar at an interior node


def _shape(v: Any, node: Node, path: tuple, found: list):
    if node.flags & LEAF:
        return _leaf_shape(v, node.flags, path, found)
    t = type(v)
    if t is dict:
        out = []
        for k, x in v.items():
            s = _shape(x, node.children[k], path + (k,), found)
            if s is None:
                return None
            out.append((k, s))
        return ("{", tuple(out))
    if t is list:
        star = node.star
        if star is None:
            return ("[", len(v))
        out = []
        for i, x in enumerate(v):
            s = _shape(x, star, path + (i,), found)
            if s is None:
                return None
            out.append(s)
        return ("[*", tuple(out))
    return None  # a scalar at an interior node


def set_at(v: Any, path: tuple, text: str) -> Any:
    """Copy of ``v`` with the string at ``path`` replaced (containers along it copied)."""
    if not path:
        return text
    head = path[0]
    if type(v) is dict:
        c = dict(v)
    else:
        c = list(v)
    c[head] = set_at(v[head], path[1:], text)
    return c


def prune(v: Any, node: Node) -> Any:
    """Keep only what the spec reaches (see the module docstring)."""
    if node.flags & LEAF:
        return v
    t = type(v)
    if t is dict:
        ch = node.children
        return {k: prune(x, ch[k]) for k, x in v.items() if k in ch}
    if t is list:
        star = node.star
        if star is None:
            return [None] * len(v)
        return [prune(x, star) for x in v]
    return v


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
        if self.backend == "native":
            from pyfantasy._scan_native import ScanKernel
        else:
            from pyfantasy._scan_python import ScanKernel
        self._k = ScanKernel(spec, sse, done or b"", coalesce)
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


_local = threading.local()


def scan_document(body: bytes, spec: Spec, backend: Optional[str] = None) -> List[Chunk]:
    """One whole JSON document scanned; the native backend reuses this thread's scanner for
    the spec (reset, its buffers kept) instead of making one per body."""
    if resolve(backend) != "native":
        return Scanner(spec, False, None, False, "python").feed(body, True)
    cache = getattr(_local, "documents", None)
    if cache is None:
        cache = _local.documents = {}
    k = cache.get(spec)
    if k is None:
        from pyfantasy._scan_native import ScanKernel
        k = cache[spec] = ScanKernel(spec, False, b"", False)
    else:
        k.reset()
    return k.feed(body, True)


def scan_body(body: bytes, spec: Spec, sse: bool, done: Optional[bytes] = None,
              coalesce: bool = True, backend: Optional[str] = None) -> List[Chunk]:
    """Scan a whole body in one call."""
    return Scanner(spec, sse, done, coalesce, backend).feed(body, True)



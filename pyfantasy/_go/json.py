"""Go ``encoding/json`` in Python: the exact bytes ``json.Marshal`` writes, and Go's error texts.

What
    * :func:`encode` turns a tree of Python values into the bytes Go's
      ``json.Marshal`` produces for the corresponding Go value
      (docs/semantics.md#go-json-encoding-rules): compact, HTML-safe string escapes,
      U+2028/U+2029 escaped, one ``\\ufffd`` per byte of invalid UTF-8,
      Go float formatting, map keys sorted, struct fields in declaration
      order, ``json.RawMessage`` compacted, ``[]byte`` as base64.
    * :func:`syntax_error` is a port of Go's JSON scanner (``scanner.go``)
      giving the exact ``SyntaxError`` text Go reports for invalid input, and
      :func:`decode_object` mirrors ``json.Unmarshal(input, &map[string]any{})``
      (used by tool-call validation, docs/semantics.md#tool-call-validation).
    * :func:`parse` reads JSON text back (for ``Response.from_json``) with Go's
      decoding rules for strings and remembers where each object member's
      value sits in the text, so raw values can be kept verbatim.

How Python values map to Go values (the tree :func:`encode` accepts)
    ``None`` → nil (``null``); ``bool``; ``int`` → integer; ``float`` →
    float64; ``str`` → Go string; ``list``/``tuple`` → slice; ``dict`` → Go
    map (keys sorted); :class:`Struct` → Go struct (keys in insertion order,
    i.e. declaration order); :class:`RawJSON` → ``json.RawMessage``;
    ``bytes``/``bytearray`` → ``[]byte`` (base64); any object with a
    ``_go_json()`` method → whatever that method returns.

Go strings hold bytes, Python strings hold code points
    A Go string may contain bytes that are not UTF-8 (Google thought
    signatures are raw binary, docs/semantics.md#gemini-parts). pyfantasy represents such a
    string as a Python ``str`` built with the ``surrogateescape`` convention:
    byte ``0xXY`` that is not part of valid UTF-8 is the code point
    ``U+DCXY`` (:func:`go_string` does the conversion). Any other lone
    surrogate code point stands for its three-byte (WTF-8) encoding, which Go
    would see as three invalid bytes. The encoder writes ``\\ufffd`` once per
    invalid byte, exactly like Go; a genuine U+FFFD character is written raw.

Floats
    Go writes float64 with the shortest representation that round-trips,
    in plain decimal when ``1e-6 <= |x| < 1e21`` and in exponent form
    otherwise, with ``e-07`` shortened to ``e-7`` (``encode.go``
    ``floatEncoder``). NaN and ±Inf are errors
    (``json: unsupported value: NaN``): :class:`UnsupportedValueError`.
"""
from __future__ import annotations

import base64
import json
import math
import re
from typing import Any, List, Optional, Tuple

from pyfantasy._errors import UnsupportedValueError
from pyfantasy._errors import DecodeError

__all__ = [
    "Struct", "RawJSON", "UnsupportedValueError", "encode", "encode_str", "quote",
    "format_float", "go_string", "go_bytes", "canonical_string", "plain_string",
    "compact", "syntax_error", "decode_object", "parse", "SpanDict", "ordered",
]


class Struct(dict):
    """A JSON object written in insertion order: a Go struct (declaration order).

    A plain ``dict`` is a Go map and is written with its keys sorted.
    """

    __slots__ = ()


# ---------------------------------------------------------------------------
# Go strings
# ---------------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def go_string(data: bytes) -> str:
    """The Python ``str`` that stands for the Go string holding ``data`` (any bytes).

    Valid UTF-8 decodes as usual; every byte that is not part of a valid
    UTF-8 sequence becomes ``U+DC80``..``U+DCFF`` (``surrogateescape``).
    ``go_bytes(go_string(b)) == b`` for every ``b``.
    """
    return bytes(data).decode("utf-8", "surrogateescape")


def go_bytes(s: str) -> bytes:
    """The bytes of the Go string that ``s`` stands for (inverse of :func:`go_string`)."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        pass
    out = bytearray()
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:
            out.append(o - 0xDC00)
        else:
            out += ch.encode("utf-8", "surrogatepass")
    return bytes(out)


def canonical_string(s: str) -> str:
    """``s`` with its surrogates in canonical form (only ``U+DC80``..``U+DCFF``, one per bad byte)."""
    if _SURROGATE.search(s) is None:
        return s
    return go_string(go_bytes(s))


def plain_string(s: str) -> str:
    """What a JSON reader gets back for the Go string ``s``: one U+FFFD per invalid byte."""
    if _SURROGATE.search(s) is None:
        return s
    return _SURROGATE.sub("\ufffd", canonical_string(s))


# ---------------------------------------------------------------------------
# Encoder
# ---------------------------------------------------------------------------

try:  # CPython's C escaper: same short escapes and lowercase \u00XX as Go for < 0x20
    from _json import encode_basestring as _encode_basestring  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other implementations
    from json.encoder import py_encode_basestring as _encode_basestring

_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_EXTRA = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_EXTRA_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                  "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _extra_escape(m: "re.Match[str]") -> str:
    return _EXTRA_ESCAPES.get(m.group(), "\\ufffd")  # surrogate = one invalid byte


def quote(s: str) -> str:
    """The JSON string literal Go writes for the Go string ``s`` (quotes included)."""
    if _NEEDS_ESCAPE.search(s) is None:
        return '"' + s + '"'
    if _SURROGATE.search(s) is not None:
        s = canonical_string(s)
    q = _encode_basestring(s)
    if _EXTRA.search(q) is not None:
        q = _EXTRA.sub(_extra_escape, q)
    return q


def format_float(f: float) -> str:
    """Go's ``encoding/json`` spelling of a float64 (shortest round-trip form).

    ``2.0`` → ``2``, ``1.255e-05`` → ``0.00001255``, ``1e-07`` → ``1e-7``,
    ``1e21`` → ``1e+21``, ``-0.0`` → ``-0``.

    Raises:
        UnsupportedValueError: for NaN and ±Inf (Go: ``json: unsupported value: NaN``).
    """
    f = float(f)
    if math.isnan(f):
        raise UnsupportedValueError("json: unsupported value: NaN")
    if math.isinf(f):
        raise UnsupportedValueError("json: unsupported value: %sInf" % ("+" if f > 0 else "-"))
    if f == 0.0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    r = repr(f)  # shortest round-trip digits, like Go's strconv with precision -1
    sign = ""
    if r[0] == "-":
        sign, r = "-", r[1:]
    mant, _, exp_s = r.partition("e")
    exp = int(exp_s) if exp_s else 0
    ip, _, fp = mant.partition(".")
    if fp == "0":
        fp = ""
    digits = ip + fp
    point = len(ip) + exp  # value = 0.<digits> * 10**point
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    a = abs(f)
    if a < 1e-6 or a >= 1e21:
        e = point - 1
        m = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        if e < 0:
            return "%s%se-%d" % (sign, m, -e)
        return "%s%se+%02d" % (sign, m, e)
    if point <= 0:
        return sign + "0." + "0" * (-point) + digits
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return sign + digits[:point] + "." + digits[point:]


def int_text(v: int) -> str:
    """``str(v)`` without CPython's 4300-digit limit (JSON integers have no length limit)."""
    try:
        return str(v)
    except ValueError:
        sign, v = ("-", -v) if v < 0 else ("", v)
        m = int(v.bit_length() * 0.30103) // 2   # about half the digits
        hi, lo = divmod(v, 10 ** m)
        return sign + int_text(hi) + int_text(lo).zfill(m)


def _enc(v: Any, out: List[str]) -> None:
    t = type(v)
    if t is str:
        out.append(quote(v))
    elif v is None:
        out.append("null")
    elif t is bool:
        out.append("true" if v else "false")
    elif t is int:
        out.append(int_text(v))
    elif t is float:
        out.append(format_float(v))
    elif t is Struct:
        if not v:
            out.append("{}")
            return
        sep = "{"
        for k, x in v.items():
            out.append(sep)
            out.append(quote(k))
            out.append(":")
            _enc(x, out)
            sep = ","
        out.append("}")
    elif t is list or t is tuple:
        if not v:
            out.append("[]")
            return
        sep = "["
        for x in v:
            out.append(sep)
            _enc(x, out)
            sep = ","
        out.append("]")
    elif t is dict:
        if not v:
            out.append("{}")
            return
        sep = "{"
        keys = sorted(v)
        if any(_SURROGATE.search(k) for k in keys if isinstance(k, str)):
            keys.sort(key=go_bytes)  # Go sorts the keys' bytes; an invalid byte is not U+DCxx
        for k in keys:
            if not isinstance(k, str):
                raise UnsupportedValueError("json: unsupported map key type %s" % type(k).__name__)
            out.append(sep)
            out.append(quote(k))
            out.append(":")
            _enc(v[k], out)
            sep = ","
        out.append("}")
    elif t is RawJSON:
        out.append(v.text)
    elif hasattr(v, "_go_json"):
        _enc(v._go_json(), out)
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, str):  # str subclasses (str enums): their value
        out.append(quote(str.__str__(v)))
    elif isinstance(v, int):
        out.append(int.__repr__(v))
    elif isinstance(v, float):
        out.append(format_float(v))
    elif isinstance(v, (bytes, bytearray, memoryview)):
        out.append('"' + base64.b64encode(bytes(v)).decode("ascii") + '"')
    elif isinstance(v, Struct):
        _enc(Struct(v), out)
    elif isinstance(v, dict):
        _enc(dict(v), out)
    elif isinstance(v, (list, tuple)):
        _enc(list(v), out)
    elif isinstance(v, RawJSON):
        out.append(v.text)
    else:
        raise UnsupportedValueError("json: unsupported type: %s" % type(v).__name__)


def _enc_deep(value: Any, out: List[str]) -> None:
    """``_enc`` with an explicit stack for lists, tuples, dicts and Structs (same output),
    for values nested past Python's recursion limit (Go's encoder has no depth limit)."""
    todo: list = [(False, value)]
    push = todo.append
    while todo:
        lit, v = todo.pop()
        t = type(v)
        if lit:
            out.append(v)
        elif (t is list or t is tuple) and v:
            out.append("[")
            push((True, "]"))
            for k in range(len(v) - 1, -1, -1):
                push((False, v[k]))
                if k:
                    push((True, ","))
        elif (t is dict or t is Struct) and v:
            keys = list(v) if t is Struct else sorted(v)
            if t is dict and not all(isinstance(k, str) for k in keys):
                raise UnsupportedValueError("json: unsupported map key type %s"
                                            % next(type(k).__name__ for k in keys if not isinstance(k, str)))
            out.append("{")
            push((True, "}"))
            for k in range(len(keys) - 1, -1, -1):
                push((False, v[keys[k]]))
                push((True, ("," if k else "") + quote(keys[k]) + ":"))
        else:
            _enc(v, out)


def encode_str(value: Any) -> str:
    """Like :func:`encode` but returns text (which may hold surrogate escapes of raw bytes)."""
    out: List[str] = []
    try:
        _enc(value, out)
    except RecursionError:
        out = []
        _enc_deep(value, out)
    return "".join(out)


def encode(value: Any) -> bytes:
    """The bytes Go's ``json.Marshal`` writes for ``value`` (see the module doc for the mapping).

    Raises:
        UnsupportedValueError: NaN/±Inf floats, non-string map keys, unknown types.
    """
    # Only raw JSON text can still hold escaped bytes here (strings were
    # escaped); ``surrogateescape`` puts them back as the raw bytes Go copies.
    return encode_str(value).encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------
# json.RawMessage
# ---------------------------------------------------------------------------

_COMPACT_WS = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.S)
_HTML_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


def compact(text: str) -> str:
    """Go's ``json.Compact`` with HTML escaping (what the encoder does to a ``RawMessage``).

    Insignificant whitespace is removed; ``<``, ``>``, ``&``, U+2028 and
    U+2029 are escaped; every other spelling (numbers, string escapes) is kept.

    Raises:
        UnsupportedValueError: ``text`` is not valid JSON (Go's error text).
    """
    text = canonical_string(text)
    if not _quick_valid(text):
        err = syntax_error(go_bytes(text))
        if err is not None:
            raise UnsupportedValueError(
                "json: error calling MarshalJSON for type json.RawMessage: " + err)
    out = _COMPACT_WS.sub(lambda m: m.group(1) or "", text)
    return out.translate(_HTML_ESCAPES)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_STRICT_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _quick_valid(text: str) -> bool:
    try:
        _STRICT_DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    return True


class RawJSON:
    """A ``json.RawMessage``: JSON text written verbatim (after Go's compaction).

    ``RawJSON(text)`` validates and compacts ``text`` (str or bytes);
    :meth:`trusted` skips both (the caller guarantees compact, valid JSON);
    :meth:`from_value` encodes a Python value (dicts keep insertion order).
    Two RawJSON are equal when their compacted texts are equal.
    """

    __slots__ = ("text",)

    def __init__(self, text: "str | bytes | bytearray") -> None:
        if not isinstance(text, str):
            text = go_string(bytes(text))
        self.text = compact(text)

    @classmethod
    def trusted(cls, text: str) -> "RawJSON":
        """Wrap ``text`` as is (no validation, no compaction)."""
        obj = cls.__new__(cls)
        obj.text = text
        return obj

    @classmethod
    def from_value(cls, value: Any) -> "RawJSON":
        """The raw JSON of a Python value; objects keep their insertion order."""
        return cls.trusted(encode_str(ordered(value)))

    def value(self) -> Any:
        """The parsed value (what a JSON reader sees)."""
        return json.loads(plain_string(self.text))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RawJSON):
            return self.text == other.text
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return "RawJSON(%r)" % (self.text,)


def ordered(value: Any) -> Any:
    """``value`` with every dict turned into a :class:`Struct` (keep order, no sorting)."""
    if isinstance(value, RawJSON):
        return value
    if isinstance(value, dict):
        return Struct((k, ordered(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [ordered(v) for v in value]
    return value


# ---------------------------------------------------------------------------
# Go's scanner (encoding/json/scanner.go), for its error texts
# ---------------------------------------------------------------------------

_MAX_DEPTH = 10000
_SPACE = b" \t\r\n"
_HEX = b"0123456789abcdefABCDEF"

# parse-state values
_OBJ_KEY, _OBJ_VALUE, _ARR_VALUE = 0, 1, 2


def _quote_char(c: int) -> str:
    """Go ``quoteChar``: how the scanner names a byte in its messages."""
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    short = {7: "\\a", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t", 11: "\\v", 0x5C: "\\\\"}
    if c in short:
        s = short[c]
    elif c < 0x20 or c == 0x7F:
        s = "\\x%02x" % c
    elif c < 0x7F:
        s = chr(c)
    elif c <= 0xA0 or c == 0xAD:  # Latin-1 controls, NBSP and soft hyphen are not IsPrint
        s = "\\u%04x" % c
    else:
        s = chr(c)
    return "'" + s + "'"


class _GoScanner:
    """A straight port of Go's JSON scanner state machine (byte at a time)."""

    __slots__ = ("state", "stack", "err", "end_top")

    def __init__(self) -> None:
        self.state = "begin_value"
        self.stack: List[int] = []
        self.err: Optional[str] = None
        self.end_top = False

    def error(self, c: int, context: str) -> bool:
        self.state = "error"
        self.err = "invalid character " + _quote_char(c) + " " + context
        return False

    def push(self, c: int, ps: int) -> bool:
        self.stack.append(ps)
        if len(self.stack) <= _MAX_DEPTH:
            return True
        return self.error(c, "exceeded max depth")

    def pop(self) -> None:
        self.stack.pop()
        if not self.stack:
            self.state = "end_top"
            self.end_top = True
        else:
            self.state = "end_value"

    def step(self, c: int) -> bool:  # False on error
        st = self.state
        if st == "in_string":
            if c == 0x22:
                self.state = "end_value"
            elif c == 0x5C:
                self.state = "in_string_esc"
            elif c < 0x20:
                return self.error(c, "in string literal")
            return True
        if st == "begin_value_or_empty":
            if c in _SPACE:
                return True
            if c == 0x5D:
                return self.end_value(c)
            return self.begin_value(c)
        if st == "begin_value":
            return self.begin_value(c)
        if st == "begin_string_or_empty":
            if c in _SPACE:
                return True
            if c == 0x7D:
                self.stack[-1] = _OBJ_VALUE
                return self.end_value(c)
            return self.begin_string(c)
        if st == "begin_string":
            return self.begin_string(c)
        if st == "end_value":
            return self.end_value(c)
        if st == "end_top":
            if c not in _SPACE:
                self.error(c, "after top-level value")
            return True
        if st == "in_string_esc":
            if c in b'bfnrt\\/"':
                self.state = "in_string"
                return True
            if c == 0x75:
                self.state = "esc_u"
                return True
            return self.error(c, "in string escape code")
        if st in ("esc_u", "esc_u1", "esc_u12", "esc_u123"):
            if c in _HEX:
                self.state = {"esc_u": "esc_u1", "esc_u1": "esc_u12",
                              "esc_u12": "esc_u123", "esc_u123": "in_string"}[st]
                return True
            return self.error(c, "in \\u hexadecimal character escape")
        if st == "neg":
            if c == 0x30:
                self.state = "zero"
                return True
            if 0x31 <= c <= 0x39:
                self.state = "one"
                return True
            return self.error(c, "in numeric literal")
        if st == "one":
            if 0x30 <= c <= 0x39:
                return True
            return self.zero(c)
        if st == "zero":
            return self.zero(c)
        if st == "dot":
            if 0x30 <= c <= 0x39:
                self.state = "dot0"
                return True
            return self.error(c, "after decimal point in numeric literal")
        if st == "dot0":
            if 0x30 <= c <= 0x39:
                return True
            if c in b"eE":
                self.state = "e"
                return True
            return self.end_value(c)
        if st == "e":
            if c in b"+-":
                self.state = "esign"
                return True
            return self.esign(c)
        if st == "esign":
            return self.esign(c)
        if st == "e0":
            if 0x30 <= c <= 0x39:
                return True
            return self.end_value(c)
        if st in _LITERALS:
            want, nxt, context = _LITERALS[st]
            if c == want:
                self.state = nxt
                return True
            return self.error(c, context)
        return False  # "error"

    def begin_value(self, c: int) -> bool:
        if c in _SPACE:
            return True
        if c == 0x7B:
            self.state = "begin_string_or_empty"
            return self.push(c, _OBJ_KEY)
        if c == 0x5B:
            self.state = "begin_value_or_empty"
            return self.push(c, _ARR_VALUE)
        if c == 0x22:
            self.state = "in_string"
            return True
        if c == 0x2D:
            self.state = "neg"
            return True
        if c == 0x30:
            self.state = "zero"
            return True
        if c == 0x74:
            self.state = "t"
            return True
        if c == 0x66:
            self.state = "f"
            return True
        if c == 0x6E:
            self.state = "n"
            return True
        if 0x31 <= c <= 0x39:
            self.state = "one"
            return True
        return self.error(c, "looking for beginning of value")

    def begin_string(self, c: int) -> bool:
        if c in _SPACE:
            return True
        if c == 0x22:
            self.state = "in_string"
            return True
        return self.error(c, "looking for beginning of object key string")

    def end_value(self, c: int) -> bool:
        if not self.stack:
            self.state = "end_top"
            self.end_top = True
            if c not in _SPACE:
                self.error(c, "after top-level value")
            return True
        if c in _SPACE:
            self.state = "end_value"
            return True
        ps = self.stack[-1]
        if ps == _OBJ_KEY:
            if c == 0x3A:
                self.stack[-1] = _OBJ_VALUE
                self.state = "begin_value"
                return True
            return self.error(c, "after object key")
        if ps == _OBJ_VALUE:
            if c == 0x2C:
                self.stack[-1] = _OBJ_KEY
                self.state = "begin_string"
                return True
            if c == 0x7D:
                self.pop()
                return True
            return self.error(c, "after object key:value pair")
        if c == 0x2C:
            self.state = "begin_value"
            return True
        if c == 0x5D:
            self.pop()
            return True
        return self.error(c, "after array element")

    def zero(self, c: int) -> bool:
        if c == 0x2E:
            self.state = "dot"
            return True
        if c in b"eE":
            self.state = "e"
            return True
        return self.end_value(c)

    def esign(self, c: int) -> bool:
        if 0x30 <= c <= 0x39:
            self.state = "e0"
            return True
        return self.error(c, "in exponent of numeric literal")

    def eof(self) -> Optional[str]:
        if self.err is not None:
            return self.err
        if self.end_top:
            return None
        self.step(0x20)
        if self.end_top:
            return None
        if self.err is None:
            self.err = "unexpected end of JSON input"
        return self.err


_LITERALS = {
    "t": (0x72, "tr", "in literal true (expecting 'r')"),
    "tr": (0x75, "tru", "in literal true (expecting 'u')"),
    "tru": (0x65, "end_value", "in literal true (expecting 'e')"),
    "f": (0x61, "fa", "in literal false (expecting 'a')"),
    "fa": (0x6C, "fal", "in literal false (expecting 'l')"),
    "fal": (0x73, "fals", "in literal false (expecting 's')"),
    "fals": (0x65, "end_value", "in literal false (expecting 'e')"),
    "n": (0x75, "nu", "in literal null (expecting 'u')"),
    "nu": (0x6C, "nul", "in literal null (expecting 'l')"),
    "nul": (0x6C, "end_value", "in literal null (expecting 'l')"),
}


def syntax_error(data: "bytes | str") -> Optional[str]:
    """Go's ``checkValid``: the ``SyntaxError`` text for ``data``, or None when it is valid JSON.

    Examples: ``""`` → ``unexpected end of JSON input``; ``"x"`` →
    ``invalid character 'x' looking for beginning of value``; ``"1."`` →
    ``invalid character ' ' after decimal point in numeric literal`` (Go
    feeds a space at end of input).
    """
    if isinstance(data, str):
        data = go_bytes(data)
    sc = _GoScanner()
    for c in data:
        if sc.state == "error":
            break
        if not sc.step(c):
            break
    return sc.eof()


class _NumberOverflow(ValueError):
    pass


def _check_number(s: str) -> float:
    f = float(s)
    if math.isinf(f):
        raise _NumberOverflow(s)
    return f


_GO_MAP_TYPE = "map[string]interface {}"
# numbers decode to float64, as into a Go ``any``; made once (json.loads with hooks makes one per call)
_GO_MAP_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_check_number,
                                   parse_int=_check_number)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _replace_surrogates(value: Any) -> Any:
    """Go's reading of strings: each lone surrogate (escape or invalid byte) is one U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_SURROGATE.sub("\ufffd", k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def decode_object(text: str) -> Tuple[Optional[dict], Optional[str]]:
    """``json.Unmarshal([]byte(text), &m)`` with ``m map[string]any``: (map, None) or (None, error text).

    ``null`` decodes to ``({}, None)`` (the map stays nil/empty). Error texts
    are Go's: the scanner's syntax errors (checked first, over the whole
    input), then ``json: cannot unmarshal array into Go value of type
    map[string]interface {}`` (``string``, ``number``, ``bool`` likewise),
    then ``json: cannot unmarshal number 1e400 into Go value of type
    float64`` for the first number inside the object that overflows float64.
    Lone surrogate escapes (``\\ud800``) and invalid bytes read as U+FFFD.
    """
    try:
        value = _GO_MAP_DECODER.decode(text)
    except (_NumberOverflow, ValueError, RecursionError) as exc:
        err = syntax_error(text)
        if err is not None:
            return None, err
        first = go_bytes(text).lstrip(_SPACE)[:1]
        if first == b"{" and isinstance(exc, _NumberOverflow):
            return None, "json: cannot unmarshal number %s into Go value of type float64" % (
                exc.args[0],)
        # valid for Go but not for Python (nesting deeper than Python's recursion limit), or
        # a number too large inside a value that is not an object: Go reports only its kind
        if first == b"{":
            return {}, None
        value = {b"[": [], b'"': "", b"t": True, b"f": False, b"n": None}.get(first, 0)
    if value is None:
        return {}, None
    if isinstance(value, dict):
        if _SURROGATE.search(text) is not None or _SURROGATE_ESCAPE.search(text) is not None:
            value = _replace_surrogates(value)
        return value, None
    if isinstance(value, list):
        kind = "array"
    elif isinstance(value, str):
        kind = "string"
    elif isinstance(value, bool):
        kind = "bool"
    else:
        kind = "number"
    return None, "json: cannot unmarshal %s into Go value of type %s" % (kind, _GO_MAP_TYPE)


# ---------------------------------------------------------------------------
# Reader (for Response.from_json)
# ---------------------------------------------------------------------------


class SpanDict(dict):
    """A parsed JSON object that remembers where each member's value is in the source text.

    ``spans[key] = (start, end)`` indexes ``source``.
    """

    __slots__ = ("spans", "source")


_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_STR_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_SIMPLE_ESC = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")


class _Parser:
    __slots__ = ("s", "exact")

    def __init__(self, s: str, exact: bool = False) -> None:
        self.s = s
        self.exact = exact

    def fail(self, i: int) -> DecodeError:
        msg = syntax_error(self.s) or "invalid JSON"
        return DecodeError("json", msg, offset=i)

    def value(self, i: int) -> Tuple[Any, int]:
        s = self.s
        i = _WS.match(s, i).end()
        c = s[i:i + 1]
        if c == '"':
            return self.string(i + 1)
        if c == "{":
            return self.obj(i + 1)
        if c == "[":
            return self.arr(i + 1)
        if s.startswith("true", i):
            return True, i + 4
        if s.startswith("false", i):
            return False, i + 5
        if s.startswith("null", i):
            return None, i + 4
        m = _NUMBER.match(s, i)
        if m is None or m.end() == i:
            raise self.fail(i)
        if m.group(1) is None and m.group(2) is None:
            if m.group() == "-0":  # only a float64 is written as -0 by Go
                return -0.0, m.end()
            return int(m.group()), m.end()
        return float(m.group()), m.end()

    def string(self, i: int) -> Tuple[str, int]:
        s = self.s
        parts: List[str] = []
        while True:
            j = _STR_CHUNK.match(s, i).end()
            if j > i:
                parts.append(s[i:j])
            c = s[j:j + 1]
            if c == '"':
                i = j + 1
                break
            if c != "\\":
                raise self.fail(j)
            e = s[j + 1:j + 2]
            if e in _SIMPLE_ESC:
                parts.append(_SIMPLE_ESC[e])
                i = j + 2
                continue
            if e != "u" or not _HEX4.fullmatch(s, j + 2, j + 6):
                raise self.fail(j)
            cp = int(s[j + 2:j + 6], 16)
            i = j + 6
            if 0xD800 <= cp < 0xE000:
                lo = -1
                if cp < 0xDC00 and s.startswith("\\u", i) and _HEX4.fullmatch(s, i + 2, i + 6):
                    lo = int(s[i + 2:i + 6], 16)
                if 0xDC00 <= lo < 0xE000:
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                    i += 6
                else:
                    cp = 0xFFFD  # Go: an unpaired surrogate decodes to U+FFFD
            if cp == 0xFFFD and self.exact:
                # Go writes a genuine U+FFFD raw, so the escape stands for an
                # invalid byte: keep one (0xFF) so that it is written back as \ufffd.
                cp = 0xDCFF
            parts.append(chr(cp))
        out = "".join(parts)
        if not self.exact and _SURROGATE.search(out) is not None:
            out = plain_string(out)  # raw invalid bytes: Go reads U+FFFD per byte
        return out, i

    def obj(self, i: int) -> Tuple[SpanDict, int]:
        s = self.s
        d = SpanDict()
        d.spans = {}
        d.source = s
        i = _WS.match(s, i).end()
        if s.startswith("}", i):
            return d, i + 1
        while True:
            if not s.startswith('"', i):
                raise self.fail(i)
            key, i = self.string(i + 1)
            i = _WS.match(s, i).end()
            if not s.startswith(":", i):
                raise self.fail(i)
            start = _WS.match(s, i + 1).end()
            val, i = self.value(start)
            d[key] = val
            d.spans[key] = (start, i)
            i = _WS.match(s, i).end()
            if s.startswith(",", i):
                i = _WS.match(s, i + 1).end()
                continue
            if s.startswith("}", i):
                return d, i + 1
            raise self.fail(i)

    def arr(self, i: int) -> Tuple[list, int]:
        s = self.s
        out: list = []
        i = _WS.match(s, i).end()
        if s.startswith("]", i):
            return out, i + 1
        while True:
            val, i = self.value(i)
            out.append(val)
            i = _WS.match(s, i).end()
            if s.startswith(",", i):
                i += 1
                continue
            if s.startswith("]", i):
                return out, i + 1
            raise self.fail(i)


def parse(data: "bytes | bytearray | memoryview | str", exact: bool = False) -> Any:
    """Parse JSON text with Go's string rules; objects come back as :class:`SpanDict`.

    Bytes that are not UTF-8 and unpaired ``\\uD8xx`` escapes read as U+FFFD
    (one per byte), as in Go. Numbers without fraction or exponent are
    ``int``, others ``float`` (and ``-0`` is the float ``-0.0``).

    With ``exact=True`` strings keep what is needed to write the same bytes
    again: a ``\\ufffd`` *escape* (which Go writes only for an invalid byte)
    reads as ``U+DCFF`` (the invalid byte 0xFF), raw invalid bytes stay
    escaped bytes (see :func:`go_string`).

    Raises:
        DecodeError: kind ``"json"``, with Go's syntax-error text and the offset.
    """
    s = go_string(bytes(data)) if not isinstance(data, str) else data
    p = _Parser(s, exact)
    try:
        value, i = p.value(0)
    except RecursionError:
        raise DecodeError("json", "exceeded max depth") from None
    i = _WS.match(s, i).end()
    if i != len(s):
        raise p.fail(i)
    return value

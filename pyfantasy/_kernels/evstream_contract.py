"""The AWS event-stream kernels' shared contract: status codes, records, error texts.

Bedrock's ``invoke-with-response-stream`` bodies are AWS event-stream
frames; anthropic-sdk-go's Bedrock middleware turns each ``chunk`` event
into the Anthropic SSE event it carries (docs/semantics.md#anthropic-vertex-and-bedrock-transports). This
kernel does that translation: bytes in (any split), SSE text out
(``event: <type>\\ndata: <json>\\n\\n`` per chunk), plus the input offset of
each event's message and the first error, sticky, with its offset.

Framing, checks and the JSON scanning rules are described once, in the
header comment of ``native/pf_evstream.c``; this module follows them step by
step (``struct`` for the integers, ``zlib.crc32`` for CRC-32/IEEE, a
regular expression for Go's padded standard base64). Both kernels are held
identical by ``tests/test_evstream.py`` (hypothesis, random splits).

Carried between calls: the incomplete message's bytes (a message is
decoded once, when complete), the stream offset, the sticky status.

:func:`describe` turns a kernel error into the ``(kind, message)`` pyfantasy
reports; both backends use it, so their errors read the same.
"""
from __future__ import annotations

import binascii
import json
import re
import struct
from typing import List, NamedTuple, Optional, Tuple

# Status codes (same values as the PF_EVS_* constants of native/pyfantasy.h).
OK = 0
E_PRELUDE = 1
E_PRELUDE_CRC = 2
E_MESSAGE_CRC = 3
E_HEADER = 4
E_NO_MESSAGE_TYPE = 5
E_NO_EVENT_TYPE = 6
E_PAYLOAD = 7
E_BASE64 = 8
EXCEPTION = 9
ERROR = 10
E_TRUNCATED = 11

_BE32 = struct.Struct(">I")
_FIXED = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_B64 = re.compile(rb"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z")
_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_TOKEN = re.compile(rb"[^ \t\n\r,}\]]+")
_STRUCTURAL = re.compile(rb'["{}\[\]]')
_ESCAPES = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("f"): b"\f",
            ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t"}
_HEX = re.compile(rb"[0-9a-fA-F]{4}")


class EvError(NamedTuple):
    """A kernel error: ``status`` (E_*, EXCEPTION, ERROR), ``offset`` (input
    offset of the message at fault), details ``a``/``b`` (see the PF_EVS_*
    comments) and ``frame`` (the whole message for EXCEPTION/ERROR, else b"")."""

    status: int
    offset: int
    a: int = 0
    b: int = 0
    frame: bytes = b""


class EvOut(NamedTuple):
    """What one feed produced: ``sse`` text, ``events`` as ``(offset in sse,
    input offset of the message)``, ``error`` (sticky) or None, ``frames``
    (messages decoded so far)."""

    sse: bytes
    events: List[Tuple[int, int]]
    error: Optional[EvError]
    frames: int


class _Fail(Exception):
    def __init__(self, err: EvError) -> None:
        self.err = err


# ---- JSON scanning (rules: native/pf_evstream.c) --------------------------------

def _string_end(p: bytes, i: int) -> int:
    m = _STRING.match(p, i)
    return m.end() if m else 0


def _skip_value(p: bytes, i: int) -> int:
    c = p[i]
    if c == 0x22:  # "
        return _string_end(p, i)
    if c == 0x7B or c == 0x5B:  # { [
        depth = 0
        n = len(p)
        while i < n:
            m = _STRUCTURAL.search(p, i)
            if m is None:
                return 0
            i = m.start()
            c = p[i]
            if c == 0x22:
                i = _string_end(p, i)
                if not i:
                    return 0
                continue
            if c == 0x7B or c == 0x5B:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return 0
    m = _TOKEN.match(p, i)
    return m.end() if m else 0


def find_key(p: bytes, key: bytes, first: bool) -> Tuple[int, int, int]:
    """``(found, start, end)``: found 1 (value span), 0 absent, -1 malformed."""
    ws = _WS.match
    n = len(p)
    found = (0, 0, 0)
    i = ws(p, 0).end()
    if i >= n or p[i] != 0x7B:
        return (-1, 0, 0)
    i = ws(p, i + 1).end()
    if i < n and p[i] == 0x7D:
        i += 1
    else:
        while True:
            if i >= n or p[i] != 0x22:
                return (-1, 0, 0)
            e = _string_end(p, i)
            if not e:
                return (-1, 0, 0)
            k = p[i + 1:e - 1]
            i = ws(p, e).end()
            if i >= n or p[i] != 0x3A:
                return (-1, 0, 0)
            i = ws(p, i + 1).end()
            if i >= n:
                return (-1, 0, 0)
            v, w = i, _skip_value(p, i)
            if not w:
                return (-1, 0, 0)
            if k == key:
                found = (1, v, w)
                if first:
                    return found
            i = ws(p, w).end()
            if i < n and p[i] == 0x2C:
                i = ws(p, i + 1).end()
                continue
            if i < n and p[i] == 0x7D:
                i += 1
                break
            return (-1, 0, 0)
    if not first and ws(p, i).end() != n:
        return (-1, 0, 0)
    return found


def _utf8(cp: int) -> bytes:
    return chr(cp).encode("utf-8")


def unescape(s: bytes) -> Optional[bytes]:
    """JSON string content unescaped (\\uXXXX as UTF-8; a lone surrogate is
    U+FFFD), or None for an invalid escape."""
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        j = s.find(b"\\", i)
        if j < 0:
            out += s[i:]
            break
        out += s[i:j]
        i = j
        if i + 1 >= n:
            return None
        c = s[i + 1]
        i += 2
        r = _ESCAPES.get(c)
        if r is not None:
            out += r
            continue
        if c != 0x75:  # u
            return None
        if not _HEX.match(s, i):
            return None
        cp = int(s[i:i + 4], 16)
        i += 4
        if 0xD800 <= cp < 0xDC00 and s[i:i + 2] == b"\\u" and _HEX.match(s, i + 2):
            lo = int(s[i + 2:i + 6], 16)
            if 0xDC00 <= lo < 0xE000:
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                i += 6
        if 0xD800 <= cp < 0xE000:
            cp = 0xFFFD
        out += _utf8(cp)
    return bytes(out)


def b64decode(s: bytes) -> Optional[bytes]:
    """Go's ``base64.StdEncoding`` (CR/LF ignored, padding required), or None."""
    if b"\r" in s or b"\n" in s:
        s = s.translate(None, b"\r\n")
    if not _B64.match(s):
        return None
    return binascii.a2b_base64(s)


def parse_headers(h: bytes, off: int = 0) -> dict:
    """The string headers of a message's header block (first occurrence of
    each name), as ``{name: value bytes}``; raises ``_Fail(E_HEADER)`` on a
    malformed block (``EvError.a`` = where the bad header starts)."""
    out: dict = {}
    i, n = 0, len(h)
    while i < n:
        hs = i
        nl = h[i]
        i += 1
        if nl > n - i:
            raise _Fail(EvError(E_HEADER, off, hs, 0))
        name = h[i:i + nl]
        i += nl
        if i >= n:
            raise _Fail(EvError(E_HEADER, off, hs, 0))
        t = h[i]
        i += 1
        vl = _FIXED.get(t)
        if vl is None:
            if t not in (6, 7):
                raise _Fail(EvError(E_HEADER, off, hs, t))
            if n - i < 2:
                raise _Fail(EvError(E_HEADER, off, hs, 0))
            vl = (h[i] << 8) | h[i + 1]
            i += 2
        if vl > n - i:
            raise _Fail(EvError(E_HEADER, off, hs, 0))
        if t == 7:
            key = name.decode("latin-1")
            if key not in out:
                out[key] = h[i:i + vl]
        i += vl
    return out


# ---- errors as pyfantasy reports them ------------------------------------------------

def _exception_text(frame: bytes) -> str:
    """``received exception <type>: <message>`` (anthropic-sdk-go's Bedrock middleware)."""
    try:
        headers = parse_headers(frame[12:12 + _BE32.unpack_from(frame, 4)[0]])
    except _Fail:
        headers = {}
    hlen = _BE32.unpack_from(frame, 4)[0]
    payload = frame[12 + hlen:len(frame) - 4]
    try:
        doc = json.loads(payload.decode("utf-8", "replace"))
    except ValueError:
        doc = None
    doc = doc if isinstance(doc, dict) else {}

    def text(v) -> str:
        return v if isinstance(v, str) else ""

    etype = headers.get(":exception-type", b"").decode("utf-8", "replace") or \
        text(doc.get("Code")) or text(doc.get("__type")) or "UnknownError"
    message = text(doc.get("message")) or text(doc.get("Message"))
    return f"received exception {etype}: {message}"


def _error_text(frame: bytes) -> str:
    """``received error <:error-code>: <:error-message>``."""
    hlen = _BE32.unpack_from(frame, 4)[0]
    try:
        headers = parse_headers(frame[12:12 + hlen])
    except _Fail:
        headers = {}
    code = headers.get(":error-code", b"").decode("utf-8", "replace")
    message = headers.get(":error-message", b"").decode("utf-8", "replace")
    return f"received error {code}: {message}"


def describe(err: EvError) -> Tuple[str, str]:
    """``(kind, message)`` of a kernel error, the same for both backends."""
    s, at = err.status, f"the event-stream message at byte {err.offset}"
    if s == EXCEPTION:
        return "provider-error", _exception_text(err.frame)
    if s == ERROR:
        return "provider-error", _error_text(err.frame)
    if s == E_TRUNCATED:
        if err.b:
            return "truncated", f"the body ends inside {at}: {err.a} of its {err.b} bytes are there"
        return "truncated", f"the body ends inside {at}: {err.a} of its 12 prelude bytes are there"
    if s == E_PRELUDE:
        return "evstream", f"bad prelude in {at}: total length {err.a}, headers length {err.b}"
    if s == E_PRELUDE_CRC:
        return "evstream", f"prelude CRC mismatch in {at}: the frame says 0x{err.a:08x}, computed 0x{err.b:08x}"
    if s == E_MESSAGE_CRC:
        return "evstream", f"message CRC mismatch in {at}: the frame says 0x{err.a:08x}, computed 0x{err.b:08x}"
    if s == E_HEADER:
        why = f"unknown value type {err.b}" if err.b else "it runs past the headers"
        return "evstream", f"malformed header at byte {err.a} of the headers of {at}: {why}"
    if s == E_NO_MESSAGE_TYPE:
        return "evstream", f"{at} has no :message-type header"
    if s == E_NO_EVENT_TYPE:
        return "evstream", f"{at} is an event without an :event-type header"
    if s == E_PAYLOAD:
        return "evstream", f"the chunk payload of {at} is not a JSON object with a \"bytes\" string"
    if s == E_BASE64:
        return "evstream", f"the \"bytes\" of {at} is not valid base64"
    return "evstream", f"event-stream error {s} at {at}"


__all__ = ["EvOut", "EvError", "describe", "parse_headers", "find_key", "unescape", "b64decode", "OK",
           "E_PRELUDE", "E_PRELUDE_CRC", "E_MESSAGE_CRC", "E_HEADER", "E_NO_MESSAGE_TYPE", "E_NO_EVENT_TYPE",
           "E_PAYLOAD", "E_BASE64", "EXCEPTION", "ERROR", "E_TRUNCATED"]

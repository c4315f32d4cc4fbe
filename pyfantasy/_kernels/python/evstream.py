"""Pure-Python AWS event-stream kernel: the reference twin of native/pf_evstream.c.

Bedrock's ``invoke-with-response-stream`` bodies are AWS event-stream
frames; anthropic-sdk-go's Bedrock middleware turns each ``chunk`` event
into the Anthropic SSE event it carries. This kernel does that
translation: bytes in (any split), SSE text out (``event: <type>\\ndata:
<json>\\n\\n`` per chunk), plus the input offset of each event's message and
the first error, sticky, with its offset. Records, status codes and the
lenient JSON readers are the contract's (``evstream_contract``); both
kernels are held identical by ``tests/test_evstream.py``.
"""
from __future__ import annotations

import struct
import zlib
from typing import List, Optional, Tuple

from pyfantasy._kernels.evstream_contract import (_BE32, E_BASE64, E_MESSAGE_CRC, E_NO_EVENT_TYPE,
                                                  E_NO_MESSAGE_TYPE, E_PAYLOAD, E_PRELUDE, E_PRELUDE_CRC,
                                                  E_TRUNCATED, ERROR, EXCEPTION, EvError, EvOut, _Fail,
                                                  b64decode, find_key, parse_headers, unescape)


# ---- the kernel -------------------------------------------------------------------

class EvStreamKernel:
    """Incremental event-stream translator (pure Python). ``feed(data, eof)``
    returns an :class:`EvOut`; feeding after ``eof`` raises ValueError."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._pending_off = 0
        self._consumed = 0
        self._error: Optional[EvError] = None
        self._frames = 0
        self.closed = False

    def feed(self, data: bytes, eof: bool = False) -> EvOut:
        if self.closed:
            raise ValueError("event stream fed after its end")
        sse = bytearray()
        events: List[Tuple[int, int]] = []
        if self._error is None:
            try:
                self._run(bytes(data), eof, sse, events)
            except _Fail as f:
                self._error = f.err
        self._consumed += len(data)
        if eof:
            self.closed = True
        return EvOut(bytes(sse), events, self._error, self._frames)

    def _run(self, data: bytes, eof: bool, sse: bytearray, events: list) -> None:
        base = self._consumed
        pos = 0
        n = len(data)
        b = self._pending
        if b:
            if len(b) < 12:
                take = min(12 - len(b), n)
                b += data[:take]
                pos = take
            if len(b) >= 12:
                total = self._prelude(b, 0, self._pending_off)
                take = min(total - len(b), n - pos)
                b += data[pos:pos + take]
                pos += take
                if len(b) == total:
                    msg = bytes(b)
                    del b[:]
                    self._message(msg, 0, total, self._pending_off, sse, events)
        if not b:
            while n - pos >= 12:
                total = self._prelude(data, pos, base + pos)
                if n - pos < total:
                    break
                self._message(data, pos, total, base + pos, sse, events)
                pos += total
            if pos < n:
                self._pending_off = base + pos
                b += data[pos:]
        if eof and b:
            raise _Fail(EvError(E_TRUNCATED, self._pending_off, len(b),
                                _BE32.unpack_from(b, 0)[0] if len(b) >= 12 else 0))

    @staticmethod
    def _prelude(p, i: int, off: int) -> int:
        total, hlen, want = struct.unpack_from(">III", p, i)
        if total < 16 or hlen > total - 16:
            raise _Fail(EvError(E_PRELUDE, off, total, hlen))
        got = zlib.crc32(bytes(p[i:i + 8]))
        if want != got:
            raise _Fail(EvError(E_PRELUDE_CRC, off, want, got))
        return total

    def _message(self, p: bytes, i: int, total: int, off: int, sse: bytearray, events: list) -> None:
        end = i + total
        want = _BE32.unpack_from(p, end - 4)[0]
        got = zlib.crc32(memoryview(p)[i:end - 4])
        if want != got:
            raise _Fail(EvError(E_MESSAGE_CRC, off, want, got))
        hlen = _BE32.unpack_from(p, i + 4)[0]
        h = p[i + 12:i + 12 + hlen]
        headers = parse_headers(h, off)
        self._frames += 1
        mt = headers.get(":message-type")
        if mt is None:
            raise _Fail(EvError(E_NO_MESSAGE_TYPE, off))
        if mt == b"event":
            et = headers.get(":event-type")
            if et is None:
                raise _Fail(EvError(E_NO_EVENT_TYPE, off))
            if et == b"chunk":
                self._chunk(p[i + 12 + hlen:end - 4], off, sse, events)
            return
        if mt == b"exception":
            raise _Fail(EvError(EXCEPTION, off, 0, 0, bytes(p[i:end])))
        if mt == b"error":
            raise _Fail(EvError(ERROR, off, 0, 0, bytes(p[i:end])))

    @staticmethod
    def _chunk(pl: bytes, off: int, sse: bytearray, events: list) -> None:
        found, vs, ve = find_key(pl, b"bytes", False)
        if found < 0:
            raise _Fail(EvError(E_PAYLOAD, off))
        ev = b""
        if found and pl[vs] == 0x22:
            s = pl[vs + 1:ve - 1]
            if b"\\" in s:
                s = unescape(s)
                if s is None:
                    raise _Fail(EvError(E_BASE64, off))
            dec = b64decode(s)
            if dec is None:
                raise _Fail(EvError(E_BASE64, off))
            ev = dec
        elif found and pl[vs:ve] != b"null":
            raise _Fail(EvError(E_PAYLOAD, off))
        if not ev:
            return
        found, vs, ve = find_key(ev, b"type", True)
        if found != 1 or ev[vs] != 0x22:
            return
        t = ev[vs + 1:ve - 1]
        if b"\\" in t:
            t = unescape(t)
            if t is None:
                return
        if not t:
            return
        events.append((len(sse), off))
        sse += b"event: " + t + b"\ndata: " + ev + b"\n\n"


__all__ = ["EvStreamKernel"]

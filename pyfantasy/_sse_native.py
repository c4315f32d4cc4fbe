"""Native SSE kernel: thin cffi wrapper over native/pf_sse.c.

Same contract as ``_sse_python.SSEKernel``. One call into C per fed chunk;
C returns every event of the chunk as offsets into one arena, which is
copied out once and sliced here.
"""
from __future__ import annotations

from typing import List, Optional

from ._native_lib import ffi, lib
from ._sse_event import Event, TextCache, new_event, parse_retry



class SSEKernel:
    """Incremental WHATWG event-stream interpreter (C state machine)."""

    def __init__(self) -> None:
        s = lib.pf_sse_new()
        if s == ffi.NULL:
            raise MemoryError("pf_sse_new")
        self._s = ffi.gc(s, lib.pf_sse_free)
        self._out = ffi.new("pf_sse_out *")
        self._types = TextCache()
        self._id_bytes = b""
        self._id_str = ""
        self.retry: Optional[int] = None
        self.closed = False

    def _raw(self, which: int) -> bytes:
        p = ffi.new("const uint8_t **")
        n = ffi.new("size_t *")
        lib.pf_sse_state(self._s, which, p, n)
        return ffi.buffer(p[0], n[0])[:] if n[0] else b""

    @property
    def last_event_id(self) -> str:
        b = self._raw(0)
        if b != self._id_bytes:
            self._id_bytes, self._id_str = b, b.decode("utf-8", "replace")
        return self._id_str

    def state(self) -> dict:
        return {"id_buffer": self._raw(1), "data": self._raw(2), "type": self._raw(3),
                "line": self._raw(4), "line_complete": bool(lib.pf_sse_cr_held(self._s))}

    def feed(self, data: bytes, eof: bool = False) -> List[Event]:
        if self.closed:
            raise ValueError("feed after end of stream")
        if eof:
            self.closed = True
        out = self._out
        rc = lib.pf_sse_feed(self._s, ffi.from_buffer(data), len(data), eof, out)
        if rc:
            if rc == lib.PF_ERR_NOMEM:
                raise MemoryError("pyfantasy SSE decoder: out of memory")
            raise ValueError(f"pf_sse_feed failed ({rc})")
        nev = out.nev
        nretry = out.nretry
        if not nev:
            if nretry:
                self._apply_retries(out, nretry)
            return []
        arena = ffi.buffer(out.arena, out.arena_len)[:]
        recs = ffi.unpack(out.ev, 6 * nev)
        if nretry:
            return self._events_with_retry(arena, recs, out, nretry)
        return self._events(arena, recs, self.retry)

    def _events(self, arena: bytes, recs: list, retry) -> List[Event]:
        types = self._types
        id_bytes, id_str = self._id_bytes, self._id_str
        events: List[Event] = []
        append = events.append
        it = iter(recs)
        for d0, dl, t0, tl, i0, il in zip(it, it, it, it, it, it):
            if il:
                b = arena[i0:i0 + il]
                if b != id_bytes:
                    id_bytes, id_str = b, b.decode("utf-8", "replace")
            elif id_bytes:
                id_bytes, id_str = b"", ""
            append(new_event(types.get(arena[t0:t0 + tl]) if tl else "message",
                             arena[d0:d0 + dl].decode("utf-8", "replace"), id_str, retry))
        self._id_bytes, self._id_str = id_bytes, id_str
        return events

    def _retries(self, out, nretry: int) -> list:
        rarena = ffi.buffer(out.retry_arena, out.retry_arena_len)[:]
        r = ffi.unpack(out.retry, 3 * nretry)
        return [(r[k], parse_retry(rarena[r[k + 1]:r[k + 1] + r[k + 2]])) for k in range(0, len(r), 3)]

    def _apply_retries(self, out, nretry: int) -> None:
        self.retry = self._retries(out, nretry)[-1][1]

    def _events_with_retry(self, arena: bytes, recs: list, out, nretry: int) -> List[Event]:
        changes = self._retries(out, nretry)
        events: List[Event] = []
        start = 0
        for before, value in changes:
            events += self._events(arena, recs[6 * start:6 * before], self.retry)
            start = before
            self.retry = value
        events += self._events(arena, recs[6 * start:], self.retry)
        return events

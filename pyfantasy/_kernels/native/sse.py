"""Native SSE kernel: thin cffi wrapper over native/pf_sse.c.

Same contract as ``python.sse.SSEKernel``. One call into C per fed chunk;
C returns every event's data as one pickled list of str (``pf_pickle.h``:
``pickle.loads`` makes each string straight from its UTF-8, faster than
decoding one text and splitting it), and the types and ids in NUL-separated
arenas that are decoded and split with a few C-level calls, not per event.
"""
from __future__ import annotations

from itertools import repeat
from pickle import loads as _loads
from typing import Iterator, List, Optional

from pyfantasy._kernels.native import check, ffi, lib, owned
from pyfantasy._kernels.sse_event import Event, TextCache, new_event, parse_retry

_tuple_new = tuple.__new__
_buffer = ffi.buffer
_feed = lib.pf_sse_feed   # a module global: no lookup on lib per feed
_EVENTS = repeat(Event)  # endless: zip stops at the data
EW = lib.PF_SSE_EV_W     # values per event
RW = lib.PF_SSE_RETRY_W  # values per retry line


class SSEKernel:
    """Incremental WHATWG event-stream interpreter (C state machine)."""

    def __init__(self) -> None:
        self._s = owned(lib.pf_sse_new(), lib.pf_sse_free, "SSE decoder")
        lib.pf_sse_set_pickle(self._s, 1)
        self._out = ffi.new("pf_sse_out *")
        self._cache = TextCache()
        self._id_bytes = b""
        self._id_str = ""
        self.retry: Optional[int] = None
        self.closed = False
        # the type and id strings of the last call whose events all shared them (see as_before)
        self._types: Iterator[str] = repeat("message")
        self._ids: Iterator[str] = repeat("")

    def _raw(self, which: int) -> bytes:
        p = ffi.new("const uint8_t **")
        n = ffi.new("size_t *")
        lib.pf_sse_state(self._s, which, p, n)
        return ffi.buffer(p[0], n[0])[:] if n[0] else b""

    @property
    def last_event_id(self) -> str:
        b = self._raw(lib.PF_SSE_STATE_ID)
        if b != self._id_bytes:
            self._id_bytes, self._id_str = b, b.decode("utf-8", "replace")
        return self._id_str

    def state(self) -> dict:
        return {"id_buffer": self._raw(lib.PF_SSE_STATE_ID_BUFFER), "data": self._raw(lib.PF_SSE_STATE_DATA),
                "type": self._raw(lib.PF_SSE_STATE_TYPE), "line": self._raw(lib.PF_SSE_STATE_LINE),
                "line_complete": bool(lib.pf_sse_cr_held(self._s))}

    def feed(self, data: bytes, eof: bool = False) -> List[Event]:
        if self.closed:
            raise ValueError("feed after end of stream")
        if eof:
            self.closed = True
        out = self._out
        # bytes go to C as they are; other buffers (bytearray, memoryview) through from_buffer
        rc = _feed(self._s, data if type(data) is bytes else ffi.from_buffer(data), len(data), eof, out)
        if rc:
            check(rc, "SSE decoder")
        if out.as_before:  # the common case: only the data is new
            types, ids = self._types, self._ids
        else:
            nev = out.nev
            nretry = out.nretry
            if not nev:
                if nretry:
                    self.retry = self._retries(out, nretry)[-1][1]
                return []
            if nretry or out.has_nul:
                return self._each(out, nev, nretry)
            text = self._cache.get
            same_type, same_id = out.same_type, out.same_id
            if same_type:
                b = ffi.string(out.type_arena)  # NUL-terminated; no NUL inside (has_nul is 0)
                types = repeat(text(b))
            else:
                types = str(ffi.buffer(out.type_arena, out.type_arena_len), "utf-8", "replace").split("\0")
            if same_id:
                b = ffi.string(out.id_arena)
                ids = repeat(text(b))
            else:
                ids = str(ffi.buffer(out.id_arena, out.id_arena_len), "utf-8", "replace").split("\0")
            if same_type and same_id:  # what the C side now calls the previous type and id
                self._types, self._ids = types, ids
        # the data strings: C's pickle of them, read straight from its buffer (no bytes copy)
        return list(map(_tuple_new, _EVENTS, zip(types, _loads(_buffer(out.pk, out.pk_len)), ids,
                                                 repeat(self.retry))))

    def _each(self, out, nev: int, nretry: int) -> List[Event]:
        """Events one by one: some type holds a NUL (the type arena cannot be split), or retry
        lines change ``retry`` between them."""
        datas = _loads(_buffer(out.pk, out.pk_len))   # as feed reads them
        type_arena = ffi.buffer(out.type_arena, out.type_arena_len)[:]
        id_arena = ffi.buffer(out.id_arena, out.id_arena_len)[:]
        recs = ffi.unpack(out.ev, EW * nev)
        changes = self._retries(out, nretry) if nretry else []
        events: List[Event] = []
        append = events.append
        k = 0
        for n in range(nev):
            while k < len(changes) and changes[k][0] <= n:
                self.retry = changes[k][1]
                k += 1
            _, _, t0, tl, i0, il, _ = recs[EW * n:EW * n + EW]
            append(new_event(type_arena[t0:t0 + tl].decode("utf-8", "replace"),
                             datas[n],
                             id_arena[i0:i0 + il].decode("utf-8", "replace"), self.retry))
        for _, value in changes[k:]:
            self.retry = value
        return events

    def _retries(self, out, nretry: int) -> list:
        rarena = ffi.buffer(out.retry_arena, out.retry_arena_len)[:]
        r = ffi.unpack(out.retry, RW * nretry)
        return [(r[k], parse_retry(rarena[r[k + 1]:r[k + 1] + r[k + 2]])) for k in range(0, len(r), RW)]

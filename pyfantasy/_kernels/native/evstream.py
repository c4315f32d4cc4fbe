"""Native AWS event-stream kernel: thin cffi wrapper over native/pf_evstream.c.

Same contract as ``python.evstream.EvStreamKernel`` (documentation there and
in the C file's header comment). One C call per feed returns the SSE text of
every chunk the feed completed, their message offsets and the sticky status.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

from pyfantasy._kernels.evstream_contract import EvError, EvOut
from pyfantasy._kernels.native import check, ffi, lib, owned


class EvStreamKernel:
    """Incremental event-stream translator (C state machine)."""

    def __init__(self) -> None:
        self._d = owned(lib.pf_evs_new(), lib.pf_evs_free, "event-stream decoder")
        self._out = ffi.new("pf_evs_out *")
        self._error: Optional[EvError] = None
        self.closed = False

    def feed(self, data: bytes, eof: bool = False) -> EvOut:
        if self.closed:
            raise ValueError("event stream fed after its end")
        out = self._out
        rc = lib.pf_evs_feed(self._d, ffi.from_buffer(data), len(data), 1 if eof else 0, out)
        if rc:
            check(rc, "event-stream decoder")
        if eof:
            self.closed = True
        sse = ffi.buffer(out.sse, out.sse_len)[:] if out.sse_len else b""
        events: List[Tuple[int, int]] = []
        if out.nev:
            w = lib.PF_EVS_EV_W
            flat = ffi.unpack(out.ev, w * out.nev)
            events = list(zip(flat[0::w], flat[1::w]))
        if out.status and self._error is None:
            frame = ffi.buffer(out.frame, out.frame_len)[:] if out.frame_len else b""
            self._error = EvError(out.status, out.err_offset, out.err_a, out.err_b, frame)
        return EvOut(sse, events, self._error, out.frames)


__all__ = ["EvStreamKernel"]

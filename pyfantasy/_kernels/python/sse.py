"""Pure-Python SSE kernel: the reference twin of native/pf_sse.c.

Same contract as the C kernel: bytes in (any split), events out, state
carried between calls (BOM match, unterminated line, a line whose CR was the
last byte fed, data/type/id buffers). Lines are split with
``bytes.splitlines``, which breaks exactly at CR, LF and CRLF. An
unterminated line is kept as a list of pieces, so a line of many MB fed in
small chunks costs O(n), not O(n^2).
"""
from __future__ import annotations

from typing import List, Optional

from pyfantasy._kernels.sse_event import Event, TextCache, new_event, parse_retry

_BOM = b"\xef\xbb\xbf"


class SSEKernel:
    """Incremental WHATWG event-stream interpreter over bytes (pure Python)."""

    def __init__(self) -> None:
        self._at_start = True
        self._bom = b""
        self._parts: List[bytes] = []   # unterminated line (ends with b"\r" when cr_held)
        self._cr_held = False
        self._data: List[bytes] = []    # data buffer, one item per data line
        self._type = b""
        self._idbuf = b""
        self._committed = b""
        self._committed_str = ""
        self._types = TextCache()
        self.retry: Optional[int] = None
        self.closed = False
        # Stream offsets (bytes): of the next byte to be fed, of the
        # unterminated line, and of the current block's first line.
        self._consumed = 0
        self._tail_start = 0
        self._block_start = -1
        # After the end: offset of the event the stream ended inside, or None.
        self.cut: Optional[int] = None
        # Dispatch the unterminated last event at the end (Google's genai reader).
        self.eof_dispatch = False
        # raw=True: feed() returns (type bytes, data bytes, offset) blocks
        # instead of Events (used by the JSON scanner).
        self.raw = False

    @property
    def last_event_id(self) -> str:
        return self._committed_str

    def state(self) -> dict:
        """Raw carried state (for ``SSEDecoder.pending``)."""
        line = b"".join(self._parts)
        if self._cr_held:
            line = line[:-1]
        return {"id_buffer": self._idbuf, "data": b"".join(v + b"\n" for v in self._data),
                "type": self._type, "line": line, "line_complete": self._cr_held}

    def feed(self, data: bytes, eof: bool = False) -> List[Event]:
        if self.closed:
            raise ValueError("feed after end of stream")
        data = bytes(data)
        if eof:
            self.closed = True
        fed = len(data)
        if self._at_start:
            b = self._bom + data
            if len(b) < 3 and _BOM.startswith(b) and not eof:
                self._bom = b
                self._consumed += fed
                return []
            self._at_start = False
            self._bom = b""
            if b.startswith(_BOM):
                data = b[3:]
                self._consumed += fed - len(data)
                fed = len(data)
            else:
                data = b
                self._consumed -= len(b) - fed
                fed = len(b)
        if not eof and not self._cr_held and b"\n" not in data and b"\r" not in data:
            if data:
                if not self._parts:
                    self._tail_start = self._consumed
                self._parts.append(data)
            self._consumed += fed
            return []
        if self._parts:
            start = self._tail_start
            self._parts.append(data)
            buf = b"".join(self._parts)
            self._parts = []
        else:
            start = self._consumed
            buf = data
        self._consumed += fed
        self._cr_held = False
        if eof:
            lines = buf.splitlines(True)
            tail = b""
            if lines and not buf.endswith((b"\n", b"\r")):
                tail = lines.pop()  # "any pending data must be discarded"
            if self.eof_dispatch:
                # a non-WHATWG reader: the last event needs no blank line
                return self._process(lines + ([tail + b"\n"] if tail else []) + [b"\n"], start)
            events = self._process(lines, start)
            if (tail and tail[:1] != b":") or self._data:
                self.cut = self._block_start if self._block_start >= 0 else start + len(buf) - len(tail)
            return events
        else:
            last = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
            if last < 0:
                if buf:
                    self._tail_start = start
                    self._parts.append(buf)
                return []
            if last == len(buf) - 1 and buf[last] == 13:
                # A CR as the last byte may be half of a CRLF: hold its line.
                cut = max(buf.rfind(b"\n", 0, last), buf.rfind(b"\r", 0, last)) + 1
                self._cr_held = True
            else:
                cut = last + 1
            if cut < len(buf):
                self._tail_start = start + cut
                self._parts.append(buf[cut:])
            lines = buf[:cut].splitlines(True)
        return self._process(lines, start)

    def _process(self, lines: List[bytes], offset: int) -> list:
        events: list = []
        append = events.append
        dbuf = self._data
        raw = self.raw
        for line in lines:
            line_start = offset
            offset += len(line)
            line = line.rstrip(b"\r\n")  # exactly one terminator: lines hold no CR/LF
            if not line:
                # Dispatch: commit the last event ID, then dispatch if there is data.
                block_start = self._block_start
                self._block_start = -1
                if self._idbuf is not self._committed:
                    self._committed = self._idbuf
                    self._committed_str = self._idbuf.decode("utf-8", "replace")
                if dbuf:
                    d = dbuf[0] if len(dbuf) == 1 else b"\n".join(dbuf)
                    t = self._type
                    if raw:
                        append((t, d, block_start))
                    else:
                        append(new_event(self._types.get(t) if t else "message",
                                         d.decode("utf-8", "replace"), self._committed_str, self.retry))
                    dbuf = self._data = []
                self._type = b""
                continue
            if self._block_start < 0:
                self._block_start = line_start
            if line[0] == 58:  # ":" comment
                continue
            name, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                dbuf.append(value)
            elif name == b"event":
                self._type = value
            elif name == b"id":
                if b"\0" not in value:
                    self._idbuf = value
            elif name == b"retry":
                if value and value.isdigit():
                    self.retry = parse_retry(value)
        return events

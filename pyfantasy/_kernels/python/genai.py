"""Pure-Python twin of Gemini's block reader (native: ``PF_SCAN_GENAI`` in native/).

The genai SDK reads a stream as blocks ended by the earlier of LF LF and
CR LF CR LF (one trailing CR dropped). ``data:`` blocks are re-framed as SSE
events for the scan kernel; any other block ends the input as one
``CHUNK_OTHER`` chunk, which the Google decoder turns into its error.
"""
from __future__ import annotations

import bisect
from typing import List, Optional, Tuple

from pyfantasy._kernels.jsonscan import CHUNK_OTHER, Chunk, Spec
from pyfantasy._kernels.python.scan import ScanKernel

_REFRAME = bytes.maketrans(b"\r\n", b"\t\t")


def _separator(buf: bytearray, pos: int, search: int, eof: bool) -> Tuple[int, int, int]:
    """The first block separator (``\\n\\n`` or ``\\r\\n\\r\\n``) of the block starting at ``pos``,
    looking from ``search``: ``(end, next, search)``, or ``(-1, -1, search)`` with the position
    where the search resumes once more bytes arrive.

    Every separator's first LF is at its start (LF LF) or one byte after it (CR LF CR LF), so
    the separators come in the order of their first LF: each LF of the body is looked at once,
    whatever the mix of separators (searching for each kind to the end would be quadratic).
    """
    n = len(buf)
    while True:
        i = buf.find(b"\n", search)
        if i < 0:
            return -1, -1, n
        if i + 1 >= n:
            return -1, -1, (n if eof else i)
        after = buf[i + 1]
        if after == 10:
            return i, i + 2, i + 2
        if after == 13 and i > pos and buf[i - 1] == 13:
            if i + 2 >= n:
                return -1, -1, (n if eof else i)
            if buf[i + 2] == 10:
                return i - 1, i + 3, i + 3
        search = i + 1


class GenaiKernel:
    """genai's block reader in front of the Python scan kernel.

    ``feed(data, eof)`` returns chunks whose offsets are byte offsets in the
    original body. A block that is not ``data:`` ends the input as one
    ``CHUNK_OTHER`` chunk whose event is the block's text (invalid UTF-8 as
    U+FFFD).

    Carried between feeds: the unfinished block (``_pending``, a bytearray
    appended to, so a block fed byte by byte costs O(n)), where the
    separator search resumes in it, and byte counts to map the inner
    scanner's offsets back to the body. O(n) overall: every LF is looked
    at once (``_separator``) and every byte of a block is copied twice
    (block, re-framed event). Complete blocks go to the inner scanner in one
    call per feed, so runs of text chunks can still coalesce there.

    ``feed(b"", eof=True)`` ends the body (the last block needs no
    terminator); ``feed`` after that raises ValueError.
    """

    def __init__(self, spec: Spec) -> None:
        self._inner = ScanKernel(spec, True, b"", True)
        self._inner_closed = False
        self._pending = bytearray()
        self._base = 0       # body offset of _pending[0]
        self._search = 0     # where in _pending the separator search resumes
        self._inner_fed = 0  # bytes given to the inner scanner so far
        self._stopped = False

    def feed(self, data: bytes, eof: bool = False) -> List[Chunk]:
        if self._stopped:
            if eof and not self._inner_closed:
                self._inner_closed = True
                self._inner.feed(b"", True)
            return []
        buf = self._pending
        buf += data
        frames: List[bytes] = []
        starts: List[int] = []    # inner-stream offset of each frame
        origins: List[int] = []   # body offset of each frame's block
        special: Optional[Chunk] = None
        pos = 0
        search = self._search
        norm = self._inner_fed
        n = len(buf)
        while True:
            end, nxt, search = _separator(buf, pos, search, eof)
            if end < 0:
                if not eof or pos >= n:
                    break
                end = nxt = n       # the last block needs no terminator
            block = bytes(buf[pos:end])
            origin = self._base + pos
            pos = search = nxt
            if block.endswith(b"\r"):
                block = block[:-1]
            if not block:
                continue
            if block.startswith(b"data:"):
                # (an empty payload is still dispatched: the SSE data buffer holds "\n")
                frame = b"data:" + block[5:].translate(_REFRAME) + b"\n\n"
                frames.append(frame)
                starts.append(norm)
                origins.append(origin)
                norm += len(frame)
                continue
            special = Chunk(block.decode("utf-8", "replace"), None, CHUNK_OTHER, origin, 1)
            self._stopped = True
            break
        del buf[:pos]
        self._base += pos
        self._search = max(search - pos, 0)
        chunks: List[Chunk] = []
        if frames or eof or self._stopped:
            self._inner_closed = eof or self._stopped
            chunks = self._inner.feed(b"".join(frames), self._inner_closed)
        self._inner_fed = norm
        out = [ch._replace(offset=origins[bisect.bisect_right(starts, ch.offset) - 1]) if starts else ch
               for ch in chunks]
        if special is not None:
            out.append(special)
        return out

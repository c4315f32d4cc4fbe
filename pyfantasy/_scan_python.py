"""Pure-Python scan kernel: the SSE kernel in raw mode plus ``json`` and ``prune``.

Same contract as ``_scan_native.ScanKernel`` (see ``_scan``); it never
coalesces (the shared stream-part layer merges deltas for both backends).
"""
from __future__ import annotations

from typing import List

from ._scan import CHUNK_BAD_JSON, CHUNK_DONE, CHUNK_OK, Chunk, Spec, loads, prune
from ._sse_python import SSEKernel


class ScanKernel:
    def __init__(self, spec: Spec, sse: bool, done: bytes, coalesce: bool) -> None:
        self._root = spec.root
        self._sse = SSEKernel() if sse else None
        if self._sse is not None:
            self._sse.raw = True
        self._done = done
        self._doc: List[bytes] = []
        self._finished = False

    def feed(self, data: bytes, eof: bool) -> List[Chunk]:
        if self._finished:
            return []
        if self._sse is None:
            self._doc.append(bytes(data))
            if not eof:
                return []
            self._finished = True
            text = b"".join(self._doc).decode("utf-8", "replace")
            try:
                v = loads(text, whole=False)
            except ValueError:
                return [Chunk("", None, CHUNK_BAD_JSON, 0, 1)]
            return [Chunk("", prune(v, self._root), CHUNK_OK, 0, 1)]
        out: List[Chunk] = []
        done = self._done
        root = self._root
        for t, d, off in self._sse.feed(data, eof):
            name = t.decode("utf-8", "replace") if t else "message"
            if done and d.startswith(done):
                out.append(Chunk(name, None, CHUNK_DONE, off, 1))
                self._finished = True
                break
            try:
                v = loads(d.decode("utf-8", "replace"))
            except ValueError:
                out.append(Chunk(name, None, CHUNK_BAD_JSON, off, 1))
            else:
                out.append(Chunk(name, prune(v, root), CHUNK_OK, off, 1))
        return out

"""Pure-Python scan kernel: the SSE kernel in raw mode plus ``json`` and ``prune``.

Same contract as ``_scan_native.ScanKernel`` (see ``_scan``), coalescing
included (within one feed, as the C kernel does).
"""
from __future__ import annotations

from typing import List

from pyfantasy._scan import CHUNK_BAD_JSON, CHUNK_DONE, CHUNK_OK, Chunk, Spec, loads, prune, prune_key, set_at
from pyfantasy._sse_python import SSEKernel


class ScanKernel:
    def __init__(self, spec: Spec, sse: bool, done: bytes, coalesce: bool) -> None:
        self._root = spec.root
        self._sse = SSEKernel() if sse else None
        if self._sse is not None:
            self._sse.raw = True
        self._done = done
        self._coalesce = coalesce
        self._doc: List[bytes] = []
        self._finished = False
        self._done_seen = False

    def set_eof_dispatch(self, on: bool) -> None:
        self._sse.eof_dispatch = on

    @property
    def cut(self):
        """After eof: offset of the event an SSE stream ended inside, else None."""
        if self._sse is None or self._done_seen:
            return None
        return self._sse.cut

    def feed(self, data: bytes, eof: bool) -> List[Chunk]:
        if self._finished:
            if eof and self._sse is not None and not self._sse.closed:
                self._sse.feed(b"", True)  # still learn whether the stream was cut
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
        coalesce = self._coalesce
        last_key = None  # merge key of out[-1] when it may absorb the next chunk
        texts: List[str] = []  # the run of COALESCE strings merged into out[-1]

        def flush() -> None:
            if len(texts) > 1:
                prev = out[-1]
                out[-1] = Chunk(prev.event, set_at(prev.value, last_key[1], "".join(texts)), CHUNK_OK,
                                prev.offset, len(texts))
            texts.clear()

        for t, d, off in self._sse.feed(data, eof):
            name = t.decode("utf-8", "replace") if t else "message"
            if done and d.startswith(done):
                flush()
                out.append(Chunk(name, None, CHUNK_DONE, off, 1))
                self._finished = self._done_seen = True
                last_key = None
                break
            try:
                v = loads(d.decode("utf-8", "replace"))
            except ValueError:
                flush()
                out.append(Chunk(name, None, CHUNK_BAD_JSON, off, 1))
                last_key = None
                continue
            if not coalesce:
                out.append(Chunk(name, prune(v, root), CHUNK_OK, off, 1))
                continue
            v, key = prune_key(v, root)
            if (key is not None and last_key is not None and out[-1].event == name
                    and key[0] == last_key[0] and key[1] == last_key[1]):
                texts.append(key[2])
                continue
            flush()
            out.append(Chunk(name, v, CHUNK_OK, off, 1))
            last_key = key
            if key is not None:
                texts.append(key[2])
        flush()
        return out

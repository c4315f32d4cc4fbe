"""Pure-Python scan kernel: the SSE kernel in raw mode plus ``json`` and ``prune``.

Same contract as ``native.scan.ScanKernel`` (see ``_kernels.jsonscan``), coalescing
included (within one feed, as the C kernel does).
"""
from __future__ import annotations

from typing import Any, List

from pyfantasy._kernels.jsonscan import (CHUNK_BAD_JSON, CHUNK_DONE, CHUNK_OK, COALESCE, INERT, INERT_NULL, LEAF, Chunk,
                                         JSONFloat, Node, Spec, loads)
from pyfantasy._kernels.python.sse import SSEKernel


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


def scan_document(body: bytes, spec: Spec) -> List[Chunk]:
    """One whole JSON document scanned."""
    return ScanKernel(spec, False, b"", False).feed(body, True)


# ---- pruning and the coalescing rule (the C kernel does the same in pf_json.c) ----------

def merge_key(v: Any, node: Node):
    """``(shape, path, text)`` of a pruned value that may be merged, else None.

    ``shape`` equals another chunk's when they may be merged: it is the value
    with its single COALESCE string blanked; ``path`` locates that string.
    """
    found: list = []
    shape = _shape(v, node, (), found)
    if shape is None or len(found) != 1:
        return None
    return shape, found[0][0], found[0][1]


def prune_key(v: Any, node: Node):
    """``(prune(v, node), merge_key(...) of it)`` in one walk (the Python backend's hot path)."""
    found: list = []
    pruned, shape = _prune_shape(v, node, (), found)
    if shape is None or len(found) != 1:
        return pruned, None
    return pruned, (shape, found[0][0], found[0][1])


def _leaf_shape(v: Any, f: int, path: tuple, found: list):
    t = type(v)
    if t is str and f & COALESCE:
        found.append((path, v))
        return ("coalesce",)
    if v is None and f & (INERT | INERT_NULL):
        return ("null",)
    if f & INERT:
        if t is str or t is bool or t is int:
            return (t.__name__, v)
        if t is JSONFloat:
            return ("float", v.raw)
    return None


def _prune_shape(v: Any, node: Node, path: tuple, found: list):
    if node.flags & LEAF:
        return v, _leaf_shape(v, node.flags, path, found)
    t = type(v)
    if t is dict:
        ch = node.children
        out = {}
        shape: Any = []
        for k, x in v.items():
            child = ch.get(k)
            if child is None:
                continue
            px, sx = _prune_shape(x, child, path + (k,), found)
            out[k] = px
            if shape is not None:
                if sx is None:
                    shape = None
                else:
                    shape.append((k, sx))
        return out, (None if shape is None else ("{", tuple(shape)))
    if t is list:
        star = node.star
        if star is None:
            return [None] * len(v), ("[", len(v))
        outl = []
        shapel: Any = []
        for idx, x in enumerate(v):
            px, sx = _prune_shape(x, star, path + (idx,), found)
            outl.append(px)
            if shapel is not None:
                if sx is None:
                    shapel = None
                else:
                    shapel.append(sx)
        return outl, (None if shapel is None else ("[*", tuple(shapel)))
    return v, None  # a scalar at an interior node


def _shape(v: Any, node: Node, path: tuple, found: list):
    if node.flags & LEAF:
        return _leaf_shape(v, node.flags, path, found)
    t = type(v)
    if t is dict:
        out = []
        for k, x in v.items():
            s = _shape(x, node.children[k], path + (k,), found)
            if s is None:
                return None
            out.append((k, s))
        return ("{", tuple(out))
    if t is list:
        star = node.star
        if star is None:
            return ("[", len(v))
        out = []
        for i, x in enumerate(v):
            s = _shape(x, star, path + (i,), found)
            if s is None:
                return None
            out.append(s)
        return ("[*", tuple(out))
    return None  # a scalar at an interior node


def set_at(v: Any, path: tuple, text: str) -> Any:
    """Copy of ``v`` with the string at ``path`` replaced (containers along it copied)."""
    if not path:
        return text
    head = path[0]
    if type(v) is dict:
        c = dict(v)
    else:
        c = list(v)
    c[head] = set_at(v[head], path[1:], text)
    return c


def prune(v: Any, node: Node) -> Any:
    """Keep only what the spec reaches (see the module docstring)."""
    if node.flags & LEAF:
        return v
    t = type(v)
    if t is dict:
        ch = node.children
        return {k: prune(x, ch[k]) for k, x in v.items() if k in ch}
    if t is list:
        star = node.star
        if star is None:
            return [None] * len(v)
        return [prune(x, star) for x in v]
    return v

"""Native scan kernel: thin cffi wrapper over native/pf_json.c (+ pf_sse.c).

Same contract as ``python.scan.ScanKernel``. One C call per feed returns
every chunk's records; the pruned values are rebuilt here from records.
"""
from __future__ import annotations

import threading
from typing import Any, List

from pyfantasy._kernels.native import check, ffi, lib, owned
from pyfantasy._kernels.jsonscan import (_DECODER, _LONE_SURROGATE_ESCAPE, CHUNK_OK, STAR, Chunk, Spec, fix_surrogates,
                                         loads, number)


def compiled_spec(spec: Spec) -> Any:
    """The compiled C spec (built once, freed with the Spec)."""
    if spec._native is None:
        keys = bytearray()
        offs, lens = [], []
        for n in spec.nodes:
            k = b"" if n.flags & STAR else n.key.encode("utf-8")
            offs.append(len(keys))
            lens.append(len(k))
            keys += k
        c_parent = ffi.new("int32_t[]", spec.parents)
        c_keys = ffi.new("uint8_t[]", bytes(keys) or b"\0")
        c_off = ffi.new("size_t[]", offs)
        c_len = ffi.new("size_t[]", lens)
        c_flags = ffi.new("uint8_t[]", [n.flags for n in spec.nodes])
        sp = lib.pf_jspec_new(c_parent, c_keys, c_off, c_len, c_flags, len(spec.nodes))
        spec._native = owned(sp, lib.pf_jspec_free, "scan spec")
    return spec._native


_NONE = ffi.cast("size_t", -1)
_NO_PARENT = int(_NONE)
K_NULL, K_FALSE, K_TRUE, K_NUMBER, K_STRING, K_OBJECT, K_ARRAY, K_RAW = (
    lib.PF_K_NULL, lib.PF_K_FALSE, lib.PF_K_TRUE, lib.PF_K_NUMBER, lib.PF_K_STRING, lib.PF_K_OBJECT, lib.PF_K_ARRAY,
    lib.PF_K_RAW)
CW = lib.PF_SCAN_CHUNK_W  # values per chunk
RW = lib.PF_SCAN_REC_W    # values per record


class ScanKernel:
    def __init__(self, spec: Spec, sse: bool, done: bytes, coalesce: bool, mode: "int | None" = None) -> None:
        """``mode``: a ``PF_SCAN_*`` mode; default SSE or document as ``sse`` says."""
        self._spec = spec  # keeps the C spec alive as long as the scanner
        self._keys = [n.key for n in spec.nodes]
        c_done = ffi.from_buffer(done) if done else ffi.NULL
        if mode is None:
            mode = lib.PF_SCAN_SSE if sse else lib.PF_SCAN_DOCUMENT
        s = lib.pf_scan_new(compiled_spec(spec), mode, c_done, len(done), 1 if coalesce else 0)
        self._s = owned(s, lib.pf_scan_free, "scanner")
        self._out = ffi.new("pf_scan_out *")

    def reset(self) -> None:
        """Ready for a new body (the C buffers are kept)."""
        lib.pf_scan_reset(self._s)

    def set_eof_dispatch(self, on: bool) -> None:
        lib.pf_scan_set_eof_dispatch(self._s, 1 if on else 0)

    @property
    def cut(self):
        """After eof: offset of the event an SSE stream ended inside, else None."""
        off = ffi.new("uint64_t *")
        return off[0] if lib.pf_scan_cut(self._s, off) else None

    def feed(self, data: bytes, eof: bool) -> List[Chunk]:
        out = self._out
        rc = lib.pf_scan_feed(self._s, ffi.from_buffer(data), len(data), 1 if eof else 0, out)
        if rc:
            check(rc, "scanner")
        n = out.nchunks
        if not n:
            return []
        chunks = ffi.unpack(out.chunks, CW * n)
        arena = ffi.buffer(out.arena, out.arena_len) if out.arena_len else b""
        values = _values(out) if out.json_len else None
        if values is None:  # the records, rebuilt here (slower; rare: see _values)
            arena = arena[:]
            recs = ffi.unpack(out.recs, RW * out.nrecs) if out.nrecs else []
            keys = self._keys
            values = [_build(recs, RW * chunks[c + 2], chunks[c + 3], arena, keys)
                      if chunks[c + 4] == CHUNK_OK else None for c in range(0, CW * n, CW)]
        result = []
        for k, c in enumerate(range(0, CW * n, CW)):
            name_off, name_len, rs, rn, status, offset, merged = chunks[c:c + CW]
            name = arena[name_off:name_off + name_len].decode("utf-8", "replace") if name_len else ""
            result.append(Chunk(name, values[k] if status == CHUNK_OK else None, status, offset, merged))
        return result


def _values(out) -> "list | None":
    """Every chunk's value from the C side's JSON text in one ``json`` call; None when
    the text is beyond the json module (integers past CPython's digit limit, nesting
    past its recursion limit): the caller then rebuilds from the records."""
    text = str(ffi.buffer(out.json, out.json_len), "utf-8", "replace")
    try:
        values = _DECODER.decode(text)
    except (ValueError, RecursionError):
        return None
    if "\\u" in text and _LONE_SURROGATE_ESCAPE.search(text):
        # raw leaf containers keep their escapes: lone surrogates become U+FFFD, as Go does
        values = fix_surrogates(values)
    return values


def _build(recs: list, base: int, count: int, arena: bytes, keys: list):
    """Rebuild a pruned value from its records (parents come before children)."""
    objs: list = []
    push = objs.append
    root = None
    it = iter(recs[base:base + RW * count])
    for node, parent, index, kind, a, b in zip(it, it, it, it, it, it):
        if kind == K_STRING:
            v = arena[a:a + b].decode("utf-8", "replace")
        elif kind == K_OBJECT:
            v = {}
        elif kind == K_ARRAY:
            v = [None] * a
        elif kind == K_NUMBER:
            v = number(arena[a:a + b].decode("ascii"))
        elif kind == K_NULL:
            v = None
        elif kind == K_RAW:
            v = loads(arena[a:a + b].decode("utf-8", "replace"))
        else:
            v = kind == K_TRUE
        push(v)
        if parent == _NO_PARENT:
            root = v
        else:
            p = objs[parent]
            if type(p) is dict:
                p[keys[node]] = v
            else:
                p[index] = v
    return root


def GenaiKernel(spec: Spec) -> ScanKernel:
    """Gemini's block reader (``PF_SCAN_GENAI``): blocks to chunks, a block that is not
    ``data:`` ends the input as a ``CHUNK_OTHER`` chunk whose event is its text."""
    return ScanKernel(spec, True, b"", True, lib.PF_SCAN_GENAI)


_local = threading.local()


def scan_document(body: bytes, spec: Spec) -> List[Chunk]:
    """One whole JSON document scanned with this thread's scanner for the spec (reset,
    its buffers kept) instead of one made per body."""
    cache = getattr(_local, "documents", None)
    if cache is None:
        cache = _local.documents = {}
    k = cache.get(spec)
    if k is None:
        k = cache[spec] = ScanKernel(spec, False, b"", False)
    else:
        k.reset()
    return k.feed(body, True)


__all__ = ["ScanKernel", "GenaiKernel", "scan_document", "compiled_spec"]

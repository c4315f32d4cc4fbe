"""Fast go-vcr cassette reading: bytes -> interactions, for high-volume scans.

What: ``read_interactions(data)`` gives the same ``Interaction`` objects as
``pyfantasy.cassette.loads(data).interactions`` (url, method, bodies,
status, code, headers, duration, every other field too), several times
faster, because the native backend parses the Go recorder's YAML subset in
C (native/pf_vcr.c) instead of composing a libyaml node tree.

Why a subset: the recorder writes one fixed schema with a handful of
scalar styles. The C reader parses exactly that and answers "not mine"
for anything else (comments, anchors, odd tags, folded scalars, quoted
integers, ...); then, and on the python backend, ``cassette.loads`` reads
the file, so results and errors are always the loader's. Layout and legacy
quoting (needed only to write a file back) are not detected here.
"""
from __future__ import annotations

import os
import re
from typing import Iterator, List, Optional, Tuple, Union

from pyfantasy._backend import resolve
from pyfantasy._duration import DurationError, parse_duration
from pyfantasy.cassette import Interaction, Request, Response, loads

__all__ = ["read_interactions", "read_file", "native_interactions", "Unsupported", "split_interactions",
           "iter_interactions"]

# Field codes of native/pyfantasy.h (PF_VCR_REQUEST + i, PF_VCR_RESPONSE + i).
_REQ = ("proto", "proto_major", "proto_minor", "content_length", "transfer_encoding", "trailer",
        "host", "remote_addr", "request_uri", "body", "form", "headers", "url", "method")
_RESP = ("proto", "proto_major", "proto_minor", "transfer_encoding", "trailer", "content_length",
         "uncompressed", "body", "headers", "status", "code", "duration")
_INT = frozenset(("proto_major", "proto_minor", "content_length", "code"))
_LISTS = frozenset(("transfer_encoding",))
_MAPS = frozenset(("trailer", "form", "headers"))
# field code -> (is_response, name)
_FIELDS = {1 + i: (False, n) for i, n in enumerate(_REQ)}
_FIELDS.update({17 + i: (True, n) for i, n in enumerate(_RESP)})

_BINARY, _PLAIN, _NULL, _KEY, _ITEM = 1, 2, 4, 8, 16


class Unsupported(Exception):
    """The native reader cannot vouch for this text (``offset``: where it stopped)."""

    def __init__(self, offset: int):
        super().__init__(f"outside the recorder's YAML subset at byte {offset}")
        self.offset = offset


_reader = None  # one C reader per process (its buffers are reused)


def _native_reader():
    global _reader
    if _reader is None:
        from pyfantasy._native_lib import ffi, lib
        v = lib.pf_vcr_new()
        if v == ffi.NULL:
            raise MemoryError("pf_vcr_new")
        _reader = (ffi, lib, ffi.gc(v, lib.pf_vcr_free), ffi.new("pf_vcr_out *"))
    return _reader


def _text(raw: bytes, fl: int, body: bool) -> Union[str, bytes]:
    if fl & _BINARY:
        if body:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    return raw.decode("utf-8")


def native_interactions(data: bytes) -> List[Interaction]:
    """Parse with the C reader. Raises ``Unsupported`` when the text is outside its subset."""
    ffi, lib, v, out = _native_reader()
    rc = lib.pf_vcr_parse(v, ffi.from_buffer(data), len(data), out)
    if rc == lib.PF_VCR_UNSUPPORTED:
        raise Unsupported(out.err_offset)
    if rc:
        raise MemoryError("pyfantasy cassette reader: out of memory")
    n = out.ninteractions
    nrec = out.nrecs
    recs = ffi.unpack(out.recs, 5 * nrec) if nrec else []
    arena = ffi.buffer(out.arena, out.arena_len)[:] if out.arena_len else b""
    ids = [0] * n
    reqs: List[dict] = [{} for _ in range(n)]
    resps: List[dict] = [{} for _ in range(n)]
    current: Optional[list] = None  # the list the next ITEM records go to
    for k in range(0, 5 * nrec, 5):
        i, f, fl, off, ln = recs[k:k + 5]
        if f == 0:
            ids[i] = 0 if fl & _NULL else int(arena[off:off + ln])
            continue
        is_resp, name = _FIELDS[f]
        kw = resps[i] if is_resp else reqs[i]
        if fl & _KEY:
            key = arena[off:off + ln]
            if fl & _BINARY:  # the loader would check that it is UTF-8
                raise Unsupported(0)
            m = kw.get(name)
            if m is None:
                kw[name] = m = {}
            key = key.decode("utf-8")
            if key in m:  # duplicate key: an error the loader reports
                raise Unsupported(0)
            m[key] = current = []
        elif fl & _ITEM:
            value = _text(arena[off:off + ln], fl, False)
            if name in _LISTS:
                lst = kw.get(name)
                if lst is None:
                    kw[name] = lst = []
                lst.append(value)
            else:
                current.append(value)  # type: ignore[union-attr]
        elif name in _INT:
            kw[name] = 0 if fl & _NULL else int(arena[off:off + ln])
        elif name == "duration":
            if fl & _NULL:
                kw["duration_ns"] = 0
            else:
                try:
                    kw["duration_ns"] = parse_duration(arena[off:off + ln].decode("utf-8"))
                except DurationError:
                    raise Unsupported(0) from None
        elif name == "uncompressed":
            kw[name] = ln == 4  # "true"; "false" or a null are False
        else:
            kw[name] = _text(arena[off:off + ln], fl, name == "body")
    return [Interaction(ids[i], Request(**reqs[i]), Response(**resps[i])) for i in range(n)]


def read_interactions(data: Union[bytes, bytearray, memoryview], path: Optional[str] = None,
                      backend: Optional[str] = None) -> List[Interaction]:
    """The interactions of a cassette, as ``cassette.loads(data, path).interactions``.

    ``backend``: ``native`` tries the C reader first (falling back to the
    loader outside its subset), ``python`` uses the loader. Raises
    ``CassetteError`` exactly when the loader does.
    """
    data = bytes(data)
    if resolve(backend) == "native":
        try:
            return native_interactions(data)
        except Unsupported:
            pass
    return loads(data, path=path).interactions


_FIRST_ITEM = re.compile(rb"^( *)- id: ", re.M)


def split_interactions(data: bytes) -> Optional[Tuple[bytes, List[Tuple[int, int]]]]:
    """``(header, [(start, end), ...])``: the text before the first interaction and the
    byte span of each one, cut where a line starts ``- id: `` at the first one's column;
    None when the text does not look like that (then read it whole).

    ``header + data[start:end]`` is a cassette of that one interaction. A cut inside a
    scalar cannot parse (a block scalar ends at a less indented line; a quoted one would
    be left open), so a reader that accepts every piece read what the whole file holds.
    """
    m = _FIRST_ITEM.search(data)
    if m is None or not data[:m.start()].endswith(b"interactions:\n"):
        return None
    mark = b"\n" + m.group(0)
    starts = [m.start()]
    i = data.find(mark, m.start())
    while i >= 0:
        starts.append(i + 1)
        i = data.find(mark, i + 1)
    return data[:m.start()], list(zip(starts, starts[1:] + [len(data)]))


def iter_interactions(data: bytes, path: Optional[str] = None,
                      backend: Optional[str] = None) -> Optional[Iterator[Interaction]]:
    """The interactions of a cassette of several, read one at a time from their own text
    (``split_interactions``), so that memory holds one parsed interaction, not all of them;
    None when the text cannot be split. Raises ``CassetteError`` (or ``ValueError``) from the
    piece that cannot be read: then read the whole file for the error the loader gives."""
    split = split_interactions(data)
    if split is None or len(split[1]) < 2:
        return None
    header, spans = split

    def each() -> Iterator[Interaction]:
        for start, end in spans:
            its = read_interactions(header + data[start:end], path, backend)
            if len(its) != 1:
                raise ValueError(f"the text of interaction at byte {start} holds {len(its)} interactions")
            yield its[0]
    return each()


def read_file(path: "Union[str, os.PathLike[str]]", backend: Optional[str] = None) -> List[Interaction]:
    """``read_interactions`` of the file at ``path`` (CassetteError if it cannot be read)."""
    from pyfantasy._errors import CassetteError
    where = os.fspath(path)
    try:
        with open(where, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise CassetteError(f"cannot read the file: {exc.strerror or exc}", path=where) from exc
    return read_interactions(data, where, backend)

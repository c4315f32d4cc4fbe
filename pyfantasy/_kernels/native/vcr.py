"""The C cassette reader (native/pf_vcr.c): the recorder's YAML subset -> Interactions.

Records are (interaction, field code, flags, offset, length) into one arena;
anything outside the subset raises ``Unsupported`` and the caller reads the
file with the loader instead.
"""
from __future__ import annotations

import threading
from typing import Any, List, Optional, Union

from pyfantasy._go.duration import DurationError, parse_duration
from pyfantasy._kernels.native import ffi, lib, owned
from pyfantasy._kernels.vcr import Unsupported
from pyfantasy._providers.formats import UNREAD
from pyfantasy.cassette import Interaction, Request, Response

# Field codes of native/pyfantasy.h (PF_VCR_REQUEST + i, PF_VCR_RESPONSE + i).
_REQ = ("proto", "proto_major", "proto_minor", "content_length", "transfer_encoding", "trailer",
        "host", "remote_addr", "request_uri", "body", "form", "headers", "url", "method")
_RESP = ("proto", "proto_major", "proto_minor", "transfer_encoding", "trailer", "content_length",
         "uncompressed", "body", "headers", "status", "code", "duration")
_INT = frozenset(("proto_major", "proto_minor", "content_length", "code"))
_LISTS = frozenset(("transfer_encoding",))
_MAPS = frozenset(("trailer", "form", "headers"))
# field code -> (is_response, name)
_FIELDS = {lib.PF_VCR_REQUEST + i: (False, n) for i, n in enumerate(_REQ)}
_FIELDS.update({lib.PF_VCR_RESPONSE + i: (True, n) for i, n in enumerate(_RESP)})
_ID = lib.PF_VCR_ID
_W = lib.PF_VCR_REC_W  # values per record

_BINARY, _PLAIN, _NULL, _KEY, _ITEM = (lib.PF_VCR_BINARY, lib.PF_VCR_PLAIN, lib.PF_VCR_NULL, lib.PF_VCR_KEY,
                                       lib.PF_VCR_ITEM)


_local = threading.local()


def _native_reader() -> tuple:
    """This thread's C reader (ffi, lib, reader, output, light rows pointer): its buffers are
    reused from file to file, and a C call runs without the GIL, so threads must not share one."""
    try:
        return _local.reader
    except AttributeError:
        _local.reader = (ffi, lib, owned(lib.pf_vcr_new(), lib.pf_vcr_free, "cassette reader"),
                         ffi.new("pf_vcr_out *"), ffi.new("const size_t **"))
        return _local.reader


def _text(raw: bytes, fl: int, body: bool) -> Union[str, bytes]:
    if fl & _BINARY:
        if body:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
    return raw.decode("utf-8")


# what a scan row reads of an interaction (``light=True``): the rest is not made into objects
_LIGHT = frozenset((lib.PF_VCR_REQUEST + _REQ.index(n) for n in ("url", "method", "body"))) | frozenset(
    (lib.PF_VCR_RESPONSE + _RESP.index(n) for n in ("body", "headers", "status", "code", "duration")))
_LIGHT_HEADERS = frozenset(("Content-Type",))


def _parse(data: bytes) -> tuple:
    """This thread's C reader, its output for ``data`` and its light rows pointer; ``Unsupported``
    when the text is outside the recorder's subset."""
    ffi, lib, v, out, rows_p = _native_reader()
    rc = lib.pf_vcr_parse(v, ffi.from_buffer(data), len(data), out)
    if rc == lib.PF_UNSUPPORTED:
        raise Unsupported(out.err_offset)
    if rc:
        raise MemoryError("pyfantasy cassette reader: out of memory")
    return v, out, rows_p


def native_interactions(data: bytes, light: bool = False) -> List[Interaction]:
    """Parse with the C reader. Raises ``Unsupported`` when the text is outside its subset.

    ``light``: only the fields a scan row reads (url, method and body of the request; body,
    status, code, Content-Type and duration of the response), bodies as bytes; the others keep
    their defaults. The text is checked as a whole all the same."""
    _, out, _ = _parse(data)
    n = out.ninteractions
    nrec = out.nrecs
    recs = ffi.unpack(out.recs, _W * nrec) if nrec else []
    arena = ffi.buffer(out.arena, out.arena_len)[:] if out.arena_len else b""
    ids = [0] * n
    reqs: List[dict] = [{} for _ in range(n)]
    resps: List[dict] = [{} for _ in range(n)]
    current: Optional[list] = None  # the list the next ITEM records go to
    skip_items = False
    for k in range(0, _W * nrec, _W):
        i, f, fl, off, ln = recs[k:k + _W]
        if light and f not in _LIGHT and f != _ID and not fl & _KEY:   # keys: still checked for repeats
            continue
        if f == _ID:
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
            skip_items = light and (f not in _LIGHT or key not in _LIGHT_HEADERS)   # the key stays: a repeat is caught
            m[key] = current = []
        elif fl & _ITEM:
            if skip_items and name not in _LISTS:
                continue
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
        elif light and name == "body":
            # bodies stay bytes (decoders read bytes): checked as the full read decodes them
            raw = arena[off:off + ln]
            if not (fl & _BINARY or raw.isascii()):
                raw.decode("utf-8")
            kw[name] = raw
        else:
            kw[name] = _text(arena[off:off + ln], fl, name == "body")
    return [Interaction(ids[i], Request(**reqs[i]), Response(**resps[i])) for i in range(n)]


# ---- the scan's view: a few fields per interaction (pf_vcr_light) ---------------------------

class _Borrowing:
    """A body that may still lie in the C reader's arena (``at``: arena buffer, its C pointer,
    offset, length), copied out when first read; else ``_body`` holds it and ``at`` is None."""

    __slots__ = ()
    _body: Union[bytes, str, None]
    at: Optional[tuple]

    @property
    def body(self) -> Union[bytes, str]:
        body = self._body
        if body is None:
            arena, _, off, n = self.at  # type: ignore[misc]
            body = self._body = arena[off:off + n]
        return body


class LightRequest(_Borrowing):
    """The request fields a scan row reads (``light_interactions``); ``parsed``: the body as
    ``request_json`` reads it as far as model and stream go, when C could tell, else UNREAD."""

    __slots__ = ("url", "method", "_body", "parsed", "at")

    def __init__(self, url: Union[str, bytes], method: Union[str, bytes], body: Union[bytes, str, None],
                 parsed: Any, at: Optional[tuple] = None) -> None:
        self.url, self.method, self._body, self.parsed, self.at = url, method, body, parsed, at


class LightResponse(_Borrowing):
    """The response fields a scan row reads; ``headers`` holds Content-Type alone."""

    __slots__ = ("_body", "headers", "status", "code", "duration_ns", "at")

    def __init__(self, body: Union[bytes, str, None], headers: dict, status: Union[str, bytes], code: int,
                 duration_ns: int, at: Optional[tuple] = None) -> None:
        self._body, self.headers, self.status, self.code, self.duration_ns, self.at = \
            body, headers, status, code, duration_ns, at


class LightInteraction:
    """An interaction as a scan row reads it: what ``native_interactions(light=True)`` gives,
    made straight from the C reader's per-interaction rows instead of every record."""

    __slots__ = ("id", "request", "response")

    def __init__(self, id: int, request: LightRequest, response: LightResponse) -> None:
        self.id, self.request, self.response = id, request, response


_LW = lib.PF_VCR_LIGHT_W
_REQ_UNREAD, _REQ_OBJECT = lib.PF_REQ_UNREAD, lib.PF_REQ_OBJECT   # PF_VL_REQ_JSON's values
# never changed: readers of request_json's value only read it
_STREAMS: dict = {"stream": True}
_NO_FIELDS: dict = {}
_NO_CTYPE: dict = {}   # never changed: a row's headers are read, not written


def light_interactions(data: bytes, borrow: bool = False) -> Optional[List[LightInteraction]]:
    """The interactions of a cassette as a scan row reads them, from one C parse of the file
    (pf_vcr_light); None when the file needs ``native_interactions`` (a repeated or binary
    header key, more than 256 map keys in one interaction, a Content-Type of several values, a
    duration Go cannot read). Raises ``Unsupported`` when the text is outside the C reader's
    subset, as ``native_interactions`` does.

    ``borrow``: bodies stay in the C reader's arena until read (a response's ``at`` lets the C
    decoder read it there): no copy of a body a row never reads as bytes. They are valid only
    until the next parse on this thread: read the interactions before reading another file."""
    v, out, rows_p = _parse(data)
    rc = lib.pf_vcr_light(v, out, rows_p)
    if rc:
        if rc < 0:
            raise MemoryError("pyfantasy cassette reader: out of memory")
        return None
    n = out.ninteractions
    rows = ffi.unpack(rows_p[0], _LW * n) if n else []
    arena = ffi.buffer(out.arena, out.arena_len)
    base = out.arena if borrow else None
    its = []
    append = its.append
    for k in range(0, _LW * n, _LW):
        (i0, il, ifl, u0, ul, ufl, m0, ml, mfl, q0, ql, qfl, b0, bl, bfl, s0, sl, sfl, c0, cl, cfl,
         d0, dl, dfl, t0, tl, tfl, dns, rj, mo, mn, st) = rows[k:k + _LW]
        if rj == _REQ_OBJECT:   # what a scan row reads of the request JSON: its model and stream
            parsed: Any = {"model": arena[mo:mo + mn].decode("ascii"), "stream": True} if mn and st else \
                {"model": arena[mo:mo + mn].decode("ascii")} if mn else _STREAMS if st else _NO_FIELDS
        else:
            parsed = UNREAD if rj == _REQ_UNREAD else None   # Python parses it; a JSON value that is no object
        if dns:   # the recorder's simple form, read in C
            dur = dns - 1
        elif dfl and not dfl & _NULL:
            try:
                dur = parse_duration(arena[d0:d0 + dl].decode("utf-8"))
            except (DurationError, UnicodeDecodeError):   # the record walk says what (as it reads it)
                return None
        else:
            dur = 0
        if tfl & _ITEM:
            headers = {"Content-Type": [_text(arena[t0:t0 + tl], tfl, False)]}
        else:
            headers = {"Content-Type": []} if tfl else _NO_CTYPE
        # Bodies stay bytes (decoders read bytes); absent, the field's default "". A value not in
        # !!binary is UTF-8 already: check_text validated the text, and escapes never give a surrogate.
        if base is None:
            req_body, req_at, body, at = arena[q0:q0 + ql] if qfl else "", None, arena[b0:b0 + bl] if bfl else "", None
        else:
            req_body, req_at = (None, (arena, base, q0, ql)) if qfl else ("", None)
            body, at = (None, (arena, base, b0, bl)) if bfl else ("", None)
        append(LightInteraction(
            int(arena[i0:i0 + il]) if ifl and not ifl & _NULL else 0,
            LightRequest(_text(arena[u0:u0 + ul], ufl, False), _text(arena[m0:m0 + ml], mfl, False),
                         req_body, parsed, req_at),
            LightResponse(body, headers, _text(arena[s0:s0 + sl], sfl, False),
                          int(arena[c0:c0 + cl]) if cfl and not cfl & _NULL else 0, dur, at)))
    return its


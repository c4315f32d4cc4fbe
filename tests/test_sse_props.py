"""Property tests for ``pyfantasy.sse`` (hypothesis).

Invariants:
(a) chunking invariance: a stream split at random points gives the same
    events (``feed()`` results + ``close()`` concatenated) and the same final
    ``last_event_id`` / ``retry`` as the stream fed whole;
(b) equivalence with ``reference_decode`` below, a deliberately naive
    decoder written straight from WHATWG HTML 9.2.6 "Interpreting an event
    stream": decode the WHOLE stream to str with errors="replace", strip one
    leading BOM, split at CRLF / CR / LF, process fields. It is the oracle.
    Also: what ``feed()`` has returned after any prefix is exactly what the
    oracle dispatches for that prefix (a prefix ending in CR excepted: its
    last CR may be half of a CRLF, so it is held);
(c) native == python on the same input and the same splits, errors compared
    as ``(type, str(exc))`` (skipped when the native backend is not built).

The streams are SSE-shaped: field names (real, near-miss, empty, BOM-
prefixed), a colon with 0/1/2 spaces, comments, blank lines, CR/LF/CRLF,
NUL, a leading BOM (0-2 of them), multibyte and invalid UTF-8, and random
raw bytes, optionally ending without a line end.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pyfantasy.sse import SSEDecoder

from test_sse_spec import SPEC_CASES, STATE_CASES


# --------------------------------------------------------------------------
# The oracle: WHATWG HTML 9.2.6, literally.
# --------------------------------------------------------------------------
_EOL = re.compile(r"\r\n|\r|\n")


def reference_decode(stream: bytes):
    """Return (events, last_event_id, retry, pending_data, clean_end) for a whole stream.

    events are tuples (event, data, id, retry); pending_data: a data buffer is
    left undispatched; clean_end: the stream ends with a line end and its last
    line is blank (or it has no line at all), so nothing at all is pending.
    """
    # "Streams must be decoded using the UTF-8 decode algorithm": errors become
    # U+FFFD and "one leading U+FEFF BYTE ORDER MARK character must be ignored".
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    # "a CRLF character pair, a single LF not preceded by a CR, and a single CR
    # not followed by an LF being the ways in which a line can end." A final
    # fragment with no line end is not a line: "Once the end of the file is
    # reached, any pending data must be discarded."
    lines = []
    pos = 0
    for m in _EOL.finditer(text):
        lines.append(text[pos:m.start()])
        pos = m.end()

    data_buf = ""        # "a data buffer, an event type buffer, and a last event
    type_buf = ""        # ID buffer must be associated with it. They must be
    last_id_buf = ""     # initialized to the empty string."
    last_event_id = ""   # the event source's "last event ID string"
    retry = None         # the event stream's "reconnection time"
    events = []

    for line in lines:
        if line == "":
            # Dispatch the event:
            # 1. "Set the last event ID string of the event source to the value
            #    of the last event ID buffer."
            last_event_id = last_id_buf
            # 2. "If the data buffer is an empty string, set the data buffer and
            #    the event type buffer to the empty string and return."
            if data_buf == "":
                data_buf = type_buf = ""
                continue
            # 3. "If the data buffer's last character is a U+000A LINE FEED (LF)
            #    character, then remove the last character from the data buffer."
            data = data_buf[:-1] if data_buf.endswith("\n") else data_buf
            # 5./6. type "message" unless the event type buffer is not empty.
            events.append((type_buf or "message", data, last_event_id, retry))
            # 7. "Set the data buffer and the event type buffer to the empty string."
            data_buf = type_buf = ""
            continue
        if line.startswith(":"):
            continue  # comment
        if ":" in line:
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            field, value = line, ""
        if field == "event":
            type_buf = value
        elif field == "data":
            data_buf += value + "\n"
        elif field == "id":
            if "\x00" not in value:
                last_id_buf = value
        elif field == "retry":
            # "If the field value consists of only ASCII digits" (an empty value
            # is not a number: ignored).
            if value and all("0" <= c <= "9" for c in value):
                retry = int(value, 10)
        # else: "The field is ignored."
    clean_end = pos == len(text) and (not lines or lines[-1] == "")
    return events, last_event_id, retry, data_buf != "", clean_end


def emitted_by_feed(prefix: bytes):
    """Events ``feed()`` must have returned once ``prefix`` has been fed.

    A prefix whose last byte is CR may be followed by LF, so the line that CR
    ends (possibly the blank line of an event) is not yet final.
    """
    if prefix.endswith(b"\r"):
        prefix = prefix[:-1]
    # (the oracle discards the now unterminated last line)
    return reference_decode(prefix)[0]


# --------------------------------------------------------------------------
# Strategies.
# --------------------------------------------------------------------------
NAMES = [b"data", b"data", b"data", b"event", b"id", b"retry", b"retry",
         b"", b"dat", b"Data", b"foo", b"data ", b"\xef\xbb\xbfdata", b"i\x00d"]
SEPS = [b"", b":", b":", b": ", b": ", b":  "]
ATOMS = [b"a", b"xyz", b" ", b":", b": ", b"0", b"12", b"007", b"+1", b"-3", b"1.5",
         b"\x00", b"\t", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
         b"\xff", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xed\xa0\x80",
         b"\x80", b"\xef\xbb\xbf", b"\xef\xbb", b"\xd9\xa3", b"\xef\xbc\x91",
         b"\xe2\x80\xa8", b"\xc2\x85", b"\x0b"]
EOLS = [b"\n", b"\n", b"\r", b"\r\n"]

values = st.lists(st.sampled_from(ATOMS), max_size=4).map(b"".join)
field_lines = st.builds(lambda n, s, v: n + s + v,
                        st.sampled_from(NAMES), st.sampled_from(SEPS), values)
comment_lines = values.map(lambda v: b":" + v)
raw_lines = st.binary(max_size=6)
lines = st.one_of(field_lines, field_lines, st.just(b""), st.just(b""),
                  comment_lines, raw_lines)


@st.composite
def sse_streams(draw, max_lines=25):
    bom = draw(st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf"]))
    parts = [bom]
    for line in draw(st.lists(lines, max_size=max_lines)):
        parts.append(line)
        parts.append(draw(st.sampled_from(EOLS)))
    parts.append(draw(st.sampled_from([b"", b"", b"", b"\r", b"data: tail", b"\xe2\x82"])))
    return b"".join(parts)


@st.composite
def streams_and_splits(draw):
    stream = draw(sse_streams())
    cuts = draw(st.lists(st.integers(0, len(stream)), max_size=12))
    bounds = [0] + sorted(cuts) + [len(stream)]
    chunks = [stream[a:b] for a, b in zip(bounds, bounds[1:])]
    return stream, chunks


def tup(ev):
    return (ev.event, ev.data, ev.id, ev.retry)


def run(chunks, backend):
    dec = SSEDecoder(backend=backend)
    out = []
    for chunk in chunks:
        out.extend(dec.feed(chunk))
    out.extend(dec.close())
    return [tup(e) for e in out], dec.last_event_id, dec.retry


# The ``backend`` fixture only hands out a name: nothing to reset between examples.
backend_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


# --------------------------------------------------------------------------
# The oracle agrees with the hand-written table (so a wrong oracle shows).
# --------------------------------------------------------------------------
@pytest.mark.parametrize("stream, expected", SPEC_CASES)
def test_reference_matches_spec_table(stream, expected):
    assert reference_decode(stream)[0] == expected


@pytest.mark.parametrize("stream, last_event_id, retry", STATE_CASES)
def test_reference_matches_state_table(stream, last_event_id, retry):
    assert reference_decode(stream)[1:3] == (last_event_id, retry)


# --------------------------------------------------------------------------
# (a) chunking invariance and (b) the oracle.
# --------------------------------------------------------------------------
@backend_ok
@given(streams_and_splits())
def test_chunking_invariance_and_reference(backend, case):
    stream, chunks = case
    whole = run([stream], backend)
    # (a) the same events and final state whatever the cuts ...
    assert run(chunks, backend) == whole
    # (b) ... and they are the oracle's.
    assert whole == reference_decode(stream)[:3]


@backend_ok
@given(sse_streams())
def test_bytewise_equals_whole(backend, stream):
    assert run([stream[i:i + 1] for i in range(len(stream))], backend) == run([stream], backend)


@backend_ok
@given(streams_and_splits())
def test_feed_emits_as_soon_as_blank_line_seen_and_pending(backend, case):
    _, chunks = case
    dec = SSEDecoder(backend=backend)
    got = []
    fed = b""
    for chunk in chunks:
        got.extend(tup(e) for e in dec.feed(chunk))
        fed += chunk
        assert got == emitted_by_feed(fed), f"after {fed!r}"
    got.extend(tup(e) for e in dec.close())
    ref = reference_decode(fed)
    assert got == ref[0]
    # pending: only the two cases the interface pins down. A data buffer left
    # without its blank line -> truthy; a stream whose last line is blank (so
    # that the last block ended) -> falsy.
    if ref[3]:
        assert dec.pending
    if ref[4]:
        assert not dec.pending


@pytest.mark.parametrize("stream, expected", SPEC_CASES)
def test_spec_table_prefixes_emit_eagerly(stream, expected, backend):
    for i in range(len(stream) + 1):
        dec = SSEDecoder(backend=backend)
        assert [tup(e) for e in dec.feed(stream[:i])] == emitted_by_feed(stream[:i]), i


# --------------------------------------------------------------------------
# (c) native == python.
# --------------------------------------------------------------------------
def trace(chunks, backend, after_close):
    """Outcome of every call, errors as (type, str)."""
    dec = SSEDecoder(backend=backend)
    out = []

    def call(fn, *args):
        try:
            res = fn(*args)
        except Exception as exc:  # noqa: BLE001 - compared across backends
            out.append(("err", type(exc), str(exc)))
        else:
            out.append(("ok", [tup(e) for e in res]))
        out.append((dec.last_event_id, dec.retry, bool(dec.pending)))

    for chunk in chunks:
        call(dec.feed, chunk)
    call(dec.close)
    for op in after_close:
        if op == "close":
            call(dec.close)
        else:
            call(dec.feed, op)
    return out


@pytest.mark.needs_native
@given(streams_and_splits(),
       st.lists(st.sampled_from(["close", b"", b"data: x\n\n", b"\r"]), max_size=3))
def test_native_equals_python(case, after_close):
    _, chunks = case
    assert trace(chunks, "native", after_close) == trace(chunks, "python", after_close)


@pytest.mark.needs_native
@given(sse_streams())
def test_native_equals_python_bytewise(stream):
    chunks = [stream[i:i + 1] for i in range(len(stream))]
    assert trace(chunks, "native", []) == trace(chunks, "python", [])


_EVENT_FIELDS = st.tuples(st.sampled_from([None, b"a", b"b", b""]), st.sampled_from([None, b"1", b"2", b""]),
                          st.sampled_from([b"x", b"y", b"n\x00ul", b"\xc3\xa9"]), st.sampled_from([None, None, b"7"]))


@pytest.mark.needs_native
@given(st.lists(st.lists(_EVENT_FIELDS, min_size=1, max_size=3), max_size=8))
def test_native_equals_python_whole_event_feeds(feeds):
    """Feeds of whole events whose types and ids repeat from feed to feed, or change, with NULs
    and retry lines between: the native decoder's reuse of the previous feed's type and id
    strings (pf_sse_out.as_before) gives the python twin's events."""
    chunks = []
    for feed in feeds:
        out = b""
        for etype, eid, data, retry in feed:
            out += (b"event: " + etype + b"\n" if etype is not None else b"")
            out += (b"id: " + eid + b"\n" if eid is not None else b"")
            out += (b"retry: " + retry + b"\n" if retry is not None else b"")
            out += b"data: " + data + b"\n\n"
        chunks.append(out)
    assert trace(chunks, "native", []) == trace(chunks, "python", [])


# the only opcodes pf_pickle.h may write: a list of str, nothing that names or calls anything
_PICKLE_OPCODES = {"PROTO", "EMPTY_LIST", "MARK", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "APPENDS", "STOP"}
# data values: any bytes (invalid UTF-8, encoded surrogates, NULs), sizes around the
# 1-byte and 4-byte length forms; a CR would end the line, so there is none
_DATA = st.one_of(st.binary(max_size=300), st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=3),
                                                      st.integers(250, 70000))).map(lambda b: b.replace(b"\r", b""))


@pytest.mark.needs_native
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_DATA, min_size=1, max_size=5))
def test_native_data_pickle_holds_only_the_strings(datas):
    """The native kernel hands a feed's data over as a pickle written by C (pf_pickle.h): it
    holds only a list of str, each the data decoded as Python's "replace" does (every line of
    a multi-line value one data line, joined with LF as the spec says)."""
    import pickletools

    from pyfantasy._kernels.native import ffi
    from pyfantasy._kernels.native.sse import SSEKernel

    stream = b"".join(b"".join(b"data: " + line + b"\n" for line in d.split(b"\n")) + b"\n" for d in datas)
    k = SSEKernel()
    events = k.feed(stream)
    want = [d.decode("utf-8", "replace") for d in datas]
    assert [e.data for e in events] == want
    pk = ffi.buffer(k._out.pk, k._out.pk_len)[:]
    assert {op.name for op, _, _ in pickletools.genops(pk)} <= _PICKLE_OPCODES
    assert [e.data for e in SSEDecoder("python").feed(stream)] == want

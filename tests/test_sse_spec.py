"""Spec-as-data tests for ``pyfantasy.sse`` (WHATWG HTML, "Server-sent events").

What: one ``pytest.param(input_bytes, expected_events, id=...)`` per rule of
section 9.2.6 "Interpreting an event stream"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation),
plus the promises of ``shared/docs/interface.md`` ("SSE decoding").

Strategy: every table case runs on both backends (``backend`` fixture) and
under three chunkings (h11's ``tr``): the whole input in one ``feed()``, one
byte per ``feed()``, and every 2-way split point (which includes a cut
between CR and LF, inside the BOM and inside every UTF-8 sequence). The
events of ``feed()`` + ``close()`` concatenated must be the expected ones,
and the final ``last_event_id`` / ``retry`` must not depend on the chunking.

Expected events are written as tuples ``(event, data, id, retry)``; the
decoder's ``Event`` objects are compared through ``as_tuple``. httpx-sse's
deviations (dispatch of blocks without data, ``int()``
for retry, str-only input) are deliberately NOT copied.
"""
from __future__ import annotations

import pytest

import pyfantasy
from pyfantasy.sse import Event, SSEDecoder


def E(data, event="message", id="", retry=None):
    """An expected event as a tuple (event, data, id, retry)."""
    return (event, data, id, retry)


def U(raw: bytes) -> str:
    """What the WHATWG "UTF-8 decode" (= Python's errors='replace') makes of ``raw``."""
    return raw.decode("utf-8", "replace")


def as_tuple(ev):
    assert isinstance(ev.event, str) and isinstance(ev.data, str) and isinstance(ev.id, str)
    assert ev.retry is None or (isinstance(ev.retry, int) and not isinstance(ev.retry, bool))
    return (ev.event, ev.data, ev.id, ev.retry)


def run_chunks(chunks, backend):
    """Feed ``chunks`` then close; return (events as tuples, last_event_id, retry)."""
    dec = SSEDecoder(backend=backend)
    out = []
    for chunk in chunks:
        out.extend(dec.feed(chunk))
    out.extend(dec.close())
    return [as_tuple(e) for e in out], dec.last_event_id, dec.retry


def chunkings(data: bytes):
    """(name, chunks): whole, byte by byte, and every 2-way split (ends included)."""
    yield "whole", [data]
    yield "bytewise", [data[i:i + 1] for i in range(len(data))]
    for i in range(len(data) + 1):
        yield f"split@{i}", [data[:i], data[i:]]


def check_all_chunkings(data, backend, expected=None):
    """Run every chunking; all must agree (with ``expected`` when given). Returns the state."""
    ref = None
    for name, chunks in chunkings(data):
        got = run_chunks(chunks, backend)
        if expected is not None:
            assert got[0] == expected, f"chunking {name}: {chunks!r}"
        if ref is None:
            ref = got
        else:
            assert got == ref, f"chunking {name} differs from whole: {chunks!r}"
    return ref


# --------------------------------------------------------------------------
# The table. Spec quotes are from WHATWG HTML 9.2.6 unless said otherwise.
# --------------------------------------------------------------------------
SPEC_CASES = [
    # ---- The spec's own examples (9.2.6 and 9.2.5) -------------------------
    # 9.2.6: "The following event stream, once followed by a blank line: data: YHOO /
    # data: +2 / data: 10 ... would cause an event message with the interface
    # MessageEvent to be dispatched ... whose data attribute would contain the
    # string 'YHOO\n+2\n10'".
    pytest.param(b"data: YHOO\ndata: +2\ndata: 10\n\n", [E("YHOO\n+2\n10")],
                 id="whatwg-example-stock"),
    # 9.2.6: "The following stream contains four blocks. The first block has just a
    # comment, and will fire nothing. The second block has two fields with names
    # 'data' and 'id' respectively; an event will be fired for this block, with
    # the data 'first event', and will then set the last event ID to '1' ... The
    # third block fires an event with data 'second event', and also has an 'id'
    # field, this time with no value, which resets the last event ID to the empty
    # string ... The last block just fires an event with the data ' third event'
    # (with a single leading space character)."
    pytest.param(b": test stream\n\ndata: first event\nid: 1\n\n"
                 b"data:second event\nid\n\ndata:  third event\n\n",
                 [E("first event", id="1"), E("second event", id=""), E(" third event")],
                 id="whatwg-example-ids-and-comment"),
    # 9.2.6: "The following stream fires two events: data / (blank) / data / data /
    # (blank) / data: ... The first block fires events with the data set to the
    # empty string, as would the last block if it was followed by a blank line.
    # The middle block fires an event with the data set to a single newline
    # character. The last block is discarded because it is not followed by a
    # blank line."
    pytest.param(b"data\n\ndata\ndata\n\ndata:", [E(""), E("\n")],
                 id="whatwg-example-empty-data"),
    # 9.2.6: "The following stream fires two identical events: data:test / (blank) /
    # data: test / (blank). This is because the space after the colon is ignored
    # if present."
    pytest.param(b"data:test\n\ndata: test\n\n", [E("test"), E("test")],
                 id="whatwg-example-optional-space"),
    # 9.2.5 (authoring): "event: add / data: 73857293 / (blank) / event: remove /
    # data: 2153 / (blank) / event: add / data: 113411".
    pytest.param(b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"
                 b"event: add\ndata: 113411\n\n",
                 [E("73857293", event="add"), E("2153", event="remove"),
                  E("113411", event="add")],
                 id="whatwg-example-event-types"),
    # 9.2.5: "data: This is the first message. / (blank) / data: This is the second
    # message, it / data: has two lines. / (blank) / data: This is the third message."
    pytest.param(b"data: This is the first message.\n\n"
                 b"data: This is the second message, it\ndata: has two lines.\n\n"
                 b"data: This is the third message.\n\n",
                 [E("This is the first message."),
                  E("This is the second message, it\nhas two lines."),
                  E("This is the third message.")],
                 id="whatwg-example-messages"),

    # ---- BOM --------------------------------------------------------------
    # "Event streams ... must always be decoded as UTF-8 ... One leading U+FEFF BYTE
    # ORDER MARK character must be ignored if any are present." (UTF-8 decode
    # strips exactly one BOM, and only at the start of the stream.)
    pytest.param(b"\xef\xbb\xbfdata: a\n\n", [E("a")], id="bom-at-start-stripped"),
    pytest.param(b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n", [E("b")],
                 id="bom-only-one-stripped"),  # 2nd BOM -> field "\ufeffdata" ignored
    pytest.param(b"data: a\n\n\xef\xbb\xbfdata: b\n\n", [E("a")],
                 id="bom-mid-stream-kept"),  # field "\ufeffdata" is unknown
    pytest.param(b"\xef\xbb\xbfdata: \xef\xbb\xbfx\n\n", [E("\ufeffx")],
                 id="bom-in-value-kept"),
    pytest.param(b"\xef\xbb\xbf\ndata: a\n\n", [E("a")], id="bom-then-blank-line"),
    pytest.param(b"\xef\xbb\xbf: comment\ndata: a\n\n", [E("a")], id="bom-then-comment"),
    pytest.param(b"\xef\xbbdata: a\n\ndata: b\n\n", [E("b")],
                 id="bom-truncated-is-replacement-not-bom"),  # "\ufffddata" unknown
    pytest.param(b"\xef\xbb\xbf", [], id="bom-only"),

    # ---- Line ends --------------------------------------------------------
    # "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single
    # U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR)
    # character, and a single U+000D CARRIAGE RETURN (CR) character not followed by
    # a U+000A LINE FEED (LF) character being the ways in which a line can end."
    pytest.param(b"data: a\n\ndata: b\n\n", [E("a"), E("b")], id="eol-lf"),
    pytest.param(b"data: a\r\n\r\ndata: b\r\n\r\n", [E("a"), E("b")], id="eol-crlf"),
    pytest.param(b"data: a\r\rdata: b\r\r", [E("a"), E("b")], id="eol-cr"),
    pytest.param(b"data: a\r\ndata: b\r\n\r\n", [E("a\nb")], id="eol-crlf-multiline"),
    pytest.param(b"data: a\rdata: b\r\r", [E("a\nb")], id="eol-cr-multiline"),
    pytest.param(b"data: a\rdata: b\ndata: c\r\n\n", [E("a\nb\nc")], id="eol-mixed"),
    pytest.param(b"data: a\r\n\ndata: b\n\r\ndata: c\r\r\n", [E("a"), E("b"), E("c")],
                 id="eol-mixed-blank-lines"),
    # LF then CR is two line ends (the CR is not followed by LF).
    pytest.param(b"data: a\n\rdata: b\n\n", [E("a"), E("b")], id="eol-lf-cr-is-two"),
    # CR, then CRLF: a line end, then a blank line.
    pytest.param(b"data: a\r\r\ndata: b\n\n", [E("a"), E("b")], id="eol-cr-crlf"),
    pytest.param(b"data: a\n\r\n", [E("a")], id="eol-lf-crlf"),
    # A final CR ends the blank line (nothing follows, so it is not a CRLF).
    pytest.param(b"data: a\n\r", [E("a")], id="eol-trailing-cr-blank-line"),
    pytest.param(b"data: a\r\r", [E("a")], id="eol-trailing-cr-cr"),
    pytest.param(b"data: a\r\n\r", [E("a")], id="eol-trailing-crlf-cr"),
    # Only CR, LF and CRLF end lines: not NEL, LS, PS, VT, FF (Python's splitlines would).
    pytest.param(b"data: a\xe2\x80\xa8b\xe2\x80\xa9c\xc2\x85d\x0be\x0cf\x1cg\n\n",
                 [E("a\u2028b\u2029c\x85d\x0be\x0cf\x1cg")], id="eol-unicode-separators-not-eol"),
    pytest.param(b"\n\n\r\n\r\r", [], id="eol-blank-lines-only"),

    # ---- Comments ---------------------------------------------------------
    # "If the line starts with a U+003A COLON character (:) -> Ignore the line."
    pytest.param(b": hello\ndata: a\n\n", [E("a")], id="comment-ignored"),
    pytest.param(b": hello\n\n", [], id="comment-only-block-no-dispatch"),
    pytest.param(b"data: a\n: x\ndata: b\n\n", [E("a\nb")], id="comment-between-data"),
    pytest.param(b":\ndata: a\n\n", [E("a")], id="comment-bare-colon"),
    pytest.param(b":data: x\n\n", [], id="comment-looks-like-field"),
    pytest.param(b"data: a\n:\n\n", [E("a")], id="comment-before-blank-line"),

    # ---- Field parsing ----------------------------------------------------
    # "Otherwise, the string is not empty but does not contain a U+003A COLON
    # character (:) -> Process the field using the steps described below, using the
    # whole line as the field name, and the empty string as the field value."
    pytest.param(b"data\n\n", [E("")], id="field-no-colon-data"),
    pytest.param(b"data\ndata\n\n", [E("\n")], id="field-no-colon-data-twice"),
    pytest.param(b"event: x\nevent\ndata: a\n\n", [E("a")], id="field-no-colon-event-empty"),
    pytest.param(b"id: 1\ndata: a\n\nid\ndata: b\n\n", [E("a", id="1"), E("b", id="")],
                 id="field-no-colon-id-resets"),
    pytest.param(b"data \n\n", [], id="field-no-colon-trailing-space-unknown"),
    # "If the line contains a U+003A COLON character (:) -> Collect the characters on
    # the line before the first U+003A COLON character (:), and let field be that
    # string. Collect the characters on the line after the first U+003A COLON
    # character (:), and let value be that string."
    pytest.param(b"data: a: b:c\n\n", [E("a: b:c")], id="field-value-keeps-later-colons"),
    pytest.param(b"data : a\n\n", [], id="field-name-with-space-unknown"),
    pytest.param(b" data: a\n\n", [], id="field-name-leading-space-unknown"),
    pytest.param(b"Data: a\nDATA: b\n\n", [], id="field-name-case-sensitive"),
    # "If value starts with a U+0020 SPACE character, remove it from value."
    pytest.param(b"data:a\n\n", [E("a")], id="space-none"),
    pytest.param(b"data:  a\n\n", [E(" a")], id="space-only-one-removed"),
    pytest.param(b"data:   a\n\n", [E("  a")], id="space-three-one-removed"),
    pytest.param(b"data:\ta\n\n", [E("\ta")], id="space-tab-kept"),
    pytest.param(b"data: a \n\n", [E("a ")], id="space-trailing-kept"),
    pytest.param(b"data: \n\n", [E("")], id="space-only-value"),
    pytest.param(b"data:  \n\n", [E(" ")], id="space-two-only-value"),
    pytest.param(b"event:  x\ndata: a\n\n", [E("a", event=" x")], id="space-event-one-removed"),
    pytest.param(b"id:  x \ndata: a\n\n", [E("a", id=" x ")], id="space-id-one-removed"),
    # "Otherwise -> The field is ignored."
    pytest.param(b"foo: bar\ndata: a\n\n", [E("a")], id="unknown-field-ignored"),
    pytest.param(b"foo: bar\n\n", [], id="unknown-field-only-block"),
    pytest.param(b"dat: a\ndatas: b\n\n", [], id="unknown-field-near-names"),

    # ---- data -------------------------------------------------------------
    # "If the field name is 'data' -> Append the field value to the data buffer,
    # then append a single U+000A LINE FEED (LF) character to the data buffer."
    # Dispatch: "If the data buffer's last character is a U+000A LINE FEED (LF)
    # character, then remove the last character from the data buffer."
    pytest.param(b"data: a\ndata: b\ndata: c\n\n", [E("a\nb\nc")], id="data-multiline-joined"),
    pytest.param(b"data: a\ndata:\n\n", [E("a\n")], id="data-trailing-empty-line"),
    pytest.param(b"data:\ndata: a\n\n", [E("\na")], id="data-leading-empty-line"),
    pytest.param(b"data:\ndata:\n\n", [E("\n")], id="data-only-one-lf-removed"),
    pytest.param(b"data:\n\n", [E("")], id="data-empty-value-dispatches"),
    pytest.param(b"data: a\x00b\n\n", [E("a\x00b")], id="data-nul"),
    pytest.param(b"data: \x00\n\n", [E("\x00")], id="data-only-nul"),

    # ---- event ------------------------------------------------------------
    # "If the field name is 'event' -> Set the event type buffer to field value."
    # Dispatch: "Initialize event's type attribute to 'message' ... If the event type
    # buffer has a value other than the empty string, change the type of the newly
    # created event to equal the value of the event type buffer." ... "Set the data
    # buffer and the event type buffer to the empty string."
    pytest.param(b"event: add\ndata: a\n\n", [E("a", event="add")], id="event-type"),
    pytest.param(b"event:\ndata: a\n\n", [E("a")], id="event-empty-is-message"),
    pytest.param(b"event: add\ndata: a\n\ndata: b\n\n", [E("a", event="add"), E("b")],
                 id="event-type-reset-after-dispatch"),
    pytest.param(b"event: a\nevent: b\ndata: x\n\n", [E("x", event="b")], id="event-last-wins"),
    pytest.param(b"data: x\nevent: add\n\n", [E("x", event="add")], id="event-after-data"),
    pytest.param(b"event: a:b\ndata: x\n\n", [E("x", event="a:b")], id="event-with-colon"),
    pytest.param(b"event: message\ndata: x\n\n", [E("x")], id="event-explicit-message"),
    pytest.param(b"event: \xc3\xa9v\x00\ndata: x\n\n", [E("x", event="\xe9v\x00")],
                 id="event-non-ascii-and-nul"),
    # "If the data buffer is an empty string, set the data buffer and the event type
    # buffer to the empty string and return."
    pytest.param(b"event: add\n\ndata: b\n\n", [E("b")], id="event-reset-by-empty-block"),

    # ---- id ---------------------------------------------------------------
    # "If the field name is 'id' -> If the field value does not contain U+0000 NULL,
    # then set the last event ID buffer to the field value. Otherwise, ignore the
    # field." Dispatch: "Set the last event ID string of the event source to the
    # value of the last event ID buffer. The buffer does not get reset, so the last
    # event ID string of the event source remains set to this value until the next
    # time it is set by the server."
    pytest.param(b"id: 1\ndata: a\n\n", [E("a", id="1")], id="id-set"),
    pytest.param(b"id: 1\ndata: a\n\ndata: b\n\n", [E("a", id="1"), E("b", id="1")],
                 id="id-persists"),
    pytest.param(b"data: a\nid: 7\n\n", [E("a", id="7")], id="id-after-data-same-block"),
    pytest.param(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
                 [E("a", id="1"), E("b", id="1")], id="id-with-nul-ignored"),
    pytest.param(b"id: \x00\ndata: a\n\n", [E("a")], id="id-only-nul-ignored"),
    pytest.param(b"id: 1\ndata: a\n\nid:\ndata: b\n\n", [E("a", id="1"), E("b", id="")],
                 id="id-empty-resets"),
    pytest.param(b"id: 5\n\ndata: a\n\n", [E("a", id="5")], id="id-only-block-no-dispatch"),
    pytest.param(b"id: 1\nid: 2\ndata: a\n\n", [E("a", id="2")], id="id-last-wins"),
    pytest.param(b"id: \xc3\xa9\xe2\x82\xac\ndata: a\n\n", [E("a", id="\xe9\u20ac")],
                 id="id-non-ascii"),
    pytest.param(b"data: a\n\nid: 9\n", [E("a")], id="id-trailing-not-dispatched"),

    # ---- retry ------------------------------------------------------------
    # "If the field name is 'retry' -> If the field value consists of only ASCII
    # digits, then interpret the field value as an integer in base ten, and set the
    # event stream's reconnection time to that integer. Otherwise, ignore the field."
    # (interface.md: Event.retry is "the reconnection time in force when the event
    # was dispatched, set by any earlier valid retry field of the stream".)
    pytest.param(b"retry: 1000\ndata: a\n\n", [E("a", retry=1000)], id="retry-set"),
    pytest.param(b"retry: 1000\ndata: a\n\ndata: b\n\n",
                 [E("a", retry=1000), E("b", retry=1000)], id="retry-stays-in-force"),
    pytest.param(b"retry: 10\n\ndata: a\n\n", [E("a", retry=10)], id="retry-only-block"),
    pytest.param(b"data: a\nretry: 5\n\n", [E("a", retry=5)], id="retry-after-data-same-block"),
    pytest.param(b"retry: 5\ndata: a\n\nretry: 6\ndata: b\n\n",
                 [E("a", retry=5), E("b", retry=6)], id="retry-later-overrides"),
    pytest.param(b"retry:5\ndata: a\n\n", [E("a", retry=5)], id="retry-no-space"),
    pytest.param(b"retry: 0\ndata: a\n\n", [E("a", retry=0)], id="retry-zero"),
    pytest.param(b"retry: 007\ndata: a\n\n", [E("a", retry=7)], id="retry-leading-zeros"),
    pytest.param(b"retry: 99999999999999999999\ndata: a\n\n",
                 [E("a", retry=99999999999999999999)], id="retry-large-integer"),
    pytest.param(b"retry: +12\ndata: a\n\n", [E("a")], id="retry-plus-sign-ignored"),
    pytest.param(b"retry: -1\ndata: a\n\n", [E("a")], id="retry-minus-sign-ignored"),
    pytest.param(b"retry: 1.5\ndata: a\n\n", [E("a")], id="retry-decimal-ignored"),
    pytest.param(b"retry: 1_000\ndata: a\n\n", [E("a")], id="retry-underscore-ignored"),
    pytest.param(b"retry: 0x10\ndata: a\n\n", [E("a")], id="retry-hex-ignored"),
    pytest.param(b"retry: 1e3\ndata: a\n\n", [E("a")], id="retry-exponent-ignored"),
    pytest.param(b"retry:  12\ndata: a\n\n", [E("a")], id="retry-two-spaces-ignored"),
    pytest.param(b"retry: 12 \ndata: a\n\n", [E("a")], id="retry-trailing-space-ignored"),
    pytest.param(b"retry: 1\t\ndata: a\n\n", [E("a")], id="retry-trailing-tab-ignored"),
    pytest.param(b"retry: \xd9\xa1\xd9\xa2\ndata: a\n\n", [E("a")],
                 id="retry-arabic-indic-digits-ignored"),
    pytest.param(b"retry: \xef\xbc\x91\xef\xbc\x92\ndata: a\n\n", [E("a")],
                 id="retry-fullwidth-digits-ignored"),
    pytest.param(b"retry: \xc2\xb2\ndata: a\n\n", [E("a")], id="retry-superscript-ignored"),
    pytest.param(b"retry: 1\x002\ndata: a\n\n", [E("a")], id="retry-nul-ignored"),
    pytest.param(b"retry: 5\ndata: a\n\nretry:\ndata: b\n\n",
                 [E("a", retry=5), E("b", retry=5)], id="retry-empty-value-ignored"),
    pytest.param(b"retry\ndata: a\n\n", [E("a")], id="retry-no-colon-ignored"),
    pytest.param(b"retry: 5\nretry: x\ndata: a\n\n", [E("a", retry=5)],
                 id="retry-invalid-keeps-previous"),

    # ---- Dispatch ---------------------------------------------------------
    # "If the line is empty (a blank line) -> Dispatch the event" ... "If the data
    # buffer is an empty string, set the data buffer and the event type buffer to
    # the empty string and return."
    pytest.param(b"event: x\nid: 1\nretry: 5\n\n", [], id="dispatch-no-data-no-event"),
    pytest.param(b"event: x\nid: 1\nretry: 5\n\ndata: a\n\n", [E("a", id="1", retry=5)],
                 id="dispatch-no-data-then-event"),
    pytest.param(b"data: a\n\n\n\ndata: b\n\n", [E("a"), E("b")],
                 id="dispatch-extra-blank-lines"),
    # "Once the end of the file is reached, any pending data must be discarded. (If
    # the file ends in the middle of an event, before the final empty line, the
    # incomplete event is not dispatched.)"
    pytest.param(b"data: a\n", [], id="eof-incomplete-block"),
    pytest.param(b"data: a", [], id="eof-incomplete-line"),
    pytest.param(b"data: a\r", [], id="eof-incomplete-block-cr"),
    pytest.param(b"data: a\r\n", [], id="eof-incomplete-block-crlf"),
    pytest.param(b"data: a\n\ndata: b\n", [E("a")], id="eof-incomplete-after-complete"),
    pytest.param(b"", [], id="eof-empty-stream"),

    # ---- UTF-8 ------------------------------------------------------------
    # "Streams must be decoded using the UTF-8 decode algorithm." (errors become
    # U+FFFD, as Python's bytes.decode('utf-8', 'replace') of the whole stream.)
    pytest.param(b"data: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n\n", [E("\xe9\u20ac\U0001F600")],
                 id="utf8-multibyte"),
    pytest.param(b"data: \xff\xfe\n\n", [E(U(b"\xff\xfe"))], id="utf8-invalid-bytes"),
    pytest.param(b"data: \xe2\x82\n\n", [E(U(b"\xe2\x82"))], id="utf8-truncated-3byte"),
    pytest.param(b"data: \xf0\x9f\x98\n\n", [E(U(b"\xf0\x9f\x98"))], id="utf8-truncated-4byte"),
    pytest.param(b"data: a\xe2\x82\ndata: b\xc3\rdata: c\xf0\x9f\r\n\n",
                 [E(U(b"a\xe2\x82") + "\n" + U(b"b\xc3") + "\n" + U(b"c\xf0\x9f"))],
                 id="utf8-truncated-before-eol"),
    pytest.param(b"data: \xc0\xaf\n\n", [E(U(b"\xc0\xaf"))], id="utf8-overlong"),
    pytest.param(b"data: \xed\xa0\x80\n\n", [E(U(b"\xed\xa0\x80"))], id="utf8-surrogate"),
    pytest.param(b"data: \xf4\x90\x80\x80\n\n", [E(U(b"\xf4\x90\x80\x80"))],
                 id="utf8-above-max"),
    pytest.param(b"data: \x80\x80x\xbf\n\n", [E(U(b"\x80\x80x\xbf"))],
                 id="utf8-lone-continuations"),
    pytest.param(b"data: \xe2\x28\xa1\n\n", [E(U(b"\xe2\x28\xa1"))], id="utf8-bad-second-byte"),
    pytest.param(b"da\xfft\xc3a: a\n\n", [], id="utf8-invalid-in-field-name"),
    pytest.param(b"event: \xff\ndata: x\n\n", [E("x", event="\ufffd")], id="utf8-invalid-in-event"),
    pytest.param(b"id: \xc3\ndata: x\n\n", [E("x", id="\ufffd")], id="utf8-invalid-in-id"),

    # ---- NUL --------------------------------------------------------------
    pytest.param(b"da\x00ta: x\n\n", [], id="nul-in-field-name"),
    pytest.param(b"\x00\n\n", [], id="nul-line-is-unknown-field"),
    pytest.param(b": \x00\ndata: \x00a\x00\n\n", [E("\x00a\x00")], id="nul-comment-and-data"),
]


# (input, last_event_id, retry) after feed + close, under every chunking.
STATE_CASES = [
    pytest.param(b"", "", None, id="initial"),
    # Dispatch step: "Set the last event ID string of the event source to the value
    # of the last event ID buffer." -- even when the data buffer is empty.
    pytest.param(b"id: 5\n\n", "5", None, id="id-committed-by-empty-block"),
    # interface.md: "a trailing id: line with no blank line after it does not change it".
    pytest.param(b"id: 5\n", "", None, id="id-trailing-not-committed"),
    pytest.param(b"id: 5\r", "", None, id="id-trailing-cr-not-committed"),
    pytest.param(b"id: 5\r\r", "5", None, id="id-committed-by-final-cr"),
    pytest.param(b"id: 5\n\nid: 6\n", "5", None, id="id-second-not-committed"),
    pytest.param(b"data: a\n\nid: 9\n", "", None, id="id-after-event-not-committed"),
    pytest.param(b"id: 5\n\nid\n\n", "", None, id="id-reset-committed"),
    pytest.param(b"id: 5\n\nid: a\x00b\n\n", "5", None, id="id-nul-ignored"),
    # interface.md: "a valid retry line applies as soon as it is read".
    pytest.param(b"retry: 7\n", "", 7, id="retry-applies-without-blank-line"),
    pytest.param(b"retry: 7\n\nretry: x\n\n", "", 7, id="retry-invalid-keeps"),
    pytest.param(b"retry: 7\n\nretry: +8\nretry: 9 \nretry:\n", "", 7, id="retry-invalids-keep"),
    pytest.param(b"retry: 7\n\nretry: 8\n", "", 8, id="retry-latest"),
    pytest.param(b"retry: 7", "", None, id="retry-unterminated-line-not-read"),
    pytest.param(b"\xef\xbb\xbfid: x\n\n", "x", None, id="bom-then-id"),
    pytest.param(b"id: 1\nretry: 2\ndata: a\n\nid: 3\nretry: 4\ndata: b\n", "1", 4,
                 id="mixed-trailing-block"),
]


@pytest.mark.parametrize("stream, expected", SPEC_CASES)
def test_spec_case(stream, expected, backend):
    check_all_chunkings(stream, backend, expected)


@pytest.mark.parametrize("stream, last_event_id, retry", STATE_CASES)
def test_state_case(stream, last_event_id, retry, backend):
    for name, chunks in chunkings(stream):
        _, got_id, got_retry = run_chunks(chunks, backend)
        assert (got_id, got_retry) == (last_event_id, retry), name


# --------------------------------------------------------------------------
# When events come out (interface.md): "Events come out of feed() as soon as
# their blank line is seen; close() only adds an event when the stream's last
# byte is a CR that completes it."
# --------------------------------------------------------------------------
def tup(events):
    return [as_tuple(e) for e in events]


def test_initial_state(backend):
    dec = SSEDecoder(backend=backend)
    assert dec.last_event_id == ""
    assert dec.retry is None
    assert not dec.pending


def test_events_come_out_of_feed_immediately(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(b"data: a\n\n")) == [E("a")]
    assert tup(dec.feed(b"data: b\r\n\r\n")) == [E("b")]
    assert tup(dec.feed(b"data: c\n")) == []
    assert tup(dec.feed(b"\n")) == [E("c")]
    assert tup(dec.feed(b"data: d\r\n\r\ndata: e\n\ndata: f\n")) == [E("d"), E("e")]
    assert tup(dec.feed(b"\r\n")) == [E("f")]
    assert tup(dec.close()) == []


def test_trailing_cr_held_until_close(backend):
    dec = SSEDecoder(backend=backend)
    # The final CR could be the first half of a CRLF: the blank line is held.
    assert tup(dec.feed(b"data: a\n\r")) == []
    assert tup(dec.close()) == [E("a")]


def test_trailing_cr_cr_held_until_close(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(b"data: a\r\r")) == []
    assert tup(dec.close()) == [E("a")]


def test_trailing_cr_released_by_next_feed_lf(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(b"data: a\r\r")) == []
    # CR + LF across feeds is one line end: the held blank line completes here,
    # and no extra blank line is seen.
    assert tup(dec.feed(b"\ndata: b\n")) == [E("a")]
    assert tup(dec.feed(b"\n")) == [E("b")]
    assert tup(dec.close()) == []


def test_trailing_cr_released_by_next_feed_other(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(b"data: a\n\r")) == []
    assert tup(dec.feed(b"data: b\n\n")) == [E("a"), E("b")]
    assert tup(dec.close()) == []


def test_cr_end_of_feed_lf_start_of_next_is_one_line_end(backend):
    dec = SSEDecoder(backend=backend)
    out = dec.feed(b"data: a\r")
    out += dec.feed(b"\ndata: b\r")
    out += dec.feed(b"\n\r")
    out += dec.feed(b"\n")
    out += dec.close()
    # Were an LF after a feed-final CR taken as its own line end, "a" and "b"
    # would be two events.
    assert tup(out) == [E("a\nb")]


def test_bom_split_across_feeds(backend):
    dec = SSEDecoder(backend=backend)
    out = dec.feed(b"\xef") + dec.feed(b"\xbb") + dec.feed(b"\xbf") + dec.feed(b"data: a\n\n")
    assert tup(out + dec.close()) == [E("a")]


def test_bom_after_empty_first_feed_still_at_start(backend):
    dec = SSEDecoder(backend=backend)
    out = dec.feed(b"") + dec.feed(b"\xef\xbb\xbfdata: a\n\n")
    assert tup(out + dec.close()) == [E("a")]


def test_bom_at_start_of_later_feed_not_stripped(backend):
    dec = SSEDecoder(backend=backend)
    out = dec.feed(b"data: a\n\n") + dec.feed(b"\xef\xbb\xbfdata: b\n\n")
    assert tup(out + dec.close()) == [E("a")]


def test_utf8_split_across_feeds(backend):
    dec = SSEDecoder(backend=backend)
    out = []
    for chunk in (b"data: \xe2", b"\x82", b"\xac\xf0\x9f", b"\x98", b"\x80\xc3", b"\xa9\n\n"):
        out += dec.feed(chunk)
    assert tup(out + dec.close()) == [E("\u20ac\U0001F600\xe9")]


# --------------------------------------------------------------------------
# Stream state (interface.md).
# --------------------------------------------------------------------------
def test_retry_applies_immediately(backend):
    dec = SSEDecoder(backend=backend)
    dec.feed(b"retry: 5\n")
    assert dec.retry == 5  # before any blank line
    dec.feed(b"data: a\n")
    dec.feed(b"retry: 9\n")
    assert dec.retry == 9
    assert tup(dec.feed(b"\n")) == [E("a", retry=9)]
    dec.feed(b"retry: nope\n")
    assert dec.retry == 9
    assert tup(dec.feed(b"data: b\n\n")) == [E("b", retry=9)]


def test_last_event_id_committed_at_block_end(backend):
    dec = SSEDecoder(backend=backend)
    dec.feed(b"id: 3\n")
    assert dec.last_event_id == ""
    dec.feed(b"\n")
    assert dec.last_event_id == "3"
    dec.feed(b"id: 4\ndata: x\n")
    assert dec.last_event_id == "3"
    assert tup(dec.feed(b"\n")) == [E("x", id="4")]
    assert dec.last_event_id == "4"
    dec.feed(b"id: 5\n")
    assert tup(dec.close()) == []
    assert dec.last_event_id == "4"


def test_pending_unterminated_block(backend):
    dec = SSEDecoder(backend=backend)
    assert dec.feed(b"data: a\n\ndata: b\n") != []
    assert dec.pending
    assert tup(dec.close()) == []
    assert dec.pending  # kept for callers who want it


def test_pending_empty_after_complete_stream(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(b"data: a\n\n")) == [E("a")]
    assert tup(dec.close()) == []
    assert not dec.pending


def test_pending_empty_after_empty_stream(backend):
    dec = SSEDecoder(backend=backend)
    assert tup(dec.close()) == []
    assert not dec.pending


def test_pending_empty_after_final_cr_dispatch(backend):
    dec = SSEDecoder(backend=backend)
    dec.feed(b"data: a\r\r")
    assert tup(dec.close()) == [E("a")]
    assert not dec.pending


# --------------------------------------------------------------------------
# API edges.
# --------------------------------------------------------------------------
def test_feed_empty_is_noop(backend):
    dec = SSEDecoder(backend=backend)
    assert dec.feed(b"") == []
    assert tup(dec.feed(b"data: a\r")) == []
    assert dec.feed(b"") == []  # must not decide that the CR was alone
    assert dec.feed(b"") == []
    assert tup(dec.feed(b"\ndata: b\n\r")) == []
    assert dec.feed(b"") == []  # must not release the held blank line either
    assert tup(dec.feed(b"\n")) == [E("a\nb")]
    assert dec.feed(b"") == []
    assert tup(dec.close()) == []


def test_close_twice(backend):
    dec = SSEDecoder(backend=backend)
    dec.feed(b"data: a\n\r")
    assert tup(dec.close()) == [E("a")]
    assert dec.close() == []


def test_feed_after_close_raises(backend):
    dec = SSEDecoder(backend=backend)
    dec.feed(b"data: a\n\n")
    dec.close()
    with pytest.raises(pyfantasy.SSEError):
        dec.feed(b"data: b\n\n")
    assert isinstance(pyfantasy.SSEError("x"), pyfantasy.PyfantasyError)


def test_feed_after_close_raises_even_when_nothing_was_fed(backend):
    dec = SSEDecoder(backend=backend)
    dec.close()
    with pytest.raises(pyfantasy.SSEError):
        dec.feed(b"data: a\n\n")


def test_event_is_a_value():
    a = Event(event="message", data="x", id="1", retry=None)
    assert a == Event(event="message", data="x", id="1", retry=None)
    assert a == Event("message", "x", "1", None)
    assert a != Event(event="message", data="y", id="1", retry=None)
    assert a != Event(event="other", data="x", id="1", retry=None)
    assert a != Event(event="message", data="x", id="2", retry=None)
    assert a != Event(event="message", data="x", id="1", retry=5)
    assert (a.event, a.data, a.id, a.retry) == ("message", "x", "1", None)


def test_decoder_events_equal_constructed_events(backend):
    dec = SSEDecoder(backend=backend)
    got = dec.feed(b"retry: 3\nid: 7\nevent: e\ndata: d\n\ndata: m\n\n")
    assert got == [Event("e", "d", "7", 3), Event("message", "m", "7", 3)]
    assert all(isinstance(e, Event) for e in got)


# --------------------------------------------------------------------------
# Sizes.
# --------------------------------------------------------------------------
def _big_payload():
    unit = b"abcd\xe2\x82\xac "  # 8 bytes, includes a 3-byte UTF-8 sequence
    return unit * 625_000  # 5,000,000 bytes


def test_five_megabyte_data_line(backend):
    payload = _big_payload()
    stream = b"data: " + payload + b"\r\n\r\n" + b"data: tail\n\n"
    expected = [E(payload.decode("utf-8")), E("tail")]
    step = 65536 + 1  # odd size: cuts land inside the UTF-8 sequences too
    mid = 6 + len(payload) // 2 + 5
    for chunks in ([stream],
                   [stream[i:i + step] for i in range(0, len(stream), step)],
                   [stream[:1], stream[1:mid], stream[mid:-13], stream[-13:]]):
        assert run_chunks(chunks, backend)[0] == expected


def test_five_megabyte_comment_and_unknown_field(backend):
    payload = _big_payload()
    stream = b":" + payload + b"\rx" + payload + b"\rdata: a\r\r"
    assert run_chunks([stream], backend)[0] == [E("a")]
    step = 1 << 20
    assert run_chunks([stream[i:i + step] for i in range(0, len(stream), step)],
                      backend)[0] == [E("a")]


def test_many_events_in_one_feed(backend):
    n = 10_000
    stream = b"".join(b"id: %d\ndata: %d\n\n" % (i, i * 7) for i in range(n))
    expected = [E(str(i * 7), id=str(i)) for i in range(n)]
    dec = SSEDecoder(backend=backend)
    assert tup(dec.feed(stream)) == expected  # all out of the one feed()
    assert dec.close() == []
    assert dec.last_event_id == str(n - 1)
    step = 7
    assert run_chunks([stream[i:i + step] for i in range(0, len(stream), step)],
                      backend)[0] == expected

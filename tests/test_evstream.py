"""The AWS event-stream kernel (native/pf_evstream.c and its Python twin) and Bedrock streams.

Frames are built by an encoder written here from the AWS framing rules (its
own CRC-32 table, checked against botocore's parser), never by the code
under test. Hypothesis drives both kernels with random frames, headers,
payloads, corruptions, truncations, garbage and splits: native == python,
feed by feed, and any split == the whole body at once.
"""
from __future__ import annotations

import base64
import json
import random
import struct

import pytest
from hypothesis import given, strategies as st

from helpers import needs_corpus, skip_without_corpus
from helpers import interaction, interactions
from pyfantasy import DecodeError
from pyfantasy._kernels.evstream_contract import (E_BASE64, E_HEADER, E_MESSAGE_CRC, E_NO_EVENT_TYPE, E_NO_MESSAGE_TYPE,
                                        E_PAYLOAD, E_PRELUDE, E_PRELUDE_CRC, E_TRUNCATED, ERROR, EXCEPTION,
                                        describe)
from pyfantasy._kernels.python.evstream import EvStreamKernel as PyKernel
from pyfantasy.decode import StreamDecoder, decode_body

needs_native = pytest.mark.needs_native


def kernel(backend):
    if backend == "native":
        from pyfantasy._kernels.native.evstream import EvStreamKernel
        return EvStreamKernel()
    return PyKernel()


# ---- an independent encoder ------------------------------------------------------------

def _table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _table()


def crc(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def header(name: str, typ: int = 7, value=b"") -> bytes:
    n = name.encode()
    out = bytes([len(n)]) + n + bytes([typ])
    if typ in (0, 1):
        return out
    if typ in (6, 7):
        v = value.encode() if isinstance(value, str) else value
        return out + struct.pack(">H", len(v)) + v
    size = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}[typ]
    return out + (value if isinstance(value, bytes) else bytes(size))[:size].ljust(size, b"\0")


def frame(headers: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 16 + len(headers) + len(payload), len(headers))
    prelude += struct.pack(">I", crc(prelude))
    msg = prelude + headers + payload
    return msg + struct.pack(">I", crc(msg))


def event_headers(event_type="chunk", message_type="event") -> bytes:
    return header(":event-type", 7, event_type) + header(":content-type", 7, "application/json") + \
        header(":message-type", 7, message_type)


def chunk(event, pad: str = "abcdef") -> bytes:
    raw = event if isinstance(event, bytes) else json.dumps(event, separators=(",", ":")).encode()
    payload = json.dumps({"bytes": base64.b64encode(raw).decode(), "p": pad}).encode()
    return frame(event_headers(), payload)


def sse(event) -> bytes:
    raw = json.dumps(event, separators=(",", ":")).encode()
    return b"event: " + event["type"].encode() + b"\ndata: " + raw + b"\n\n"


def exception(kind="throttlingException", message="Too many requests, please wait.") -> bytes:
    return frame(header(":exception-type", 7, kind) + header(":content-type", 7, "application/json") +
                 header(":message-type", 7, "exception"), json.dumps({"message": message}).encode())


def error(code="InternalFailure", message="boom") -> bytes:
    return frame(header(":error-code", 7, code) + header(":error-message", 7, message) +
                 header(":message-type", 7, "error"), b"")


START = {"type": "message_start", "message": {"id": "msg_bdrk_1", "type": "message", "role": "assistant",
                                              "content": [], "stop_reason": None,
                                              "usage": {"input_tokens": 16, "output_tokens": 1}}}
TEXT_START = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
STOP0 = {"type": "content_block_stop", "index": 0}
MDELTA = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 18}}
MSTOP = {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 16}}


def text(t):
    return {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}


EVENTS = [START, TEXT_START, text("Olá! "), text("👋"), STOP0, MDELTA, MSTOP]
BODY = b"".join(chunk(e) for e in EVENTS)


def test_encoder_agrees_with_botocore():
    """The test encoder writes frames an independent parser (botocore) accepts as written."""
    es = pytest.importorskip("botocore.eventstream")
    buf = es.EventStreamBuffer()
    buf.add_data(BODY + exception() + error())
    msgs = list(buf)
    assert len(msgs) == len(EVENTS) + 2
    assert base64.b64decode(json.loads(msgs[2].payload)["bytes"]) == json.dumps(
        text("Olá! "), separators=(",", ":")).encode()
    assert msgs[0].headers[":event-type"] == "chunk"
    assert msgs[-2].headers[":exception-type"] == "throttlingException"
    assert msgs[-1].headers[":error-code"] == "InternalFailure"


# ---- the kernel on known input -------------------------------------------------------------

def test_translation(backend):
    out = kernel(backend).feed(BODY, True)
    assert out.sse == b"".join(sse(e) for e in EVENTS)
    assert out.error is None and out.frames == len(EVENTS)
    offs, pos = [], 0
    for e in EVENTS:
        offs.append(pos)
        pos += len(chunk(e))
    sse_offs = [0]
    for e in EVENTS[:-1]:
        sse_offs.append(sse_offs[-1] + len(sse(e)))
    assert out.events == list(zip(sse_offs, offs))


def test_byte_by_byte(backend):
    k = kernel(backend)
    got = b"".join(k.feed(BODY[i:i + 1]).sse for i in range(len(BODY)))
    out = k.feed(b"", True)
    assert got + out.sse == b"".join(sse(e) for e in EVENTS) and out.error is None


def test_other_messages_are_ignored(backend):
    body = frame(event_headers("initial-response"), b"{}") + \
        frame(header(":message-type", 7, "event") + header(":event-type", 7, "chunk") +
              header("flag", 0) + header("no", 1) + header("i8", 2, b"\x05") + header("i16", 3) + header("i32", 4) +
              header("i64", 5) + header("bin", 6, b"\x00\xff") + header("ts", 8) + header("uuid", 9, bytes(16)),
              json.dumps({"bytes": base64.b64encode(json.dumps(STOP0).encode()).decode()}).encode()) + \
        frame(header(":message-type", 7, "ping"), b"") + \
        frame(header(":message-type", 6, b"event") + header(":message-type", 7, "event") +
              header(":event-type", 7, "chunk"), b'{"bytes": null}') + \
        frame(event_headers(), b'{"p":"x"}') + chunk({"no_type": 1}) + chunk({"type": ""}) + chunk(b"[1]")
    out = kernel(backend).feed(body, True)
    assert out.error is None and out.frames == 8
    assert out.sse == b"event: content_block_stop\ndata: " + json.dumps(STOP0).encode() + b"\n\n"


def test_escaped_base64_and_type(backend):
    """JSON escapes in "bytes" (\\/, \\u0041, an escaped CR LF that base64 skips) and in the event type."""
    raw = b'{"type":"message\\u005fstop","x":"\\ud83d\\ude00 \\ud800","y":"???>>>"}'
    b64 = base64.b64encode(raw).decode()
    assert "/" in b64 and "A" in b64
    escaped = "\\r\\n" + b64.replace("/", "\\/").replace("A", "\\u0041")
    payload = ('{ "p" : [1, {"a": "]}"}] , "bytes" : "%s" }' % escaped).encode()
    out = kernel(backend).feed(frame(event_headers(), payload), True)
    assert out.error is None
    assert out.sse == b"event: message_stop\ndata: " + raw + b"\n\n"


@pytest.mark.parametrize("payload,status", [
    (b'{"bytes": 5}', E_PAYLOAD),
    (b'{"bytes": "QQ=="', E_PAYLOAD),
    (b'{"bytes": "QQ=="} x', E_PAYLOAD),
    (b'["bytes"]', E_PAYLOAD),
    (b'{"bytes": "QQ="}', E_BASE64),
    (b'{"bytes": "Q==="}', E_BASE64),
    (b'{"bytes": "QQ==QQ=="}', E_BASE64),
    (b'{"bytes": "QQ\\x"}', E_BASE64),
    (b'{"bytes": "QQ\xc3\xa9="}', E_BASE64),
])
def test_bad_payloads(payload, status, backend):
    out = kernel(backend).feed(chunk(START) + frame(event_headers(), payload), True)
    assert out.error.status == status and out.error.offset == len(chunk(START))
    assert out.sse == sse(START)


def _first_error(body, backend):
    out = kernel(backend).feed(body, True)
    return out, out.error


def test_prelude_crc_error_keeps_what_came_before(backend):
    first = chunk(START)
    bad = bytearray(chunk(TEXT_START))
    bad[9] ^= 0x40
    out, err = _first_error(first + bytes(bad) + chunk(STOP0), backend)
    assert (err.status, err.offset) == (E_PRELUDE_CRC, len(first))
    assert err.a == struct.unpack(">I", bytes(bad[8:12]))[0] and err.b == crc(bytes(bad[:8]))
    assert out.sse == sse(START) and out.frames == 1
    kind, message = describe(err)
    assert kind == "evstream" and f"byte {len(first)}" in message and "prelude CRC" in message


def test_message_crc_error(backend):
    bad = bytearray(chunk(TEXT_START))
    bad[40] ^= 1
    out, err = _first_error(chunk(START) + bytes(bad), backend)
    assert (err.status, err.offset) == (E_MESSAGE_CRC, len(chunk(START)))
    assert err.a == struct.unpack(">I", bytes(bad[-4:]))[0] and err.b == crc(bytes(bad[:-4]))


def test_prelude_error_is_reported_before_the_frame_is_complete(backend):
    bad = struct.pack(">II", 10, 0)
    k = kernel(backend)
    out = k.feed(chunk(START) + bad + struct.pack(">I", crc(bad)))  # no eof, no more bytes
    assert (out.error.status, out.error.offset, out.error.a, out.error.b) == (E_PRELUDE, len(chunk(START)), 10, 0)
    assert k.feed(b"more", True).error == out.error  # sticky


@pytest.mark.parametrize("cut", [1, 11, 12, 30])
def test_truncated(cut, backend):
    whole = chunk(TEXT_START)
    out, err = _first_error(chunk(START) + whole[:cut], backend)
    assert (err.status, err.offset, err.a) == (E_TRUNCATED, len(chunk(START)), cut)
    assert err.b == (len(whole) if cut >= 12 else 0)
    assert describe(err)[0] == "truncated"


_MT = header(":message-type", 7, "event")


@pytest.mark.parametrize("headers,status,a,b", [
    (_MT + b"\x05ab", E_HEADER, len(_MT), 0),
    (_MT + b"\x01x\x0c", E_HEADER, len(_MT), 12),
    (_MT + header("x", 7, "abc")[:-1], E_HEADER, len(_MT), 0),
    (_MT + b"\x01x", E_HEADER, len(_MT), 0),
    (_MT + b"\x01x\x06\x00", E_HEADER, len(_MT), 0),
    (header("x", 7, "event"), E_NO_MESSAGE_TYPE, 0, 0),
    (header(":message-type", 7, "event") + header(":event-type", 6, b"chunk"), E_NO_EVENT_TYPE, 0, 0),
])
def test_header_errors(headers, status, a, b, backend):
    out, err = _first_error(frame(headers, b"{}"), backend)
    assert (err.status, err.offset, err.a, err.b) == (status, 0, a, b)


def test_exception_and_error_messages(backend):
    out, err = _first_error(chunk(START) + exception() + chunk(STOP0), backend)
    assert err.status == EXCEPTION and err.frame == exception() and out.sse == sse(START)
    assert describe(err) == ("provider-error", "received exception throttlingException: "
                                               "Too many requests, please wait.")
    _, err = _first_error(error(), backend)
    assert err.status == ERROR
    assert describe(err) == ("provider-error", "received error InternalFailure: boom")
    bare = frame(header(":message-type", 7, "exception"), b'{"__type": "ValidationException", "Message": "no"}')
    assert describe(_first_error(bare, backend)[1])[1] == "received exception ValidationException: no"
    bare = frame(header(":message-type", 7, "exception"), b"not json")
    assert describe(_first_error(bare, backend)[1])[1] == "received exception UnknownError: "


def test_feed_after_eof(backend):
    k = kernel(backend)
    k.feed(BODY, True)
    with pytest.raises(ValueError):
        k.feed(b"")


def test_large_frame_in_small_feeds(backend):
    big = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "x" * (1 << 18)}}
    body = chunk(big)
    k = kernel(backend)
    got = [k.feed(body[i:i + 65536]).sse for i in range(0, len(body), 65536)]
    assert b"".join(got) + k.feed(b"", True).sse == sse(big)


# ---- hypothesis: native == python, any split == whole ----------------------------------------

_names = st.sampled_from(["message_start", "content_block_delta", "message_stop", "ping", "", "x\\y", "é"])
_inner = st.one_of(
    st.builds(lambda t, v: json.dumps({"type": t, "v": v}).encode(), _names, st.text(max_size=20)),
    st.builds(lambda v, t: json.dumps({"v": v, "type": t}).encode(), st.integers(), _names),
    st.binary(max_size=30),
    st.sampled_from([b"", b"{", b'{"type":5}', b'{"type" "x"}', b'{"type":"a\\u00e9\\ud800"}', b"[]"]))


def _payload(inner: bytes, style: int) -> bytes:
    b64 = base64.b64encode(inner).decode()
    if style == 0:
        return json.dumps({"bytes": b64, "p": "abc"}).encode()
    if style == 1:
        return ('{"p": {"q": [1, "}"]}, "bytes": "%s"}' % b64.replace("/", "\\/")).encode()
    if style == 2:
        return ('{"bytes": "%s", "bytes": null}' % b64).encode()
    if style == 3:
        return b64.encode()
    if style == 5:  # broken base64: a character dropped, or padding inside
        return ('{"bytes":"%s"}' % (b64[1:] if len(b64) % 8 else b64[:2] + "==" + b64[2:])).encode()
    return ('{"bytes":"%s\\n%s"}' % (b64[:3], b64[3:])).encode()


_header_value = {0: st.just(b""), 1: st.just(b""), 2: st.binary(min_size=1, max_size=1),
                 3: st.binary(min_size=2, max_size=2), 4: st.binary(min_size=4, max_size=4),
                 5: st.binary(min_size=8, max_size=8), 6: st.binary(max_size=10),
                 7: st.sampled_from([b"event", b"chunk", b"exception", b"error", b"x"]),
                 8: st.binary(min_size=8, max_size=8), 9: st.binary(min_size=16, max_size=16)}


@st.composite
def _headers(draw):
    out = b""
    for _ in range(draw(st.integers(0, 3))):
        typ = draw(st.integers(0, 9))
        name = draw(st.sampled_from([":message-type", ":event-type", ":exception-type", ":error-code", "n", ""]))
        out += header(name, typ, draw(_header_value[typ]))
    return out


@st.composite
def _message(draw):
    kind = draw(st.integers(0, 11))
    if kind <= 5:
        inner = draw(_inner)
        return frame(event_headers(), _payload(inner, draw(st.integers(0, 5))))
    if kind == 10:  # a random header block under good CRCs
        return frame(header(":message-type", 7, "event") + draw(st.binary(max_size=12)), b"{}")
    if kind == 11:
        return frame(header(":message-type", 7, "event") + draw(_headers()), b"{}")
    if kind == 6:
        return exception(draw(st.sampled_from(["", "throttlingException"])), draw(st.text(max_size=10)))
    if kind == 7:
        return error(draw(st.text(max_size=5)), draw(st.text(max_size=5)))
    if kind == 8:
        return frame(draw(_headers()), draw(st.binary(max_size=20)))
    return draw(st.binary(max_size=24))  # garbage


@st.composite
def _body(draw):
    body = bytearray(b"".join(draw(st.lists(_message(), max_size=6))))
    mutation = draw(st.integers(0, 3))
    if body and mutation == 1:
        i = draw(st.integers(0, len(body) - 1))
        body[i] ^= 1 << draw(st.integers(0, 7))
    elif body and mutation == 2:
        del body[draw(st.integers(0, len(body) - 1)):]
    elif mutation == 3:
        body += draw(st.binary(max_size=16))
    return bytes(body)


def _run(k, body: bytes, cuts):
    outs = []
    pos = 0
    for c in sorted({min(c, len(body)) for c in cuts} - {len(body)}):
        outs.append(k.feed(body[pos:c]))
        pos = c
    outs.append(k.feed(body[pos:], True))
    return outs


def _flatten(outs):
    sse, events, base = b"", [], 0
    for o in outs:
        events += [(base + s, f) for s, f in o.events]
        sse += o.sse
        base += len(o.sse)
    return sse, events, outs[-1].error, outs[-1].frames


@needs_native
@given(_body(), st.lists(st.integers(0, 400), max_size=8))
def test_differential(body, cuts):
    from pyfantasy._kernels.native.evstream import EvStreamKernel as NativeKernel
    py = _run(PyKernel(), body, cuts)
    assert _run(NativeKernel(), body, cuts) == py
    whole = _flatten([PyKernel().feed(body, True)])
    assert _flatten(py) == whole


@needs_native
@given(st.lists(st.sampled_from(EVENTS + [text("a/b+c"), text("\n\n"), text("é" * 40)]), max_size=12),
       st.lists(st.integers(0, 3000), max_size=6))
def test_differential_valid_streams(events, cuts):
    from pyfantasy._kernels.native.evstream import EvStreamKernel as NativeKernel
    body = b"".join(chunk(e, pad="x" * (k % 7)) for k, e in enumerate(events))
    py = _run(PyKernel(), body, cuts)
    assert _run(NativeKernel(), body, cuts) == py
    assert _flatten(py)[0] == b"".join(sse(e) for e in events)


# ---- the corpus and Bedrock decoding -------------------------------------------------------

BEDROCK_STREAMS = interactions("bedrock", stream=True)


@needs_corpus
@pytest.mark.parametrize("rel,iid", BEDROCK_STREAMS)
def test_corpus_matches_the_sdk_bedrock_decoder(rel, iid, backend):
    """Our SSE text is, event for event, what anthropic's own Bedrock decoder (botocore) yields."""
    pytest.importorskip("botocore")
    pytest.importorskip("anthropic")
    from anthropic.lib.bedrock._stream_decoder import AWSEventStreamDecoder
    body = interaction(rel, iid).response.body
    out = kernel(backend).feed(body, True)
    assert out.error is None
    ours = [(blk.split(b"\n", 1)[0][7:].decode(), blk.split(b"\n", 1)[1][6:].decode())
            for blk in out.sse.split(b"\n\n") if blk]
    theirs = [(e.event, e.data) for e in AWSEventStreamDecoder().iter_bytes(iter([body]))]
    assert ours == theirs and out.frames == len(theirs)


def test_bedrock_stream_decodes(backend):
    r = decode_body(BODY, "bedrock", True, backend)
    assert r.to_json_bytes() == (
        '{"content":[{"type":"text","data":{"text":"Olá! 👋"}}],"finish_reason":"stop","usage":'
        '{"input_tokens":16,"output_tokens":18,"total_tokens":34,"reasoning_tokens":0,"cache_creation_tokens":0,'
        '"cache_read_tokens":0},"warnings":null,"provider_metadata":{}}').encode()


def test_bedrock_exception_mid_stream(backend):
    head = b"".join(chunk(e) for e in EVENTS[:5])
    with pytest.raises(DecodeError) as ei:
        decode_body(head + exception() + chunk(MDELTA) + chunk(MSTOP), "bedrock", True, backend)
    e = ei.value
    assert (e.kind, e.offset) == ("provider-error", len(head))
    assert e.message == "received exception throttlingException: Too many requests, please wait."
    assert e.response.content[0].text == "Olá! 👋"


def test_bedrock_bad_crc_offset(backend):
    body = bytearray(BODY)
    at = len(b"".join(chunk(e) for e in EVENTS[:3]))
    body[at + 20] ^= 0xFF
    dec = StreamDecoder("bedrock", backend)
    parts = []
    for i in range(0, len(body), 100):
        parts += dec.feed(bytes(body[i:i + 100]))
    with pytest.raises(DecodeError) as ei:
        dec.close()
    e = ei.value
    assert (e.kind, e.offset) == ("evstream", at) and "message CRC mismatch" in e.message
    assert [p.delta for p in parts if p.type == "text-delta"] == ["Olá! "]
    # the text block never ended (fantasy's agent drops it): the partial Response keeps it
    assert [(p.type, p.text) for p in e.response.content] == [("text", "Olá! ")]


def test_bedrock_truncated_body(backend):
    with pytest.raises(DecodeError) as ei:
        decode_body(BODY[:-3], "bedrock", True, backend)
    e = ei.value
    assert (e.kind, e.offset) == ("truncated", len(BODY) - len(chunk(MSTOP)))
    assert e.response.finish_reason == "unknown" and e.response.content[0].text == "Olá! 👋"


def test_bedrock_offsets_of_bad_json_events(backend):
    bad = frame(event_headers(), json.dumps({"bytes": base64.b64encode(
        b'{"type":"content_block_delta","index":0,').decode()}).encode())
    head = b"".join(chunk(e) for e in EVENTS[:3])
    with pytest.raises(DecodeError) as ei:
        decode_body(head + bad + chunk(STOP0), "bedrock", True, backend)
    assert (ei.value.kind, ei.value.offset) == ("json", len(head))


def test_random_chunking_of_corpus_bodies(backend):
    skip_without_corpus()
    rnd = random.Random(5)
    for p in BEDROCK_STREAMS:
        it = interaction(*p.values)
        body = it.response.body
        whole = decode_body(body, "bedrock", True, backend).to_json_bytes()
        dec = StreamDecoder("bedrock", backend)
        pos = 0
        while pos < len(body):
            n = rnd.choice([1, 5, 13, 300])
            dec.feed(body[pos:pos + n])
            pos += n
        assert dec.close().to_json_bytes() == whole

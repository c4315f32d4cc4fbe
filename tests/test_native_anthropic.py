"""Anthropic streams: the C state machine (native/pf_anthropic.c) == the Python one.

Every streamed Anthropic body of the corpus decodes to the same Response (or
error) on both backends without falling back to Python; mutated corpus bodies
(byte flips, cuts, deleted and repeated events, values replaced by other
types, huge integers, lone surrogates, deep nesting) fed in random pieces give
the same stream parts per feed and the same Response or error on both.
"""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import (BACKEND_PARAMS, check_corpus_document, document_in_c, falls_back, interaction, interactions,
                     json_paths, json_replace, mutated_json, needs_corpus, same_document, share_of_cuts_in_c)
from pyfantasy import DecodeError
from pyfantasy.decode import StreamDecoder, decode_body, decode_interaction
from test_decode_differential import check, pieces, whole
from test_evstream import BODY, EVENTS, chunk, error, exception

pytestmark = pytest.mark.needs_native  # conftest: skip (or fail when required) without the extension

STREAMS = [p for p in interactions("anthropic", True)]


def _result(it, backend):
    try:
        return ("ok", decode_interaction(it, backend).to_json())
    except DecodeError as e:
        return ("error", e.kind, e.message, e.offset, e.response.to_json() if e.response is not None else None)


# ---- the corpus ------------------------------------------------------------------------

@needs_corpus
def test_corpus_has_anthropic_streams():
    assert len(STREAMS) >= 20


@needs_corpus
@pytest.mark.parametrize("rel,iid", STREAMS)
def test_corpus_stream_native_equals_python(rel, iid):
    _same_on_both_backends(rel, iid, "anthropic")


def _same_on_both_backends(rel, iid, fmt):
    """A recorded stream: the same result on both backends, whole and in random feeds, in C."""
    it = interaction(rel, iid)
    assert _result(it, "native") == _result(it, "python")
    body = it.response.body_bytes
    if it.response.code < 400:
        assert not falls_back(body, fmt)
        cuts = random.Random(f"{rel}#{iid}").sample(range(len(body) + 1), min(5, len(body) + 1))
        assert pieces(body, fmt, "native", cuts) == pieces(body, fmt, "python", cuts)


# ---- shapes the C machine must get right (both backends give the expected result) --------

def sse(*events) -> bytes:
    return b"".join(b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(v).encode()
                                                    if not isinstance(v, bytes) else v) for name, v in events)


START = ("message_start", {"type": "message_start", "message": {"content": [], "usage": {"input_tokens": 5}}})
END = [("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                          "usage": {"output_tokens": 7}}),
       ("message_stop", {"type": "message_stop"})]


def block(idx, cb, *deltas):
    evs = [("content_block_start", {"type": "content_block_start", "index": idx, "content_block": cb})]
    evs += [("content_block_delta", {"type": "content_block_delta", "index": idx, "delta": d}) for d in deltas]
    return evs + [("content_block_stop", {"type": "content_block_stop", "index": idx})]


WEB = block(0, {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {}},
            {"type": "input_json_delta", "partial_json": "{\"query\": \"x\"}"}) + block(
    1, {"type": "web_search_tool_result", "tool_use_id": "srv_1",
        "content": [{"type": "web_search_result", "url": "https://a", "title": "A", "encrypted_content": "e",
                     "page_age": "1 day"}, {"url": "https://b", "title": 2}, 7]}) + block(
    2, {"type": "web_search_tool_result", "tool_use_id": "srv_2", "content": {"error_code": "max_uses_exceeded"}})


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_web_search_and_redacted_thinking(backend):
    body = sse(START, *WEB, *block(3, {"type": "redacted_thinking", "data": "opaque"}),
               *block(4, {"type": "thinking", "thinking": "", "signature": ""},
                      {"type": "thinking_delta", "thinking": "hm"}, {"type": "signature_delta", "signature": "s1"}),
               *END)
    r = decode_body(body, "anthropic", True, backend)
    kinds = [type(c).__name__ for c in r.content]
    assert kinds == ["ToolCallContent"] + ["SourceContent"] * 3 + ["ToolResultContent"] * 2 + ["ReasoningContent"] * 2
    call, src, res, err = r.content[0], r.content[1], r.content[4], r.content[5]
    assert call.provider_executed and call.input == "{\"query\": \"x\"}"
    assert (src.id, src.url, src.title) == ("https://a", "https://a", "A")
    items = res.provider_metadata["anthropic"].results
    assert [(i.url, i.title, i.encrypted_content, i.page_age) for i in items] == [
        ("https://a", "A", "e", "1 day"), ("https://b", "2", "", ""), ("", "", "", "")]
    assert err.provider_metadata["anthropic"].error_code == "max_uses_exceeded"
    assert r.content[6].provider_metadata["anthropic"].redacted_data == "opaque"
    assert r.content[7].provider_metadata["anthropic"].signature == "s1"
    assert r.provider_metadata == {} and r.usage.total_tokens == 12
    check(body, "anthropic", [17, 400, 900])
    assert not falls_back(body, "anthropic")


@pytest.mark.parametrize("data,message", [
    (b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
     "provider overloaded: Overloaded"),
    (b'{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}', "rate limit exceeded: slow"),
    (b'{"error":{"type":"invalid_request_error","message":"a\\u0000b"}}', "invalid request error: a\x00b"),
    (b'{"error":{"message":"m"}}', "m"),
])
def test_error_event_in_c(data, message):
    body = sse(START, *block(0, {"type": "text", "text": ""}, {"type": "text_delta", "text": "hi"})[:2]) + \
        b"event: error\ndata: " + data + b"\n\n"
    for backend in ("native", "python"):
        with pytest.raises(DecodeError) as e:
            decode_body(body, "anthropic", True, backend)
        assert (e.value.kind, e.value.message) == ("provider-error", message)
        assert e.value.offset == body.index(b"event: error")
        assert e.value.response.content[0].text == "hi"
    assert not falls_back(body, "anthropic")


@pytest.mark.parametrize("body", [
    sse(START) + b"event: error\ndata: not json\n\n",          # the message quotes the data as received
    sse(START) + b"event: error\ndata: [1]\n\n",
    sse(START, *block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}), *END),  # spaces
    sse(START, *block(0, {"type": "tool_use", "id": "t", "name": "f", "input": "\u00e9"}), *END),  # ensure_ascii
    sse(START) + b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
                 b'"content_block":{"type":"tool_use","id":"t","input":{"a":-0,"a":1}}}\n\n',
    sse(("message_start", {"type": "message_start", "message": {"usage": {"input_tokens": 10 ** 19}}}), *END),
])
def test_fallback_shapes_decode_as_python(body):
    """Shapes the C machine hands back: the result is still Python's."""
    assert falls_back(body, "anthropic")
    check(body, "anthropic", [3, 50])


def test_empty_ids_and_an_empty_arena():
    """Parts whose strings are all empty (nothing in the part arena yet): a delta merged by id ""
    (under UBSan this once passed a null arena to memcmp)."""
    body = sse(START, *block(0, {"type": "tool_use", "input": {}}, {"type": "input_json_delta", "partial_json": ""},
                             {"type": "input_json_delta", "partial_json": ""}), *END)
    check(body, "anthropic", [len(body) // 3])
    assert decode_body(body, "anthropic", True, "native").content[0].input == "{}"
    assert not falls_back(body, "anthropic")


def test_skipped_events_are_not_read():
    """ping and unknown names are dropped before anything (a malformed ping is no error), and not counted."""
    body = sse(START) + b"event: ping\ndata: {\n\n" + b"event: other\ndata: [}\n\ndata: 1\n\n" + sse(*END)
    for backend in ("native", "python"):
        dec = StreamDecoder("anthropic", backend)
        dec.feed(body)
        assert dec.close().finish_reason == "stop"
        assert dec.events == 3
    assert not falls_back(body, "anthropic")


def test_tool_input_replaces_placeholder():
    body = sse(START, *block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}},
                             {"type": "input_json_delta", "partial_json": "{"},
                             {"type": "input_json_delta", "partial_json": ""},
                             {"type": "input_json_delta", "partial_json": "}"}), *END)
    for backend in ("native", "python"):
        assert decode_body(body, "anthropic", True, backend).content[0].input == "{}"
    assert not falls_back(body, "anthropic")
    check(body, "anthropic", [len(body) // 2])


# ---- mutated corpus bodies ----------------------------------------------------------------

def _corpus_bodies():
    out = []
    for p in STREAMS:
        it = interaction(*p.values)
        if it.response.code < 400:
            out.append(it.response.body_bytes)
    return out


BODIES = _corpus_bodies() if STREAMS else []

REPLACEMENTS = [None, True, False, 0, -1, 1.5, "-0", "7", "", "x\u00e9", [], {}, [1, {"a": None}],
                {"type": "text"}, 10 ** 19, 10 ** 40, "\ud800", "\udc00x", "server_tool_use", "web_search_tool_result",
                {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"q": "x", "n": [1, 2]}},
                {"type": "web_search_tool_result", "tool_use_id": "s",
                 "content": [{"type": "web_search_result", "url": "u", "title": "t", "encrypted_content": "e"}]}]


def mutate_events(draw, events):
    """The SSE event blocks ``events`` (split at blank lines) with 1 to 3 random mutations."""
    events = list(events)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 7))
        k = draw(st.integers(0, max(0, len(events) - 1)))
        if not events:
            break
        if op == 0 and len(events) > 1:                      # delete an event
            del events[k]
        elif op == 1:                                        # repeat an event
            events.insert(k, events[k])
        elif op in (2, 3, 4, 5):                             # replace a JSON value inside an event
            head, sep, data = events[k].partition(b"data: ")
            try:
                v = json.loads(data)
            except ValueError:
                continue
            path = draw(st.sampled_from(list(json_paths(v))))
            if op == 2:
                new = draw(st.sampled_from(REPLACEMENTS))
            elif op == 3:
                new = json.loads("[" * 300 + "]" * 300) if draw(st.booleans()) else {"a": [[[[{"b": [[]]}]]]]}
            elif op == 4:
                new = draw(st.sampled_from(["\ud83d", "a\udfff", "\ufffd", "\x00\x1f\x7f", "\"\\/"]))
            else:
                new = draw(st.integers(-10 ** 30, 10 ** 30))
            v = json_replace(v, path, new)
            text = json.dumps(v, ensure_ascii=draw(st.booleans()),
                              separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
            if op == 5 and draw(st.booleans()):
                text = text.replace(str(new), "1" * 5000 if draw(st.booleans()) else "-0", 1)
            events[k] = head + sep + text.encode("utf-8", "surrogatepass")
        elif op == 6:                                        # flip a byte
            ev = bytearray(events[k])
            if ev:
                ev[draw(st.integers(0, len(ev) - 1))] ^= 1 << draw(st.integers(0, 7))
            events[k] = bytes(ev)
        else:                                                # rename the event
            head, sep, data = events[k].partition(b"\ndata: ")
            if sep:
                name = draw(st.sampled_from([b"ping", b"error", b"message_stop", b"content_block_delta", b""]))
                events[k] = b"event: " + name + sep + data
    return events


def _cut(draw, body: bytes) -> bytes:
    """``body``, or (one time in four) a prefix of it."""
    return body[:draw(st.integers(0, len(body)))] if draw(st.integers(0, 3)) == 0 else body


@st.composite
def mutated(draw):
    """A corpus Anthropic stream, mutated."""
    return _cut(draw, b"\n\n".join(mutate_events(draw, draw(st.sampled_from(BODIES)).split(b"\n\n"))))


@needs_corpus
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(), st.lists(st.integers(0, 10 ** 6), max_size=8))
def test_mutated_corpus_bodies(body, cuts):
    check(body, "anthropic", cuts)


@needs_corpus
def test_mutations_reach_the_c_machine():
    """Most mutated bodies are decoded by C (the differential test is not only Python against itself)."""
    assert share_of_cuts_in_c(BODIES, "anthropic", 9) >= 0.9
    assert whole(BODIES[0], "anthropic", "native") == whole(BODIES[0], "anthropic", "python")


# ---- Bedrock: the same machine behind the AWS event stream -------------------------------------

BEDROCK = [p for p in interactions("bedrock", True)]


@needs_corpus
@pytest.mark.parametrize("rel,iid", BEDROCK)
def test_corpus_bedrock_native_equals_python(rel, iid):
    _same_on_both_backends(rel, iid, "bedrock")


def _sse_events(body: bytes):
    """The Anthropic SSE events a Bedrock body carries (its frames decoded)."""
    from pyfantasy._kernels.python.evstream import EvStreamKernel
    return [e for e in EvStreamKernel().feed(body, True).sse.split(b"\n\n") if e]


BEDROCK_EVENTS = [_sse_events(interaction(*p.values).response.body_bytes) for p in BEDROCK
                  if interaction(*p.values).response.code < 400]


@st.composite
def mutated_bedrock(draw):
    """A corpus Bedrock stream: its events mutated and framed again, then frames mutated."""
    frames = []
    for ev in mutate_events(draw, draw(st.sampled_from(BEDROCK_EVENTS))):
        data = ev.partition(b"data: ")[2]
        frames.append(chunk(data) if data else ev)
    op = draw(st.integers(0, 4))
    k = draw(st.integers(0, len(frames)))
    if op == 1:
        frames.insert(k, exception() if draw(st.booleans()) else error())
    body = b"".join(frames)
    if op == 2 and body:                                     # flip a byte of the framing
        b = bytearray(body)
        b[draw(st.integers(0, len(b) - 1))] ^= 1 << draw(st.integers(0, 7))
        body = bytes(b)
    return _cut(draw, body)


@needs_corpus
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_bedrock(), st.lists(st.integers(0, 10 ** 6), max_size=8))
def test_mutated_bedrock_bodies(body, cuts):
    check(body, "bedrock", cuts)


def test_bedrock_transport_errors_in_c():
    """A frame cut by the end of the body, an exception message, a bad CRC: one error part after
    the parts of every frame before it, worded by the Python path's describe(), decoded in C."""
    head = b"".join(chunk(e) for e in EVENTS[:4])
    bad = bytearray(head + chunk(EVENTS[4]))
    bad[len(head) + 20] ^= 1
    cases = [(BODY[:-5], "truncated", "the body ends inside the event-stream message at byte "),
             (head + exception(), "provider-error", "received exception throttlingException: Too many requests"),
             (bytes(bad), "evstream", "message CRC mismatch in the event-stream message at byte ")]
    for body, kind, message in cases:
        results = [whole(body, "bedrock", be) for be in ("native", "python")]
        assert results[0] == results[1]
        assert results[0][1] == kind and results[0][2].startswith(message)
        assert results[0][4]["content"][0]["data"]["text"] == "Olá! 👋"
        assert not falls_back(body, "bedrock")
        check(body, "bedrock", [len(head) - 3, len(head) + 30])


# ---- non-streaming bodies (Messages, Bedrock invoke): pf_anthropic_document_new --------------------

DOCS = [p for fmt in ("anthropic", "bedrock") for p in interactions(fmt, False)]


@needs_corpus
@pytest.mark.parametrize("rel,iid", DOCS)
def test_corpus_documents_native_equals_python(rel, iid):
    check_corpus_document(rel, iid)


def message(*blocks, stop="end_turn", usage=None):
    d = {"id": "msg_1", "type": "message", "role": "assistant", "content": list(blocks), "stop_reason": stop}
    if usage is not False:
        d["usage"] = usage if usage is not None else {"input_tokens": 4, "output_tokens": 2,
                                                      "cache_read_input_tokens": 1}
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()


def _results(n):
    return [{"type": "web_search_result", "url": f"https://r{k}/", "title": f"R\"{k}\"", "page_age": "1 day",
             "encrypted_content": "e" * k} for k in range(n)]


# server tool use (its input as Go re-encodes it) and web search results (sources, the result's
# metadata); many results outlast the C scratch buffers
SERVER_TOOL_DOCS = [
    message({"type": "server_tool_use", "id": "srv_1", "name": "web_search",
             "input": {"query": "Tokyo \"population\" 2026", "b": [True, None, 3, {"z": 1, "a": -2}]},
             "caller": {"type": "direct"}},
            {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": _results(20) + [5, {}]},
            {"type": "text", "text": "Tokyo", "citations": [{"type": "web_search_result_location"}]}),
    message({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"q": 1}},
            {"type": "web_search_tool_result", "tool_use_id": "s", "content": []},
            {"type": "web_search_tool_result", "tool_use_id": "t",
             "content": {"error_code": "max_uses_exceeded"}},
            {"type": "web_search_tool_result", "tool_use_id": "u", "content": {"error_code": ""}},
            {"type": "web_search_tool_result", "content": "x"}, {"type": "web_search_tool_result"}),
    message({"type": "server_tool_use", "id": "s", "name": "w"}, {"type": "server_tool_use", "input": None},
            {"type": "server_tool_use", "id": "s2", "input": [1, "x", []]},
            {"type": "server_tool_use", "id": "s3", "input": "q"}, stop="tool_use"),
    # spaced, repeated keys (the last one wins, as in a Go map), escapes that unescape to plain text
    message({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"q": "a"}}).replace(
        b'{"q":"a"}', b'{ "q" : "a\\u0041\\n" , "q":"b\\/c", "p" : [ 1 , 2 ] }'),
]


@pytest.mark.parametrize("body", [
    message({"type": "text", "text": "hi"}, {"type": "text"}, {"type": "thinking", "thinking": "t", "signature": "s"},
            {"type": "redacted_thinking", "data": "opaque"}, {"type": "tool_use", "id": "tu", "name": "f",
                                                              "input": {"a": [1, "\u00e9"]}},
            {"type": "tool_use", "id": "t2", "name": "g"}, {"type": "tool_use", "input": None}, 5, {"type": "image"},
            stop="tool_use"),
    message(stop="max_tokens", usage={"input_tokens": "7", "output_tokens": 1.0}),
    message(usage=False), message(usage=[1]), b"null", b'{"content": {"type": "text"}}',
    *SERVER_TOOL_DOCS,
])
def test_document_shapes(body):
    assert document_in_c(body, "anthropic")
    for fmt in ("anthropic", "bedrock"):
        same_document(body, fmt)


@pytest.mark.parametrize("body", [
    b"[1]", b"not json",
    # server tool inputs whose Go spelling C leaves to Python: floats, big integers, -0, non-ASCII, HTML
    *(message({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"q": v}})
      for v in (1.5, 10 ** 16, "\u00e9", "<b>", "a&b")),
    message({"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"q": 0}}).replace(
        b'"q":0', b'"q":-0'),
    message({"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}).replace(b'{"a":1}', b'{"a": 1}'),
    message({"type": "tool_use", "id": "t", "name": "f", "input": {"a": 1}}).replace(b'{"a":1}', b'{"a":1,"a":2}'),
    message(usage={"input_tokens": 2 ** 63 - 1, "output_tokens": 5}),
])
def test_document_shapes_handed_back(body):
    assert not document_in_c(body, "anthropic")
    for fmt in ("anthropic", "bedrock"):
        same_document(body, fmt)


def _doc_bodies():
    return [json.loads(interaction(*p.values).response.body_bytes) for p in DOCS
            if interaction(*p.values).response.code < 400]


DOC_BODIES = _doc_bodies() if DOCS else []


@needs_corpus
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_json(DOC_BODIES, REPLACEMENTS, [(",", ":"), (", ", ": ")]), st.sampled_from(["anthropic", "bedrock"]))
def test_mutated_corpus_documents(body, fmt):
    same_document(body, fmt)

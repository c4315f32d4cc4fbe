"""Anthropic Messages (direct, Vertex) and Bedrock decoded as fantasy does (docs/semantics.md#anthropic-messages).

Corpus: every interaction decodes, both backends byte-identical, any chunking
gives the same Response, fantasy's own assertions, the worked examples (docs/semantics.md#worked-examples)
byte-exact; the official ``anthropic`` SDK as an independent oracle; then the
rules of docs/semantics.md#anthropic-messages one by one on small hand-written streams, and bad input.
"""
from __future__ import annotations

import json
import random

import pytest

from helpers import CORPUS, needs_corpus
from helpers import (fantasy_assertions, interaction, interactions, matches_example,
                     semantics_examples)
from pyfantasy import DecodeError
from pyfantasy.cassette import Interaction, Request, Response as Recorded
from pyfantasy.decode import StreamDecoder, decode_body, decode_cassette, decode_interaction

ANTHROPIC = interactions("anthropic")
BEDROCK = interactions("bedrock")
ALL = ANTHROPIC + BEDROCK
STREAMS = interactions("anthropic", stream=True) + interactions("bedrock", stream=True)
GENERATES = interactions("anthropic", stream=False) + interactions("bedrock", stream=False)

corpus = needs_corpus


def _body(it) -> bytes:
    b = it.response.body
    return b if isinstance(b, bytes) else b.encode("utf-8")


def _fmt(rel: str) -> str:
    return "bedrock" if "Bedrock" in rel else "anthropic"


# ---- the corpus ------------------------------------------------------------------------

def _examples():
    out = []
    for p in semantics_examples(["TestAnthropic", "TestBedrock", "TestGoogleCommon"]):
        cas = p.values[0]["cassette"]
        if "Anthropic" in cas or "Bedrock" in cas or "claude" in cas:
            out.append(p)
    return out


@corpus
@pytest.mark.parametrize("example", _examples())
def test_worked_examples_exact_bytes(example, backend):
    """Examples 10.12-10.15 (docs/semantics.md#anthropic-examples): the exact JSON Go writes."""
    it = interaction(example["cassette"], example["interaction"])
    got = decode_interaction(it, backend).to_json_bytes().decode("utf-8")
    assert matches_example(example["expected"], got), got


def test_worked_examples_present():
    assert {p.values[0]["section"] for p in _examples()} >= {"10.12", "10.13", "10.14", "10.15"}


@corpus
@pytest.mark.parametrize("rel,stream", [("fantasy/TestAnthropicWebSearch/generate.yaml", False),
                                        ("fantasy/TestAnthropicWebSearch/stream.yaml", True)])
def test_web_search_shape(rel, stream, backend):
    """Example 10.19 (docs/semantics.md#anthropic-examples): tool-call, ten sources (id = url), the
    tool-result with the results, then the text."""
    it = interaction(rel, 0)
    r = decode_interaction(it, backend)
    types = [p.type for p in r.content]
    assert types[:12] == ["tool-call"] + ["source"] * 10 + ["tool-result"]
    assert set(types[12:]) == {"text"}
    call, result = r.content[0], r.content[11]
    assert call.provider_executed and call.tool_name == "web_search"
    assert call.input == ('{"query": "Tokyo population 2026 current"}' if stream
                          else '{"query":"Tokyo population 2026 current"}')
    assert all(s.id == s.url and s.source_type == "url" and s.title for s in r.content[1:11])
    meta = result.provider_metadata["anthropic"]
    assert result.tool_call_id == call.tool_call_id and result.provider_executed and result.result is None
    assert [x.url for x in meta.results] == [s.url for s in r.content[1:11]]
    assert all(x.encrypted_content for x in meta.results)
    assert r.finish_reason == "stop" and r.provider_metadata == {}
    # text citations are ignored: no source after the tool result
    assert "source" not in types[12:]


@corpus
@pytest.mark.parametrize("rel,iid", ALL)
@pytest.mark.needs_native
def test_backends_identical(rel, iid):
    """Every Anthropic/Bedrock interaction decodes, native and python byte-identical."""
    it = interaction(rel, iid)
    py = decode_interaction(it, "python").to_json_bytes()
    assert decode_interaction(it, "native").to_json_bytes() == py
    assert json.loads(py)["provider_metadata"] == {}


@corpus
@pytest.mark.parametrize("rel,iid", STREAMS)
def test_stream_decoder_any_chunking(rel, iid, backend):
    """StreamDecoder fed in random pieces gives decode_body's Response; the text deltas add up."""
    it = interaction(rel, iid)
    body = _body(it)
    whole = decode_interaction(it, backend)
    rnd = random.Random(iid * 7919 + len(body))
    dec = StreamDecoder(_fmt(rel), backend, url=it.request.url)
    pos, parts = 0, []
    while pos < len(body):
        step = rnd.choice([1, 2, 7, 64, 700, 5000])
        parts += dec.feed(body[pos:pos + step])
        pos += step
    assert dec.close().to_json_bytes() == whole.to_json_bytes()
    text = "".join(p.delta for p in parts if p.type == "text-delta")
    assert text == "".join(p.text for p in (whole.content or []) if p.type == "text")


def _cassettes():
    seen = sorted({p.values[0] for p in ALL})
    return [pytest.param(rel, id=rel) for rel in seen]


@corpus
@pytest.mark.parametrize("rel", _cassettes())
def test_fantasy_assertions(rel, backend):
    """The checks fantasy's own Go tests make on each cassette (corpus README)."""
    responses = decode_cassette(CORPUS / rel, backend)
    fantasy_assertions(rel, responses)
    for r in responses:
        for p in r.content or []:
            if p.type == "tool-call":
                assert not p.invalid, (rel, p)


def _raw_input_spans(body: str):
    """(id, raw JSON text of `input`) of every tool_use block, found in the body text."""
    dec = json.JSONDecoder()
    out = []
    for block in json.loads(body)["content"]:
        if block.get("type") != "tool_use":
            continue
        at = body.index(json.dumps(block["id"]))
        start = body.index('"input":', at) + len('"input":')
        _, end = dec.raw_decode(body, start)
        out.append((block["id"], body[start:end]))
    return out


@corpus
@pytest.mark.parametrize("rel,iid", GENERATES)
def test_generate_tool_input_is_the_body_text(rel, iid, backend):
    """docs/semantics.md#anthropic-non-streaming: non-streaming tool_use input is the raw
    JSON text of `input` as in the body."""
    it = interaction(rel, iid)
    r = decode_interaction(it, backend)
    ours = [(p.tool_call_id, p.input) for p in r.content if p.type == "tool-call" and not p.provider_executed]
    assert ours == _raw_input_spans(_body(it).decode("utf-8"))


# ---- the official anthropic SDK as an oracle ---------------------------------------------

def _sdk_sse_events(it, rel):
    anthropic = pytest.importorskip("anthropic")  # noqa: F841
    body = _body(it)
    if _fmt(rel) == "bedrock":
        pytest.importorskip("botocore")
        from anthropic.lib.bedrock._stream_decoder import AWSEventStreamDecoder
        return list(AWSEventStreamDecoder().iter_bytes(iter([body])))
    from anthropic._streaming import SSEDecoder
    return list(SSEDecoder().iter_bytes(iter([body])))


def _sdk_stream_message(it, rel):
    from anthropic.lib.streaming._messages import accumulate_event
    snap = None
    bufs: dict = {}
    for sse in _sdk_sse_events(it, rel):
        if sse.event not in ("message_start", "message_delta", "message_stop", "content_block_start",
                             "content_block_delta", "content_block_stop"):
            continue
        snap = accumulate_event(event=json.loads(sse.data), current_snapshot=snap, json_bufs=bufs)
    return snap


_FINISH = {"end_turn": "stop", "pause_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "tool_use": "tool-calls", "refusal": "content-filter"}


def _compare_with_sdk(ours, msg):
    texts = "".join(b.text for b in msg.content if b.type == "text")
    assert "".join(p.text for p in ours.content if p.type == "text") == texts
    sdk_calls = [(b.name, b.input, b.type == "server_tool_use") for b in msg.content
                 if b.type in ("tool_use", "server_tool_use")]
    our_calls = [(p.tool_name, json.loads(p.input), p.provider_executed) for p in ours.content
                 if p.type == "tool-call"]
    assert our_calls == sdk_calls
    thinking = "".join(b.thinking for b in msg.content if b.type == "thinking")
    assert "".join(p.text for p in ours.content if p.type == "reasoning") == thinking
    sigs = [b.signature for b in msg.content if b.type == "thinking"]
    assert [p.provider_metadata["anthropic"].signature for p in ours.content if p.type == "reasoning"] == sigs
    assert ours.finish_reason == _FINISH.get(msg.stop_reason or "", "unknown")
    u = msg.usage
    cc, cr = u.cache_creation_input_tokens or 0, u.cache_read_input_tokens or 0
    assert (ours.usage.input_tokens, ours.usage.output_tokens, ours.usage.total_tokens,
            ours.usage.reasoning_tokens, ours.usage.cache_creation_tokens, ours.usage.cache_read_tokens) == \
        (u.input_tokens, u.output_tokens, u.input_tokens + u.output_tokens, 0, cc, cr)


@corpus
@pytest.mark.parametrize("rel,iid", STREAMS)
@pytest.mark.native
def test_stream_matches_anthropic_sdk_accumulation(rel, iid):
    it = interaction(rel, iid)
    msg = _sdk_stream_message(it, rel)
    _compare_with_sdk(decode_interaction(it, "native"), msg)


@corpus
@pytest.mark.parametrize("rel,iid", GENERATES)
@pytest.mark.native
def test_generate_matches_anthropic_sdk_message(rel, iid):
    pytest.importorskip("anthropic")
    from anthropic._models import construct_type
    from anthropic.types import Message
    it = interaction(rel, iid)
    msg = construct_type(type_=Message, value=json.loads(_body(it)))
    _compare_with_sdk(decode_interaction(it, "native"), msg)


# ---- the rules of docs/semantics.md#anthropic-messages one by one on hand-written streams ----

def ev(name: str, data) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + (data if isinstance(data, bytes) else
                                                        json.dumps(data).encode()) + b"\n\n"


def start(usage=None):
    u = {"input_tokens": 10, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3, "output_tokens": 1}
    return ev("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [], "stop_reason": None,
        "usage": usage or u}})


def bstart(i, block):
    return ev("content_block_start", {"type": "content_block_start", "index": i, "content_block": block})


def delta(i, d):
    return ev("content_block_delta", {"type": "content_block_delta", "index": i, "delta": d})


def text(i, t):
    return delta(i, {"type": "text_delta", "text": t})


def pjson(i, s):
    return delta(i, {"type": "input_json_delta", "partial_json": s})


def bstop(i):
    return ev("content_block_stop", {"type": "content_block_stop", "index": i})


def mdelta(stop="end_turn", usage=None):
    return ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                "usage": {"output_tokens": 7} if usage is None else usage})


STOP = ev("message_stop", {"type": "message_stop"})
PING = ev("ping", {"type": "ping"})


def run(body: bytes, backend, tools=None):
    return decode_body(body, "anthropic", True, backend, tools=tools)


def test_text_stream_usage_and_metadata(backend):
    body = start() + bstart(0, {"type": "text", "text": ""}) + PING + text(0, "Ol") + text(0, "á!") + \
        bstop(0) + mdelta() + STOP
    r = run(body, backend)
    assert r.to_json_bytes() == (
        b'{"content":[{"type":"text","data":{"text":"Ol\xc3\xa1!"}}],"finish_reason":"stop","usage":'
        b'{"input_tokens":10,"output_tokens":7,"total_tokens":17,"reasoning_tokens":0,'
        b'"cache_creation_tokens":2,"cache_read_tokens":3},"warnings":null,"provider_metadata":{}}')


def test_long_text_stream_coalesces(backend):
    """A run of text deltas reaches the state machine as one merged chunk (in C on native)."""
    n = 2000
    body = start() + bstart(0, {"type": "text", "text": ""}) + b"".join(text(0, f"{k},") for k in range(n)) + \
        bstop(0) + mdelta() + STOP
    dec = StreamDecoder("anthropic", backend)
    parts = dec.feed(body)
    r = dec.close()
    assert r.content[0].text == "".join(f"{k}," for k in range(n))
    assert [p.type for p in parts].count("text-delta") == 1
    assert dec.events == n + 5


def test_tool_input_is_the_raw_concatenation(backend):
    """docs/semantics.md#anthropic-streaming: the first non-empty partial_json replaces the {}
    placeholder, later ones append."""
    body = start() + bstart(0, {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}) + \
        pjson(0, "") + pjson(0, '{"location"') + pjson(0, ': "Flo') + pjson(0, 'rence"}') + bstop(0) + \
        mdelta("tool_use") + STOP
    r = run(body, backend)
    assert [(p.type, p.tool_call_id, p.input) for p in r.content] == \
        [("tool-call", "toolu_1", '{"location": "Florence"}')]
    assert r.finish_reason == "tool-calls"


def test_partial_json_placeholder_rule_is_not_concatenation(backend):
    """Why partial_json is not coalesced: "{" + "}" makes the input "{}" again, so "x" replaces it."""
    body = start() + bstart(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}}) + \
        pjson(0, "{") + pjson(0, "}") + pjson(0, '{"a":1}') + bstop(0) + mdelta("tool_use") + STOP
    r = run(body, backend)
    assert r.content[0].input == '{"a":1}'


def test_tool_without_deltas_keeps_the_placeholder(backend):
    body = start() + bstart(0, {"type": "tool_use", "id": "t", "name": "f", "input": {}}) + bstop(0) + \
        mdelta("tool_use") + STOP
    assert run(body, backend).content[0].input == "{}"


def test_thinking_signature_accumulates(backend):
    body = start() + bstart(0, {"type": "thinking", "thinking": "", "signature": ""}) + \
        delta(0, {"type": "thinking_delta", "thinking": "Hmm, "}) + \
        delta(0, {"type": "thinking_delta", "thinking": "rain."}) + \
        delta(0, {"type": "signature_delta", "signature": "Sig1"}) + \
        delta(0, {"type": "signature_delta", "signature": "Sig2"}) + bstop(0) + \
        bstart(1, {"type": "thinking", "thinking": "", "signature": ""}) + \
        delta(1, {"type": "thinking_delta", "thinking": "unsigned"}) + bstop(1) + mdelta() + STOP
    r = run(body, backend)
    a, b = r.content
    assert (a.text, a.provider_metadata["anthropic"].signature) == ("Hmm, rain.", "Sig1Sig2")
    assert (b.text, b.provider_metadata) == ("unsigned", None)  # no signature: no metadata in streams


def test_redacted_thinking(backend):
    body = start() + bstart(0, {"type": "redacted_thinking", "data": "EmwKAhgB"}) + bstop(0) + mdelta() + STOP
    got = run(body, backend).to_json_bytes()
    assert b'{"type":"reasoning","data":{"text":"","provider_metadata":{"anthropic":{"type":' \
           b'"anthropic.reasoning_metadata","data":{"signature":"","redacted_data":"EmwKAhgB"}}}}}' in got
    doc = {"content": [{"type": "redacted_thinking", "data": "EmwKAhgB"},
                       {"type": "thinking", "thinking": "t"}], "stop_reason": "end_turn", "usage": {}}
    gen = decode_body(json.dumps(doc).encode(), "anthropic", False, backend)
    assert gen.content[0].provider_metadata["anthropic"].redacted_data == "EmwKAhgB"
    # Generate always attaches the metadata, even without a signature
    assert gen.content[1].provider_metadata["anthropic"].signature == ""


def test_message_delta_usage_rules(backend):
    """output_tokens is always overwritten (absent: 0); the others only when present and non-null."""
    body = start() + mdelta("end_turn", {"input_tokens": None, "cache_read_input_tokens": 9}) + STOP
    r = run(body, backend)
    u = r.usage
    assert (u.input_tokens, u.output_tokens, u.cache_creation_tokens, u.cache_read_tokens) == (10, 0, 2, 9)
    assert r.content is None  # streams start from a nil list


def test_order_is_the_order_of_stop_events(backend):
    body = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "a") + \
        bstart(1, {"type": "tool_use", "id": "t", "name": "f", "input": {}}) + pjson(1, "{}") + bstop(1) + \
        bstop(0) + mdelta("tool_use") + STOP
    assert [p.type for p in run(body, backend).content] == ["tool-call", "text"]


def test_accumulator_indexes(backend):
    """A start whose index is not the next one is not accumulated; a stop for an unknown index does nothing."""
    body = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "kept") + bstop(0) + \
        bstart(5, {"type": "text", "text": ""}) + text(5, "dropped") + bstop(5) + bstop(9) + mdelta() + STOP
    r = run(body, backend)
    assert [p.text for p in r.content] == ["kept"]


@pytest.mark.parametrize("reason,finish", [("end_turn", "stop"), ("pause_turn", "stop"), ("stop_sequence", "stop"),
                                           ("max_tokens", "length"), ("model_context_window_exceeded", "length"),
                                           ("tool_use", "tool-calls"), ("refusal", "content-filter"),
                                           ("content_filtered", "content-filter"),
                                           ("guardrail_intervened", "content-filter"), ("other", "unknown"),
                                           (None, "unknown")])
def test_finish_reasons(reason, finish, backend):
    doc = {"content": [], "stop_reason": reason, "usage": {"input_tokens": 1, "output_tokens": 2}}
    r = decode_body(json.dumps(doc).encode(), "anthropic", False, backend)
    assert (r.finish_reason, r.content, r.usage.total_tokens) == (finish, [], 3)
    if reason is not None:
        assert run(start() + mdelta(reason) + STOP, backend).finish_reason == finish


def test_generate_server_tool_input_is_reencoded_by_go(backend):
    doc = {"content": [{"type": "server_tool_use", "id": "srv_1", "name": "web_search",
                        "input": {"q": "<b> & c", "n": 2, "f": 2.50, "a": [1e-7]}},
                       {"type": "web_search_tool_result", "tool_use_id": "srv_1",
                        "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}},
                       {"type": "web_search_tool_result", "tool_use_id": "srv_2", "content": []},
                       {"type": "text", "text": "", "citations": [{"url": "https://x"}]},
                       {"type": "code_execution_tool_result", "tool_use_id": "x", "content": {}}],
           "stop_reason": "end_turn", "usage": {}}
    r = decode_body(json.dumps(doc).encode(), "anthropic", False, backend)
    assert [p.type for p in r.content] == ["tool-call", "tool-result", "tool-result", "text"]
    assert r.content[0].input == '{"a":[1e-7],"f":2.5,"n":2,"q":"\\u003cb\\u003e \\u0026 c"}'
    assert r.content[1].provider_metadata["anthropic"].error_code == "max_uses_exceeded"
    assert r.content[2].provider_metadata is None
    assert r.content[3].text == ""


def test_web_search_stream_error_code(backend):
    body = start() + bstart(0, {"type": "web_search_tool_result", "tool_use_id": "srv_1",
                                "content": {"type": "web_search_tool_result_error", "error_code": "too_many"}}) + \
        bstop(0) + mdelta() + STOP
    got = run(body, backend).to_json_bytes()
    assert b'"provider_metadata":{"anthropic":{"type":"anthropic.web_search_result_metadata",' \
           b'"data":{"error_code":"too_many"}}}' in got


def test_validation_with_the_request_tools(backend):
    req = {"model": "m", "max_tokens": 5, "messages": [], "tools": [
        {"name": "weather", "input_schema": {"type": "object", "required": ["location"]}},
        {"name": "computer", "type": "computer_20250124", "display_width_px": 10},
        {"name": "web_search", "type": "web_search_20250305"}]}
    doc = {"content": [{"type": "tool_use", "id": "a", "name": "nope", "input": {}},
                       {"type": "tool_use", "id": "b", "name": "weather", "input": {"city": "x"}},
                       {"type": "tool_use", "id": "c", "name": "computer", "input": {"action": "screenshot"}},
                       {"type": "tool_use", "id": "d", "name": "weather", "input": {"location": "x"}}],
           "stop_reason": "tool_use", "usage": {}}
    it = Interaction(id=0, request=Request(url="https://api.anthropic.com/v1/messages", method="POST",
                                           body=json.dumps(req)),
                     response=Recorded(body=json.dumps(doc), code=200, status="200 OK",
                                       headers={"Content-Type": ["application/json"]}))
    r = decode_interaction(it, backend)
    assert [(p.invalid, p.validation_error) for p in r.content] == [
        (True, "tool not found: nope. Available tools: weather, computer"),
        (True, "missing required parameter: location"), (False, None), (False, None)]


# ---- bad input ------------------------------------------------------------------------

def test_stream_without_message_stop(backend):
    body = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "partial") + bstop(0) + mdelta()
    with pytest.raises(DecodeError) as ei:
        run(body, backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("truncated", "stream transport error: unexpected EOF", len(body))
    assert [p.text for p in e.response.content] == ["partial"]


def test_stream_without_stop_reason(backend):
    with pytest.raises(DecodeError) as ei:
        run(start() + mdelta(None) + STOP, backend)
    assert ei.value.message == "stream transport error: unexpected EOF"


def test_stream_cut_inside_an_event(backend):
    good = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "ok") + bstop(0) + mdelta() + STOP
    body = good[:-5]
    with pytest.raises(DecodeError) as ei:
        run(body, backend)
    e = ei.value
    assert e.kind == "truncated"
    assert e.response.content[0].text == "ok"


def test_error_event(backend):
    err = ev("error", b'{"type": "error", "error": {"details": null, "type": "overloaded_error", '
                      b'"message": "Overloaded"}}')
    head = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "Hel") + bstop(0)
    with pytest.raises(DecodeError) as ei:
        run(head + err + STOP, backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("provider-error", "provider overloaded: Overloaded", len(head))
    assert e.response.content[0].text == "Hel"


@pytest.mark.parametrize("data,message", [
    (b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}', "rate limit exceeded: slow down"),
    (b'{"type":"error","error":{"type":"api_error","message":"boom"}}', "api error: boom"),
    (b'{"type":"error"}', 'received error while streaming: {"type":"error"}'),
    (b"Internal <b>error</b>", "received error while streaming: Internal <b>error</b>"),
])
def test_error_event_texts(data, message, backend):
    with pytest.raises(DecodeError) as ei:
        run(start() + ev("error", data), backend)
    assert ei.value.message == message


def test_malformed_json_event(backend):
    head = start() + bstart(0, {"type": "text", "text": ""}) + text(0, "a")
    bad = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{\n\n'
    with pytest.raises(DecodeError) as ei:
        run(head + bad + text(0, "b") + bstop(0) + mdelta() + STOP, backend)
    e = ei.value
    assert (e.kind, e.offset) == ("json", len(head))
    # the open text block (fantasy's agent drops it) is kept in the partial Response
    assert [(p.type, p.text) for p in e.response.content] == [("text", "a")]


def test_event_that_is_not_an_object(backend):
    with pytest.raises(DecodeError) as ei:
        run(start() + ev("content_block_delta", b"[1, 2]") + mdelta() + STOP, backend)
    assert ei.value.kind == "json" and "cannot unmarshal array" in ei.value.message


def test_skipped_events(backend):
    """ping, unknown names and events without a name are skipped unparsed, as the SDK does."""
    body = start() + b"event: ping\ndata: {not json\n\n" + b'data: {"type":"message_stop"}\n\n' + \
        ev("content_block_stop_v2", b"??") + b": comment\n\n" + ev("message", {"type": "message_stop"}) + \
        bstart(0, {"type": "text", "text": ""}) + text(0, "x") + bstop(0) + mdelta() + STOP + b"event: ping\n"
    r = run(body, backend)
    assert r.content[0].text == "x" and r.finish_reason == "stop"
    # null data is an empty event: nothing happens
    assert run(start() + ev("content_block_delta", b"null") + mdelta() + STOP, backend).content is None


def test_generate_bad_bodies(backend):
    with pytest.raises(DecodeError) as ei:
        decode_body(b"<html>overloaded</html>", "anthropic", False, backend)
    assert ei.value.kind == "json" and ei.value.offset == 0
    with pytest.raises(DecodeError) as ei:
        decode_body(b'["content"]', "bedrock", False, backend)
    assert ei.value.message == "json: cannot unmarshal array into Go value of type anthropic.Message"
    r = decode_body(b"null", "anthropic", False, backend)
    assert (r.content, r.finish_reason, r.provider_metadata) == ([], "unknown", {})


def _recorded(url, body, code, status, ctype="application/json", stream=False):
    req = {"max_tokens": 5, "messages": [], "model": "m"}
    if stream:
        req["stream"] = True
    return Interaction(id=0, request=Request(url=url, method="POST", body=json.dumps(req)),
                       response=Recorded(body=body, code=code, status=status, headers={"Content-Type": [ctype]}))


@pytest.mark.parametrize("url,code,status,title,text", [
    ("https://api.anthropic.com/v1/messages?beta=true", 400, "400 Bad Request", "bad request", "Bad Request"),
    ("https://api.anthropic.com/v1/messages", 529, "529 Overloaded", "provider request failed", ""),
    ("https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/"
     "invoke-with-response-stream", 429, "429 Too Many Requests", "too many requests", "Too Many Requests"),
])
def test_http_errors(url, code, status, title, text, backend):
    body = '{"type":"error","error":{"type":"x","message":"no"}}'
    with pytest.raises(DecodeError) as ei:
        decode_interaction(_recorded(url, body, code, status), backend)
    assert ei.value.kind == "http-status"
    assert ei.value.message == f'{title}: POST "{url}": {code} {text} {body}'


def test_non_json_content_type(backend):
    it = _recorded("https://api.anthropic.com/v1/messages", "{}", 200, "200 OK", ctype="text/html")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert ei.value.kind == "content-type"


def test_stream_decoder_parts(backend):
    dec = StreamDecoder("anthropic", backend)
    parts = dec.feed(start() + bstart(0, {"type": "tool_use", "id": "t1", "name": "f", "input": {}}) + pjson(0, "{}"))
    assert [(p.type, p.id) for p in parts] == [("tool-input-start", "t1"), ("tool-input-delta", "t1")]
    parts = dec.feed(bstop(0) + mdelta("tool_use") + STOP)
    assert [p.type for p in parts] == ["tool-input-end", "tool-call", ] and parts[1].tool_call_input == "{}"
    assert [p.type for p in dec.feed(b"")] == []
    r = dec.close()
    assert r.finish_reason == "tool-calls" and r.content[0].tool_name == "f"


@pytest.mark.parametrize("data", [b"[1]", b'{"type": "error", "detail": "x"}', b"not json", b"\"\\u00e9\""])
def test_error_event_without_error_object_quotes_its_data_as_received(backend, data):
    """docs/semantics.md#errors-inside-streams: the message is the event's data as
    received (not the scanner's pruned value), whatever feeds the stream came in."""
    start = b'event: message_start\ndata: {"type":"message_start","message":{"content":[]}}\n\n'
    body = start + b"event: ping\ndata: {}\n\nevent: error\ndata: " + data + b"\n\n"
    for size in (len(body), 7, 1):
        dec = StreamDecoder("anthropic", backend)
        for i in range(0, len(body), size):
            dec.feed(body[i:i + size])
        with pytest.raises(DecodeError) as ei:
            dec.close()
        e = ei.value
        assert (e.kind, e.message) == ("provider-error", "received error while streaming: " + data.decode())
        assert e.offset == len(start) + len(b"event: ping\ndata: {}\n\n")


def test_integers_past_the_str_digit_limit(backend):
    """A 5000-digit index, block type or token count is read as any integer is, not a crash
    (CPython's str() and json.loads refuse integers past 4300 digits)."""
    from pyfantasy._kernels.jsonscan import loads
    big = b"1" * 5000
    body = (b'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":%s}}}\n\n'
            b'event: content_block_start\ndata: {"type":"content_block_start","index":%s,'
            b'"content_block":{"type":%s}}\n\n'
            b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%s,'
            b'"delta":{"type":"text_delta","text":"x"}}\n\n' % ((big,) * 4)) + mdelta("end_turn") + STOP
    r = decode_body(body, "anthropic", True, backend).to_json()
    assert r["usage"]["input_tokens"] == loads(big.decode())
    dec = StreamDecoder("anthropic", backend)
    assert [(p.type, p.id) for p in dec.feed(body)] == [("text-delta", big.decode())]
    assert dec.close().to_json() == r

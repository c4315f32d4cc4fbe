"""OpenAI Responses API (OpenAI and Azure) decoded as fantasy does (docs/semantics.md#responses-api).

Corpus: every openai-responses interaction decodes, on both backends, to
byte-identical Responses; StreamDecoder in random chunkings equals
decode_body; fantasy's own assertions per cassette; the worked examples (docs/semantics.md#worked-examples)
byte for byte; the official ``openai`` SDK (stream accumulation and
``Response`` model) agrees on text, tool calls, usage, reasoning summaries
and citations. Synthetic bodies: the rules of docs/semantics.md#responses-api one by one, coalescing
(merged chunks decode as the events one by one), and bad input.
"""
from __future__ import annotations

import json
import random
import re

import pytest
from hypothesis import given, strategies as st

from helpers import BACKEND_PARAMS, CORPUS, needs_corpus
from helpers import fantasy_assertions, interaction, interactions, matches_example, semantics_examples
from pyfantasy import DecodeError
from pyfantasy._providers.assemble import ToolSpec, deterministic_uuid
from pyfantasy._providers.openai_responses import STREAM_SPEC, request_tools
from pyfantasy._kernels.jsonscan import scan_body
from pyfantasy.cassette import Interaction, Request, Response as Recorded
from pyfantasy.decode import StreamDecoder, decode_body, decode_cassette, decode_interaction

FMT = "openai-responses"
RESPONSES = interactions(FMT)
RESPONSES_STREAMS = interactions(FMT, stream=True)
RESPONSES_BODIES = interactions(FMT, stream=False)


# ---- the corpus -------------------------------------------------------------------

@needs_corpus
def test_corpus_has_responses_interactions():
    assert len(RESPONSES_STREAMS) >= 39 and len(RESPONSES_BODIES) >= 39


@needs_corpus
@pytest.mark.parametrize("example", semantics_examples(
    ["TestOpenAIResponses", "TestOpenAIWebSearch", "TestAzureResponses"]))
def test_worked_examples_exact_bytes(example, backend):
    """Examples 10.9-10.11, 10.20 (docs/semantics.md#responses-api-examples): the exact JSON Go writes."""
    it = interaction(example["cassette"], example["interaction"])
    got = decode_interaction(it, backend).to_json_bytes().decode("utf-8")
    assert matches_example(example["expected"], got), got


@needs_corpus
@pytest.mark.parametrize("rel,iid", RESPONSES)
@pytest.mark.needs_native
def test_backends_identical(rel, iid):
    """Every interaction decodes, and native and python give the same bytes."""
    it = interaction(rel, iid)
    py = decode_interaction(it, "python")
    assert decode_interaction(it, "native").to_json_bytes() == py.to_json_bytes()
    assert py.content, "every recorded response has content"
    body = it.response.body
    if it.response.body.lstrip().startswith("{"):
        rid = json.loads(body)["id"]
    else:
        rid = re.search(r'"type":"response.completed","response":\{"id":"([^"]+)"', body).group(1)
    assert py.provider_metadata["openai"].response_id == rid


@needs_corpus
@pytest.mark.parametrize("rel,iid", RESPONSES_STREAMS)
def test_stream_decoder_any_chunking(rel, iid, backend):
    """StreamDecoder fed in random pieces gives decode_body's Response; its parts agree."""
    it = interaction(rel, iid)
    body = it.response.body.encode("utf-8")
    whole = decode_interaction(it, backend)
    rnd = random.Random(iid * 7919 + len(body))
    dec = StreamDecoder(FMT, backend, url=it.request.url)
    pos = 0
    parts = []
    while pos < len(body):
        step = rnd.choice([1, 3, 17, 256, 4096])
        parts += dec.feed(body[pos:pos + step])
        pos += step
    assert dec.close().to_json_bytes() == whole.to_json_bytes()
    assert "".join(p.delta for p in parts if p.type == "text-delta") == whole.text
    assert [(p.id, p.tool_call_name, p.tool_call_input) for p in parts if p.type == "tool-call"] == \
        [(c.tool_call_id, c.tool_name, c.input) for c in whole.tool_calls]


def _cassettes():
    return [pytest.param(rel, id=rel) for rel in sorted({p.values[0] for p in RESPONSES})]


@needs_corpus
@pytest.mark.parametrize("rel", _cassettes())
def test_fantasy_assertions(rel, backend):
    """The checks fantasy's own Go tests make on each cassette (corpus README)."""
    fantasy_assertions(rel, decode_cassette(CORPUS / rel, backend))


@needs_corpus
def test_web_search_sources_deterministic(backend):
    """Citation ids: deterministic_uuid(<response id>, "citation", n), stable across runs."""
    for rel in ("fantasy/TestOpenAIWebSearch/stream.yaml", "fantasy/TestOpenAIWebSearch/generate.yaml"):
        it = interaction(rel, 0)
        r = decode_interaction(it, backend)
        rid = r.provider_metadata["openai"].response_id
        assert r.sources
        assert [s.id for s in r.sources] == [deterministic_uuid(rid, "citation", n) for n in range(len(r.sources))]
        assert decode_interaction(it, backend).to_json_bytes() == r.to_json_bytes()


# ---- the official openai SDK as an independent oracle ----------------------------------

def _sdk_stream(body: bytes):
    pytest.importorskip("openai")
    from openai import omit
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.responses._responses import ResponseStreamState
    from openai.types.responses import ResponseStreamEvent
    state = ResponseStreamState(input_tools=omit, text_format=omit)
    for sse in SSEDecoder().iter_bytes(iter([body])):
        state.handle_event(construct_type(type_=ResponseStreamEvent, value=json.loads(sse.data)))
    # the SDK's accumulation of the deltas, and the final response it parsed
    return state._ResponseStreamState__current_snapshot, state._completed_response


def _mapped_usage(u) -> tuple:
    cached = u.input_tokens_details.cached_tokens if u.input_tokens_details else 0
    reasoning = u.output_tokens_details.reasoning_tokens if u.output_tokens_details else 0
    return (max(u.input_tokens - cached, 0), u.output_tokens, u.input_tokens + u.output_tokens,
            reasoning, cached)


def _ours_usage(r) -> tuple:
    u = r.usage
    return (u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens, u.cache_read_tokens)


def _texts(output) -> str:
    return "".join(c.text for o in output if o.type == "message" for c in o.content if c.type == "output_text")


def _citations(output) -> list:
    return [(a.url, a.title) for o in output if o.type == "message" for c in o.content if c.type == "output_text"
            for a in (c.annotations or []) if a.type == "url_citation"]


def _summaries(output) -> list:
    return [[s.text for s in o.summary] for o in output if o.type == "reasoning"]


@needs_corpus
@pytest.mark.parametrize("rel,iid", RESPONSES_STREAMS)
@pytest.mark.native
def test_stream_matches_openai_sdk_accumulation(rel, iid):
    it = interaction(rel, iid)
    snap, final = _sdk_stream(it.response.body.encode("utf-8"))
    ours = decode_interaction(it, "native")
    assert ours.text == _texts(snap.output)
    calls = [c for c in ours.tool_calls if not c.provider_executed]
    sdk_calls = [(o.name, json.loads(o.arguments)) for o in snap.output if o.type == "function_call"]
    assert [(c.tool_name, json.loads(c.input)) for c in calls] == sdk_calls
    assert [(c.tool_call_id, c.tool_name, c.input) for c in calls] == \
        [(o.call_id, o.name, o.arguments) for o in final.output if o.type == "function_call"]
    assert [c.tool_call_id for c in ours.tool_calls if c.provider_executed] == \
        [o.id for o in final.output if o.type == "web_search_call"]
    assert _ours_usage(ours) == _mapped_usage(final.usage)
    reasoning = [p for p in ours.content if p.type == "reasoning"]
    # every reasoning item gives a part in streams; its summary list is the final one,
    # its encrypted content the one of the *added* item (the SDK snapshot keeps that item)
    assert [p.provider_metadata["openai"].summary for p in reasoning] == _summaries(final.output)
    assert [p.provider_metadata["openai"].encrypted_content for p in reasoning] == \
        [o.encrypted_content for o in snap.output if o.type == "reasoning"]
    assert [p.text for p in reasoning] == ["".join("\n" + s for s in x) for x in _summaries(final.output)]
    assert [(s.url, s.title) for s in ours.sources] == _citations(final.output)
    assert ours.finish_reason == ("tool-calls" if sdk_calls else "stop")


@needs_corpus
@pytest.mark.parametrize("rel,iid", RESPONSES_BODIES)
@pytest.mark.native
def test_generate_matches_openai_sdk_model(rel, iid):
    pytest.importorskip("openai")
    from openai._models import construct_type
    from openai.types.responses import Response as SDKResponse
    it = interaction(rel, iid)
    sdk = construct_type(type_=SDKResponse, value=json.loads(it.response.body))
    ours = decode_interaction(it, "native")
    assert ours.text == sdk.output_text
    assert [(c.tool_call_id, c.tool_name, c.input) for c in ours.tool_calls if not c.provider_executed] == \
        [(o.call_id, o.name, o.arguments) for o in sdk.output if o.type == "function_call"]
    assert _ours_usage(ours) == _mapped_usage(sdk.usage)
    kept = [o for o in sdk.output if o.type == "reasoning" and (o.summary or o.encrypted_content)]
    reasoning = [p for p in ours.content if p.type == "reasoning"]
    assert [p.text for p in reasoning] == ["\n".join(s.text for s in o.summary) for o in kept]
    assert [p.provider_metadata["openai"].encrypted_content for p in reasoning] == \
        [o.encrypted_content or None for o in kept]
    assert [(s.url, s.title) for s in ours.sources] == _citations(sdk.output)
    assert [c.tool_call_id for c in ours.tool_calls if c.provider_executed] == \
        [o.id for o in sdk.output if o.type == "web_search_call"]


# ---- synthetic streams: the rules of docs/semantics.md#responses-streaming -----------

def sse(*events) -> bytes:
    """An SSE body as OpenAI sends it (``event:`` line = the type)."""
    out = []
    for e in events:
        name = e.get("type", "message") if isinstance(e, dict) else "message"
        out.append(f"event: {name}\ndata: {json.dumps(e, ensure_ascii=False)}\n\n")
    return "".join(out).encode("utf-8")


def created(rid="resp_1"):
    return {"type": "response.created", "response": {"id": rid, "status": "in_progress", "output": []}}


def completed(rid="resp_1", usage=None, reason=None, kind="response.completed"):
    return {"type": kind, "response": {
        "id": rid, "incomplete_details": None if reason is None else {"reason": reason},
        "usage": usage or {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 5,
                           "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}}}


def added(item, oi=0):
    return {"type": "response.output_item.added", "output_index": oi, "item": item}


def done(item, oi=0):
    return {"type": "response.output_item.done", "output_index": oi, "item": item}


def text_delta(delta, item_id="msg_1", oi=0, seq=0):
    return {"type": "response.output_text.delta", "item_id": item_id, "output_index": oi, "content_index": 0,
            "delta": delta, "sequence_number": seq, "obfuscation": "x" * (seq % 5)}


def message(text_parts=(), mid="msg_1", oi=0):
    msg = {"id": mid, "type": "message", "status": "completed", "role": "assistant",
           "content": [{"type": "output_text", "text": t, "annotations": []} for t in text_parts]}
    return ([added({"id": mid, "type": "message", "content": []}, oi)] +
            [text_delta(t, mid, oi, k) for k, t in enumerate(text_parts)] + [done(msg, oi)])


def summary_part(rid="rs_1", idx=0, **extra):
    return {"type": "response.reasoning_summary_part.added", "item_id": rid, "output_index": 0,
            "summary_index": idx, "part": {"type": "summary_text", "text": ""}, **extra}


def summary_delta(delta, rid="rs_1", idx=0):
    return {"type": "response.reasoning_summary_text.delta", "item_id": rid, "output_index": 0,
            "summary_index": idx, "delta": delta}


def fcall(call_id="call_1", name="weather", args="", oi=1):
    return {"id": "fc_" + call_id, "type": "function_call", "call_id": call_id, "name": name, "arguments": args}


def args_delta(delta, oi=1):
    return {"type": "response.function_call_arguments.delta", "item_id": "fc", "output_index": oi, "delta": delta}


def test_text_stream(backend):
    r = decode_body(sse(created(), *message(["Hel", "lo"]), completed()), FMT, True, backend)
    assert r.to_json_bytes() == (
        b'{"content":[{"type":"text","data":{"text":"Hello"}}],"finish_reason":"stop","usage":{"input_tokens":10,'
        b'"output_tokens":5,"total_tokens":15,"reasoning_tokens":0,"cache_creation_tokens":0,'
        b'"cache_read_tokens":0},'
        b'"warnings":null,"provider_metadata":{"openai":{"type":"openai.responses.metadata",'
        b'"data":{"response_id":"resp_1"}}}}')


def test_reasoning_summary_parts_and_added_encrypted_content(backend):
    body = sse(created(),
               added({"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "ADDED"}),
               summary_part(), summary_delta("A"), summary_delta("b"),
               summary_part(idx=1), summary_delta("C", idx=1),
               summary_delta("lost", idx=5),   # no such entry: delta emitted, summary unchanged
               done({"id": "rs_1", "type": "reasoning", "encrypted_content": "DONE",
                     "summary": [{"type": "summary_text", "text": "Ab"}]}),
               *message(["ok"], oi=1), completed())
    r = decode_body(body, FMT, True, backend)
    reasoning, text = r.content
    meta = reasoning.provider_metadata["openai"]
    assert reasoning.text == "\nAb\nClost"
    assert (meta.item_id, meta.encrypted_content, meta.summary) == ("rs_1", "ADDED", ["Ab", "C"])
    assert text.text == "ok"


def test_empty_reasoning_item_gives_a_part_in_streams_only(backend):
    item = {"id": "rs_1", "type": "reasoning", "summary": []}
    body = sse(created(), added(item), done(item), *message(["Oi"], oi=1), completed())
    r = decode_body(body, FMT, True, backend)
    assert [(p.type, p.text) for p in r.content] == [("reasoning", ""), ("text", "Oi")]
    meta = r.content[0].provider_metadata["openai"]
    assert (meta.encrypted_content, meta.summary) == (None, [])
    body = json.dumps({"id": "resp_1", "output": [item, {"type": "message", "id": "m", "content": [
        {"type": "output_text", "text": "Oi", "annotations": []}]}]})
    g = decode_body(body, FMT, False, backend)
    assert [p.type for p in g.content] == ["text"]


def test_reasoning_events_for_unknown_items_are_ignored(backend):
    r = decode_body(sse(created(), summary_part("rs_x"), summary_delta("x", "rs_x"),
                        done({"id": "rs_x", "type": "reasoning"}), completed()), FMT, True, backend)
    assert r.content is None and r.finish_reason == "stop"


def test_tool_call_input_comes_from_done_item(backend):
    body = sse(created(), added(fcall(), 1), args_delta('{"loc'), args_delta('ation":"X"}'),
               done(fcall(args='{"location":"Florence"}'), 1), completed())
    dec = StreamDecoder(FMT, backend)
    parts = dec.feed(body)
    r = dec.close()
    assert [(c.tool_call_id, c.tool_name, c.input) for c in r.tool_calls] == \
        [("call_1", "weather", '{"location":"Florence"}')]
    assert "".join(p.delta for p in parts if p.type == "tool-input-delta") == '{"location":"X"}'
    assert [p.type for p in parts if p.type.startswith("tool")] == \
        ["tool-input-start", "tool-input-delta", "tool-input-end", "tool-call"]
    assert r.finish_reason == "tool-calls"


def test_function_call_done_without_added_is_ignored(backend):
    r = decode_body(sse(created(), done(fcall(args="{}"), 1), completed()), FMT, True, backend)
    assert r.content is None and r.finish_reason == "stop"


def test_finish_reason_is_taken_at_the_terminal_event(backend):
    # a function call finished after response.completed no longer changes the finish reason
    body = sse(created(), added(fcall(), 1), completed(), done(fcall(args="{}"), 1))
    r = decode_body(body, FMT, True, backend)
    assert r.finish_reason == "stop" and len(r.tool_calls) == 1


@pytest.mark.parametrize("reason,expected", [
    (None, "stop"), ("", "stop"), ("max_output_tokens", "length"), ("max_tokens", "length"),
    ("content_filter", "content-filter"), ("something_new", "other")])
def test_incomplete_finish_reasons(backend, reason, expected):
    body = sse(created(), *message(["x"]), completed(reason=reason, kind="response.incomplete"))
    assert decode_body(body, FMT, True, backend).finish_reason == expected
    doc = {"id": "r", "incomplete_details": None if reason is None else {"reason": reason}, "output": []}
    assert decode_body(json.dumps(doc), FMT, False, backend).finish_reason == expected
    doc["output"] = [{"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}]
    assert decode_body(json.dumps(doc), FMT, False, backend).finish_reason == "tool-calls"


def test_usage_subtracts_cached_and_recomputes_total(backend):
    usage = {"input_tokens": 100, "input_tokens_details": {"cached_tokens": 30}, "output_tokens": 7,
             "output_tokens_details": {"reasoning_tokens": 4}, "total_tokens": 999}
    expected = (70, 7, 107, 4, 30)
    r = decode_body(sse(created(), completed(usage=usage)), FMT, True, backend)
    assert _ours_usage(r) == expected and r.usage.cache_creation_tokens == 0
    g = decode_body(json.dumps({"id": "r", "output": [], "usage": usage}), FMT, False, backend)
    assert _ours_usage(g) == expected
    big_cache = dict(usage, input_tokens_details={"cached_tokens": 500})
    assert decode_body(sse(created(), completed(usage=big_cache)), FMT, True, backend).usage.input_tokens == 0


def test_metadata_is_empty_without_response_id(backend):
    r = decode_body(sse(created(""), completed("")), FMT, True, backend)
    assert r.provider_metadata == {} and r.to_json()["provider_metadata"] == {}
    g = decode_body(b'{"output": []}', FMT, False, backend)
    assert g.to_json()["provider_metadata"] == {} and g.content == []


def test_terminal_event_response_id_wins(backend):
    r = decode_body(sse(created("resp_a"), completed("resp_b")), FMT, True, backend)
    assert r.provider_metadata["openai"].response_id == "resp_b"


def test_web_search_stream(backend):
    ws = {"id": "ws_1", "type": "web_search_call", "status": "in_progress", "action": {"type": "search"}}
    ws_done = dict(ws, status="completed", action={"type": "search", "query": "q", "queries": ["q"],
                                                   "sources": [{"type": "url", "url": "https://a.example"}]})
    ann = {"type": "response.output_text.annotation.added", "item_id": "msg_1", "output_index": 1,
           "annotation": {"type": "url_citation", "url": "https://a.example", "title": "A", "start_index": 0}}
    fc = {"type": "response.output_text.annotation.added", "item_id": "msg_1", "output_index": 1,
          "annotation": {"type": "file_citation", "file_id": "file_1", "filename": ""}}
    msg = message(["See A."], oi=1)
    body = sse(created(), added(ws), done(ws_done), msg[0], msg[1], ann, fc, msg[2], completed())
    r = decode_body(body, FMT, True, backend)
    got = r.to_json()["content"]
    assert [p["type"] for p in got] == ["tool-call", "tool-result", "source", "source", "text"]
    assert got[0]["data"] == {"tool_call_id": "ws_1", "tool_name": "web_search", "input": "",
                              "provider_executed": True}
    assert got[1]["data"]["provider_metadata"]["openai"]["data"] == {
        "item_id": "ws_1", "action": {"type": "search", "query": "q",
                                      "sources": [{"type": "url", "url": "https://a.example"}]}}
    assert got[2]["data"] == {"source_type": "url", "id": deterministic_uuid("resp_1", "citation", 0),
                              "url": "https://a.example", "title": "A"}
    # streamed file citations: title "Document" when the file name is empty, no media type or file name
    assert got[3]["data"] == {"source_type": "document", "id": deterministic_uuid("resp_1", "citation", 1),
                              "title": "Document"}
    assert r.finish_reason == "stop"


def test_web_search_action_without_type_has_no_action(backend):
    ws = {"id": "ws_1", "type": "web_search_call", "action": {"query": "q"}}
    r = decode_body(sse(created(), added(ws), done(ws), completed()), FMT, True, backend)
    assert r.to_json()["content"][1]["data"]["provider_metadata"]["openai"]["data"] == {"item_id": "ws_1"}


def test_ignored_events(backend):
    noise = [{"type": "response.in_progress", "response": {"id": "resp_1"}},
             {"type": "response.content_part.added", "item_id": "msg_1", "part": {"type": "output_text"}},
             {"type": "response.output_text.done", "item_id": "msg_1", "text": "IGNORED"},
             {"type": "response.some_future_event", "delta": "IGNORED"},
             {"no_type": True}, [1, 2], "just a string"]
    msg = message(["Hi"])
    r = decode_body(sse(created(), msg[0], *noise, msg[1], msg[2], completed()), FMT, True, backend)
    assert r.content[0].text == "Hi"


def test_thread_events_are_not_responses_events(backend):
    body = sse(created(), *message(["Hi"])) + \
        b'event: thread.message.delta\ndata: {"type":"response.completed","response":{"id":"x"}}\n\n'
    with pytest.raises(DecodeError) as ei:
        decode_body(body, FMT, True, backend)
    assert ei.value.kind == "truncated"


def test_done_marker_ends_the_stream(backend):
    body = sse(created(), *message(["Hi"]), completed()) + b"data: [DONE]\n\n" + sse(text_delta("x")) + b"data: {"
    assert decode_body(body, FMT, True, backend).text == "Hi"


# ---- non-streaming bodies: the rules of docs/semantics.md#responses-non-streaming -------

def test_generate_message_parts_and_citations(backend):
    doc = {"id": "resp_g", "output": [
        {"type": "message", "id": "m", "content": [
            {"type": "output_text", "text": "one", "annotations": [
                {"type": "url_citation", "url": "https://u", "title": "U"},
                {"type": "file_path", "file_id": "x"},
                {"type": "file_citation", "file_id": "file_9", "filename": ""},
                {"type": "file_citation", "file_id": "file_8", "filename": "r.pdf"}]},
            {"type": "refusal", "refusal": "no"},
            {"type": "output_text", "text": "", "annotations": []}]},
        {"type": "image_generation_call", "id": "ig"},
        {"type": "reasoning", "id": "rs", "encrypted_content": "ENC", "summary": []},
        {"type": "reasoning", "id": "rs2", "summary": [{"type": "summary_text", "text": "a"},
                                                       {"type": "summary_text", "text": "b"}]}]}
    r = decode_body(json.dumps(doc), FMT, False, backend)
    got = r.to_json()["content"]
    assert [p["type"] for p in got] == ["text", "source", "source", "source", "text", "reasoning", "reasoning"]
    assert got[1]["data"] == {"source_type": "url", "id": deterministic_uuid("resp_g", "citation", 0),
                              "url": "https://u", "title": "U"}
    assert got[2]["data"] == {"source_type": "document", "id": deterministic_uuid("resp_g", "citation", 1),
                              "title": "Document", "media_type": "text/plain", "filename": "file_9"}
    assert got[3]["data"]["title"] == "r.pdf" and got[3]["data"]["filename"] == "r.pdf"
    assert got[4]["data"] == {"text": ""}
    assert got[5]["data"]["text"] == "" and got[5]["data"]["provider_metadata"]["openai"]["data"] == \
        {"item_id": "rs", "encrypted_content": "ENC", "summary": [""]}
    assert got[6]["data"]["text"] == "a\nb" and \
        got[6]["data"]["provider_metadata"]["openai"]["data"]["encrypted_content"] is None
    assert r.finish_reason == "stop"


def test_stream_and_generate_give_the_same_citation_ids(backend):
    ann = {"type": "url_citation", "url": "https://u", "title": "U"}
    doc = {"id": "resp_1", "output": [{"type": "message", "id": "msg_1", "content": [
        {"type": "output_text", "text": "Hi", "annotations": [ann, ann]}]}]}
    g = decode_body(json.dumps(doc), FMT, False, backend)
    msg = message(["Hi"])
    evs = [{"type": "response.output_text.annotation.added", "item_id": "msg_1", "annotation": ann}] * 2
    s = decode_body(sse(created(), msg[0], msg[1], *evs, msg[2], completed()), FMT, True, backend)
    assert [x.id for x in g.sources] == [x.id for x in s.sources]
    assert len(set(x.id for x in s.sources)) == 2


def test_several_output_text_parts(backend):
    """Generate gives one text part per output_text; a stream one per message item."""
    doc = {"id": "r", "output": [{"type": "message", "id": "msg_1", "content": [
        {"type": "output_text", "text": "a"}, {"type": "output_text", "text": "b"}]}]}
    assert [p.text for p in decode_body(json.dumps(doc), FMT, False, backend).content] == ["a", "b"]
    body = sse(created(), *message(["a", "b"]), completed())
    assert [p.text for p in decode_body(body, FMT, True, backend).content] == ["ab"]


def test_generate_web_search_call(backend):
    doc = {"id": "r", "output": [{"type": "web_search_call", "id": "ws_1", "status": "completed",
                                  "action": {"type": "open_page", "url": "https://x"}}]}
    got = decode_body(json.dumps(doc), FMT, False, backend).to_json()["content"]
    assert got == [
        {"type": "tool-call", "data": {"tool_call_id": "ws_1", "tool_name": "web_search", "input": "",
                                       "provider_executed": True}},
        {"type": "tool-result", "data": {"tool_call_id": "ws_1", "tool_name": "web_search", "result": None,
                                         "provider_executed": True, "provider_metadata": {"openai": {
                                             "type": "openai.responses.web_search_call_metadata",
                                             "data": {"item_id": "ws_1", "action": {"type": "open_page"}}}}}}]


def test_lenient_field_reads(backend):
    """openai-go's decoder: numbers read as text where strings are expected, wrong shapes as empty."""
    body = (b'{"id": 12, "output": [{"type": "function_call", "call_id": 7, "name": null, "arguments": 1.50},'
            b' {"type": "message", "content": "not a list"}, 3, null],'
            b' "usage": {"input_tokens": "9", "output_tokens": 2.9}}')
    r = decode_body(body, FMT, False, backend)
    assert r.provider_metadata["openai"].response_id == "12"
    call = r.tool_calls[0]
    assert (call.tool_call_id, call.tool_name, call.input) == ("7", "", "1.50")
    assert call.invalid  # "1.50" is not a JSON object (agent validation)
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (9, 2, 11)


# ---- request tools and tool-call validation (docs/semantics.md#tool-call-validation) -----

def test_request_tools():
    body = {"tools": [{"type": "function", "name": "add", "parameters": {"required": ["a", "b", 3]}},
                      {"type": "web_search"},
                      {"type": "function", "name": "now", "parameters": {}}]}
    assert request_tools(body) == [ToolSpec("add", ("a", "b")), ToolSpec("now", ())]
    assert request_tools({"input": []}) is None and request_tools(None) is None


def _interaction(body, stream, tools, code=200, status="200 OK", ctype=None):
    req = {"model": "gpt-4o", "input": [], "store": False, "tools": tools}
    if stream:
        req["stream"] = True
    ctype = ctype or ("text/event-stream; charset=utf-8" if stream else "application/json")
    return Interaction(id=0, request=Request(url="https://x.openai.azure.com/openai/v1/responses", method="POST",
                                             body=json.dumps(req)),
                       response=Recorded(body=body, code=code, status=status, headers={"Content-Type": [ctype]}))


TOOLS = [{"type": "function", "name": "weather", "parameters": {"required": ["location"]}},
         {"type": "web_search"}]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_call_validation_against_request(backend, stream):
    calls = [fcall("c1", "weather", '{"location":"X"}'), fcall("c2", "weather", '{}'),
             fcall("c3", "nope", '{}')]
    if stream:
        events = [created()]
        for k, call in enumerate(calls):
            events += [added(dict(call, arguments=""), k), done(call, k)]
        body = sse(*events, completed()).decode("utf-8")
    else:
        body = json.dumps({"id": "resp_1", "output": calls})
    r = decode_interaction(_interaction(body, stream, TOOLS), backend)
    assert [(c.invalid, c.validation_error) for c in r.tool_calls] == [
        (False, None), (True, "missing required parameter: location"),
        (True, "tool not found: nope. Available tools: weather")]


def test_http_error_status(backend):
    it = _interaction('{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}',
                      False, TOOLS, code=429, status="429 Too Many Requests")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert (ei.value.kind, ei.value.message) == ("http-status", "too many requests: Rate limit reached")


# ---- coalescing: merged chunks decode as the events one by one ----------------------------

def _decode_event_by_event(events, backend):
    dec = StreamDecoder(FMT, backend)
    for e in events:
        dec.feed(sse(e))   # one event per feed: the scanners merge within a feed only
    try:
        return dec.close().to_json_bytes()
    except DecodeError as exc:
        return (exc.kind, exc.message, exc.response.to_json_bytes())


def _decode_whole(events, backend):
    try:
        return decode_body(sse(*events), FMT, True, backend).to_json_bytes()
    except DecodeError as exc:
        return (exc.kind, exc.message, exc.response.to_json_bytes())


def test_runs_of_deltas_coalesce(backend):
    events = [created(), added({"id": "msg_1", "type": "message"})]
    events += [text_delta(f"w{k} ", seq=k) for k in range(500)]
    events += [done({"id": "msg_1", "type": "message"}), completed()]
    chunks = scan_body(sse(*events), STREAM_SPEC, True, b"[DONE]", True, backend)
    assert len(chunks) == 5 and chunks[2].merged == 500
    assert _decode_whole(events, backend) == _decode_event_by_event(events, backend)


def test_merged_non_delta_events_are_replayed(backend):
    """Identical summary-part events with a stray `delta` merge; each still adds a part."""
    events = [created(), added({"id": "rs_1", "type": "reasoning"}),
              summary_part(delta="x"), summary_part(delta="y"), summary_part(delta="z"),
              done({"id": "rs_1", "type": "reasoning"}), completed()]
    chunks = scan_body(sse(*events), STREAM_SPEC, True, b"[DONE]", True, backend)
    assert [c.merged for c in chunks] == [1, 1, 3, 1, 1]
    r = decode_body(sse(*events), FMT, True, backend)
    assert r.content[0].text == "\n\n\n" and r.content[0].provider_metadata["openai"].summary == ["", "", ""]
    assert _decode_whole(events, backend) == _decode_event_by_event(events, backend)


_IDS = st.sampled_from(["msg_1", "rs_1", "x"])
_SMALL = st.text(alphabet="ab\n\u00e9\"", max_size=3)
_ITEMS = st.sampled_from([
    {"id": "msg_1", "type": "message"}, {"id": "rs_1", "type": "reasoning"},
    {"id": "rs_1", "type": "reasoning", "encrypted_content": "E"},
    {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"},
    {"id": "ws_1", "type": "web_search_call", "action": {"type": "search", "query": "q"}}])
_EVENTS = st.one_of(
    st.builds(text_delta, _SMALL, _IDS, st.integers(0, 1)),
    st.builds(summary_delta, _SMALL, _IDS, st.integers(0, 2)),
    st.builds(args_delta, _SMALL, st.integers(0, 1)),
    st.builds(summary_part, _IDS, st.integers(0, 1)),
    st.builds(lambda i, d: summary_part(i, 0, delta=d), _IDS, _SMALL),
    st.builds(added, _ITEMS, st.integers(0, 1)),
    st.builds(done, _ITEMS, st.integers(0, 1)),
    st.builds(lambda d: {"type": "response.in_progress", "delta": d}, _SMALL),
    st.builds(lambda u: {"type": "response.output_text.annotation.added", "item_id": "msg_1",
                         "annotation": {"type": "url_citation", "url": u, "title": "t"}}, _SMALL),
    st.just(completed()), st.just(created("resp_2")),
    st.builds(lambda d: {"type": "error", "message": "m", "code": "", "delta": d}, _SMALL),
)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
@given(events=st.lists(_EVENTS, max_size=12).map(lambda evs: [created()] + evs))
def test_coalescing_never_changes_the_result(backend, events):
    """With runs merged (whole body) or not (one event per feed): the same Response or error."""
    assert _decode_whole(events, backend) == _decode_event_by_event(events, backend)


# ---- bad input ----------------------------------------------------------------------------

def test_stream_without_terminal_event(backend):
    body = sse(created(), *message(["partial"]))
    with pytest.raises(DecodeError) as ei:
        decode_body(body, FMT, True, backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("truncated", "stream transport error: unexpected EOF", len(body))
    # the message item was closed before the end: its text is kept, the finish never came
    assert e.response.text == "partial" and e.response.finish_reason == "unknown"


def test_stream_cut_inside_an_event(backend):
    head = sse(created(), *message(["kept"]))
    body = head + sse(completed())[:40]
    with pytest.raises(DecodeError) as ei:
        decode_body(body, FMT, True, backend)
    assert ei.value.kind == "truncated" and ei.value.response.text == "kept"


def test_stream_cut_after_the_terminal_event(backend):
    """fantasy would return the Response; pyfantasy says bytes were lost and keeps it."""
    head = sse(created(), *message(["all"]), completed())
    with pytest.raises(DecodeError) as ei:
        decode_body(head + b'event: response.done\ndata: {"type"', FMT, True, backend)
    e = ei.value
    assert e.kind == "truncated" and e.offset == len(head)
    assert e.response.text == "all" and e.response.finish_reason == "stop"


@pytest.mark.parametrize("error,expected", [
    ({"message": "The server had an error", "code": "server_error"},
     "response failed: The server had an error (code: server_error)"),
    ({"message": "no code", "code": None}, "response failed: no code"),
    (None, "response failed: "),
])
def test_response_failed(backend, error, expected):
    failed = {"type": "response.failed", "response": {"id": "resp_1", "error": error}}
    head = sse(created(), *message(["before"]))
    with pytest.raises(DecodeError) as ei:
        decode_body(head + sse(failed, completed()), FMT, True, backend)
    assert (ei.value.kind, ei.value.message, ei.value.offset) == ("provider-error", expected, len(head))
    assert ei.value.response.text == "before"


@pytest.mark.parametrize("event,expected", [
    ({"type": "error", "code": "rate_limit_exceeded", "message": "Slow down", "param": None},
     "response error: Slow down (code: rate_limit_exceeded)"),
    ({"type": "error", "message": "Oops"}, "response error: Oops"),
])
def test_error_event(backend, event, expected):
    head = sse(created(), message(["x"])[0], text_delta("open"))
    with pytest.raises(DecodeError) as ei:
        decode_body(head + sse(event, *message(["after"], "msg_2"), completed()), FMT, True, backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("provider-error", expected, len(head))
    # the open text block is kept in the partial Response; nothing after the error is read
    assert [(p.type, p.text) for p in e.response.content] == [("text", "open")]


@pytest.mark.parametrize("data,message", [
    ({"error": {"message": "overloaded", "type": "server_error"}}, "stream error: overloaded"),
    ({"type": "response.output_text.delta", "error": None}, "stream error: received error while streaming: null"),
])
def test_top_level_error_key(backend, data, message):
    with pytest.raises(DecodeError) as ei:
        decode_body(sse(created(), data, completed()), FMT, True, backend)
    assert (ei.value.kind, ei.value.message) == ("provider-error", message)


def test_malformed_json_event(backend):
    good = sse(created(), *message(["fine"]))
    bad = b'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": }\n\n'
    with pytest.raises(DecodeError) as ei:
        decode_body(good + bad + sse(completed()), FMT, True, backend)
    e = ei.value
    assert e.kind == "json" and e.offset == len(good)
    assert e.response.text == "fine"


def test_negative_summary_index(backend):
    body = sse(created(), added({"id": "rs_1", "type": "reasoning"}), summary_part(), summary_delta("x", idx=-1),
               completed())
    with pytest.raises(DecodeError) as ei:
        decode_body(body, FMT, True, backend)
    assert ei.value.kind == "provider-response" and "negative" in ei.value.message


@pytest.mark.parametrize("body,kind,message", [
    (b'{"id": "r", "error": {"message": "Invalid prompt", "code": "invalid_prompt"}, "output": []}',
     "provider-error", "provider error: Invalid prompt (code: invalid_prompt)"),
    (b'{"id": "r", "error": {"message": "no code"}}', "provider-error", "provider error: no code (code: )"),
    (b'<html>502</html>', "json", None),
    (b'{"id": "r", "output": [', "json", None),
    (b'[{"id": "r"}]', "provider-response", "the response body is not a JSON object"),
])
def test_bad_bodies(backend, body, kind, message):
    with pytest.raises(DecodeError) as ei:
        decode_body(body, FMT, False, backend)
    assert ei.value.kind == kind
    if message is not None:
        assert ei.value.message == message


def test_error_null_in_body_is_not_an_error(backend):
    r = decode_body(b'{"id": "r", "error": null, "output": [], "incomplete_details": null}', FMT, False, backend)
    assert r.content == [] and r.finish_reason == "stop"


def test_non_json_content_type(backend):
    it = _interaction("<html>hi</html>", False, TOOLS, ctype="text/html")
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert ei.value.kind == "content-type"

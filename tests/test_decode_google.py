"""Google Gemini (Gemini API and Vertex) decoded as fantasy does (docs/semantics.md#google-gemini).

Corpus: every google interaction decodes, both backends byte-identical, any
chunking equal to the whole body, fantasy's own assertions, the worked
examples (docs/semantics.md#worked-examples) byte-exact, and a cross-check against the follow-up requests the
cassettes recorded (fantasy serialised our ids, arguments and signatures
into them). The official google-genai SDK parses every body as an oracle.
Then hand-made bodies for the rules the corpus does not exercise and for
bad input.
"""
from __future__ import annotations

import base64
import json
import random
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import CORPUS, needs_corpus
from helpers import (cassette, fantasy_assertions, interaction, interactions, matches_example,
                     semantics_examples)
from pyfantasy import DecodeError
from pyfantasy._go.json import go_bytes
from pyfantasy._providers import google
from pyfantasy._kernels.jsonscan import CHUNK_OK
from pyfantasy.cassette import Interaction, Request, Response as Recorded
from pyfantasy.decode import StreamDecoder, decode_body, decode_cassette, decode_interaction, detect_format

GOOGLE = interactions("google")
GOOGLE_STREAMS = interactions("google", stream=True)
GOOGLE_GENERATE = interactions("google", stream=False)


# ---- corpus --------------------------------------------------------------------------

@needs_corpus
def test_corpus_has_google_interactions():
    assert len(GOOGLE) >= 80 and len(GOOGLE_STREAMS) >= 40 and len(GOOGLE_GENERATE) >= 40


# Example 10.14 (docs/semantics.md#anthropic-examples) is Claude on Vertex
# (TestGoogleCommon/vertex-claude-*): test_decode_anthropic.py has it
GOOGLE_EXAMPLES = [p for p in semantics_examples(["TestGoogle"]) if "claude" not in p.values[0]["cassette"]]


@needs_corpus
@pytest.mark.parametrize("example", GOOGLE_EXAMPLES)
def test_worked_examples_exact_bytes(example, backend):
    """Examples 10.16-10.18 (docs/semantics.md#gemini-examples): the exact JSON Go writes."""
    it = interaction(example["cassette"], example["interaction"])
    assert detect_format(it).format == "google"
    got = decode_interaction(it, backend).to_json_bytes().decode("utf-8")
    assert matches_example(example["expected"], got), got


@needs_corpus
@pytest.mark.parametrize("rel,iid", GOOGLE)
@pytest.mark.needs_native
def test_backends_identical(rel, iid):
    """Every google interaction decodes, and native and python give byte-identical JSON."""
    it = interaction(rel, iid)
    py = decode_interaction(it, "python").to_json_bytes()
    assert decode_interaction(it, "native").to_json_bytes() == py
    doc = json.loads(py)
    assert doc["provider_metadata"] is None and doc["warnings"] is None


@needs_corpus
@pytest.mark.parametrize("rel,iid", GOOGLE_STREAMS)
def test_stream_decoder_any_chunking(rel, iid, backend):
    """StreamDecoder fed in random pieces (1 byte up) gives decode_body's Response."""
    it = interaction(rel, iid)
    body = it.response.body.encode("utf-8")
    whole = decode_body(body, "google", True, backend)
    rnd = random.Random(len(body) * 31 + iid)
    dec = StreamDecoder("google", backend)
    parts, pos = [], 0
    while pos < len(body):
        step = rnd.choice([1, 2, 5, 64, 700])
        parts += dec.feed(body[pos:pos + step])
        pos += step
    assert dec.close().to_json_bytes() == whole.to_json_bytes()
    assert parts, "a stream yields parts before its end"
    text = "".join(p.delta for p in parts if p.type == "text-delta")
    assert text == "".join(p.text for p in (whole.content or []) if p.type == "text")


def _google_cassettes():
    return [pytest.param(rel, id=rel) for rel in sorted({p.values[0] for p in GOOGLE})]


@needs_corpus
@pytest.mark.parametrize("rel", _google_cassettes())
def test_fantasy_assertions(rel, backend):
    """The checks fantasy's Go tests make on each cassette (corpus README)."""
    fantasy_assertions(rel, decode_cassette(CORPUS / rel, backend))


def _model_turns(request_body: str):
    return [c for c in json.loads(request_body)["contents"] if c.get("role") == "model"]


@needs_corpus
@pytest.mark.parametrize("rel", [r for r in _google_cassettes()
                                 if len(cassette(r.values[0]).interactions) > 1])
@pytest.mark.native
def test_follow_up_request_carries_our_calls_and_signatures(rel):
    """fantasy sent step i's assistant message back in request i+1: its function calls
    (ids on the Gemini API; Vertex drops them), arguments and thought signatures (base64
    of the raw bytes) must be what we decoded for step i."""
    its = cassette(rel).interactions
    for prev, nxt in zip(its, its[1:]):
        ours = decode_interaction(prev, "native")
        sent = _model_turns(nxt.request.body)[-1]["parts"]
        calls = [p for p in ours.content if p.type == "tool-call"]
        sent_calls = [p["functionCall"] for p in sent if "functionCall" in p]
        assert [(c.tool_name, json.loads(c.input)) for c in calls] == \
            [(s["name"], s.get("args")) for s in sent_calls]
        vertex = "aiplatform" in urlsplit(prev.request.url).hostname
        assert [s.get("id") for s in sent_calls] == [None if vertex else c.tool_call_id for c in calls]
        sigs = [base64.b64encode(go_bytes(p.provider_metadata["google"].signature)).decode()
                for p in ours.content if p.type == "reasoning" and p.provider_metadata
                and p.provider_metadata["google"].signature]
        assert sigs == [p["thoughtSignature"] for p in sent if "thoughtSignature" in p]


# ---- the google-genai SDK as an oracle ------------------------------------------------------

def _sdk_parts(resp):
    cands = resp.candidates or []
    if not cands or cands[0].content is None:
        return []
    return cands[0].content.parts or []


def _sdk_summary(responses):
    """Text, thought text, calls and signatures of SDK-parsed responses (fantasy's part rules)."""
    text, thoughts, calls, sigs = "", "", [], []
    for resp in responses:
        for p in _sdk_parts(resp):
            if p.text and p.thought:
                thoughts += p.text
            elif p.text:
                text += p.text
                if p.thought_signature:
                    sigs.append(p.thought_signature)
            elif p.function_call is not None:
                calls.append((p.function_call.name, p.function_call.id, p.function_call.args))
                if p.thought_signature:
                    sigs.append(p.thought_signature)
    return text, thoughts, calls, sigs


_SDK_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "SAFETY": "content-filter", "OTHER": "other"}


def _our_summary(r):
    content = r.content or []
    text = "".join(p.text for p in content if p.type == "text")
    thoughts = "".join(p.text for p in content if p.type == "reasoning")
    calls = [(p.tool_name, p.tool_call_id, json.loads(p.input)) for p in content if p.type == "tool-call"]
    sigs = [go_bytes(p.provider_metadata["google"].signature) for p in content
            if p.type == "reasoning" and p.provider_metadata and p.provider_metadata["google"].signature]
    return text, thoughts, calls, sigs


def _check_calls(ours, sdk_calls):
    # ids: the response's own, else ours are "1", "2", ... in order
    n = 0
    expected = []
    for name, cid, args in sdk_calls:
        if not cid:
            n += 1
            cid = str(n)
        expected.append((name, cid, args))
    assert ours == expected


@needs_corpus
@pytest.mark.parametrize("rel,iid", GOOGLE_GENERATE)
@pytest.mark.native
def test_generate_matches_genai_sdk(rel, iid):
    types = pytest.importorskip("google.genai.types")
    it = interaction(rel, iid)
    sdk = types.GenerateContentResponse.model_validate(json.loads(it.response.body))
    ours = decode_interaction(it, "native")
    text, thoughts, calls, sigs = _our_summary(ours)
    s_text, s_thoughts, s_calls, s_sigs = _sdk_summary([sdk])
    assert (text, thoughts, sigs) == (s_text, s_thoughts, s_sigs)
    _check_calls(calls, s_calls)
    fr = sdk.candidates[0].finish_reason
    assert ours.finish_reason == ("tool-calls" if calls else _SDK_FINISH.get(fr.value if fr else "", "unknown"))
    u = sdk.usage_metadata
    assert (ours.usage.input_tokens, ours.usage.output_tokens, ours.usage.total_tokens,
            ours.usage.reasoning_tokens, ours.usage.cache_read_tokens) == \
        (u.prompt_token_count or 0, u.candidates_token_count or 0, u.total_token_count or 0,
         u.thoughts_token_count or 0, u.cached_content_token_count or 0)


@needs_corpus
@pytest.mark.parametrize("rel,iid", GOOGLE_STREAMS)
@pytest.mark.native
def test_stream_matches_genai_sdk(rel, iid):
    types = pytest.importorskip("google.genai.types")
    it = interaction(rel, iid)
    chunks = [types.GenerateContentResponse.model_validate(json.loads(block[len("data:"):]))
              for block in it.response.body.split("\r\n\r\n") if block.strip()]
    ours = decode_interaction(it, "native")
    text, thoughts, calls, sigs = _our_summary(ours)
    s_text, s_thoughts, s_calls, s_sigs = _sdk_summary(chunks)
    assert (text, thoughts) == (s_text, s_thoughts)
    # a plain text part's signature closes the open reasoning block; a signature with no
    # reasoning to close produces an empty reasoning part; either way it is kept, in order
    assert sigs == s_sigs
    _check_calls(calls, s_calls)
    finishes = [c.candidates[0].finish_reason.value for c in chunks
                if c.candidates and c.candidates[0].finish_reason]
    assert ours.finish_reason == ("tool-calls" if calls else _SDK_FINISH.get(finishes[-1], "unknown"))
    usages = [c.usage_metadata for c in chunks if c.usage_metadata and c.usage_metadata.total_token_count]
    first = usages[0]
    assert ours.usage.input_tokens == first.prompt_token_count
    assert ours.usage.total_tokens == first.total_token_count
    assert ours.usage.output_tokens == sum(u.candidates_token_count or 0 for u in usages)
    assert ours.usage.reasoning_tokens == sum(u.thoughts_token_count or 0 for u in usages)


# ---- hand-made bodies ----------------------------------------------------------------------------

USAGE = {"promptTokenCount": 10, "candidatesTokenCount": 3, "totalTokenCount": 20, "thoughtsTokenCount": 7}
SIG = bytes([0x0A, 0xF3, 0x01, 0x01, 0xBE, 0x3E, 0xE2, 0x82, 0xAC, 0x3C])  # 0xF3 and 0xBE are invalid alone
SIG_B64 = base64.b64encode(SIG).decode()
SIG_GO = '\\n\\ufffd\\u0001\\u0001\\ufffd\\u003e€\\u003c'  # how Go writes string(SIG)


def chunk(*parts, finish=None, usage=USAGE, candidates=True):
    doc = {}
    if candidates:
        cand = {"content": {"parts": list(parts), "role": "model"}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        doc["candidates"] = [cand]
    if usage is not None:
        doc["usageMetadata"] = usage
    return doc


def sse(*chunks, sep=b"\r\n\r\n"):
    return b"".join(b"data: " + json.dumps(c).encode() + sep for c in chunks)


def stream(body, backend):
    return decode_body(body, "google", True, backend)


def generate(doc, backend):
    return decode_body(json.dumps(doc).encode() if not isinstance(doc, bytes) else doc, "google", False, backend)


def test_generate_parts_and_signatures(backend):
    doc = chunk({"text": "think", "thought": True},
                {"text": "Hello", "thoughtSignature": SIG_B64},
                {"functionCall": {"name": "f", "args": {"b": 2.50, "a": [1, 1e21, 5e-7], "<": "&"}},
                 "thoughtSignature": SIG_B64},
                {"functionCall": {"name": "g"}},
                {"functionCall": {"name": "h", "args": {}, "id": "own"}},
                {"text": ""}, {"inlineData": {"mimeType": "image/png", "data": "AAAA"}},
                finish="STOP")
    got = generate(doc, backend).to_json_bytes().decode()
    meta = '{"google":{"type":"google.reasoning_metadata","data":{"signature":"%s","tool_id":"%s"}}}'
    assert got == (
        '{"content":['
        '{"type":"reasoning","data":{"text":"think","provider_metadata":' + meta % (SIG_GO, "1") + '}},'
        '{"type":"text","data":{"text":"Hello"}},'
        '{"type":"tool-call","data":{"tool_call_id":"1","tool_name":"f","input":'
        '"{\\"\\\\u003c\\":\\"\\\\u0026\\",\\"a\\":[1,1e+21,5e-7],\\"b\\":2.5}","provider_executed":false}},'
        '{"type":"tool-call","data":{"tool_call_id":"2","tool_name":"g","input":"null","provider_executed":false}},'
        '{"type":"tool-call","data":{"tool_call_id":"own","tool_name":"h","input":"{}","provider_executed":false}}],'
        '"finish_reason":"tool-calls","usage":{"input_tokens":10,"output_tokens":3,"total_tokens":20,'
        '"reasoning_tokens":7,"cache_creation_tokens":0,"cache_read_tokens":0},"warnings":null,'
        '"provider_metadata":null}')


def test_generate_text_signature_without_reasoning_inserts_one(backend):
    r = generate(chunk({"text": "a", "thoughtSignature": SIG_B64}, {"text": "b", "thoughtSignature": SIG_B64}),
                 backend)
    # the second signature finds the inserted part already signed: another empty part
    assert [(p.type, p.text) for p in r.content] == [("reasoning", ""), ("text", "a"), ("reasoning", ""),
                                                     ("text", "b")]
    assert go_bytes(r.content[0].provider_metadata["google"].signature) == SIG


def test_generate_thought_signature_and_empty_content(backend):
    r = generate(chunk({"text": "t", "thought": True, "thoughtSignature": SIG_B64}, finish="MAX_TOKENS"), backend)
    assert r.content[0].provider_metadata["google"].tool_id == "" and r.finish_reason == "length"
    r = generate(chunk({"text": ""}, finish="SAFETY"), backend)
    assert r.content == [] and r.finish_reason == "content-filter"  # the agent's fresh list: []


@pytest.mark.parametrize("raw,mapped", [
    ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content-filter"), ("BLOCKLIST", "content-filter"),
    ("PROHIBITED_CONTENT", "content-filter"), ("SPII", "content-filter"), ("IMAGE_SAFETY", "content-filter"),
    ("RECITATION", "error"), ("LANGUAGE", "error"), ("MALFORMED_FUNCTION_CALL", "error"), ("OTHER", "other"),
    ("FINISH_REASON_UNSPECIFIED", "unknown"), ("UNEXPECTED_TOOL_CALL", "unknown"), ("NO_IMAGE", "unknown"),
    (None, "unknown")])
def test_finish_reasons(raw, mapped, backend):
    assert generate(chunk({"text": "x"}, finish=raw), backend).finish_reason == mapped
    if raw:
        assert stream(sse(chunk({"text": "x"}, finish=raw)), backend).finish_reason == mapped


def test_generate_usage(backend):
    u = {"promptTokenCount": 5, "candidatesTokenCount": 2.0, "totalTokenCount": 30, "thoughtsTokenCount": None,
         "cachedContentTokenCount": 4}
    r = generate(chunk({"text": "x"}, usage=u), backend)
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens, r.usage.reasoning_tokens,
            r.usage.cache_creation_tokens, r.usage.cache_read_tokens) == (5, 2, 30, 0, 0, 4)
    # no usageMetadata: fantasy panics (nil pointer); pyfantasy chooses zeros
    assert generate(chunk({"text": "x"}, usage=None), backend).usage.total_tokens == 0


def test_stream_usage_adds_up(backend):
    u1 = {"promptTokenCount": 10, "candidatesTokenCount": 4, "totalTokenCount": 30, "thoughtsTokenCount": 16,
          "cachedContentTokenCount": 2}
    u2 = dict(u1, candidatesTokenCount=9, totalTokenCount=35)
    zero = {"promptTokenCount": 99, "totalTokenCount": 0}
    r = stream(sse(chunk({"text": "a"}, usage=zero), chunk({"text": "b"}, usage=u1), chunk(usage=None),
                   chunk({"text": "c"}, usage=u2, finish="STOP")), backend)
    assert r.content[0].text == "abc"
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens, r.usage.reasoning_tokens,
            r.usage.cache_read_tokens) == (10, 13, 30, 32, 4)


def test_stream_block_ids_and_signatures(backend):
    body = sse(chunk({"text": "plan", "thought": True}),
               chunk({"text": "Hi", "thoughtSignature": SIG_B64}),
               chunk({"text": "more", "thought": True}),
               chunk({"functionCall": {"name": "f", "args": {"x": 1}}}),
               chunk({"functionCall": {"name": "g", "args": {"y": 1}, "id": "call-g"},
                      "thoughtSignature": SIG_B64}),
               chunk({"text": ""}, finish="STOP"))
    dec = StreamDecoder("google", backend)
    parts = dec.feed(body)
    r = dec.close()
    seq = [(p.type, p.id) for p in parts if not p.type.startswith("tool-input")]
    assert seq == [("reasoning-start", "0"), ("reasoning-delta", "0"),
                   ("text-start", "1"), ("reasoning-end", "0"), ("text-delta", "1"),
                   ("text-end", "1"), ("reasoning-start", "2"), ("reasoning-delta", "2"),
                   ("reasoning-end", "2"), ("tool-call", "1"),
                   # no reasoning open: a signature-only reasoning block with the current id
                   ("reasoning-start", "2"), ("reasoning-end", "2"), ("tool-call", "call-g")]
    assert [p.type for p in r.content] == ["reasoning", "text", "reasoning", "tool-call", "reasoning", "tool-call"]
    metas = [p.provider_metadata["google"] for p in r.content if p.type == "reasoning"]
    assert [(go_bytes(m.signature), m.tool_id) for m in metas] == [(SIG, ""), (b"", "1"), (SIG, "call-g")]
    assert r.finish_reason == "tool-calls" and r.provider_metadata is None


def test_stream_signature_only_reasoning_uses_empty_id(backend):
    r = stream(sse(chunk({"text": "Hi", "thoughtSignature": SIG_B64}, finish="STOP")), backend)
    assert [(p.type, p.text) for p in r.content] == [("reasoning", ""), ("text", "Hi")]
    dec = StreamDecoder("google", backend)
    parts = dec.feed(sse(chunk({"text": "Hi", "thoughtSignature": SIG_B64}, finish="STOP")))
    assert [(p.type, p.id) for p in parts][:3] == [("text-start", "0"), ("reasoning-start", ""),
                                                    ("reasoning-end", "")]


def test_stream_open_reasoning_ends_without_metadata(backend):
    r = stream(sse(chunk({"text": "hmm", "thought": True}, finish="MAX_TOKENS")), backend)
    assert [(p.type, p.text, p.provider_metadata) for p in r.content] == [("reasoning", "hmm", None)]
    assert r.finish_reason == "length"


def test_stream_without_content_is_null(backend):
    r = stream(sse(chunk(finish="STOP")), backend)
    assert r.content is None and r.to_json()["content"] is None


def test_coalesced_text_runs(backend):
    """Chunks without usage differing only in their text merge in the scanner; same Response."""
    many = [chunk({"text": t}, usage=None) for t in ("a", "b", "", "c")] + [chunk(finish="STOP", usage=USAGE)]
    body = sse(*many)
    dec = StreamDecoder("google", backend)
    parts = dec.feed(body)
    r = dec.close()
    assert r.content[0].text == "abc" and dec.events == 5
    assert "".join(p.delta for p in parts if p.type == "text-delta") == "abc"


# ---- genai's stream reader -------------------------------------------------------------------------

def test_separators_and_unterminated_last_block(backend):
    a, b = chunk({"text": "x"}), chunk({"text": "y"}, finish="STOP")
    want = stream(sse(a, b), backend).to_json_bytes()
    for body in (sse(a, b, sep=b"\n\n"), sse(a, b)[:-4], sse(a, b, sep=b"\n\n")[:-2],
                 sse(a, sep=b"\r\n\r\n") + sse(b, sep=b"\n\n"), sse(a, b, sep=b"\r\n\r\n\r\n\r\n"),
                 sse(a, b)[:-4] + b"\r", sse(a, sep=b"\n\n") + b"\r\n\n" + sse(b, sep=b"\n\n")):
        assert stream(body, backend).to_json_bytes() == want, body


def test_multi_line_data_is_one_json_value(backend):
    pretty = json.dumps(chunk({"text": "x"}, finish="STOP"), indent=1).replace("\n", "\r\n").encode()
    assert b"\r\n" in pretty
    r = stream(b"data:" + pretty + b"\n\n", backend)
    assert r.content[0].text == "x"


def test_raw_line_break_inside_a_string_is_bad_json(backend):
    body = sse(chunk({"text": "ok"})) + b'data: {"candidates": [{"content": {"parts": [{"text": "a\nb"}]}}]}\n\n'
    with pytest.raises(DecodeError) as ei:
        stream(body, backend)
    assert ei.value.kind == "json" and ei.value.offset == len(sse(chunk({"text": "ok"})))


@pytest.mark.parametrize("bad", [b"data:", b"data:   ", b"data: [1]", b"data: \"s\"", b"data: {\"a\":\x00}"])
def test_bad_data_payloads(bad, backend):
    with pytest.raises(DecodeError) as ei:
        stream(sse(chunk({"text": "ok"})) + bad + b"\r\n\r\n" + sse(chunk(finish="STOP")), backend)
    assert ei.value.kind == "json" and ei.value.offset == len(sse(chunk({"text": "ok"})))
    assert ei.value.response is not None


def test_null_payload_is_an_empty_chunk(backend):
    r = stream(b"data: null\n\n" + sse(chunk({"text": "x"}, finish="STOP")), backend)
    assert r.content[0].text == "x"


def test_error_object_mid_stream(backend):
    """Gemini reports a failure mid-stream as a bare (multi-line) JSON error object."""
    err = json.dumps({"error": {"code": 429, "message": "Resource has been exhausted", "status":
                                "RESOURCE_EXHAUSTED"}}, indent=2).encode()
    head = sse(chunk({"text": "partial"}), chunk({"functionCall": {"name": "f", "args": {}}}))
    with pytest.raises(DecodeError) as ei:
        stream(head + err + b"\n\n" + sse(chunk({"text": "never"}, finish="STOP")), backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("provider-error", "too many requests: Resource has been exhausted",
                                             len(head))
    # the text block was closed by the tool call: both survive in the partial Response
    assert [p.type for p in e.response.content] == ["text", "tool-call"]


@pytest.mark.parametrize("block,message", [
    (b": keep-alive", "iterateResponseStream: invalid stream chunk: : keep-alive"),
    (b"event: x\ndata: {}", "iterateResponseStream: invalid stream chunk: event: x\ndata: {}"),
    (b"\xef\xbb\xbfdata: {}", "iterateResponseStream: invalid stream chunk: \ufeffdata: {}"),
    (b"garbage", "iterateResponseStream: invalid stream chunk: garbage:"),
    (b'{"error": "flat"}', 'iterateResponseStream: invalid stream chunk: {"error": "flat"}'),
])
def test_non_data_blocks_end_the_stream(block, message, backend):
    with pytest.raises(DecodeError) as ei:
        stream(block + b"\n\n" + sse(chunk({"text": "x"}, finish="STOP")), backend)
    assert (ei.value.kind, ei.value.message, ei.value.offset) == ("provider-response", message, 0)


def test_stray_newline_after_last_block_is_a_chunk_to_genai(backend):
    # genai: after the last "\n\n" the remaining "\n" is a non-empty final block
    with pytest.raises(DecodeError) as ei:
        stream(sse(chunk({"text": "x"}, finish="STOP"), sep=b"\n\n") + b"\n", backend)
    assert ei.value.message == "iterateResponseStream: invalid stream chunk: \n:"
    # the text block was still open (fantasy's agent drops it): the partial keeps it
    assert [(p.type, p.text) for p in ei.value.response.content] == [("text", "x")]


@pytest.mark.parametrize("cut", [7, 30, 60])
def test_truncated_stream(cut, backend):
    head = sse(chunk({"text": "Hel"}))
    tail = sse(chunk({"text": "lo"}, finish="STOP"))
    with pytest.raises(DecodeError) as ei:
        stream(head + tail[:cut], backend)
    e = ei.value
    # the cut block is still parsed (genai uses an unterminated last block): not JSON
    assert (e.kind, e.offset) == ("json", len(head))
    assert [(p.type, p.text) for p in e.response.content] == [("text", "Hel")]  # kept, though never ended


def test_stream_ending_without_finish_reason(backend):
    body = sse(chunk({"text": "Hel"}))
    with pytest.raises(DecodeError) as ei:
        stream(body, backend)
    e = ei.value
    assert (e.kind, e.message, e.offset) == ("truncated", "stream transport error: unexpected EOF", len(body))
    assert e.response.content[0].text == "Hel"
    # a tool call needs no finish reason
    r = stream(sse(chunk({"functionCall": {"name": "f"}})), backend)
    assert r.finish_reason == "tool-calls" and r.content[0].input == "null"
    # an unknown finish reason still counts as one
    assert stream(sse(chunk({"text": "x"}, finish="SOMETHING_NEW")), backend).finish_reason == "unknown"


def test_data_error_object_is_just_an_empty_chunk(backend):
    with pytest.raises(DecodeError) as ei:
        stream(sse(chunk({"text": "x"}), {"error": {"code": 500, "message": "boom"}}), backend)
    assert ei.value.kind == "truncated"


def test_genai_scanner_offsets_any_chunking(backend):
    body = sse(chunk({"text": "a"}), sep=b"\n\n") + b"\n\n\n\n" + sse(chunk({"text": "b"}), chunk(finish="STOP"))
    whole = google.GenaiScanner(backend).feed(body, True)
    assert [body[ch.offset:ch.offset + 5] for ch in whole] == [b"data:"] * 3
    rnd = random.Random(7)
    for _ in range(20):
        sc, got, pos = google.GenaiScanner(backend), [], 0
        while pos < len(body):
            n = rnd.randint(1, 9)
            got += sc.feed(body[pos:pos + n])
            pos += n
        got += sc.feed(b"", True)
        assert [(c.value, c.offset) for c in got] == [(c.value, c.offset) for c in whole]
        assert all(c.status == CHUNK_OK for c in got) and sc.cut is None
    with pytest.raises(ValueError):
        sc.feed(b"x")


# ---- types as genai's structs read them ------------------------------------------------------------

@pytest.mark.parametrize("doc,message", [
    (chunk({"text": 5}), "json: cannot unmarshal number 5 into Go struct field Part.candidates.content.parts.text"
                         " of type string"),
    (chunk({"text": "x", "thought": "yes"}), "json: cannot unmarshal string into Go struct field "
                                             "Part.candidates.content.parts.thought of type bool"),
    (chunk({"functionCall": {"name": "f", "args": [1]}}), "json: cannot unmarshal array into Go struct field "
     "FunctionCall.candidates.content.parts.functionCall.args of type map[string]interface {}"),
    (chunk({"text": "x"}, usage={"totalTokenCount": 2.5}), "json: cannot unmarshal number 2.5 into Go struct "
     "field GenerateContentResponseUsageMetadata.usageMetadata.totalTokenCount of type int32"),
    (chunk({"text": "x"}, usage={"totalTokenCount": 2 ** 31}), "json: cannot unmarshal number 2147483648 into "
     "Go struct field GenerateContentResponseUsageMetadata.usageMetadata.totalTokenCount of type int32"),
    ({"candidates": {"a": 1}}, "json: cannot unmarshal object into Go struct field "
                               "GenerateContentResponse.candidates of type []*genai.Candidate"),
    (chunk({"text": "x", "thoughtSignature": "YQ"}), "illegal base64 data at input byte 0"),
    ('{"candidates": [{"content": {"parts": [{"functionCall": {"name": "f", "args": {"n": 1e400}}}]}}]}',
     "json: cannot unmarshal number 1e400 into Go value of type float64"),
    ('{"candidates": [{"content": {"parts": [{"text": "x"}]}}], "usageMetadata": {"totalTokenCount": '
     + "9" * 400 + "}}", "json: cannot unmarshal number " + "9" * 400 + " into Go value of type float64"),
])
def test_wrong_types_are_errors(doc, message, backend):
    raw = (doc if isinstance(doc, str) else json.dumps(doc)).encode()
    with pytest.raises(DecodeError) as ei:
        generate(raw, backend)
    assert (ei.value.kind, ei.value.message) == ("provider-response", message)
    with pytest.raises(DecodeError) as ei:
        stream(b"data: " + raw + b"\n\n", backend)
    assert (ei.value.kind, ei.value.message) == ("provider-response", message)


def test_nulls_read_as_absent(backend):
    doc = {"candidates": [{"content": {"parts": [None, {"text": "x", "thought": None, "thoughtSignature": None,
                                                        "functionCall": None}]}, "finishReason": None}, None],
           "usageMetadata": None}
    r = generate(doc, backend)
    assert [p.text for p in r.content] == ["x"] and r.finish_reason == "unknown"


@pytest.mark.parametrize("body", [b"[]", b'"x"', b"3"])
def test_generate_body_not_an_object(body, backend):
    with pytest.raises(DecodeError) as ei:
        generate(body, backend)
    assert ei.value.kind == "json" and ei.value.message.startswith(
        "deserializeUnaryResponse: error unmarshalling response: json: cannot unmarshal")


@pytest.mark.parametrize("doc", [{}, {"candidates": []}, {"candidates": [{"finishReason": "SAFETY"}]},
                                 {"candidates": [None]}, None])
def test_generate_no_response(doc, backend):
    with pytest.raises(DecodeError) as ei:
        generate(json.dumps(doc).encode(), backend)
    assert (ei.value.kind, ei.value.message) == ("no-response", "no response from model")


def test_generate_non_json_body(backend):
    with pytest.raises(DecodeError) as ei:
        generate(b"<html>502 Bad Gateway</html>", backend)
    assert ei.value.kind == "json" and ei.value.message.startswith("deserializeUnaryResponse")


# ---- thought signatures: Go's base64 -------------------------------------------------------------------

@given(st.binary(max_size=64))
def test_signature_base64_roundtrip(data):
    enc = base64.b64encode(data).decode()
    assert google.decode_signature(enc) == data
    wrapped = "\r\n".join(enc[i:i + 5] for i in range(0, len(enc), 5))  # Go skips CR and LF
    assert google.decode_signature(wrapped) == data


@pytest.mark.parametrize("text,at", [("YQ", 0), ("YQ=", 3), ("Y===", 1), ("YQ==x", 4), ("Y Q==", 1),
                                     ("YWJj-", 4), ("YWJ", 0), ("=", 0), ("YQ\n", 1), ("é", 0)])
def test_signature_base64_errors_like_go(text, at):
    with pytest.raises(DecodeError) as ei:
        google.decode_signature(text)
    assert ei.value.message == f"illegal base64 data at input byte {at}"


def test_signature_base64_lenient_like_go():
    assert google.decode_signature("YR==") == b"a"       # non-zero trailing bits: Go's non-strict decoder
    assert google.decode_signature("YQ\r\n=\n=") == b"a"
    assert google.decode_signature("") == b""


# ---- interactions: HTTP errors, tools, content type ---------------------------------------------------------

_URL = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:"


def _interaction(body, code=200, status="200 OK", ctype="application/json; charset=UTF-8", stream=False,
                 tools=None):
    req = {"contents": [{"parts": [{"text": "hi"}], "role": "user"}], "generationConfig": {}}
    if tools is not None:
        req["tools"] = tools
    url = _URL + ("streamGenerateContent?alt=sse" if stream else "generateContent")
    return Interaction(id=0, request=Request(url=url, method="POST", body=json.dumps(req)),
                       response=Recorded(body=body, code=code, status=status, headers={"Content-Type": [ctype]}))


@pytest.mark.parametrize("body,code,message", [
    ('{"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}', 400,
     "bad request: API key not valid."),
    ('{"error": {"code": 503, "message": "The model is overloaded."}}', 429, "service unavailable: "
                                                                         "The model is overloaded."),
    ('[{"error": {"code": 400, "message": "x"}}]', 400, 'bad request: [{"error": {"code": 400, "message": "x"}}]'),
    ("upstream connect error", 502, "bad gateway: upstream connect error"),
    ('{"error": {"code": "400", "message": "x"}}', 400, 'bad request: {"error": {"code": "400", "message": "x"}}'),
    ('{"error": {"code": 404, "message": "x", "details": "no"}}', 400,
     'bad request: {"error": {"code": 404, "message": "x", "details": "no"}}'),
    ('{"error": {"code": 404, "message": "Not found", "details": [{"@type": "t"}]}}', 400, "not found: Not found"),
    ('{"error": {"message": "no code"}}', 500, "provider request failed: no code"),
    ("", 503, "service unavailable: "),
])
@pytest.mark.parametrize("is_stream", [False, True])
def test_http_errors(body, code, message, is_stream, backend):
    it = _interaction(body, code=code, status=f"{code} X", stream=is_stream)
    with pytest.raises(DecodeError) as ei:
        decode_interaction(it, backend)
    assert (ei.value.kind, ei.value.message) == ("http-status", message)


def test_no_json_content_type_check(backend):
    """genai does not look at the Content-Type of a generateContent answer."""
    body = json.dumps(chunk({"text": "Oi"}, finish="STOP"))
    assert decode_interaction(_interaction(body, ctype="text/plain"), backend).content[0].text == "Oi"


def test_tool_calls_validated_against_function_declarations(backend):
    tools = [{"functionDeclarations": [
        {"name": "weather", "parameters": {"type": "OBJECT", "required": ["location"],
                                           "properties": {"location": {"type": "STRING"}}}},
        {"name": "other", "parametersJsonSchema": {"type": "object", "required": ["q"]}}]},
        {"googleSearch": {}}]
    assert [(t.name, t.required) for t in google.request_tools({"tools": tools})] == \
        [("weather", ("location",)), ("other", ("q",))]
    assert google.request_tools({"contents": []}) is None and google.request_tools(None) is None
    body = chunk({"functionCall": {"name": "weather", "args": {"location": "Florence"}}},
                 {"functionCall": {"name": "weather", "args": {}}},
                 {"functionCall": {"name": "nope", "args": {}}},
                 {"functionCall": {"name": "other"}})
    for is_stream in (False, True):
        raw = sse(body) if is_stream else json.dumps(body)
        r = decode_interaction(_interaction(raw, stream=is_stream, tools=tools), backend)
        calls = [(p.tool_call_id, p.invalid, p.validation_error) for p in r.content if p.type == "tool-call"]
        assert calls == [("1", False, None), ("2", True, "missing required parameter: location"),
                         ("3", True, "tool not found: nope. Available tools: weather, other"),
                         # "null" reads as an empty object: the required key is missing
                         ("4", True, "missing required parameter: q")]


# ---- generated streams: backends and chunking agree ------------------------------------------------------

_texts = st.text(alphabet=st.sampled_from(list("ab <&\n\"é€😀\u2028")), max_size=6)
_args = st.dictionaries(st.sampled_from(["b", "a", "<k>", "ñ"]),
                        st.one_of(st.integers(-10 ** 20, 10 ** 20),
                                  st.floats(allow_nan=False, allow_infinity=False),
                                  _texts, st.booleans(), st.none()), max_size=3)
_part = st.one_of(
    st.builds(lambda t: {"text": t}, _texts),
    st.builds(lambda t: {"text": t, "thought": True}, _texts),
    st.builds(lambda t, s: {"text": t, "thoughtSignature": base64.b64encode(s).decode()}, _texts,
              st.binary(min_size=1, max_size=6)),
    st.builds(lambda n, i, a, s: dict({"functionCall": dict({"name": n}, **({"id": i} if i else {}),
                                                            **({"args": a} if a is not None else {}))},
                                      **({"thoughtSignature": base64.b64encode(s).decode()} if s else {})),
              st.sampled_from(["f", "g"]), st.sampled_from(["", "id1"]), st.one_of(st.none(), _args),
              st.binary(max_size=4)),
)
_usage = st.one_of(st.none(), st.builds(lambda o, r, t: {"promptTokenCount": 3, "candidatesTokenCount": o,
                                                          "thoughtsTokenCount": r, "totalTokenCount": t},
                                        st.integers(0, 9), st.integers(0, 9), st.integers(0, 2)))
_chunk = st.builds(lambda parts, finish, usage: chunk(*parts, finish=finish, usage=usage),
                   st.lists(_part, max_size=3), st.sampled_from([None, None, "STOP", "MAX_TOKENS", "OTHER"]),
                   _usage)


def _outcome(body, backend, pieces=None):
    try:
        if pieces is None:
            return stream(body, backend).to_json_bytes()
        dec = StreamDecoder("google", backend)
        for k in range(len(pieces) - 1):
            dec.feed(body[pieces[k]:pieces[k + 1]])
        return dec.close().to_json_bytes()
    except DecodeError as e:
        return (e.kind, e.message, e.offset, e.response.to_json_bytes() if e.response is not None else None)


@pytest.mark.needs_native
@given(st.lists(st.tuples(_chunk, st.sampled_from([b"\n\n", b"\r\n\r\n", b"\r\n\r\n\r\n\r\n"])), max_size=6),
       st.booleans(), st.lists(st.integers(0, 4000), max_size=8))
def test_generated_streams_backends_and_chunking_agree(chunks, unterminated, cuts):
    body = b"".join(b"data: " + json.dumps(c).encode() + sep for c, sep in chunks)
    if unterminated and chunks:
        body = body.rstrip(b"\r\n")
    whole = _outcome(body, "python")
    pieces = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    assert _outcome(body, "python", pieces) == whole
    assert _outcome(body, "native") == whole
    assert _outcome(body, "native", pieces) == whole


# --- genai's block reader: C (PF_SCAN_GENAI) == Python twin --------------------------------

_PIECES = st.sampled_from([
    b'data: {"candidates":[{"content":{"parts":[{"text":"Ol\xc3\xa1"}]}}]}',
    b'data:{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}',
    b'data: {"candidates":[{"content":{"parts":[{"text":"b\\n"}]}}],\r\n "usageMetadata":{"totalTokenCount":3}}',
    b"data: {not json", b"data:", b"data: ", b'{"error": {"code": 429, "message": "slow down"}}',
    b"event: x", b": comment", b"\xff\xfe", b"\n", b"\r", b"\r\n", b"\n\n", b"\r\n\r\n", b"\r\r\n\n",
])


def _genai_run(scanner, body, cuts):
    out, prev = [], 0
    for cut in sorted(c % (len(body) + 1) for c in cuts) + [len(body)]:
        out += scanner.feed(body[prev:cut])
        prev = cut
    return out + scanner.feed(b"", True)


@pytest.mark.needs_native
@given(st.lists(st.tuples(_PIECES, st.sampled_from([b"", b"\n\n", b"\r\n\r\n", b"\n", b"\r\n", b"\r"])),
                max_size=8), st.lists(st.integers(0, 10_000), max_size=6))
def test_genai_block_reader_native_equals_python(pieces, cuts):
    """Blocks split at the earlier separator, trailing CR, empty blocks, error blocks, a last
    block without terminator, any feed boundaries: the C reader gives the Python twin's chunks."""
    from pyfantasy._providers.google import GenaiScanner
    body = b"".join(p + sep for p, sep in pieces)
    assert _genai_run(GenaiScanner("native"), body, cuts) == _genai_run(GenaiScanner("python"), body, cuts)

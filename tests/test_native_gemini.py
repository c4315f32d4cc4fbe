"""Gemini: the C machines (native/pf_gemini.c) == the Python ones (GoogleStream, decode_generate).

Every streamed Gemini body of the corpus decodes to the same Response on both
backends without falling back to Python, whole and in random feeds; the shapes
the C file handles (thought text, signatures closing or standing for reasoning
blocks, function calls with their arguments written back as Go does, usage
summed over chunks, truncation) give the expected result on both backends; the
shapes it hands back (API errors, wrong JSON types, floats in arguments,
non-canonical base64, several candidates) still decode as Python does; and
mutated corpus bodies fed in random pieces give the same stream parts and the
same Response or error on both. The same for non-streaming bodies (generateContent):
corpus, signatures moving to earlier reasoning parts, hand-backs, mutations.
"""
from __future__ import annotations

import base64
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import (BACKEND_PARAMS, check_corpus_document, document_in_c, falls_back, interaction, interactions,
                     mutated_json, needs_corpus, same_document, share_of_cuts_in_c)
from pyfantasy import DecodeError
from pyfantasy.decode import decode_body
from test_decode_differential import check, pieces, whole
from test_native_anthropic import mutate_events, _cut

pytestmark = pytest.mark.needs_native  # conftest: skip (or fail when required) without the extension

STREAMS = [p for p in interactions("google", True)]


def sse(*chunks) -> bytes:
    return b"".join(b"data: " + (c if isinstance(c, bytes) else json.dumps(c).encode()) + b"\r\n\r\n"
                    for c in chunks)


def chunk(*parts, finish=None, usage=None, **extra):
    cand = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    doc = {"candidates": [cand], **extra}
    if usage is not None:
        doc["usageMetadata"] = usage
    return doc


SIG = base64.b64encode(b"\x00\xffsig\xe2\x82").decode()   # bytes that are not UTF-8: kept as Go keeps them
USAGE = {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8, "thoughtsTokenCount": 2,
         "cachedContentTokenCount": 1}


# ---- the corpus ------------------------------------------------------------------------------

@needs_corpus
def test_corpus_has_gemini_streams():
    assert len(STREAMS) >= 20


@needs_corpus
@pytest.mark.parametrize("rel,iid", STREAMS)
def test_corpus_stream_native_equals_python(rel, iid):
    """A recorded stream: the same result on both backends, whole and in random feeds, in C."""
    it = interaction(rel, iid)
    body = it.response.body_bytes
    assert whole(body, "google", "native") == whole(body, "google", "python")
    if it.response.code < 400:
        assert not falls_back(body, "google"), "the C state machine handed a recorded body back"
        cuts = random.Random(f"{rel}#{iid}").sample(range(len(body) + 1), min(5, len(body) + 1))
        assert pieces(body, "google", "native", cuts) == pieces(body, "google", "python", cuts)


# ---- shapes the C machine reads (both backends give the expected result) ----------------------

@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_thoughts_signatures_and_calls(backend):
    body = sse(chunk({"text": "plan", "thought": True}, usage=USAGE),
               chunk({"text": " more", "thought": True}),
               chunk({"text": "Hi", "thoughtSignature": SIG}, usage=USAGE),
               chunk({"functionCall": {"name": "f", "args": {"b": [1, True, None, "x\"y"], "a": {"z": -3, "c": {}}}},
                      "thoughtSignature": SIG}),
               chunk({"functionCall": {"name": "g", "id": "call-7"}}, finish="STOP", usage=USAGE))
    r = decode_body(body, "google", True, backend)
    kinds = [type(c).__name__ for c in r.content]
    assert kinds == ["ReasoningContent", "TextContent", "ReasoningContent", "ToolCallContent", "ToolCallContent"]
    assert r.content[0].text == "plan more"
    meta = r.content[0].provider_metadata["google"]
    assert meta.signature == b"\x00\xffsig\xe2\x82".decode("utf-8", "surrogateescape") and meta.tool_id == ""
    assert r.content[2].provider_metadata["google"].tool_id == "1"
    assert r.content[3].input == '{"a":{"c":{},"z":-3},"b":[1,true,null,"x\\"y"]}'
    assert (r.content[3].tool_call_id, r.content[4].tool_call_id, r.content[4].input) == ("1", "call-7", "null")
    assert r.finish_reason == "tool-calls" and r.provider_metadata is None
    # usage: the first non-zero total sets it, later chunks add output, reasoning and cache-read counts
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens, r.usage.reasoning_tokens,
            r.usage.cache_read_tokens) == (5, 9, 8, 6, 3)
    check(body, "google", [30, 200, 400])
    assert not falls_back(body, "google")


@pytest.mark.parametrize("finish,expected", [("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content-filter"),
                                             ("RECITATION", "error"), ("OTHER", "other"), ("NEW_REASON", "unknown")])
def test_finish_reasons(finish, expected):
    body = sse(chunk({"text": "a"}), chunk(finish=finish))
    for backend in ("native", "python"):
        assert decode_body(body, "google", True, backend).finish_reason == expected
    assert not falls_back(body, "google")


def test_malformed_json_is_an_error_part():
    """genai reads an unterminated last block as it is: a cut body ends in malformed JSON."""
    body = sse(chunk({"text": "a"})) + b'data: {"candidates": [{"con'
    for backend in ("native", "python"):
        with pytest.raises(DecodeError) as e:
            decode_body(body, "google", True, backend)
        assert (e.value.kind, e.value.offset) == ("json", body.rindex(b"data: "))
        assert e.value.response.content[0].text == "a"
    assert not falls_back(body, "google")
    check(body, "google", [20])


def test_truncated_stream_keeps_the_text():
    body = sse(chunk({"text": "partial"}, {"text": "", "thought": True}, None), None, chunk())
    for backend in ("native", "python"):
        with pytest.raises(DecodeError) as e:
            decode_body(body, "google", True, backend)
        assert (e.value.kind, e.value.offset) == ("truncated", len(body))   # decode_body: where the body ended
        assert e.value.response.content[0].text == "partial"
    assert not falls_back(body, "google")
    check(body, "google", [9])


@pytest.mark.parametrize("body", [
    sse(chunk({"text": "a"})) + b'{"error": {"code": 429, "message": "slow", "status": "RESOURCE_EXHAUSTED"}}',
    sse(chunk({"text": "a"})) + b"event: x\n\n",
    sse(chunk({"text": 5})),
    sse(chunk({"text": "a", "thought": "yes"})),
    sse(chunk({"text": "a", "thoughtSignature": "not base64!"}, finish="STOP")),
    sse(chunk({"text": "a", "thoughtSignature": "QQ"}, finish="STOP")),
    sse(chunk({"functionCall": {"name": "f", "args": {"x": 1.5}}}, finish="STOP")),
    sse(chunk({"functionCall": {"name": "f", "args": {"x": "<b>\u00e9"}}}, finish="STOP")),
    sse(chunk({"functionCall": {"name": "f", "args": {"x": 12345678901234567890}}}, finish="STOP")),
    sse(chunk({"functionCall": {"name": "f", "args": [1]}}, finish="STOP")),
    sse(chunk({"functionCall": "f"}, finish="STOP")),
    sse({"candidates": [{"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": [{"text": "b"}]}}],
         "usageMetadata": USAGE}),
    sse(chunk({"text": "a"}, usage={"totalTokenCount": 5.0}), chunk(finish="STOP")),
    sse(chunk({"text": "a"}, usage={"totalTokenCount": 2 ** 31}), chunk(finish="STOP")),
    sse([1, 2]),
    sse({"candidates": {"a": 1}}),
])
def test_handed_back_shapes_decode_as_python(body):
    """Shapes the C machine hands to Python: the result is still Python's."""
    assert falls_back(body, "google")
    check(body, "google", [7, 60])


# ---- mutated corpus bodies ------------------------------------------------------------------

def _bodies():
    return [interaction(*p.values).response.body_bytes for p in STREAMS
            if interaction(*p.values).response.code < 400]


BODIES = _bodies() if STREAMS else []


@st.composite
def mutated(draw):
    """A corpus Gemini stream, mutated (its blocks end with CRLF CRLF or LF LF)."""
    body = draw(st.sampled_from(BODIES))
    sep = b"\r\n\r\n" if b"\r\n\r\n" in body else b"\n\n"
    return _cut(draw, sep.join(mutate_events(draw, body.split(sep))))


@needs_corpus
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated(), st.lists(st.integers(0, 10 ** 6), max_size=8))
def test_mutated_corpus_bodies(body, cuts):
    check(body, "google", cuts)


@needs_corpus
def test_mutations_reach_the_c_machine():
    """Most cut bodies are decoded by C (the differential test is not only Python against itself)."""
    assert share_of_cuts_in_c(BODIES, "google", 11) >= 0.9


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers(-10 ** 17, 10 ** 17) | st.floats(allow_nan=False)
                    | st.text(max_size=6),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                    max_leaves=10), st.lists(st.integers(0, 10 ** 4), max_size=3))
def test_random_call_arguments(args, cuts):
    """Arguments of every JSON shape: written back identically (by C, or by Python after a hand-back)."""
    body = sse(chunk({"functionCall": {"name": "f", "args": {"v": args, "a": args}}}, finish="STOP"))
    check(body, "google", cuts)


# ---- signatures: the Go string of any bytes (C writes the code points when they are not UTF-8) -----

# valid sequences of every length, a byte no sequence starts with, a sequence cut short (alone,
# before ASCII, at the end), overlong forms, an encoded surrogate, past U+10FFFF, a backslash
EDGE_SIGNATURES = [b"plain", "h\u00e9 \u672b \U0001f389".encode(), b"\xff", b"\x80abc", b"\xe2\x82",
                   b"\xe2\x82A", b"ok\xf0\x9f\x8e", b"\xc0\xaf\xc1\xbf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
                   b"\xed\x9f\xbf", b"\xf4\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\\\x00\x7f\xc2",
                   "\U0001f389".encode() + b"\x80" + "\u00e9".encode()]
_SIG_PIECES = st.one_of(st.binary(max_size=4), st.text(max_size=3).map(lambda t: t.encode("utf-8", "surrogatepass")),
                        st.sampled_from(EDGE_SIGNATURES))


def _signature_bodies(sig: bytes):
    """A stream and a generateContent body whose reasoning carries ``sig`` (not empty: no metadata)."""
    enc = base64.b64encode(sig).decode()
    parts = [{"text": "t", "thought": True}, {"text": "a", "thoughtSignature": enc}]
    return sse(chunk(*parts, finish="STOP")), json.dumps(chunk(*parts, finish="STOP")).encode()


def _check_signature(sig: bytes) -> None:
    stream, doc = _signature_bodies(sig)
    assert not falls_back(stream, "google") and document_in_c(doc, "google")
    for body, streamed in ((stream, True), (doc, False)):
        got = [decode_body(body, "google", streamed, b).content[0].provider_metadata["google"].signature
               for b in ("native", "python")]
        assert got == [sig.decode("utf-8", "surrogateescape")] * 2, (sig, streamed)


@pytest.mark.parametrize("sig", EDGE_SIGNATURES)
def test_signature_is_the_go_string_of_its_bytes(sig):
    _check_signature(sig)


@settings(max_examples=150, deadline=None)
@given(st.lists(_SIG_PIECES, min_size=1, max_size=12).map(b"".join).filter(bool))
def test_random_signature_bytes(sig):
    _check_signature(sig)


@pytest.mark.parametrize("edge", EDGE_SIGNATURES[1:])
def test_edge_sequences_at_every_block_offset(edge):
    """C converts a signature 16 bytes at a time (SSE2) and looks alone at each byte that may begin a
    sequence: each edge sequence at every offset of two blocks, among ASCII and lone bytes."""
    filler = b"a\x80\xfe\xc3 \xbf" * 10
    for at in range(34):
        _check_signature(filler[:at] + edge + filler[at:at + 24])


@settings(max_examples=60, deadline=None)
@given(st.lists(_SIG_PIECES, min_size=8, max_size=80).map(b"".join).filter(lambda b: len(b) >= 17))
def test_long_random_signature_bytes(sig):
    _check_signature(sig)


# ---- non-streaming bodies (generateContent): pf_gemini_document_new ------------------------------

DOCS = [p for p in interactions("google", False)]


@needs_corpus
@pytest.mark.parametrize("rel,iid", DOCS)
def test_corpus_documents_native_equals_python(rel, iid):
    check_corpus_document(rel, iid)


SIG2 = base64.b64encode(b"second").decode()


@pytest.mark.parametrize("parts", [
    [{"text": "t1", "thought": True}, {"text": "t2", "thought": True, "thoughtSignature": SIG},
     {"text": "x", "thoughtSignature": SIG2}],
    [{"text": "x", "thoughtSignature": SIG}],                                       # a reasoning part of its own
    [{"text": "t", "thought": True, "thoughtSignature": SIG},
     {"functionCall": {"name": "f"}, "thoughtSignature": SIG2},
     {"functionCall": {"name": "g", "args": {"b": 1, "a": [True]}}, "thoughtSignature": SIG}],   # any metadata replaced
    [{"functionCall": {"name": "f", "id": "own"}, "thoughtSignature": SIG}, {"text": "after"}, None, {"text": ""}],
    [{"thought": True}, {"text": "plain"}],
    [],
])
@pytest.mark.parametrize("usage", [None, USAGE])
def test_document_signatures_and_calls(parts, usage):
    body = json.dumps({"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "MAX_TOKENS"}],
                       **({"usageMetadata": usage} if usage else {})}).encode()
    same_document(body, "google")
    assert document_in_c(body, "google")


@pytest.mark.parametrize("body", [
    b"null", b"[]", b"{}", b'{"candidates": []}', b'{"candidates": [{"finishReason": "STOP"}]}',
    b'{"candidates": [{"content": {"parts": [{"text": "a"}]}}, {"content": {}}]}',
    b'{"candidates": [{"content": {"parts": [{"text": 1}]}}]}',
    b'{"candidates": [{"content": {"parts": {}}}]}', b'{"candidates": [{"content": {"parts": [3]}}]}',
    b'{"candidates": [{"content": {"parts": [{"text": "a"}]}}], "usageMetadata": {"totalTokenCount": "3"}}',
    b'{"candidates": [{"content": {"parts": [{"text": "a", "thoughtSignature": "QQ"}]}}]}', b"{bad",
])
def test_document_shapes_handed_back(body):
    assert not document_in_c(body, "google")
    same_document(body, "google")


def _doc_bodies():
    return [json.loads(interaction(*p.values).response.body_bytes) for p in DOCS
            if interaction(*p.values).response.code < 400]


DOC_BODIES = _doc_bodies() if DOCS else []
DOC_REPLACEMENTS = [None, True, 0, -1, 1.5, "7", "", "x\u00e9", [], {}, [None, {"text": "y"}], 2 ** 31,
                    {"name": "f", "args": {"k": 1}}, SIG, {"text": "t", "thought": True, "thoughtSignature": SIG}]


@needs_corpus
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_json(DOC_BODIES, DOC_REPLACEMENTS, ensure_ascii=True))
def test_mutated_corpus_documents(body):
    same_document(body, "google")


@pytest.mark.parametrize("sig,in_c", [
    ("QUJD\r\nREVG", True), ("QUJDRA==", True), ("QUJDRB==", True), ("QQ==\n", True), ("\nQUJD", True),
    ("QUJD=", False), ("QU=D", False), ("QUJDRA==QQ==", False), ("QUJ", False), ("QUJD\u00e9", False),
])
def test_signature_base64_as_go_reads_it(sig, in_c):
    """Signatures go through Go's base64.StdEncoding rules (line breaks skipped, padding only at
    the end, trailing bits ignored): C reads what Go reads and hands the rest to Python's wording."""
    body = sse(chunk({"text": "t", "thought": True}), chunk({"text": "x", "thoughtSignature": sig}, finish="STOP"))
    assert falls_back(body, "google") is not in_c
    check(body, "google", [30])
    doc = json.dumps({"candidates": [{"content": {"parts": [{"text": "x", "thoughtSignature": sig}]}}]}).encode()
    assert document_in_c(doc, "google") is in_c
    same_document(doc, "google")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCab01+/=\r\n\t-_", max_size=14))
def test_random_signatures(sig):
    body = sse(chunk({"text": "x", "thoughtSignature": sig}, finish="STOP"))
    check(body, "google", [])

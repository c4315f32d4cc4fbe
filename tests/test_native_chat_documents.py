"""Non-streaming chat-completions bodies: the C machine (native/pf_chat.c, pf_chat_document_new)
== the Python Generate (openai_chat.decode_generate + agent.Generate).

Every non-streaming chat body of the corpus decodes to the same Response on both backends
without falling back to Python; the shapes the C file reads (the variants' reasoning,
OpenRouter/Vercel reasoning_details of every format, tool calls, citations, usage and
metadata) give the expected result on both; the shapes it hands back still decode as Python
does; and mutated corpus bodies (values replaced by other types and sizes) decode alike.
"""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import (BACKEND_PARAMS, check_corpus_document, document_in_c, interaction, interactions, json_paths,
                     json_replace, needs_corpus, same_document)
from pyfantasy.decode import decode_body

pytestmark = pytest.mark.needs_native  # conftest: skip (or fail when required) without the extension

DOCS = [p for p in interactions("openai-chat", False)]
VARIANTS = ["openai", "compat", "openrouter", "vercel"]


def doc(message=None, usage=None, finish="stop", **top):
    d = {"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"role": "assistant", **(message or {})},
                                          "finish_reason": finish}], **top}
    if usage is not None:
        d["usage"] = usage
    return json.dumps(d).encode()


# ---- the corpus ------------------------------------------------------------------------------

@needs_corpus
@pytest.mark.parametrize("rel,iid", DOCS)
def test_corpus_documents_native_equals_python(rel, iid):
    check_corpus_document(rel, iid)


# ---- shapes -----------------------------------------------------------------------------------

DETAILS = [
    {"type": "reasoning.summary", "format": "openai-responses-v1", "index": 0, "summary": "first"},
    {"type": "reasoning.summary", "format": "openai-responses-v1", "index": 0, "summary": "second", "id": "rs_1"},
    {"type": "reasoning.encrypted", "format": "xai-responses-v1", "index": 1, "data": None, "id": None},
    {"type": "reasoning.text", "format": "google-gemini-v1", "index": 0, "text": "g0"},
    {"type": "reasoning.encrypted", "format": "google-gemini-v1", "index": 0, "data": "sig", "id": "tool_9"},
    {"type": "reasoning.text", "format": "anthropic-claude-v1", "text": "a", "signature": "s"},
    {"type": "reasoning.text", "format": "unknown", "text": ""},
    {"type": "reasoning.text", "text": "other \u00e9"},
]


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_reasoning_details_of_every_format(backend):
    body = doc({"content": "hi", "reasoning_details": DETAILS}, {"prompt_tokens": 5, "completion_tokens": 3},
               provider="OpenAI")
    r = decode_body(body, "openai-chat", False, backend, variant="openrouter")
    texts = [(type(c).__name__, getattr(c, "text", None)) for c in r.content]
    assert texts == [("TextContent", "hi"), ("ReasoningContent", "first\nsecond"), ("ReasoningContent", ""),
                     ("ReasoningContent", "a"), ("ReasoningContent", "g0"), ("ReasoningContent", ""),
                     ("ReasoningContent", "other \u00e9")]
    m = r.content[1].provider_metadata["openai"]
    assert (m.item_id, m.encrypted_content, m.summary) == ("rs_1", None, ["first", "second"])
    m = r.content[2].provider_metadata["openai"]
    assert (m.item_id, m.encrypted_content, m.summary) == ("", "", [""])
    assert r.content[3].provider_metadata["anthropic"].signature == "s"
    g = r.content[4].provider_metadata["google"]
    assert (g.signature, g.tool_id) == ("sig", "tool_9")
    assert "openai" in r.provider_metadata and r.provider_metadata["openai"].provider == '"OpenAI"'
    if backend == "native":
        assert document_in_c(body, "openai-chat", "openrouter")
        same_document(body, "openai-chat", "openrouter")
        same_document(body, "openai-chat", "vercel")


@pytest.mark.parametrize("message,variant", [
    ({"reasoning_details": [], "reasoning": "plain"}, "vercel"),          # empty: Vercel's reasoning string
    ({"reasoning_details": None, "reasoning": "plain"}, "vercel"),
    ({"reasoning_details": [{"text": 5}], "reasoning": "plain"}, "vercel"),   # malformed: no reasoning at all
    ({"reasoning_details": "x"}, "openrouter"),
    ({"reasoning_details": [1]}, "openrouter"),
    ({"reasoning_details": [{"index": 1.5}]}, "openrouter"),
    ({"reasoning_content": "rc", "reasoning": "r"}, "compat"),
    ({"reasoning_content": "", "reasoning": "r"}, "compat"),
    ({"reasoning_content": None}, "compat"),
    ({"reasoning_content": 5, "reasoning": "r"}, "compat"),
    ({"reasoning": "r"}, "openai"),
    ({"content": 7}, "openai"),
    ({"tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{\"a\": 1}"}}, 5,
                     {"function": {"name": "g", "arguments": "{bad"}}]}, "openai"),
    ({"tool_calls": {"id": "c1"}}, "openai"),
    ({"annotations": [{"type": "url_citation", "url_citation": {"url": "https://a", "title": "A"}}, 3,
                      {"type": "file"}, {"type": "url_citation"}]}, "openai"),
])
def test_message_shapes(message, variant):
    body = doc(message, {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12,
                         "prompt_tokens_details": {"cached_tokens": 4}})
    assert document_in_c(body, "openai-chat", variant)
    same_document(body, "openai-chat", variant)


@pytest.mark.parametrize("usage", [
    None, {}, [], {"prompt_tokens": "7", "completion_tokens": 2.0}, {"total_tokens": 3, "cost": 0.25, "x": None},
    {"completion_tokens_details": {"accepted_prediction_tokens": 3, "rejected_prediction_tokens": -1}},
    {"cost": 1.5, "cost_details": {"upstream_inference_cost": 1e400}, "nested": {"a": [1, 2]}},
])
@pytest.mark.parametrize("variant", VARIANTS)
def test_usage_and_metadata(usage, variant):
    body = doc({"content": "x"}, usage, provider={"name": "p"})
    same_document(body, "openai-chat", variant)


@pytest.mark.parametrize("body", [
    b"[1]", b"{\"choices\": []}", b"{\"choices\": {}}", b"not json", b"",
    doc({"content": "x"}, None, logprobs=None).replace(b'"finish_reason"', b'"logprobs": {"content": [{}]}, "f"'),
    doc({"reasoning_details": [{"index": 3, "format": "openai-responses-v1"}]}),
])
@pytest.mark.parametrize("variant", VARIANTS)
def test_handed_back_shapes_decode_as_python(body, variant):
    same_document(body, "openai-chat", variant)


# ---- mutated corpus bodies ---------------------------------------------------------------------

def _bodies():
    from pyfantasy.decode import detect_format
    out = []
    for p in DOCS:
        it = interaction(*p.values)
        if it.response.code < 400:
            out.append((json.loads(it.response.body_bytes), detect_format(it).variant))
    return out


BODIES = _bodies() if DOCS else []
REPLACEMENTS = [None, True, 0, -1, 1.5, "7", "", "x\u00e9", [], {}, [1, {"a": None}], 10 ** 19, "\ud800",
                {"type": "url_citation", "url_citation": {"url": 1}}, [{"index": 0, "format": "google-gemini"}]]


@st.composite
def mutated(draw):
    v, variant = draw(st.sampled_from(BODIES))
    v = copy.deepcopy(v)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(json_paths(v))))
        v = json_replace(v, path, copy.deepcopy(draw(st.sampled_from(REPLACEMENTS))))
    return json.dumps(v).encode("utf-8", "surrogatepass"), draw(st.sampled_from([variant] + VARIANTS))


@needs_corpus
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_corpus_documents(case):
    body, variant = case
    same_document(body, "openai-chat", variant)


EXTRA_TEXTS = [b'{"a":1}', b'{"a":[1,{"b":null}],"c":"d"}', b'{"a":{"b":-0}}', b'{"a":{"b":1,"b":2}}',
               b'{"a": 1}', b'{"a":["\\u00e9"]}', b'{"a":["\xc3\xa9"]}', b'{"k\\"":1}', b'[]', b'{}',
               b'[1,2.50,-0.0,1E5]', b'{"a":' + b"[" * 40 + b"]" * 40 + b"}"]


@pytest.mark.parametrize("extra", EXTRA_TEXTS)
@pytest.mark.parametrize("variant", ["openai", "compat"])
def test_extra_usage_fields_written_back(extra, variant):
    """Extra usage fields holding containers: C writes back the ones Python spells the same
    (compact, plain ASCII strings, no repeated key, no -0 integer); streams and bodies alike."""
    usage = b'{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,"x":' + extra + b',"y":' + extra + b"}"
    body = doc({"content": "x"}).replace(b'"finish_reason": "stop"}]', b'"finish_reason": "stop"}], "usage": ' + usage)
    assert body.count(usage) == 1
    same_document(body, "openai-chat", variant)
    assert document_in_c(body, "openai-chat", variant)
    stream = (b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n'
              b'data: {"id":"c","choices":[],"usage":' + usage + b"}\n\ndata: [DONE]\n\n")
    from test_decode_differential import check as check_stream
    check_stream(stream, "openai-chat", [40, 120], variant)


# strings whose quotes and backslashes fall anywhere around the 16-byte blocks the C walker
# (pf_walk_string_esc) reads: in usage extras, tool call fields and reasoning_details, which C
# walks as raw JSON, the native Response must stay the Python one
_WALKED = st.text(alphabet='"\\ab/é\u2028\n', max_size=70)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=_WALKED, b=_WALKED, pad=st.integers(0, 40), variant=st.sampled_from(VARIANTS))
def test_walked_strings_with_escapes_anywhere(a, b, pad, variant):
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "x" * pad: a, a: b,
             "completion_tokens_details": {"reasoning_tokens": 1, "note": b}}
    message = {"content": b, "tool_calls": [{"id": a or "c1", "type": "function",
                                             "function": {"name": "f" + b, "arguments": json.dumps({a: b})}}],
               "reasoning_details": [{"type": "reasoning.text", "text": a + b, "format": "x" * pad, "index": 0}]}
    same_document(doc(message, usage), "openai-chat", variant)


# raw string bytes the strict scan lexes 16 at a time (pf_lex_special16): quotes, backslashes
# and escapes, control bytes, UTF-8 of every length, invalid bytes, at any offset from the
# string's start; the document is valid JSON or not, and both backends say the same
_RAW = st.lists(st.sampled_from([b"a", b"Z", b" ", b'\\"', b"\\\\", b"\\n", b"\\u00e9", b"\\ud83d\\ude00",
                                 b"\x1f", b"\x7f", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80",
                                 b"\xff", b"\xc3", b'"', b"\\"]), max_size=60).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=_RAW, key=_RAW, pad=st.integers(0, 33))
def test_raw_string_bytes_anywhere(content, key, pad):
    body = (b'{"id":"' + b"x" * pad + b'","choices":[{"index":0,"message":{"role":"assistant","content":"'
            + content + b'","' + key + b'":"' + content + b'"},"finish_reason":"stop"}]}')
    same_document(body, "openai-chat")


USAGE_KEYS = [  # (the members after the counts, whether C decodes it: usage_walk's limits)
    (b'"x":1,"x":null', True), (b'"x":null,"x":1', True), (b'"x":1,"\\u0078":null', True),
    (b'"\\u0078":null,"x":[1]', True), (b'"prompt\\u005ftokens":5,"y":null', True),
    (b'"a":null,"b":null,"a":0', True), (b'"c":{"x":null},"d":null', True),
    (b",".join(b'"k%d":%d' % (k, k) for k in range(32)), True),
    (b",".join(b'"k%d":null' % k for k in range(40)), False),
    (b'"' + b"k" * 300 + b'":1', False), (b'"' + b"k" * 300 + b'":null', False),
]


@pytest.mark.parametrize("members,in_c", USAGE_KEYS)
@pytest.mark.parametrize("variant", ["openai", "compat", "openrouter"])
def test_usage_keys_outside_the_known_ones(members, in_c, variant):
    """Whether a usage has extra fields is one walk (pf_chat.c usage_walk): a key's last value
    counts, keys compare unescaped; past its limits (32 other keys, a key of 256 bytes) Python
    reads it. Bodies and streams alike."""
    usage = b'{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4,' + members + b"}"
    body = doc({"content": "x"}).replace(b'"finish_reason": "stop"}]', b'"finish_reason": "stop"}], "usage": ' + usage)
    same_document(body, "openai-chat", variant)
    assert document_in_c(body, "openai-chat", variant) == (in_c or variant == "openrouter")
    stream = (b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n'
              b'data: {"id":"c","choices":[],"usage":' + usage + b"}\n\ndata: [DONE]\n\n")
    from test_decode_differential import check as check_stream
    check_stream(stream, "openai-chat", [40, 120], variant)

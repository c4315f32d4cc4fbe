"""OpenAI chat completions (every variant of the corpus) decoded as fantasy does."""
from __future__ import annotations

import json
import random

import pytest

from helpers import needs_corpus
from helpers import (fantasy_assertions, interaction, interactions, matches_example,
                     semantics_examples)
from pyfantasy.decode import StreamDecoder, decode_cassette, decode_interaction, detect_format

pytestmark = needs_corpus

CHAT = interactions("openai-chat")
CHAT_STREAMS = interactions("openai-chat", stream=True)


CHAT_EXAMPLES = [p for p in semantics_examples(["TestOpenAI", "TestOpenRouter", "TestVercel", "TestAzureCommon"])
                 if "Responses" not in p.values[0]["cassette"] and "WebSearch" not in p.values[0]["cassette"]]


@pytest.mark.parametrize("example", CHAT_EXAMPLES)
def test_worked_examples_exact_bytes(example, backend):
    """docs/semantics.md#worked-examples: the exact JSON Go writes for these interactions
    (the Responses API examples are in test_decode_responses.py)."""
    it = interaction(example["cassette"], example["interaction"])
    got = decode_interaction(it, backend).to_json_bytes().decode("utf-8")
    assert matches_example(example["expected"], got), got


@pytest.mark.parametrize("rel,iid", CHAT)
@pytest.mark.needs_native
def test_backends_identical(rel, iid):
    """native and python give byte-identical Responses on every chat interaction."""
    it = interaction(rel, iid)
    py = decode_interaction(it, "python").to_json_bytes()
    assert decode_interaction(it, "native").to_json_bytes() == py


@pytest.mark.parametrize("rel,iid", CHAT_STREAMS)
def test_stream_decoder_any_chunking(rel, iid, backend):
    """StreamDecoder fed in random pieces gives decode_body's Response and the same parts."""
    it = interaction(rel, iid)
    body = it.response.body.encode("utf-8")
    whole = decode_interaction(it, backend)
    rnd = random.Random(iid * 7919 + len(body))
    dec = StreamDecoder("openai-chat", backend, url=it.request.url)
    pos = 0
    parts = []
    while pos < len(body):
        step = rnd.choice([1, 3, 17, 256, 4096])
        parts += dec.feed(body[pos:pos + step])
        pos += step
    assert dec.close().to_json_bytes() == whole.to_json_bytes()
    assert parts, "a stream yields parts"
    text = "".join(p.delta for p in parts if p.type == "text-delta")
    assert text == "".join(p.text for p in (whole.content or []) if p.type == "text")


def _chat_cassettes():
    seen = sorted({p.values[0] for p in CHAT})
    return [pytest.param(rel, id=rel) for rel in seen]


@pytest.mark.parametrize("rel", _chat_cassettes())
def test_fantasy_assertions(rel, backend):
    """The checks fantasy's own Go tests make on each cassette (corpus README)."""
    from helpers import CORPUS
    responses = decode_cassette(CORPUS / rel, backend)
    fantasy_assertions(rel, responses)


# ---- the official openai SDK as an independent oracle ----------------------------

def _sdk_stream(body: bytes):
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai._models import construct_type
    from openai.types.chat import ChatCompletionChunk
    state = ChatCompletionStreamState()
    last_usage = None
    for sse in SSEDecoder().iter_bytes(iter([body])):
        if sse.data.startswith("[DONE]"):
            break
        data = json.loads(sse.data)
        # what the SDK itself does with a received chunk: lenient construction
        chunk = construct_type(type_=ChatCompletionChunk, value=data)
        last_usage = data.get("usage")
        if not chunk.choices and not chunk.usage:
            continue
        # every corpus stream is accumulated by the SDK: a refusal is a failure, not a skip
        state.handle_chunk(chunk)
    return state.current_completion_snapshot, last_usage


# fantasy's DefaultMapFinishReasonFunc (docs/semantics.md#chat-completions-finish-reasons); any
# tool call forces tool-calls
_FANTASY_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool-calls",
                   "function_call": "tool-calls", "content_filter": "content-filter"}


def _mapped_finish(sdk_reason, has_calls: bool) -> str:
    return "tool-calls" if has_calls else _FANTASY_FINISH.get(sdk_reason or "", "unknown")


def _mapped_usage(u: dict, router: bool):
    ptd = (u or {}).get("prompt_tokens_details") or {}
    ctd = (u or {}).get("completion_tokens_details") or {}
    cached = ptd.get("cached_tokens") or 0
    inp = max((u.get("prompt_tokens") or 0) - cached, 0)
    out = u.get("completion_tokens") or 0
    total = inp + out + cached if router else (u.get("total_tokens") or 0)
    return (inp, out, total, ctd.get("reasoning_tokens") or 0, cached)


@pytest.mark.parametrize("rel,iid", CHAT_STREAMS)
def test_stream_matches_openai_sdk_accumulation(rel, iid, backend):
    it = interaction(rel, iid)
    body = it.response.body.encode("utf-8")
    snap, usage = _sdk_stream(body)
    ours = decode_interaction(it, backend)
    choice = snap.choices[0]
    sdk_text = choice.message.content or ""
    our_text = "".join(p.text for p in (ours.content or []) if p.type == "text")
    assert our_text == sdk_text
    sdk_calls = [(tc.function.name, json.loads(tc.function.arguments or "{}"))
                 for tc in (choice.message.tool_calls or [])]
    our_calls = [(p.tool_name, json.loads(p.input)) for p in (ours.content or []) if p.type == "tool-call"]
    assert our_calls == sdk_calls
    assert ours.finish_reason == _mapped_finish(choice.finish_reason, bool(sdk_calls))
    if usage and usage.get("total_tokens"):
        variant = detect_format(it).variant
        u = ours.usage
        assert (u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens,
                u.cache_read_tokens) == _mapped_usage(usage, variant in ("openrouter", "vercel"))


@pytest.mark.parametrize("rel,iid", interactions("openai-chat", stream=False))
def test_generate_matches_openai_sdk_model(rel, iid, backend):
    pytest.importorskip("openai")
    from openai._models import construct_type
    from openai.types.chat import ChatCompletion
    it = interaction(rel, iid)
    data = json.loads(it.response.body)
    sdk = construct_type(type_=ChatCompletion, value=data)
    ours = decode_interaction(it, backend)
    msg = sdk.choices[0].message
    assert "".join(p.text for p in ours.content if p.type == "text") == (msg.content or "")
    sdk_calls = [(tc.function.name, tc.function.arguments) for tc in (msg.tool_calls or [])]
    assert [(p.tool_name, p.input) for p in ours.content if p.type == "tool-call"] == sdk_calls
    assert ours.finish_reason == _mapped_finish(sdk.choices[0].finish_reason, bool(sdk_calls))
    variant = detect_format(it).variant
    u = ours.usage
    assert (u.input_tokens, u.output_tokens, u.total_tokens, u.reasoning_tokens, u.cache_read_tokens) == \
        _mapped_usage(data.get("usage") or {}, variant in ("openrouter", "vercel"))


# ---- seeds: exactly the messages their bodies hold ---------------------------------

def test_seed_000_openrouter_reasoning_details(backend):
    it = interaction("seeds/000_1efa1784a3a0f976.yaml", 0)
    r = decode_interaction(it, backend)
    body = json.loads(it.response.body)
    msg = body["choices"][0]["message"]
    assert r.content[0].type == "text" and r.content[0].text == msg["content"]
    details = msg["reasoning_details"]
    reasoning = [p for p in r.content if p.type == "reasoning"]
    assert len(reasoning) == len({d.get("index", 0) for d in details})
    assert r.finish_reason == "stop"
    assert r.usage.total_tokens == body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]


def test_seed_001_xai_reasoning_content(backend):
    it = interaction("seeds/001_9682b53952bb1e75.yaml", 0)
    r = decode_interaction(it, backend)
    events = [json.loads(line[6:]) for line in it.response.body.splitlines()
              if line.startswith("data: {")]
    reasoning = "".join(e["choices"][0]["delta"].get("reasoning_content", "") for e in events if e["choices"])
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert [(p.type, p.text) for p in r.content] == [("reasoning", reasoning), ("text", text)]
    assert r.finish_reason == "stop"
    usage = events[-1]["usage"]
    assert r.usage.output_tokens == usage["completion_tokens"]


def test_seed_002_openrouter_comments_and_encrypted_reasoning(backend):
    it = interaction("seeds/002_ca3fa4015e962f21.yaml", 0)
    assert ": OPENROUTER PROCESSING" in it.response.body
    r = decode_interaction(it, backend)
    # a google-gemini "reasoning.encrypted" detail: an empty reasoning part carrying the signature
    assert [p.type for p in r.content] == ["reasoning", "text"]
    detail = json.loads(next(line[6:] for line in it.response.body.splitlines()
                             if "reasoning_details" in line))["choices"][0]["delta"]["reasoning_details"][0]
    meta = r.content[0].provider_metadata["google"]
    assert (r.content[0].text, meta.signature) == ("", detail["data"])
    assert r.content[1].text == "Olá!"


def test_seed_003_many_empty_deltas(backend):
    it = interaction("seeds/003_d71d355bdca2edab.yaml", 0)
    r = decode_interaction(it, backend)
    assert [p.text for p in r.content if p.type == "text"] == ["Oi!"]
    assert r.finish_reason == "stop"

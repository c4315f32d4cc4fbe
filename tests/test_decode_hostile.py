"""Hostile values in provider bodies (issue 12, items 1-4): numbers past float64, values
nested past Python's recursion limit, lone surrogates next to deep values. Each decodes as
fantasy would (docs/conformance.md, "Hostile values") on both backends, never an exception
other than DecodeError. The random versions live in test_decode_differential.py."""
from __future__ import annotations

import json

from pyfantasy.decode import decode_body
from pyfantasy._tools.scan.rows import _cost

DEEP = "[" * 3000 + "]" * 3000


def _router_doc(cost: str) -> bytes:
    return ('{"id":"x","provider":"P","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},'
            '"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,'
            '"cost":%s,"cost_details":{"upstream_inference_cost":%s}}}' % (cost, cost)).encode()


def test_router_cost_past_float64_is_zero(backend):
    """Item 1: a 400-digit cost is Go's UnmarshalTypeError, ignored by the re-read: cost 0."""
    r = decode_body(_router_doc("9" * 400), "openai-chat", False, backend, variant="openrouter")
    usage = r.to_json()["provider_metadata"]["openai"]["data"]["usage"]
    assert usage["cost"] == 0 and usage["cost_details"]["upstream_inference_cost"] == 0
    assert usage["total_tokens"] == 2  # the other keys are still read


def test_router_cost_infinite_is_zero_and_encodes(backend):
    """Item 4: ``1e999`` overflows float64 the same way; to_json() works, scan sees no cost."""
    r = decode_body(_router_doc("1e999"), "openai-chat", False, backend, variant="openrouter")
    assert r.to_json()["provider_metadata"]["openai"]["data"]["usage"]["cost"] == 0
    assert _cost(r.provider_metadata) == 0.0  # what fantasy reports: never inf


def test_extra_cost_past_float64_is_kept_raw_and_no_scan_cost(backend):
    """Item 4: compat usage extras keep the raw text (Go's RawMessage); scan stores no inf."""
    body = ('{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},'
            '"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"cost":1e999,"cost_in_usd_ticks":%s}}'
            % ("9" * 400)).encode()
    r = decode_body(body, "openai-chat", False, backend)
    extra = r.to_json()["provider_metadata"]["openai"]["data"]["extra_fields"]
    assert extra["cost"] == float("inf") or json.dumps(extra["cost"]) == "Infinity"
    assert _cost(r.provider_metadata) is None
    body = body.replace(b'"cost":1e999,', b"")
    assert _cost(decode_body(body, "openai-chat", False, backend).provider_metadata) is None


def test_deep_anthropic_tool_input(backend):
    """Item 2: tool_use.input nested 3,000 deep is kept verbatim (Go's RawMessage)."""
    body = ('{"id":"m","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t",'
            '"name":"n","input":{"a":%s}}],"stop_reason":"tool_use","usage":{"input_tokens":1}}' % DEEP).encode()
    r = decode_body(body, "anthropic", False, backend)
    assert r.content[0].input == '{"a":%s}' % DEEP


def test_deep_gemini_function_args(backend):
    """Item 2: functionCall.args nested 3,000 deep is re-encoded (json.Marshal has no depth limit)."""
    body = ('{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":'
            '{"b":%s,"a":1}}}]},"finishReason":"STOP"}]}' % DEEP).encode()
    r = decode_body(body, "google", False, backend)
    assert r.content[0].input == '{"a":1,"b":%s}' % DEEP


def test_deep_xai_usage_extra(backend):
    """Item 2: a deep ``usage.cost_in_usd_ticks`` is kept as raw text."""
    body = ('{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},'
            '"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"cost_in_usd_ticks":%s}}' % DEEP).encode()
    r = decode_body(body, "openai-chat", False, backend)
    assert r.provider_metadata["openai"].extra_fields["cost_in_usd_ticks"].text == DEEP
    assert DEEP.encode() in r.to_json_bytes()
    assert _cost(r.provider_metadata) is None


def test_lone_surrogate_beside_deep_value():
    """Item 3: a lone ``\\ud800`` plus an unused 3,000-deep array: both twins decode alike."""
    body = ('data: {"id":"c","choices":[{"index":0,"delta":{"content":"a\\ud800"}}],"x":%s}\n\n'
            'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            'data: [DONE]\n\n' % DEEP).encode()
    out = [decode_body(body, "openai-chat", True, be).to_json_bytes() for be in ("python", "native")]
    assert out[0] == out[1]
    assert decode_body(body, "openai-chat", True, "python").content[0].text == "a\ufffd"

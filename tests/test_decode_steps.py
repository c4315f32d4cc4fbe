"""decode_body's per-thread steps (decode._steps): the C reader found once per (format, stream,
variant, url) and kept. What is kept must never change what a call returns or raises: the same
Responses in every thread and for every URL, errors raised on every call, and a bounded cache.
"""
from __future__ import annotations

import json

import pytest

from helpers import BACKEND_PARAMS, run_in_threads
from pyfantasy import decode
from pyfantasy.decode import DecodeError, decode_body


def _chat_doc(text: str) -> bytes:
    return json.dumps({"id": "chatcmpl-1", "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}).encode()


def _gemini_stream(text: str) -> bytes:
    chunk = {"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP"}],
             "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 2, "totalTokenCount": 6}}
    return b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n"


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_many_urls_keep_the_cache_bounded_and_the_results_right(backend):
    want = decode_body(_chat_doc("hi"), "openai-chat", False, "python", url="https://api.openai.com/v1/chat/completions")
    for k in range(decode._STEPS_MAX + 40):
        url = f"https://api.openai.com/v1/chat/completions?k={k}"
        assert decode_body(_chat_doc("hi"), "openai-chat", False, backend, url=url) == want
        assert len(getattr(decode._steps, "cache", {})) <= decode._STEPS_MAX


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
@pytest.mark.parametrize("stream", [False, True])
def test_an_unknown_format_raises_on_every_call(backend, stream):
    for _ in range(3):
        with pytest.raises(DecodeError) as err:
            decode_body(b"{}", "no-such-format", stream, backend)
        assert err.value.kind == "unknown-format"


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_the_variant_and_url_of_each_call_are_used(backend):
    body = _chat_doc("x")
    by_variant = {v: decode_body(body, "openai-chat", False, "python", variant=v)
                  for v in ("openai", "compat", "openrouter", "vercel")}
    for _ in range(2):   # the second round takes the kept steps
        for v, want in by_variant.items():
            assert decode_body(body, "openai-chat", False, backend, variant=v) == want
        assert decode_body(body, "openai-chat", False, backend, url="https://openrouter.ai/api/v1/chat/completions") \
            == by_variant["openrouter"]


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_threads_decode_documents_and_streams_alike(backend):
    cases = [(_chat_doc(f"text {k}"), "openai-chat", False) for k in range(20)] + \
            [(_gemini_stream(f"part {k}"), "google", True) for k in range(20)] + \
            [(_gemini_stream("cut")[:-3], "google", True)]
    want = []
    for body, fmt, stream in cases:
        try:
            want.append(decode_body(body, fmt, stream, "python"))
        except DecodeError as err:
            want.append((err.kind, err.offset, err.response))
    errors = []

    def work(k):
        for _ in range(30):
            for (body, fmt, stream), w in zip(cases, want):
                try:
                    got = decode_body(body, fmt, stream, backend)
                except DecodeError as err:
                    got = (err.kind, err.offset, err.response)
                if got != w:
                    errors.append((k, fmt))
    run_in_threads(work)
    assert not errors

"""Decoding whole chat-completion streams to final messages, side by side.

Input: every OpenAI chat-completions stream body of the corpus (155 bodies
of OpenAI, Azure, OpenRouter, Vercel, xAI, Groq, ...). Each contender turns
every body into its final message (text, reasoning, tool calls, finish
reason, usage); every contender's results are checked body by body against
pyfantasy's python backend on text, tool calls and output tokens
(``pipelines.check``), so a broken path cannot look fast.

Peers: the whole-body pipeline (``data:`` lines split on bytes, ``orjson`` or
``json``, dict folds: the fastest straightforward one), httpx-sse + the same
folds, and the openai SDK's own accumulation (ChatCompletionStreamState).
Target (issue 9): pyfantasy native >= 3x the fastest pure-Python pipeline.
``pyfantasy-c-kernel-only``: the native backend's C alone (``pipelines.c_kernel_only``:
what ``decode_body`` runs before it builds any Python object), the ceiling of any
Python layer on today's C kernel.

``decode-raw-c-kernel``: C alone over the same bodies, no Python objects, MB/s:
``decoder-new-per-body`` (a new chat decoder per body: SSE split, strict JSON
and UTF-8 validation, fantasy's state machine), ``decoder-whole`` (what
``decode_body`` runs: ``pf_dec_whole`` on a reused decoder, the fold included)
and ``scan-only`` (the raw kernel of issue 9 item 4: SSE split, strict JSON and
UTF-8 validation, the chat spec's records; no state machine, no JSON text).
"""
from __future__ import annotations

import json

import pytest

from data import chat_stream_bodies
from pipelines import c_kernel_only, check, check_c_kernel, httpx_sse, whole_body
from pyfantasy._kernels import native_available
from pyfantasy.decode import decode_body

BODIES = chat_stream_bodies()  # [(body bytes, variant)]
TOTAL = sum(len(b) for b, _ in BODIES)


def pyfantasy_run(backend):
    def run():
        return [decode_body(b, "openai-chat", True, backend, variant=v) for b, v in BODIES]
    return run


def openai_sdk_run():
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.chat import ChatCompletionStreamState
    from openai.types.chat import ChatCompletionChunk

    def run():
        out = []
        for body, _ in BODIES:
            state = ChatCompletionStreamState()
            for sse in SSEDecoder().iter_bytes(iter([body])):
                if sse.data.startswith("[DONE]"):
                    break
                data = json.loads(sse.data)
                if not data.get("choices"):
                    continue
                try:
                    state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=data))
                except Exception:  # the SDK refuses some compatible APIs' chunk shapes
                    break
            out.append(state)
        return out
    return run


def _orjson_loads():
    orjson = pytest.importorskip("orjson")
    return orjson.loads


RAW = [b for b, _ in BODIES]
CONTENDERS = {
    "pyfantasy-native": lambda: pyfantasy_run("native"),
    "pyfantasy-python": lambda: pyfantasy_run("python"),
    "pyfantasy-c-kernel-only": lambda: c_kernel_only([(b, "openai-chat", v) for b, v in BODIES], False),
    "whole-body+orjson+dicts": lambda: whole_body("openai-chat", RAW, _orjson_loads()),
    "whole-body+json+dicts": lambda: whole_body("openai-chat", RAW, json.loads),
    "httpx-sse+orjson+dicts": lambda: httpx_sse("openai-chat", RAW, _orjson_loads()),
    "httpx-sse+json+dicts": lambda: httpx_sse("openai-chat", RAW, json.loads),
    "openai-sdk-accumulate": openai_sdk_run,
}


@pytest.fixture(scope="module")
def expected():
    return pyfantasy_run("python")()


@pytest.mark.benchmark(group="decode-chat-streams")
@pytest.mark.parametrize("name", list(CONTENDERS))
def bench_decode_chat_streams(benchmark, name, expected):
    if name in ("pyfantasy-native", "pyfantasy-c-kernel-only") and not native_available():
        pytest.skip("native extension not built")
    assert BODIES, "no chat stream bodies: the corpus is missing"
    fn = CONTENDERS[name]()
    benchmark.extra_info["bytes"] = TOTAL
    benchmark.extra_info["bodies"] = len(BODIES)
    results = benchmark(fn)
    assert len(results) == len(BODIES)
    if name == "pyfantasy-c-kernel-only":   # C's records: the text they hold
        check_c_kernel(results, expected, name)
        return
    if name != "openai-sdk-accumulate":  # the SDK's snapshot is not a fantasy message
        check("openai-chat", results, expected, name)


def _raw_kernel_runs():
    """The raw C contenders: name -> run() returning how many records (or chunks) came out."""
    from pyfantasy._kernels.native.decoders import _CHAT_VARIANTS
    from pyfantasy._kernels.native import ffi, lib, owned
    from pyfantasy._kernels.native.scan import compiled_spec
    from pyfantasy._providers.openai_chat import STREAM_SPEC
    jobs = [(b, _CHAT_VARIANTS[v]) for b, v in BODIES]
    out = ffi.new("pf_dec_out *")

    def new_per_body():
        parts = 0
        for body, variant in jobs:
            d = lib.pf_chat_new(variant)
            assert lib.pf_dec_feed(d, body, len(body), 1, out) == 0 and out.status == 0
            parts += out.nparts
            lib.pf_dec_free(d)
        return parts

    decoders = {v: owned(lib.pf_chat_new(v), lib.pf_dec_free, "chat decoder") for v in set(_CHAT_VARIANTS.values())}
    whole_jobs = [(decoders[v], b, len(b)) for b, v in jobs]

    def whole():
        values = 0
        for d, body, n in whole_jobs:
            got = lib.pf_dec_whole(d, body, n, out)
            assert got > 0
            values += got
        return values

    scanner = owned(lib.pf_scan_new(compiled_spec(STREAM_SPEC), lib.PF_SCAN_SSE, b"[DONE]", 6, 1),
                    lib.pf_scan_free, "scanner")
    lib.pf_scan_records_only(scanner)   # the records, as the decoders read them: no JSON text
    sout = ffi.new("pf_scan_out *")

    def scan_only():
        chunks = 0
        for body, _ in jobs:
            lib.pf_scan_reset(scanner)
            assert lib.pf_scan_feed(scanner, body, len(body), 1, sout) == 0
            chunks += sout.nchunks
        return chunks
    return {"decoder-new-per-body": new_per_body, "decoder-whole": whole, "scan-only": scan_only}


@pytest.mark.benchmark(group="decode-raw-c-kernel")
@pytest.mark.parametrize("name", ["decoder-new-per-body", "decoder-whole", "scan-only"])
def bench_decode_raw_c_kernel(benchmark, name):
    """C alone over the chat stream bodies: bytes in, records out, no Python object per body."""
    if not native_available():
        pytest.skip("native extension not built")
    run = _raw_kernel_runs()[name]
    benchmark.extra_info["bytes"] = TOTAL
    assert benchmark(run) > len(BODIES)

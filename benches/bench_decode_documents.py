"""Decoding non-streaming bodies of every wire format to final messages, side by side.

Input: every non-streaming 2xx body of the corpus (chat completions, Responses,
Anthropic, Bedrock invoke, Gemini), each with its own format. Contenders:
``pyfantasy-native`` / ``pyfantasy-python`` (``decode_body(body, fmt, False)``)
and the straightforward pipelines a user writes (``orjson`` / ``json`` and the
fields picked from the dicts). Every contender is checked body by body on text,
tool names and output tokens. ``pyfantasy-c-kernel-only``: the native backend's C
alone (``pipelines.c_kernel_only``), no Python object built: the ceiling of any
Python layer on today's C kernel, checked on the text its records hold. Target
(issue 9): pyfantasy native >= 2x the fastest pure-Python pipeline.
"""
from __future__ import annotations

import json
from functools import lru_cache

import pytest

from data import document_bodies
from helpers import skip_without_corpus
from pipelines import c_kernel_only, check_c_kernel, document_summary, response_document_summary
from pyfantasy._kernels import native_available
from pyfantasy.decode import decode_body

BODIES = document_bodies()  # [(body, fmt, variant)]
TOTAL = sum(len(b) for b, _, _ in BODIES)


def pyfantasy_run(backend):
    def run():
        return [decode_body(b, fmt, False, backend, variant=v or None) for b, fmt, v in BODIES]
    return run


def dicts_run(loads):
    def run():
        return [document_summary(fmt, loads(b)) for b, fmt, _ in BODIES]
    return run


@lru_cache(maxsize=None)
def expected_responses():
    return pyfantasy_run("python")()


@lru_cache(maxsize=None)
def expected():
    return [response_document_summary(fmt, r) for (_, fmt, _), r in zip(BODIES, expected_responses())]


CONTENDERS = {
    "pyfantasy-native": lambda: pyfantasy_run("native"),
    "pyfantasy-python": lambda: pyfantasy_run("python"),
    "pyfantasy-c-kernel-only": lambda: c_kernel_only(BODIES, True),
    "orjson+dicts": lambda: dicts_run(pytest.importorskip("orjson").loads),
    "json+dicts": lambda: dicts_run(json.loads),
}


@pytest.mark.benchmark(group="decode-documents")
@pytest.mark.parametrize("name", list(CONTENDERS))
def bench_decode_documents(benchmark, name):
    if name in ("pyfantasy-native", "pyfantasy-c-kernel-only") and not native_available():
        pytest.skip("native extension not built")
    skip_without_corpus()
    assert BODIES, "no non-streaming bodies in the corpus"
    run = CONTENDERS[name]()
    benchmark.extra_info["bytes"] = TOTAL
    benchmark.extra_info["bodies"] = len(BODIES)
    results = benchmark(run)
    if name == "pyfantasy-c-kernel-only":
        check_c_kernel(results, expected_responses(), name, handed_back=len(BODIES) // 20)
        return
    got = [response_document_summary(fmt, r) for (_, fmt, _), r in zip(BODIES, results)] \
        if name.startswith("pyfantasy") else results
    bad = [k for k, (g, e) in enumerate(zip(got, expected())) if g != e]
    assert len(got) == len(BODIES) and not bad, f"{name}: differs from pyfantasy's python backend on {bad[:10]}"

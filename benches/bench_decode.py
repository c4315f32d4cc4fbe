"""Decoding whole chat-completion streams to final messages, side by side.

Input: every OpenAI chat-completions stream body of the corpus (155 bodies
of OpenAI, Azure, OpenRouter, Vercel, xAI, Groq, ...). Each contender turns
every body into its final message (text, reasoning, tool calls, finish
reason, usage); results are checked against pyfantasy's so a broken path
cannot look fast. Targets (ratios in one run): pyfantasy native >= 10x the
fastest pure-Python pipeline (httpx-sse + orjson + dict assembly); pyfantasy
python >= 1x httpx-sse + json.loads + dict assembly. The openai SDK's own
accumulation (ChatCompletionStreamState) is shown beside them.
"""
from __future__ import annotations

import codecs
import json

import pytest

from data import chat_stream_bodies
from pyfantasy._backend import native_available
from pyfantasy.bench import ASSEMBLERS
from pyfantasy.decode import decode_body

BODIES = chat_stream_bodies()  # [(body bytes, variant)]
TOTAL = sum(len(b) for b, _ in BODIES)


def pyfantasy_run(backend):
    def run():
        return [decode_body(b, "openai-chat", True, backend, variant=v) for b, v in BODIES]
    return run


def httpx_sse_run(loads):
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder

    def run():
        out = []
        for body, _ in BODIES:
            text = codecs.getincrementaldecoder("utf-8")(errors="replace")
            lines, dec, chunks = SSELineDecoder(), SSEDecoder(), []
            for line in lines.decode(text.decode(body, final=True)) + lines.flush():
                ev = dec.decode(line)
                if ev is not None and ev.data and not ev.data.startswith("[DONE]"):
                    chunks.append(loads(ev.data))
            out.append(ASSEMBLERS["openai-chat"](chunks))
        return out
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


CONTENDERS = {
    "pyfantasy-native": lambda: pyfantasy_run("native"),
    "pyfantasy-python": lambda: pyfantasy_run("python"),
    "httpx-sse+orjson+dicts": lambda: httpx_sse_run(_orjson_loads()),
    "httpx-sse+json+dicts": lambda: httpx_sse_run(json.loads),
    "openai-sdk-accumulate": openai_sdk_run,
}


def _texts(results):
    out = []
    for r in results:
        if isinstance(r, dict):
            out.append(r["text"])
        elif hasattr(r, "content"):
            out.append("".join(p.text for p in (r.content or []) if p.type == "text"))
        else:
            out.append(None)
    return out


@pytest.mark.benchmark(group="decode-chat-streams")
@pytest.mark.parametrize("name", list(CONTENDERS))
def bench_decode_chat_streams(benchmark, name):
    if name == "pyfantasy-native" and not native_available():
        pytest.skip("native extension not built")
    fn = CONTENDERS[name]()
    benchmark.extra_info["bytes"] = TOTAL
    benchmark.extra_info["bodies"] = len(BODIES)
    results = benchmark(fn)
    assert len(results) == len(BODIES)
    if name.startswith(("pyfantasy", "httpx")):
        expected = _texts(pyfantasy_run("python")())
        got = _texts(results)
        # the naive assembly keeps text fantasy splits into parts: compare joined text
        assert got == expected

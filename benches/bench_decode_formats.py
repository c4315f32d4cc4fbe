"""Decoding whole streams of each other streaming format to final messages, side by side.

One group per wire format, over every stream body of that format in the
corpus (read in place):

- ``decode-anthropic-streams``: Anthropic Messages SSE, direct and Vertex;
- ``decode-responses-streams``: OpenAI Responses SSE;
- ``decode-google-streams``: Gemini ``streamGenerateContent?alt=sse`` (Gemini API and Vertex);
- ``decode-bedrock-streams``: Bedrock ``invoke-with-response-stream`` AWS event-stream bodies.

Contenders turn every body into its final message:

- ``pyfantasy-native`` / ``pyfantasy-python``: ``decode_body(body, fmt, True, backend)``;
- ``pyfantasy-c-kernel-only``: the native backend's C alone (``pipelines.c_kernel_only``: what
  ``decode_body`` runs before it builds any Python object), the most any Python layer on
  today's C kernel could reach; checked on the text its records hold;
- ``whole-body+orjson+dicts`` / ``whole-body+json+dicts``: the fastest straightforward
  pipeline: the whole body's ``data:`` lines split on bytes, parsed, folded into dicts;
- ``httpx-sse+json+dicts`` / ``httpx-sse+orjson+dicts``: httpx-sse's line and
  event decoders, each event's data parsed and folded into plain dicts (text,
  reasoning, tool calls, finish reason, usage), the pipeline people write by
  hand; for Bedrock ``botocore+json+dicts`` / ``botocore+orjson+dicts``:
  botocore's ``EventStreamBuffer`` framing, base64 payloads decoded and parsed;
- the official SDK's own parsing, what its stream helpers do per event:
  ``anthropic-sdk`` (``SSEDecoder``, ``construct_type(RawMessageStreamEvent)``,
  ``accumulate_event``, the core of ``MessageStream``; on Bedrock after the
  SDK's ``AWSEventStreamDecoder``), ``openai-sdk`` (``SSEDecoder``,
  ``construct_type(ResponseStreamEvent)``, ``ResponseStreamState.handle_event``)
  and ``google-genai`` (its SSE line reader, the Gemini-API/Vertex dict
  conversion and ``GenerateContentResponse`` per chunk, parts collected).

Every pipeline's results are checked body by body against pyfantasy's python
backend on text, tool calls and output tokens (``pipelines.check``); the SDKs'
(whose objects are not fantasy messages) on their final text. Target (issue
9): pyfantasy native >= 2x the fastest pure-Python pipeline of the group.
"""
from __future__ import annotations

import base64
import json
from functools import lru_cache

import pytest

from data import stream_bodies
from pipelines import c_kernel_only, check, check_c_kernel, httpx_sse, whole_body
from pyfantasy._kernels import native_available
from pyfantasy.bench import ASSEMBLERS, reference_events
from pyfantasy.decode import decode_body

GROUPS = {
    "anthropic": "decode-anthropic-streams",
    "openai-responses": "decode-responses-streams",
    "google": "decode-google-streams",
    "bedrock": "decode-bedrock-streams",
}
BODIES = {fmt: stream_bodies(fmt) for fmt in GROUPS}  # fmt -> [(body bytes, variant, url)]


# ---- final text of each kind of result (outside the timing) --------------------------

def _text_parts(parts) -> str:
    return "".join(p.text for p in parts or () if getattr(p, "type", None) == "text")


def _pyfantasy_text(resp) -> str:
    return _text_parts(resp.content)


def _anthropic_dict_text(msg: dict) -> str:
    return "".join(b.get("text", "") for b in msg.get("content") or () if b.get("type") == "text")


def _dict_text(d: dict) -> str:
    return d["text"]


# ---- pyfantasy -------------------------------------------------------------------------

def pyfantasy_run(fmt, backend):
    bodies = BODIES[fmt]

    def run():
        return [decode_body(b, fmt, True, backend, variant=v or None) for b, v, _ in bodies]
    return run, _pyfantasy_text


@lru_cache(maxsize=None)
def expected_responses(fmt):
    return pyfantasy_run(fmt, "python")[0]()


@lru_cache(maxsize=None)
def expected_texts(fmt):
    return [_pyfantasy_text(r) for r in expected_responses(fmt)]


def c_kernel_run(fmt):
    return c_kernel_only([(b, fmt, v) for b, v, _ in BODIES[fmt]], False), None


def whole_body_run(fmt, loads):
    return whole_body(fmt, [b for b, _, _ in BODIES[fmt]], loads), None


# ---- hand-written dict assembly: pyfantasy.bench's (what `pyfantasy bench` runs too) ----------

ASSEMBLE = {"anthropic": (ASSEMBLERS["anthropic"], _anthropic_dict_text),
            "openai-responses": (ASSEMBLERS["openai-responses"], _dict_text),
            "google": (ASSEMBLERS["google"], _dict_text)}


def httpx_sse_run(fmt, loads):
    return httpx_sse(fmt, [b for b, _, _ in BODIES[fmt]], loads), None


def botocore_run(loads):
    from botocore.eventstream import EventStreamBuffer
    bodies = BODIES["bedrock"]
    b64 = base64.b64decode

    def run():
        out = []
        for body, _, _ in bodies:
            buf, objs = EventStreamBuffer(), []
            buf.add_data(body)
            for msg in buf:
                payload = loads(msg.payload)
                if "bytes" in payload:
                    objs.append(loads(b64(payload["bytes"])))
            out.append(ASSEMBLERS["bedrock"](objs))
        return out
    return run, _anthropic_dict_text


# ---- the official SDKs' own parsing --------------------------------------------------------

def _anthropic_accumulate(sses):
    """What ``anthropic.MessageStream`` does per server-sent event (``Stream.__stream__`` then
    ``accumulate_event``): ping skipped, Messages events built and folded into the snapshot."""
    from anthropic._models import construct_type
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent
    snapshot, json_bufs = None, {}
    for sse in sses:
        if sse.event in ("message_start", "message_delta", "message_stop", "content_block_start",
                         "content_block_delta", "content_block_stop"):
            event = construct_type(type_=RawMessageStreamEvent, value=sse.json())
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    return snapshot


def _anthropic_snapshot_text(snapshot) -> str:
    return _text_parts(snapshot.content) if snapshot is not None else ""


def anthropic_sdk_run():
    pytest.importorskip("anthropic")
    from anthropic._streaming import SSEDecoder
    bodies = BODIES["anthropic"]

    def run():
        return [_anthropic_accumulate(SSEDecoder().iter_bytes(iter([body]))) for body, _, _ in bodies]
    return run, _anthropic_snapshot_text


def anthropic_bedrock_sdk_run():
    pytest.importorskip("anthropic")
    pytest.importorskip("botocore")
    from anthropic.lib.bedrock._stream_decoder import AWSEventStreamDecoder
    bodies = BODIES["bedrock"]

    def run():
        return [_anthropic_accumulate(AWSEventStreamDecoder().iter_bytes(iter([body]))) for body, _, _ in bodies]
    return run, _anthropic_snapshot_text


def openai_responses_sdk_run():
    pytest.importorskip("openai")
    from openai import omit
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    from openai.lib.streaming.responses import ResponseStreamState
    from openai.types.responses import ResponseStreamEvent
    bodies = BODIES["openai-responses"]

    def run():
        out = []
        for body, _, _ in bodies:
            state = ResponseStreamState(input_tools=omit, text_format=omit)
            for sse in SSEDecoder().iter_bytes(iter([body])):
                if sse.data.startswith("[DONE]"):
                    break
                state.handle_event(construct_type(type_=ResponseStreamEvent, value=sse.json()))
            out.append(state)
        return out

    def text_of(state) -> str:
        resp = state._completed_response or state._ResponseStreamState__current_snapshot
        return resp.output_text if resp is not None else ""
    return run, text_of


def google_genai_run():
    pytest.importorskip("google.genai")
    from google.genai import types
    from google.genai._api_client import _iter_sse_lines
    from google.genai.models import _GenerateContentResponse_from_mldev, _GenerateContentResponse_from_vertex
    from_response = types.GenerateContentResponse._from_response
    # the SDK's conversion depends on the client: Vertex for aiplatform hosts, the Gemini API otherwise
    jobs = [(body, _GenerateContentResponse_from_vertex if "aiplatform.googleapis.com" in url
             else _GenerateContentResponse_from_mldev) for body, _, url in BODIES["google"]]

    def run():
        out = []
        for body, convert in jobs:
            # HttpResponse._iter_response_stream: "data: " lines buffered up to a blank line
            datas, buf = [], []
            for line in _iter_sse_lines(iter([body])):
                if not line:
                    if buf:
                        datas.append("\n".join(buf))
                        buf = []
                elif line.startswith("data: "):
                    buf.append(line[6:])
            if buf:
                datas.append("\n".join(buf))
            parts = []
            for data in datas:  # Models.generate_content_stream, per chunk
                r = from_response(response=convert(json.loads(data), None, None), kwargs={})
                for c in r.candidates or ():
                    if c.content and c.content.parts:
                        parts.extend(c.content.parts)
            out.append(parts)
        return out

    def text_of(parts) -> str:
        return "".join(p.text for p in parts if p.text is not None and not p.thought)
    return run, text_of


# ---- the groups --------------------------------------------------------------------------------

def _orjson_loads():
    return pytest.importorskip("orjson").loads


def _httpx(fmt, loads):
    pytest.importorskip("httpx_sse")
    return httpx_sse_run(fmt, loads() if loads is _orjson_loads else loads)


def _botocore(loads):
    pytest.importorskip("botocore")
    return botocore_run(loads() if loads is _orjson_loads else loads)


def _sse_contenders(fmt, sdk_name, sdk):
    return {
        "pyfantasy-native": lambda: pyfantasy_run(fmt, "native"),
        "pyfantasy-python": lambda: pyfantasy_run(fmt, "python"),
        "pyfantasy-c-kernel-only": lambda: c_kernel_run(fmt),
        "whole-body+orjson+dicts": lambda: whole_body_run(fmt, _orjson_loads()),
        "whole-body+json+dicts": lambda: whole_body_run(fmt, json.loads),
        "httpx-sse+orjson+dicts": lambda: _httpx(fmt, _orjson_loads),
        "httpx-sse+json+dicts": lambda: _httpx(fmt, json.loads),
        sdk_name: sdk,
    }


CONTENDERS = {
    "anthropic": _sse_contenders("anthropic", "anthropic-sdk", anthropic_sdk_run),
    "openai-responses": _sse_contenders("openai-responses", "openai-sdk", openai_responses_sdk_run),
    "google": _sse_contenders("google", "google-genai", google_genai_run),
    "bedrock": {
        "pyfantasy-native": lambda: pyfantasy_run("bedrock", "native"),
        "pyfantasy-python": lambda: pyfantasy_run("bedrock", "python"),
        "pyfantasy-c-kernel-only": lambda: c_kernel_run("bedrock"),
        "botocore+orjson+dicts": lambda: _botocore(_orjson_loads),
        "botocore+json+dicts": lambda: _botocore(json.loads),
        "anthropic-sdk": anthropic_bedrock_sdk_run,
    },
}


@lru_cache(maxsize=None)
def _events(fmt) -> int:
    return sum(reference_events(b, fmt, True) for b, _, _ in BODIES[fmt])


def _bench(benchmark, fmt, name):
    bodies = BODIES[fmt]
    if not bodies:
        pytest.skip(f"no {fmt} stream bodies in the corpus")
    if name in ("pyfantasy-native", "pyfantasy-c-kernel-only") and not native_available():
        pytest.skip("native extension not built")
    run, text_of = CONTENDERS[fmt][name]()
    benchmark.extra_info["bytes"] = sum(len(b) for b, _, _ in bodies)
    benchmark.extra_info["events"] = _events(fmt)
    benchmark.extra_info["bodies"] = len(bodies)
    results = benchmark(run)
    assert len(results) == len(bodies)
    if name == "pyfantasy-c-kernel-only":   # C's records: the text they hold
        check_c_kernel(results, expected_responses(fmt), name)
    elif name.endswith("-sdk") or name == "google-genai":  # SDK objects: their final text
        expected = expected_texts(fmt)
        assert any(expected), "the check needs some text to compare"
        got = [text_of(r) for r in results]
        bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
        assert not bad, f"{name}: final text differs from pyfantasy's on bodies {bad[:10]}"
    else:
        check(fmt, results, expected_responses(fmt), name)


@pytest.mark.benchmark(group=GROUPS["anthropic"])
@pytest.mark.parametrize("name", list(CONTENDERS["anthropic"]))
def bench_decode_anthropic_streams(benchmark, name):
    _bench(benchmark, "anthropic", name)


@pytest.mark.benchmark(group=GROUPS["openai-responses"])
@pytest.mark.parametrize("name", list(CONTENDERS["openai-responses"]))
def bench_decode_responses_streams(benchmark, name):
    _bench(benchmark, "openai-responses", name)


@pytest.mark.benchmark(group=GROUPS["google"])
@pytest.mark.parametrize("name", list(CONTENDERS["google"]))
def bench_decode_google_streams(benchmark, name):
    _bench(benchmark, "google", name)


@pytest.mark.benchmark(group=GROUPS["bedrock"])
@pytest.mark.parametrize("name", list(CONTENDERS["bedrock"]))
def bench_decode_bedrock_streams(benchmark, name):
    _bench(benchmark, "bedrock", name)

"""The contenders: a ``Contender`` per way of decoding a workload (pyfantasy's two backends, the
hand-written pipelines, the SDKs, plain JSON parsers), each making a run function and its check."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from pyfantasy._tools.bench.frontends import (EventCounter, bytes_sse_data, eventstream_reader, httpx_sse_data,
                                              json_objects)
from pyfantasy._tools.bench.pipelines import ASSEMBLERS, assemble_anthropic
from pyfantasy._tools.bench.sdks import anthropic_any, google_genai, openai_any
from pyfantasy._tools.bench.summaries import document_summary, summarize
from pyfantasy._tools.bench.workload import Workload, request_tools

RunFn = Callable[[], Any]


@dataclass
class Contender:
    """A way to decode a workload. ``make(workload) -> (run, counter[, verify])``
    where ``run()`` processes every body once and returns the events it
    processed, or, with ``verify``, a result that ``verify(result) -> (events,
    problem)`` checks outside the timing (pyfantasy: each Response must equal
    the python backend's). ``make`` raises ImportError when its library is
    missing. ``applies`` says which workloads (format, stream) it serves."""

    name: str
    dist: Optional[str]
    applies: Callable[[Workload], bool]
    make: Callable[[Workload], tuple]
    kind: str = "peer"     # "pyfantasy" or "peer"


def _pyfantasy(backend: str) -> Callable[[Workload], tuple]:
    def make(wl: Workload):
        from pyfantasy._kernels import resolve
        from pyfantasy.decode import StreamDecoder, decode_body
        resolve(backend)  # BackendUnavailableError (an ImportError) when native is not built
        if wl.pyfantasy_reason:
            raise NotImplementedError(wl.pyfantasy_reason)
        counter = EventCounter()
        jobs = [(b, ch, request_tools(b.format, b.request_body)) for b, ch in zip(wl.bodies, wl.chunks)]

        if wl.stream:
            def run() -> list:
                out = []
                for b, chunks, tools in jobs:
                    dec = StreamDecoder(b.format, backend, variant=b.variant or None, url=b.url, tools=tools)
                    for c in chunks:
                        dec.feed(c)
                    out.append(dec.close())
                return out
        else:
            def run() -> list:
                return [decode_body(b.data, b.format, False, backend, variant=b.variant or None, url=b.url,
                                    tools=tools) for b, _, tools in jobs]

        def verify(responses: list) -> Tuple[int, str]:
            """Every Response equals the python backend's (computed by ``collect``)."""
            n = 0
            for b, resp in zip(wl.bodies, responses):
                if b.expected is not None and resp.to_json_bytes() != b.expected:
                    return n, f"{b.where}: the Response differs from the python backend's"
                n += b.events
            return n, ""
        return run, counter, verify
    return make


def _loads(name: str) -> Callable[[Any], Any]:
    """The JSON parser a hand-written pipeline uses: ``orjson`` (ImportError when missing) or ``json``."""
    if name == "orjson":
        import orjson
        return orjson.loads
    return json.loads


def _check_results(wl: Workload, results: Sequence[Any], counter: EventCounter,
                   summary: Callable[[str, Any], Dict[str, Any]]) -> Tuple[int, str]:
    """``verify`` of a hand-written pipeline: each body's result summarizes as the python
    backend's Response does (text, tool calls, output tokens)."""
    for b, got in zip(wl.bodies, results):
        if b.summary is not None and summary(b.format, got) != b.summary:
            return counter.events, (f"{b.where}: the result differs from pyfantasy's "
                                    f"({summary(b.format, got)} != {b.summary})")
    return counter.events, ""


def _sse_pipeline(front: str, loads_name: str) -> Callable[[Workload], Tuple[RunFn, EventCounter]]:
    def make(wl: Workload):
        loads = _loads(loads_name)
        split: Callable[[Sequence[bytes], EventCounter], Iterator[Any]]
        if front == "httpx-sse":
            import httpx_sse  # noqa: F401  (ImportError when missing)
            split = httpx_sse_data
        else:
            split = bytes_sse_data
        assemble = ASSEMBLERS[wl.format]
        counter = EventCounter()
        chunk_lists = wl.chunks

        def run() -> list:
            counter.events = 0
            return [assemble(json_objects(split(chunks, counter), loads)) for chunks in chunk_lists]
        return run, counter, lambda results: _check_results(wl, results, counter, summarize)
    return make


def _botocore_pipeline(loads_name: str):
    def make(wl: Workload):
        loads = _loads(loads_name)
        counter = EventCounter()
        chunk_lists = wl.chunks
        datas = eventstream_reader(counter, loads)

        def run() -> list:
            counter.events = 0
            return [assemble_anthropic(datas(chunks)) for chunks in chunk_lists]
        return run, counter, lambda results: _check_results(wl, results, counter, summarize)
    return make


def _document(loads_name: str):
    def make(wl: Workload):
        loads = _loads(loads_name)
        counter = EventCounter()
        docs = [b.data for b in wl.bodies]

        def run() -> list:
            counter.events = len(docs)
            return [loads(d) for d in docs]
        return run, counter, lambda results: _check_results(wl, results, counter, document_summary)
    return make


def _sse_stream(wl: Workload) -> bool:
    return wl.stream and wl.format != "bedrock"


def contenders() -> List[Contender]:
    """Every contender pyfantasy knows, in table order."""
    return [
        Contender("pyfantasy-native", None, lambda w: True, _pyfantasy("native"), "pyfantasy"),
        Contender("pyfantasy-python", None, lambda w: True, _pyfantasy("python"), "pyfantasy"),
        Contender("httpx-sse+json", "httpx-sse", _sse_stream, _sse_pipeline("httpx-sse", "json")),
        Contender("httpx-sse+orjson", "httpx-sse", _sse_stream, _sse_pipeline("httpx-sse", "orjson")),
        Contender("orjson-bytes", "orjson", _sse_stream, _sse_pipeline("bytes", "orjson")),
        Contender("openai-sdk", "openai", lambda w: w.format in ("openai-chat", "openai-responses"),
                  openai_any),
        Contender("anthropic-sdk", "anthropic",
                  lambda w: w.format == "anthropic" or (w.stream and w.format == "bedrock"), anthropic_any),
        Contender("google-genai", "google-genai", lambda w: w.stream and w.format == "google", google_genai),
        Contender("botocore+json", "botocore", lambda w: w.stream and w.format == "bedrock",
                  _botocore_pipeline("json")),
        Contender("botocore+orjson", "botocore", lambda w: w.stream and w.format == "bedrock",
                  _botocore_pipeline("orjson")),
        Contender("json", None, lambda w: not w.stream, _document("json")),
        Contender("orjson", "orjson", lambda w: not w.stream, _document("orjson")),
    ]

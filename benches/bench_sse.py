"""SSE decoding throughput, side by side: pyfantasy native/python vs httpx-sse vs openai's decoder.

Input: all corpus SSE bodies concatenated, fed in 4 KiB chunks (what a
socket read gives). Every contender must produce the same event count.
Targets (ratios in the same run): native >= 3x httpx-sse, python >= 1x.

``sse-corpus-4KiB`` times the decoders alone: ``SSEDecoder.feed`` against
httpx-sse's line and event decoders driven inline (no generator, no
``rstrip`` per line: faster than httpx-sse runs them itself).
``sse-httpx-response`` times what a drop-in user runs: each library's
``EventSource(response).iter_sse()`` over the same chunks as an httpx
response body, so both pay httpx's byte iteration and a generator per event.
"""
from __future__ import annotations

import codecs

import pytest

from data import chunks, sse_stream
from pyfantasy._kernels import native_available
from pyfantasy.sse import SSEDecoder

STREAM = sse_stream()
CHUNKS = chunks(STREAM)


def run_pyfantasy(backend):
    def run():
        dec = SSEDecoder(backend)
        n = 0
        for c in CHUNKS:
            n += len(dec.feed(c))
        return n + len(dec.close())
    return run


def run_httpx_sse():
    from httpx_sse._decoders import SSEDecoder as HDecoder, SSELineDecoder
    # What httpx_sse.EventSource.iter_sse does over response.iter_text().
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    dec = HDecoder()
    n = 0
    for c in CHUNKS:
        for line in lines.decode(text.decode(c)):
            if dec.decode(line) is not None:
                n += 1
    for line in lines.flush():
        if dec.decode(line) is not None:
            n += 1
    return n


def run_openai():
    from openai._streaming import SSEDecoder as ODecoder
    return sum(1 for _ in ODecoder().iter_bytes(iter(CHUNKS)))


EXPECTED = run_pyfantasy("python")()

CONTENDERS = {
    "pyfantasy-native": lambda: run_pyfantasy("native"),
    "pyfantasy-python": lambda: run_pyfantasy("python"),
    "httpx-sse": lambda: run_httpx_sse,
    "openai-sdk": lambda: run_openai,
}


@pytest.mark.benchmark(group="sse-corpus-4KiB")
@pytest.mark.parametrize("name", list(CONTENDERS))
def bench_sse_corpus(benchmark, name):
    if name == "pyfantasy-native" and not native_available():
        pytest.skip("native extension not built")
    fn = CONTENDERS[name]()
    benchmark.extra_info["bytes"] = len(STREAM)
    benchmark.extra_info["events"] = EXPECTED
    n = benchmark(fn)
    # httpx-sse also dispatches blocks without data lines (a spec deviation), so it may count more
    assert n >= EXPECTED if name == "httpx-sse" else n == EXPECTED


def test_contenders_agree_on_corpus():
    """The events (not only counts) of pyfantasy equal openai's decoder on the corpus."""
    from openai._streaming import SSEDecoder as ODecoder
    ours = [(e.event, e.data) for e in _all("python")]
    theirs = [(e.event or "message", e.data) for e in ODecoder().iter_bytes(iter(CHUNKS))]
    assert ours == theirs
    if native_available():
        assert _all("native") == _all("python")


def _all(backend):
    dec = SSEDecoder(backend)
    out = []
    for c in CHUNKS:
        out += dec.feed(c)
    return out + dec.close()


def _response():
    """An httpx response whose body streams the corpus chunks (no network)."""
    import httpx

    class Chunks(httpx.SyncByteStream):
        def __iter__(self):
            return iter(CHUNKS)

    return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Chunks())


def _api_run(name):
    """Count the events of ``EventSource(response).iter_sse()``, httpx-sse's or pyfantasy's on
    the backend the contender's name ends with."""
    if name == "httpx-sse":
        from httpx_sse import EventSource
        args = ()
    else:
        from pyfantasy.sse import EventSource
        args = (name.rpartition("-")[2],)

    def run():
        n = 0
        for _ in EventSource(_response(), *args).iter_sse():
            n += 1
        return n
    return run


@pytest.mark.benchmark(group="sse-httpx-response")
@pytest.mark.parametrize("name", ["pyfantasy-native", "pyfantasy-python", "httpx-sse"])
def bench_sse_httpx_response(benchmark, name):
    pytest.importorskip("httpx")
    pytest.importorskip("httpx_sse")
    if name == "pyfantasy-native" and not native_available():
        pytest.skip("native extension not built")
    benchmark.extra_info["bytes"] = len(STREAM)
    benchmark.extra_info["events"] = EXPECTED
    assert benchmark(_api_run(name)) == EXPECTED


BIG = STREAM * max(1, (64 << 20) // max(1, len(STREAM)))  # ~64 MB


@pytest.mark.benchmark(group="sse-raw-c-kernel")
def bench_sse_raw_c_kernel(benchmark):
    """The C state machine alone on one large buffer: no Python object per event.

    The decoder is reused across rounds (its buffers keep their capacity), as a
    long-lived stream would; target >= 1.5 GB/s."""
    if not native_available():
        pytest.skip("native extension not built")
    from pyfantasy._kernels.native import ffi, lib
    s = ffi.gc(lib.pf_sse_new(), lib.pf_sse_free)
    out = ffi.new("pf_sse_out *")
    buf = ffi.from_buffer(BIG)

    def run():
        assert lib.pf_sse_feed(s, buf, len(BIG), 0, out) == 0
        return out.nev

    benchmark.extra_info["bytes"] = len(BIG)
    n = benchmark(run)
    assert n == EXPECTED * (len(BIG) // len(STREAM))

"""Adapters of ``pyfantasy.sse``: ``iter_events``, ``aiter_events`` and ``iter_sse``.

What: the adapters give exactly what ``SSEDecoder`` gives for feed() of every
chunk + close() (same events, including the one a final CR completes), they
are lazy (an event comes out before later chunks are pulled), and
``iter_sse(response)`` is a drop-in for httpx-sse's ``EventSource(response)
.iter_sse()``: over an ``httpx.MockTransport`` streamed body it yields events
with the same ``event``/``data``/``id`` as httpx-sse on streams where
httpx-sse is spec-correct (every block carries data, no
``retry``, no BOM, valid UTF-8, no blank line after a block that has only
ids/comments).

Async tests run with ``asyncio.run`` (no plugin).
"""
from __future__ import annotations

import asyncio
import gzip

import httpx
import httpx_sse
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pyfantasy.sse import Event, SSEDecoder, aiter_events, iter_events, iter_sse


def tup(ev):
    return (ev.event, ev.data, ev.id, ev.retry)


def decoder_events(chunks, backend):
    dec = SSEDecoder(backend=backend)
    out = []
    for chunk in chunks:
        out.extend(dec.feed(chunk))
    out.extend(dec.close())
    return [tup(e) for e in out]


STREAMS = [
    pytest.param([b"data: a\n\n", b"data: b\n\n"], id="two-events"),
    pytest.param([b"data: a\n", b"\n"], id="blank-line-in-next-chunk"),
    pytest.param([b"data: a\r", b"\n\r", b"\n"], id="crlf-split"),
    pytest.param([b"data: a\n\r"], id="final-cr-completes-event"),
    pytest.param([b"\xef\xbb", b"\xbfid: 1\nevent: e\ndata: \xe2\x82", b"\xac\n\n"],
                 id="bom-and-utf8-split"),
    pytest.param([b"retry: 5\ndata: a\n\n", b"", b"data: b\n\ndata: c\n"], id="retry-and-tail"),
    pytest.param([], id="no-chunks"),
    pytest.param([b""], id="one-empty-chunk"),
]


# --------------------------------------------------------------------------
# iter_events
# --------------------------------------------------------------------------
@pytest.mark.parametrize("chunks", STREAMS)
def test_iter_events_equals_decoder(chunks, backend):
    got = [tup(e) for e in iter_events(chunks, backend=backend)]
    assert got == decoder_events(chunks, backend)


@pytest.mark.parametrize("chunks", STREAMS)
def test_iter_events_accepts_a_generator(chunks, backend):
    got = [tup(e) for e in iter_events((c for c in chunks), backend=backend)]
    assert got == decoder_events(chunks, backend)


@pytest.mark.native  # the default backend
def test_iter_events_default_backend():
    got = list(iter_events([b"data: a\n\n"]))
    assert got == [Event("message", "a", "", None)]
    assert all(isinstance(e, Event) for e in got)


def test_iter_events_final_cr(backend):
    assert [tup(e) for e in iter_events([b"data: a\r\r"], backend=backend)] == [
        ("message", "a", "", None)]


def test_iter_events_is_lazy(backend):
    pulled = []

    def chunks():
        pulled.append(1)
        yield b"data: a\n\n"
        pulled.append(2)
        yield b"data: b\n\n"
        pulled.append(3)
        raise AssertionError("pulled past the end the test asked for")

    it = iter(iter_events(chunks(), backend=backend))
    assert tup(next(it)) == ("message", "a", "", None)
    assert pulled == [1]
    assert tup(next(it)) == ("message", "b", "", None)
    assert pulled == [1, 2]


def test_iter_events_incomplete_block_not_dispatched(backend):
    assert list(iter_events([b"data: a\n\ndata: b\n", b"data: c"], backend=backend)) == [
        Event("message", "a", "", None)]


# --------------------------------------------------------------------------
# aiter_events
# --------------------------------------------------------------------------
async def _agen(chunks):
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


async def _acollect(chunks, backend):
    return [tup(e) async for e in aiter_events(_agen(chunks), backend=backend)]


@pytest.mark.parametrize("chunks", STREAMS)
def test_aiter_events_equals_decoder(chunks, backend):
    assert asyncio.run(_acollect(chunks, backend)) == decoder_events(chunks, backend)


def test_aiter_events_is_lazy(backend):
    pulled = []

    async def chunks():
        pulled.append(1)
        yield b"data: a\n\n"
        pulled.append(2)
        yield b"data: b\n\n"
        raise AssertionError("pulled past the end the test asked for")

    async def main():
        it = aiter_events(chunks(), backend=backend).__aiter__()
        first = await it.__anext__()
        assert tup(first) == ("message", "a", "", None)
        assert pulled == [1]
        second = await it.__anext__()
        assert tup(second) == ("message", "b", "", None)
        assert pulled == [1, 2]

    asyncio.run(main())


def test_aiter_events_final_cr(backend):
    assert asyncio.run(_acollect([b"data: a\n", b"\r"], backend)) == [("message", "a", "", None)]


# --------------------------------------------------------------------------
# iter_sse over httpx, against httpx-sse
# --------------------------------------------------------------------------
def _client(chunks, headers=None):
    """A client whose every request gets ``chunks`` as a streamed text/event-stream body."""
    def handler(request):
        return httpx.Response(
            200, headers=headers or {"content-type": "text/event-stream"},
            content=(c for c in chunks))  # a generator: the body is streamed
    return httpx.Client(transport=httpx.MockTransport(handler))


def ours(chunks, backend, headers=None):
    with _client(chunks, headers) as client:
        with client.stream("GET", "http://test/sse") as response:
            return [tup(e) for e in iter_sse(response, backend=backend)]


def theirs(chunks, headers=None):
    with _client(chunks, headers) as client:
        with client.stream("GET", "http://test/sse") as response:
            return [(e.event, e.data, e.id)
                    for e in httpx_sse.EventSource(response).iter_sse()]


# Streams on which httpx-sse follows the spec.
COMPAT_STREAMS = [
    pytest.param([b"data: YHOO\ndata: +2\ndata: 10\n\n"], id="whatwg-stock"),
    pytest.param([b": test stream\n\ndata: first event\nid: 1\n\n",
                  b"data:second event\nid\n\ndata:  third event\n\n"], id="whatwg-ids"),
    pytest.param([b"data:test\n\ndata: test\n\n"], id="whatwg-space"),
    pytest.param([b"event: add\ndata: 73857293\n\nevent: remove\n", b"data: 2153\n\n"],
                 id="whatwg-event-types"),
    pytest.param([b"data: a\r\n\r\ndata: b\r", b"\ndata: c\r\n\r\n"], id="crlf-split"),
    pytest.param([b"data: a\r\rdata: b\rdata: c\r\r"], id="cr"),
    pytest.param([b"data: \xe2\x82", b"\xac\xf0\x9f\x98", b"\x80\n", b"\n"], id="utf8-split"),
    pytest.param([b"id: 7\ndata: a\n\ndata: b\n\nid: 8\nevent: x\ndata: c\n\n"],
                 id="ids-persist"),
    pytest.param([b"data\n\ndata\ndata\n\n"], id="field-without-colon"),
    pytest.param([b"data: a\n", b"data: b\n", b"\ndata: incomplete\n"], id="incomplete-tail"),
    pytest.param([b"data: x" * 1000 + b"\n\n"] * 3, id="long-lines"),
]


@pytest.mark.parametrize("chunks", COMPAT_STREAMS)
def test_iter_sse_matches_httpx_sse(chunks, backend):
    got = ours(chunks, backend)
    assert [(e, d, i) for e, d, i, _ in got] == theirs(chunks)
    assert got == decoder_events(chunks, backend)


def test_iter_sse_yields_events(backend):
    with _client([b"retry: 3\nid: 1\nevent: e\ndata: d\n\n"]) as client:
        with client.stream("GET", "http://test/sse") as response:
            got = list(iter_sse(response, backend=backend))
    assert got == [Event("e", "d", "1", 3)]


def test_iter_sse_final_cr_and_retry_in_force(backend):
    # Spec behaviour where httpx-sse differs (retry stays in force): compare to
    # the decoder only.
    chunks = [b"retry: 5\n\ndata: a\n\r"]
    assert ours(chunks, backend) == [("message", "a", "", 5)]


def test_iter_sse_gzip_content_encoding(backend):
    # iter_sse must read the decoded body (iter_bytes), as httpx-sse's iter_text does.
    body = b"id: 1\ndata: a\n\nevent: e\ndata: \xc3\xa9\n\n"
    z = gzip.compress(body)
    chunks = [z[:10], z[10:20], z[20:]]
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    got = ours(chunks, backend, headers)
    assert got == [("message", "a", "1", None), ("e", "\xe9", "1", None)]
    assert [(e, d, i) for e, d, i, _ in got] == theirs(chunks, headers)


# httpx-sse-compatible random streams: every block has a data line, no retry,
# ASCII/valid UTF-8 values, no comments-only or id-only blocks.
_value = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                 max_size=8).map(lambda s: s.encode("utf-8"))
_eol = st.sampled_from([b"\n", b"\r", b"\r\n"])


@st.composite
def _compat_stream(draw):
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        sep = draw(st.sampled_from([b":", b": ", b""]))
        # "data" with no colon is a data line only when nothing follows the name.
        fields = [b"data" + sep + (draw(_value) if sep else b"")]
        for extra in draw(st.lists(st.sampled_from(["data", "event", "id", "comment"]),
                                   max_size=3)):
            v = draw(_value)
            if extra == "comment":
                fields.append(b":" + v)
            elif extra == "id":
                if b"\x00" not in v:
                    fields.append(b"id: " + v)
            else:
                fields.append(extra.encode() + b": " + v)
        fields = draw(st.permutations(fields))
        for f in fields:
            parts.append(f + draw(_eol))
        parts.append(draw(_eol))
    stream = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    bounds = [0] + cuts + [len(stream)]
    return [stream[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_compat_stream())
def test_iter_sse_matches_httpx_sse_random(backend, chunks):
    got = ours(chunks, backend)
    assert [(e, d, i) for e, d, i, _ in got] == theirs(chunks)

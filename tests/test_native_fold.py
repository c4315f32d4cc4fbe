"""The fold of whole bodies in C (pf_dec_whole): the step's content records == the stream parts.

``decode_body`` reads a whole body with one C call that also folds the stream parts as
fantasy's agent does (each text and reasoning block joined into one content record at its
end part; tool input parts dropped). The Response made from those records must be the one
``PartReader.response`` makes from the same body's stream parts, and a body the fold leaves
alone (an error part, more than ``PF_WHOLE_OPEN`` blocks open at once) keeps its parts.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import document_in_c, falls_back, interaction, interactions, needs_corpus
from pyfantasy import DecodeError
from pyfantasy.decode import _format, _variant
from test_decode_differential import check, sse_body, splits, texts

pytestmark = pytest.mark.needs_native  # conftest: skip (or fail when required) without the extension


def _by_parts(body: bytes, fmt: str, variant: str, document: bool = False):
    """The Response (or error) from the body's stream parts, without the fold."""
    from pyfantasy._kernels.native.decoders import PartReader
    reader = PartReader(("document:" if document else "") + fmt, variant)
    try:
        return ("ok", reader.response(reader.feed(body, True), None, document).to_json())
    except DecodeError as e:
        return ("error", e.kind, e.message, e.offset, e.response.to_json() if e.response is not None else None)


def _by_fold(body: bytes, fmt: str, variant: str, document: bool = False):
    """The Response (or error) through pf_dec_whole, and whether the fold took the body."""
    from pyfantasy._kernels.native.decoders import HEAD_N, PartReader
    reader = PartReader(("document:" if document else "") + fmt, variant)
    recs = reader.whole(body)
    assert recs is not None, "the body was handed back to Python"
    try:
        resp = reader.content(recs, None, document) if reader.folded else \
            reader.response(recs, None, document, HEAD_N)
        return ("ok", resp.to_json()), bool(reader.folded)
    except DecodeError as e:
        return ("error", e.kind, e.message, e.offset, e.response.to_json() if e.response is not None else None), \
            bool(reader.folded)


def _same(body: bytes, fmt: str, variant: str = "", document: bool = False) -> bool:
    got, folded = _by_fold(body, fmt, variant, document)
    assert got == _by_parts(body, fmt, variant, document)
    return folded


# ---- the corpus: every stream and document the C machines read ---------------------------------

@needs_corpus
@pytest.mark.parametrize("fmt", ["openai-chat", "anthropic", "openai-responses", "google", "bedrock"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "document"])
def test_corpus_fold_equals_parts(fmt, stream):
    """Every corpus body a C machine reads: the same Response folded or not, and folded
    unless it holds an error part."""
    n = folded = 0
    for p in interactions(fmt, stream):
        it = interaction(*p.values)
        body = it.response.body_bytes
        variant = _variant(_format(fmt), None, it.request.url)
        if falls_back(body, fmt, variant) if stream else not document_in_c(body, fmt, variant):
            continue
        n += 1
        got, was_folded = _by_fold(body, fmt, variant, not stream)
        assert got == _by_parts(body, fmt, variant, not stream), p.id
        assert was_folded or got[0] == "error", p.id
        folded += was_folded
    assert n, "no corpus body of this kind reaches C"


# ---- shapes ----------------------------------------------------------------------------------

def _anthropic(*events) -> bytes:
    out = [b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[],'
           b'"usage":{"input_tokens":1}}}\n\n']
    for ev in events:
        out.append(b"event: " + ev["type"].encode() + b"\ndata: " + json.dumps(ev).encode() + b"\n\n")
    out.append(b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
               b'"usage":{"output_tokens":3}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n')
    return b"".join(out)


def _start(i, kind="text"):
    block = {"type": "text", "text": ""} if kind == "text" else {"type": "thinking", "thinking": "", "signature": ""}
    return {"type": "content_block_start", "index": i, "content_block": block}


def _delta(i, text, kind="text"):
    delta = {"type": "text_delta", "text": text} if kind == "text" else \
        {"type": "thinking_delta", "thinking": text} if kind == "thinking" else \
        {"type": "signature_delta", "signature": text}
    return {"type": "content_block_delta", "index": i, "delta": delta}


def _stop(i):
    return {"type": "content_block_stop", "index": i}


SHAPES = {
    "interleaved": _anthropic(_start(0), _start(1), _delta(0, "a"), _delta(1, "b"), _delta(0, "c"), _stop(1), _stop(0)),
    "restarted": _anthropic(_start(0), _delta(0, "lost"), _start(0), _delta(0, "kept"), _stop(0)),
    "stop without start": _anthropic(_stop(3), _start(0), _delta(0, "x"), _stop(0), _stop(0)),
    "never stopped": _anthropic(_start(0), _delta(0, "dropped"), _start(1), _delta(1, "kept"), _stop(1)),
    "thinking and signature": _anthropic(_start(0, "thinking"), _delta(0, "th", "thinking"),
                                         _delta(0, "ink", "thinking"), _delta(0, "sig", "signature"), _stop(0),
                                         _start(1), _delta(1, "é世😀"), _stop(1)),
    "empty block": _anthropic(_start(0), _stop(0)),
    "text and thinking under one index": _anthropic(_start(0), _delta(0, "t"), _start(0, "thinking"),
                                                    _delta(0, "r", "thinking"), _stop(0)),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_fold_shapes(name):
    assert _same(SHAPES[name], "anthropic")
    check(SHAPES[name], "anthropic", [7, 100])


def test_many_open_blocks_keep_their_parts():
    """More blocks open at once than the fold tracks: the stream parts are read as they are."""
    n = 17
    body = _anthropic(*[_start(i) for i in range(n)], *[_delta(i, str(i)) for i in range(n)],
                      *[_stop(i) for i in reversed(range(n))])
    assert not _same(body, "anthropic")
    fewer = _anthropic(*[_start(i) for i in range(16)], *[_delta(i, str(i)) for i in range(16)],
                       *[_stop(i) for i in range(16)])
    assert _same(fewer, "anthropic")
    check(body, "anthropic", [])


def test_error_part_keeps_the_parts_and_the_partial_response():
    full = _anthropic(_start(0), _delta(0, "partial"))
    body = full[:full.index(b"event: message_delta")] + \
        b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    got, folded = _by_fold(body, "anthropic", "")
    assert not folded and got == _by_parts(body, "anthropic", "") and got[0] == "error"
    check(body, "anthropic", [])


# ---- random block sequences over many indices (beyond PF_WHOLE_OPEN open at once) -----------------

@st.composite
def block_events(draw):
    """Starts, deltas and stops of text and thinking blocks over indices 0..19, in any order."""
    evs = []
    for _ in range(draw(st.integers(0, 40))):
        i, kind = draw(st.integers(0, 19)), draw(st.sampled_from(["text", "thinking"]))
        op = draw(st.integers(0, 3))
        if op == 0:
            evs.append(_start(i, kind))
        elif op == 1:
            evs.append(_stop(i))
        else:
            evs.append(_delta(i, draw(texts), draw(st.sampled_from([kind, kind, "signature"]))))
    return [(ev["type"], json.dumps(ev).encode()) for ev in evs]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block_events().flatmap(lambda evs: sse_body(evs, False)), splits)
def test_random_blocks_fold_as_parts(body, cuts):
    head = b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[]}}\n\n'
    _same(head + body, "anthropic")
    check(head + body, "anthropic", cuts)


# ---- a scan row's figures from the records (decode_fields), without the Response ----------------

def _figures(resp) -> tuple:
    """What a scan row reads of a Response: finish, usage, metadata, text length, tool calls."""
    parts = resp.content or ()
    return (resp.finish_reason, resp.usage, resp.provider_metadata,
            sum(len(p.text) for p in parts if p.type == "text"), sum(1 for p in parts if p.type == "tool-call"))


def _fields_agree(body: bytes, fmt: str, stream: bool, variant: str = "") -> bool:
    """``decode_fields`` gives the figures of ``decode_body``'s Response, or None; never figures
    for a body ``decode_body`` refuses. True when it gave them."""
    from pyfantasy.decode import decode_body, decode_fields
    got = decode_fields(body, fmt, stream, "native", variant=variant or None)
    try:
        resp = decode_body(body, fmt, stream, "native", variant=variant or None)
    except DecodeError:
        assert got is None
        return False
    if got is None:
        return False
    assert tuple(got) == _figures(resp)
    return True


@needs_corpus
@pytest.mark.parametrize("fmt", ["openai-chat", "anthropic", "openai-responses", "google", "bedrock"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "document"])
def test_corpus_fields_equal_the_response(fmt, stream):
    """Every corpus body: the figures without the Response are the Response's; and most bodies
    (all but the errors and those C hands back) get them that way."""
    n = took = 0
    for p in interactions(fmt, stream):
        it = interaction(*p.values)
        if it.response.code >= 400:
            continue
        n += 1
        took += _fields_agree(it.response.body_bytes, fmt, stream, _variant(_format(fmt), None, it.request.url))
    assert n and took >= n * 0.8, (took, n)


def _corpus_bodies():
    from helpers import _index
    return [(rel, iid, wf.format, wf.stream) for rel, iid, wf in _index()
            if wf.format in ("openai-chat", "anthropic", "openai-responses", "google", "bedrock")]


@needs_corpus
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_bodies_fields_equal_the_response(data):
    """Corpus bodies cut short, with bytes changed or events dropped: the figures are the
    Response's, or None (where decode_body raises, always None)."""
    rel, iid, fmt, stream = data.draw(st.sampled_from(_corpus_bodies()))
    it = interaction(rel, iid)
    body = bytearray(it.response.body_bytes)
    for _ in range(data.draw(st.integers(0, 3))):
        if not body:
            break
        k = data.draw(st.integers(0, len(body) - 1))
        op = data.draw(st.sampled_from(["cut", "flip", "drop-line", "dup-line"]))
        if op == "cut":
            del body[k:]
        elif op == "flip":
            body[k] = data.draw(st.sampled_from(b'"\\{}[],:0a\xff\n '))
        else:
            start = body.rfind(b"\n", 0, k) + 1
            end = body.find(b"\n", k)
            end = len(body) if end < 0 else end + 1
            if op == "drop-line":
                del body[start:end]
            else:
                body[start:start] = body[start:end]
    _fields_agree(bytes(body), fmt, stream, _variant(_format(fmt), None, it.request.url))

"""Every SSE body of the shared corpus: same events on both backends under any chunking."""
from __future__ import annotations

import random

import pytest

from helpers import CORPUS, corpus_files, needs_corpus
from pyfantasy.sse import SSEDecoder


def _sse_bodies():
    from pyfantasy.cassette import load
    out = []
    for path in corpus_files():
        for it in load(path).interactions:
            ctype = " ".join(it.response.headers.get("Content-Type", []))
            if "text/event-stream" in ctype and isinstance(it.response.body, str):
                out.append(pytest.param(it.response.body.encode("utf-8"),
                                        id=f"{path.relative_to(CORPUS)}#{it.id}"))
    return out


BODIES = _sse_bodies() if CORPUS.is_dir() else []


def _decode(body: bytes, backend: str, cuts) -> tuple:
    dec = SSEDecoder(backend)
    events, prev = [], 0
    for cut in list(cuts) + [len(body)]:
        events += dec.feed(body[prev:cut])
        prev = cut
    events += dec.close()
    return events, dec.last_event_id, dec.retry


@needs_corpus
def test_corpus_has_sse_bodies():
    assert len(BODIES) > 250


@needs_corpus
@pytest.mark.parametrize("body", BODIES)
def test_corpus_body_chunking(body, backend):
    whole = _decode(body, "python", [])
    assert whole[0], "every recorded stream has events"
    rnd = random.Random(len(body))
    for _ in range(3):
        cuts = sorted(rnd.sample(range(1, len(body)), min(len(body) - 1, rnd.randint(1, 60))))
        assert _decode(body, backend, cuts) == whole
    # 1-byte feeds for the first KiB, then 7-byte feeds: cuts inside every CRLF and UTF-8 sequence
    cuts = list(range(1, min(len(body), 1024))) + list(range(1024, len(body), 7))
    assert _decode(body, backend, cuts) == whole


@needs_corpus
@pytest.mark.parametrize("body", BODIES)
def test_corpus_body_matches_openai_sdk_decoder(body):
    """An independent decoder (the openai SDK's) sees the same event types and data."""
    # the openai SDK is a test dependency: if it moves its (private) decoder, this fails, not skips
    from openai._streaming import SSEDecoder
    theirs = [(e.event or "message", e.data) for e in SSEDecoder().iter_bytes(iter([body]))]
    ours = [(e.event, e.data) for e in _decode(body, "python", [])[0]]
    assert ours == theirs


@pytest.mark.needs_native
@needs_corpus
def test_corpus_concatenated_native_equals_python():
    stream = b"".join(p.values[0] for p in BODIES)
    cuts = range(4096, len(stream), 4096)
    assert _decode(stream, "native", cuts) == _decode(stream, "python", cuts)

"""Benchmark inputs: the corpus's SSE bodies (read from ../shared/corpus, never copied).

The SSE benches fall back to a seeded synthetic stream when the corpus is
absent, so they still run (with a note in the report) on a fresh clone
elsewhere; the decode benches skip instead (nothing to decode), and in CI a
missing corpus stops the run (tests/helpers.py check_session_environment).
"""
from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import List

import pytest
import yaml

from helpers import CORPUS, ROOT, missing_corpus

CHUNK = 4096


class _Loader(yaml.CSafeLoader):
    pass


_Loader.yaml_implicit_resolvers = {}


def _is_sse(resp: dict) -> bool:
    ctype = " ".join((resp.get("headers") or {}).get("Content-Type") or [])
    return "text/event-stream" in ctype


@lru_cache(maxsize=None)
def corpus_sse_bodies() -> List[bytes]:
    """Every text/event-stream response body of the corpus, in path order."""
    bodies = []
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*.yaml")):
            doc = yaml.load(path.read_bytes(), Loader=_Loader)
            for it in doc.get("interactions") or []:
                resp = it["response"]
                body = resp.get("body")
                if _is_sse(resp) and isinstance(body, str) and body:
                    bodies.append(body.encode("utf-8"))
    return bodies


def synthetic_sse(n_events: int = 20000, seed: int = 42) -> bytes:
    """OpenAI- and Anthropic-shaped deltas, LF and CRLF, for when the corpus is absent."""
    rnd = random.Random(seed)
    words = ["Olá", "hello", "tool", "weather", "Florence", "40", "😊", "\\n", "é"]
    out = []
    for i in range(n_events):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 6)))
        if i % 2:
            out.append(f'data: {{"choices":[{{"index":0,"delta":{{"content":"{text}"}}}}]}}\n\n')
        else:
            out.append('event: content_block_delta\r\n'
                       f'data: {{"type":"content_block_delta","delta":{{"text":"{text}"}}}}\r\n\r\n')
    return "".join(out).encode("utf-8")


@lru_cache(maxsize=None)
def sse_stream() -> bytes:
    """All corpus SSE bodies concatenated (each ends with a blank line)."""
    bodies = corpus_sse_bodies()
    if not bodies:
        return synthetic_sse()
    # normalise: make sure every body ends its last event, so concatenation keeps event counts
    return b"".join(b if b.endswith((b"\n\n", b"\r\n\r\n")) else b + b"\n\n" for b in bodies)


def _corpus_cassettes() -> List[Path]:
    """The corpus's cassettes; a missing corpus skips the caller (a module, when called at import)."""
    problem = missing_corpus()
    if problem:
        pytest.skip(problem, allow_module_level=True)
    return sorted(CORPUS.rglob("*.yaml"))


def chunks(data: bytes, size: int = CHUNK) -> List[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@lru_cache(maxsize=None)
def chat_stream_bodies():
    """Every chat-completions stream body of the corpus, with its fantasy variant."""
    import sys
    sys.path.insert(0, str(ROOT))
    from pyfantasy.cassette import load
    from pyfantasy.decode import detect_format
    out = []
    for path in _corpus_cassettes():
        for it in load(path).interactions:
            wf = detect_format(it)
            if wf.format == "openai-chat" and wf.stream:
                out.append((it.response.body_bytes, wf.variant))
    return out


@lru_cache(maxsize=None)
def stream_bodies(fmt: str):
    """Every stream body of wire format ``fmt`` in the corpus: [(body bytes, variant, url)].

    ``fmt`` is one of pyfantasy's format names: ``anthropic`` (direct and
    Vertex), ``openai-responses``, ``google`` (Gemini API and Vertex) or
    ``bedrock`` (the AWS event-stream bytes of the ``!!binary`` bodies).
    """
    import sys
    sys.path.insert(0, str(ROOT))
    from pyfantasy.cassette import load
    from pyfantasy.decode import detect_format
    out = []
    for path in _corpus_cassettes():
        for it in load(path).interactions:
            wf = detect_format(it)
            if wf.format == fmt and wf.stream:
                out.append((it.response.body_bytes, wf.variant, it.request.url))
    return out


@lru_cache(maxsize=None)
def document_bodies():
    """Every non-streaming 2xx body of the corpus pyfantasy decodes: [(body, format, variant)]."""
    import sys
    sys.path.insert(0, str(ROOT))
    from pyfantasy import DecodeError
    from pyfantasy.cassette import load
    from pyfantasy.decode import decode_body, detect_format
    out = []
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*.yaml")):
            for it in load(path).interactions:
                wf = detect_format(it)
                body = it.response.body_bytes
                if wf.format == "unknown" or wf.stream or it.response.code >= 400 or not body:
                    continue
                try:
                    decode_body(body, wf.format, False, "python", variant=wf.variant or None)
                except DecodeError:
                    continue
                out.append((body, wf.format, wf.variant))
    return out

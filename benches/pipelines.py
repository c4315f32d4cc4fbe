"""The peers every decode group is measured against, and the check of what each produced.

- ``whole_body(fmt, loads)``: the fastest straightforward pipeline a user writes: split
  the whole body's ``data:`` lines on bytes, ``loads`` each (orjson or json), fold the
  events into dicts with ``pyfantasy.bench.ASSEMBLERS`` (the same folds ``pyfantasy
  bench`` runs).
- ``httpx_sse(fmt, loads)``: httpx-sse's line and event decoders, then the same folds.
- ``check(fmt, results, expected)``: every contender's results, body by body, against
  pyfantasy's python backend on text, tool calls and output tokens
  (``pyfantasy.bench.summarize``), so a fast path that dropped any of them fails.
"""
from __future__ import annotations

import codecs
from typing import Any, Callable, List, Sequence

from pyfantasy.bench import ASSEMBLERS, document_summary, response_document_summary, summarize  # noqa: F401


def split_data(body: bytes) -> List[bytes]:
    """The ``data:`` payloads of a whole SSE body (LF or CRLF lines), ``[DONE]`` dropped."""
    out = []
    for line in body.split(b"\n"):
        if line[:5] == b"data:":
            d = line[5:].strip()
            if d and d != b"[DONE]":
                out.append(d)
    return out


def whole_body(fmt: str, bodies: Sequence[bytes], loads: Callable[[Any], Any]) -> Callable[[], list]:
    assemble = ASSEMBLERS[fmt]

    def run() -> list:
        return [assemble([loads(d) for d in split_data(body)]) for body in bodies]
    return run


def httpx_sse(fmt: str, bodies: Sequence[bytes], loads: Callable[[Any], Any]) -> Callable[[], list]:
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    assemble = ASSEMBLERS[fmt]

    def run() -> list:
        out = []
        for body in bodies:
            text = codecs.getincrementaldecoder("utf-8")(errors="replace")
            lines, dec, objs = SSELineDecoder(), SSEDecoder(), []
            for line in lines.decode(text.decode(body, final=True)) + lines.flush():
                ev = dec.decode(line)
                if ev is not None and ev.data and not ev.data.startswith("[DONE]"):
                    objs.append(loads(ev.data))
            out.append(assemble(objs))
        return out
    return run


def check(fmt: str, results: Sequence[Any], expected: Sequence[Any], name: str) -> None:
    """Every result summarizes as pyfantasy's python backend's does, body by body."""
    assert len(results) == len(expected), f"{name}: {len(results)} results for {len(expected)} bodies"
    for k, (got, want) in enumerate(zip(results, expected)):
        g, w = summarize(fmt, got), summarize(fmt, want)
        assert g == w, f"{name}, body {k}: {g} != {w}"


# ---- non-streaming bodies: pyfantasy.bench.document_summary / response_document_summary

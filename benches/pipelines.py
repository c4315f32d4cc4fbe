"""The peers every decode group is measured against, and the check of what each produced.

- ``whole_body(fmt, loads)``: the fastest straightforward pipeline a user writes: split
  the whole body's ``data:`` lines on bytes, ``loads`` each (orjson or json), fold the
  events into dicts with ``pyfantasy.bench.ASSEMBLERS`` (the same folds ``pyfantasy
  bench`` runs).
- ``httpx_sse(fmt, loads)``: httpx-sse's line and event decoders, then the same folds.
- ``check(fmt, results, expected)``: every contender's results, body by body, against
  pyfantasy's python backend on text, tool calls and output tokens
  (``pyfantasy.bench.summarize``), so a fast path that dropped any of them fails.
- ``c_kernel_only(jobs, document)``: pyfantasy's C alone, the ceiling of any Python layer on
  it; ``check_c_kernel`` holds its records' text to the python backend's.
- ``document_summary`` / ``response_document_summary`` (non-streaming bodies): re-exported
  from ``pyfantasy.bench``.
"""
from __future__ import annotations

import codecs
from typing import Any, Callable, List, Optional, Sequence

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


# ---- pyfantasy's C kernel alone: the ceiling of any Python layer on it -------------------

def c_kernel_only(jobs: Sequence[tuple], document: bool) -> Callable[[], list]:
    """What ``decode_body`` runs on the native backend before it builds any Python object: one
    ``pf_dec_whole`` per body, its records and text arena copied out (``PartReader.whole``).
    No Response is made, so no Python layer on today's C can beat it: a group where it is not
    2x the fastest peer needs a faster C kernel, whatever Python does. ``jobs``: [(body,
    format, variant)] as ``decode_body`` is given them; results: (records, arena) per body."""
    from pyfantasy.decode import _format, _variant
    from pyfantasy._kernels.native.decoders import _reader
    prefix = "document:" if document else ""
    readers = [(body, _reader(prefix + fmt, _variant(_format(fmt), variant or None, None)))
               for body, fmt, variant in jobs]

    def run() -> list:
        return [(rd.whole(body), rd.arena) for body, rd in readers]
    return run


def c_kernel_text(result: tuple) -> Optional[str]:
    """The text of the Response a ``c_kernel_only`` result stands for (its text records joined),
    or None when the C side handed the body back (the Python machine would decode it)."""
    from pyfantasy._kernels.native.decoders import HEAD_N, TEXT_CONTENT, W
    records, arena = result
    if records is None or not records[0]:
        return None
    return "".join(arena[records[i + 3]:records[i + 3] + records[i + 4]].decode("utf-8", "replace")
                   for i in range(HEAD_N, len(records), W) if records[i] == TEXT_CONTENT)


def check_c_kernel(results: Sequence[tuple], expected: Sequence[Any], name: str, handed_back: int = 0) -> None:
    """``c_kernel_only``'s results against the python backend's Responses, body by body: the
    text their records hold is the Response's. At most ``handed_back`` bodies may be handed
    back (they cost their C work only there: still a ceiling)."""
    texts = [c_kernel_text(r) for r in results]
    assert len(texts) == len(expected), f"{name}: {len(texts)} results for {len(expected)} bodies"
    assert any(r.text for r in expected), "the check needs some text to compare"
    bad = [k for k, (t, r) in enumerate(zip(texts, expected)) if t is not None and t != r.text]
    assert not bad, f"{name}: text differs from pyfantasy's on bodies {bad[:10]}"
    assert texts.count(None) <= handed_back, f"{name}: {texts.count(None)} bodies handed back"

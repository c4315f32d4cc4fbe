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

from pyfantasy.bench import ASSEMBLERS, summarize


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


# ---- non-streaming bodies ---------------------------------------------------------------

def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def document_summary(fmt: str, doc: Any) -> dict:
    """What a hand-written pipeline picks out of a parsed non-streaming body: text, tool
    names, output tokens (Gemini: none, fantasy reads its usage its own way)."""
    doc = _d(doc)
    if fmt == "openai-chat":
        msg = _d(_d((_l(doc.get("choices")) or [{}])[0]).get("message"))
        text = msg.get("content") if isinstance(msg.get("content"), str) else ""
        tools = [_d(_d(tc).get("function")).get("name", "") for tc in _l(msg.get("tool_calls"))]
        return {"text": text, "tools": tools, "output_tokens": _d(doc.get("usage")).get("completion_tokens") or 0}
    if fmt == "openai-responses":
        items = _l(doc.get("output"))
        text = "".join(c.get("text", "") for it in items if _d(it).get("type") == "message"
                       for c in _l(it.get("content")) if _d(c).get("type") == "output_text")
        tools = [it.get("name", "") for it in items if _d(it).get("type") == "function_call"]
        return {"text": text, "tools": tools, "output_tokens": _d(doc.get("usage")).get("output_tokens") or 0}
    if fmt in ("anthropic", "bedrock"):
        blocks = [_d(b) for b in _l(doc.get("content"))]
        return {"text": "".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                "tools": [b.get("name", "") for b in blocks if b.get("type") == "tool_use"],
                "output_tokens": _d(doc.get("usage")).get("output_tokens") or 0}
    if fmt == "google":
        parts = [_d(p) for c in _l(doc.get("candidates"))[:1] for p in _l(_d(_d(c).get("content")).get("parts"))]
        return {"text": "".join(p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought")),
                "tools": [_d(p.get("functionCall")).get("name", "") for p in parts if "functionCall" in p]}
    raise ValueError(fmt)


def response_document_summary(fmt: str, resp: Any) -> dict:
    """The same picks from a pyfantasy Response."""
    out = {"text": resp.text, "tools": [c.tool_name for c in resp.tool_calls if not c.provider_executed]}
    if fmt != "google":
        out["output_tokens"] = resp.usage.output_tokens
    return out

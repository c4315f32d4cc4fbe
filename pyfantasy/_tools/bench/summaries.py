"""What every contender's result is checked on (text, client tool calls, output tokens), taken from a
pyfantasy Response, an assembled dict or a parsed document, so peers are compared like for like."""
from __future__ import annotations

from typing import Any, Dict


def summarize(fmt: str, result: Any) -> Dict[str, Any]:
    """What one decode produced, in terms every contender can be checked on: the text,
    the client tool calls as ``(name, arguments)`` (arguments only where the peer keeps
    them as fantasy does) and the output tokens (where the peer reports them as fantasy
    does). ``result`` is a pyfantasy Response or one of the hand-written assemblies."""
    if hasattr(result, "content"):  # a pyfantasy Response
        calls = [c for c in result.tool_calls if not c.provider_executed]
        out: Dict[str, Any] = {"text": result.text}
        if fmt == "google":
            out["tools"] = [c.tool_name for c in calls]
        else:
            out["tools"] = [(c.tool_name, c.input) for c in calls]
            out["output_tokens"] = result.usage.output_tokens
        return out
    if fmt == "openai-chat":
        usage = result["usage"] if isinstance(result["usage"], dict) else {}
        return {"text": result["text"],
                "tools": [(t["name"], t["arguments"] or "{}") for _, t in sorted(result["tools"].items())],
                "output_tokens": usage.get("completion_tokens") or 0}
    if fmt == "openai-responses":
        usage = result["usage"] if isinstance(result["usage"], dict) else {}
        items = [it for it in result["items"].values() if isinstance(it, dict) and it.get("type") == "function_call"]
        return {"text": result["text"], "tools": [(it.get("name", ""), it.get("arguments") or "") for it in items],
                "output_tokens": usage.get("output_tokens") or 0}
    if fmt in ("anthropic", "bedrock"):
        blocks = result.get("content") or []
        usage = result.get("usage") if isinstance(result.get("usage"), dict) else {}
        return {"text": "".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
                "tools": [(b.get("name", ""), b.get("partial_json") or "{}") for b in blocks
                          if b.get("type") == "tool_use"],
                "output_tokens": usage.get("output_tokens") or 0}
    if fmt == "google":
        return {"text": result["text"], "tools": [c.get("name", "") for c in result["calls"]]}
    raise ValueError(f"no summary for {fmt!r}")


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def document_summary(fmt: str, doc: Any) -> Dict[str, Any]:
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


def response_document_summary(fmt: str, resp: Any) -> Dict[str, Any]:
    """``document_summary``'s picks from a pyfantasy Response."""
    out = {"text": resp.text, "tools": [c.tool_name for c in resp.tool_calls if not c.provider_executed]}
    if fmt != "google":
        out["output_tokens"] = resp.usage.output_tokens
    return out

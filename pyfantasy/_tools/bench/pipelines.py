"""The hand-written pipelines' dict assembly: each wire format's parsed events folded into a plain
dict (text, reasoning, tool calls, finish, usage), as people write it by hand (benches/ use these too)."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List


def assemble_chat(objs: Iterable[dict]) -> dict:
    text: List[str] = []
    reasoning: List[str] = []
    tools: Dict[int, Dict[str, Any]] = {}
    finish: Any = None
    usage: Any = None
    for ch in objs:
        if ch.get("usage"):
            usage = ch["usage"]
        for choice in ch.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                text.append(delta["content"])
            r = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(r, str):
                reasoning.append(r)
            for tc in delta.get("tool_calls") or ():
                slot = tools.setdefault(tc.get("index", 0), {"id": "", "name": "", "arguments": ""})
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["name"] = slot["name"] or fn.get("name") or ""
                slot["arguments"] += fn.get("arguments") or ""
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
    return {"text": "".join(text), "reasoning": "".join(reasoning), "tools": tools, "finish": finish,
            "usage": usage}


def assemble_responses(objs: Iterable[dict]) -> dict:
    text: List[str] = []
    reasoning: List[str] = []
    args: Dict[Any, str] = {}
    items: Dict[Any, Any] = {}
    final: Any = None
    for ev in objs:
        t = ev.get("type")
        if t == "response.output_text.delta":
            text.append(ev.get("delta") or "")
        elif t == "response.reasoning_summary_text.delta":
            reasoning.append(ev.get("delta") or "")
        elif t == "response.function_call_arguments.delta":
            args[ev.get("item_id")] = args.get(ev.get("item_id"), "") + (ev.get("delta") or "")
        elif t in ("response.output_item.added", "response.output_item.done"):
            item = ev.get("item") or {}
            items[item.get("id")] = item
        elif t in ("response.completed", "response.incomplete", "response.failed"):
            final = ev.get("response")
    return {"text": "".join(text), "reasoning": "".join(reasoning), "arguments": args, "items": items,
            "usage": (final or {}).get("usage"), "status": (final or {}).get("status")}


def assemble_anthropic(objs: Iterable[dict]) -> dict:
    msg: dict = {}
    blocks: Dict[int, dict] = {}
    for ev in objs:
        t = ev.get("type")
        if t == "content_block_delta":  # the common event first
            b = blocks.setdefault(ev.get("index", 0), {})
            d = ev.get("delta") or {}
            dt = d.get("type")
            if dt == "text_delta":
                b["text"] = b.get("text", "") + d.get("text", "")
            elif dt == "thinking_delta":
                b["thinking"] = b.get("thinking", "") + d.get("thinking", "")
            elif dt == "input_json_delta":
                b["partial_json"] = b.get("partial_json", "") + d.get("partial_json", "")
            elif dt == "signature_delta":
                b["signature"] = d.get("signature")
        elif t == "content_block_start":
            blocks[ev.get("index", 0)] = dict(ev.get("content_block") or {})
        elif t == "message_start":
            msg = dict(ev.get("message") or {})
        elif t == "message_delta":
            msg.update(ev.get("delta") or {})
            msg["usage"] = {**(msg.get("usage") or {}), **(ev.get("usage") or {})}
    msg["content"] = [blocks[k] for k in sorted(blocks)]
    return msg


def assemble_google(objs: Iterable[dict]) -> dict:
    text: List[str] = []
    thoughts: List[str] = []
    calls: List[Any] = []
    finish: Any = None
    usage: Any = None
    for ch in objs:
        if ch.get("usageMetadata"):
            usage = ch["usageMetadata"]
        for cand in ch.get("candidates") or ():
            for part in (cand.get("content") or {}).get("parts") or ():
                if "text" in part:
                    (thoughts if part.get("thought") else text).append(part["text"])
                elif "functionCall" in part:
                    calls.append(part["functionCall"])
            if cand.get("finishReason"):
                finish = cand["finishReason"]
    return {"text": "".join(text), "reasoning": "".join(thoughts), "calls": calls, "finish": finish,
            "usage": usage}


# The hand-written pipelines' assembly, per wire format (benches/ use these too).
ASSEMBLERS = {"openai-chat": assemble_chat, "openai-responses": assemble_responses,
              "anthropic": assemble_anthropic, "google": assemble_google, "bedrock": assemble_anthropic}

"""Write the bundled sample cassettes (pyfantasy/samples/*.yaml).

Synthetic but faithful recordings, one per wire format fantasy speaks, in
the exact layout Go's go-vcr recorder writes (pyfantasy.cassette does the
writing). The bodies follow each provider's real wire shape; the contents
are made up. Run: python scripts/make_samples.py
"""
from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

from pyfantasy.cassette import Cassette, Interaction, Request, Response

OUT = Path(__file__).resolve().parent.parent / "pyfantasy" / "samples"
UA = "Charm-Fantasy/0.41.2 (https://charm.land/fantasy)"
WEATHER_TOOL = {"type": "function", "function": {
    "name": "weather", "description": "Get weather information for a location",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}


def j(v) -> str:
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def sse(events, crlf=False) -> str:
    nl = "\r\n" if crlf else "\n"
    out = []
    for ev in events:
        if isinstance(ev, tuple):
            name, data = ev
            out.append(f"event: {name}{nl}data: {j(data)}{nl}{nl}")
        elif isinstance(ev, str):
            out.append(ev)
        else:
            out.append(f"data: {j(ev)}{nl}{nl}")
    return "".join(out)


def request(url: str, body: dict) -> Request:
    text = j(body)
    return Request(proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=len(text.encode()),
                   host="", body=text, url=url, method="POST",
                   headers={"Accept": ["application/json"], "Content-Type": ["application/json"],
                            "User-Agent": [UA]})


def response(body, ctype: str, stream: bool, ns: int) -> Response:
    r = Response(proto="HTTP/2.0", proto_major=2, proto_minor=0, content_length=-1 if stream else len(
        body if isinstance(body, bytes) else body.encode()), body=body, headers={"Content-Type": [ctype]},
        status="200 OK", code=200)
    r.duration_ns = ns
    return r


def cassette(path: str, pairs) -> None:
    cas = Cassette(interactions=[Interaction(id=i, request=rq, response=rs) for i, (rq, rs) in enumerate(pairs)])
    cas.save(OUT / path)


def chat_chunk(cid, delta, finish=None, **extra):
    return {"id": cid, "object": "chat.completion.chunk", "created": 1779000000, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}], **extra}


def openai_chat_tool_stream():
    url = "https://api.openai.com/v1/chat/completions"
    msgs = [{"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "What's the weather in Florence, Italy?"}]
    body1 = {"model": "gpt-4o", "messages": msgs, "tools": [WEATHER_TOOL], "stream": True,
             "stream_options": {"include_usage": True}}
    cid = "chatcmpl-Sample0001"
    args = ['{"', "location", '":"', "Flor", "ence", ",", " Italy", '"}']
    ev = [chat_chunk(cid, {"role": "assistant", "content": None, "tool_calls": [
        {"index": 0, "id": "call_sample_weather", "type": "function",
         "function": {"name": "weather", "arguments": ""}}]})]
    ev += [chat_chunk(cid, {"tool_calls": [{"index": 0, "function": {"arguments": a}}]}) for a in args]
    ev += [chat_chunk(cid, {}, "tool_calls"),
           {"id": cid, "object": "chat.completion.chunk", "created": 1779000000, "model": "gpt-4o-2024-08-06",
            "choices": [], "usage": {"prompt_tokens": 61, "completion_tokens": 16, "total_tokens": 77,
                                     "prompt_tokens_details": {"cached_tokens": 0},
                                     "completion_tokens_details": {"reasoning_tokens": 0}}},
           "data: [DONE]\n\n"]
    call = {"role": "assistant", "tool_calls": [{"id": "call_sample_weather", "type": "function",
                                                 "function": {"name": "weather", "arguments": '{"location":"Florence, Italy"}'}}]}
    body2 = dict(body1, messages=msgs + [call, {"role": "tool", "tool_call_id": "call_sample_weather",
                                                 "content": "40 C and sunny"}])
    cid2 = "chatcmpl-Sample0002"
    words = ["The", " weather", " in", " Florence", ",", " Italy", " is", " 40", "°C", " and", " sunny", " ☀️", "."]
    ev2 = [chat_chunk(cid2, {"role": "assistant", "content": ""})]
    ev2 += [chat_chunk(cid2, {"content": w}) for w in words]
    ev2 += [chat_chunk(cid2, {}, "stop"),
            {"id": cid2, "object": "chat.completion.chunk", "created": 1779000001, "model": "gpt-4o-2024-08-06",
             "choices": [], "usage": {"prompt_tokens": 98, "completion_tokens": 14, "total_tokens": 112,
                                      "prompt_tokens_details": {"cached_tokens": 0},
                                      "completion_tokens_details": {"reasoning_tokens": 0}}},
            "data: [DONE]\n\n"]
    cassette("openai_chat_tool_streaming.yaml", [
        (request(url, body1), response(sse(ev), "text/event-stream; charset=utf-8", True, 1214006291)),
        (request(url, body2), response(sse(ev2), "text/event-stream; charset=utf-8", True, 867210458))])


def openai_chat_simple():
    url = "https://api.openai.com/v1/chat/completions"
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi in Portuguese"}]}
    resp = {"id": "chatcmpl-Sample0003", "object": "chat.completion", "created": 1779000002, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Olá! Tudo bem?", "refusal": None,
                                                 "annotations": []}, "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17,
                      "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                    "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
            "service_tier": "default", "system_fingerprint": "fp_sample"}
    text = json.dumps(resp, indent=2, ensure_ascii=False) + "\n"
    cassette("openai_chat_simple.yaml", [(request(url, body), response(text, "application/json", False, 702311958))])


def openrouter_reasoning_stream():
    url = "https://openrouter.ai/api/v1/chat/completions"
    body = {"model": "x-ai/grok-3-mini", "messages": [{"role": "user", "content": "Say hi in Portuguese"}],
            "stream": True, "stream_options": {"include_usage": True}, "usage": {"include": True}}
    gid = "gen-1779000003-Sample"

    def ch(delta, finish=None, **extra):
        return {"id": gid, "provider": "xAI", "model": "x-ai/grok-3-mini", "object": "chat.completion.chunk",
                "created": 1779000003, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    thoughts = ["The user", " wants", " a greeting", " in Portuguese", ". \"Olá\"", " works", "."]
    ev = [": OPENROUTER PROCESSING\n\n", ": OPENROUTER PROCESSING\n\n"]
    ev += [ch({"role": "assistant", "content": "", "reasoning": t, "reasoning_details": [
        {"type": "reasoning.text", "text": t, "format": "unknown", "index": 0}]}) for t in thoughts]
    ev += [ch({"role": "assistant", "content": t}) for t in ["Olá", "!", " 👋"]]
    ev += [ch({"role": "assistant", "content": ""}, "stop"),
           ch({"role": "assistant", "content": ""}, "stop", usage={
               "prompt_tokens": 14, "completion_tokens": 38, "total_tokens": 52, "cost": 0.0000232,
               "is_byok": False, "prompt_tokens_details": {"cached_tokens": 0},
               "cost_details": {"upstream_inference_cost": None, "upstream_inference_prompt_cost": 0.0000042,
                                "upstream_inference_completions_cost": 0.000019},
               "completion_tokens_details": {"reasoning_tokens": 33}}),
           "data: [DONE]\n\n"]
    cassette("openrouter_reasoning_streaming.yaml",
             [(request(url, body), response(sse(ev), "text/event-stream", True, 1532870125))])


def anthropic_thinking_stream():
    url = "https://api.anthropic.com/v1/messages"
    body = {"max_tokens": 4096, "messages": [{"content": [{"text": "What's the weather in Florence, Italy?", "type": "text"}],
                                              "role": "user"}], "model": "claude-sonnet-4-20250514",
            "thinking": {"budget_tokens": 1024, "type": "enabled"}, "stream": True}
    mid = "msg_01SampleAnthropic"
    thinking = ["The user asks", " about Florence", ". I know", " it is hot", " today."]
    text = ["It", "'s about", " 40°C in", " Florence right", " now", " — stay", " hydrated!"]
    ev = [("message_start", {"type": "message_start", "message": {
        "id": mid, "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 52, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                  "output_tokens": 3}}}),
          ("content_block_start", {"type": "content_block_start", "index": 0,
                                   "content_block": {"type": "thinking", "thinking": "", "signature": ""}})]
    ev += [("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "thinking_delta", "thinking": t}}) for t in thinking]
    ev += [("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
        "type": "signature_delta", "signature": "EqQBCkYIBxgCKkBSampleSignatureOnlyForThePyfantasyDemo=="}}),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        ("content_block_start", {"type": "content_block_start", "index": 1,
                                 "content_block": {"type": "text", "text": ""}})]
    ev += [("ping", {"type": "ping"})]
    ev += [("content_block_delta", {"type": "content_block_delta", "index": 1,
                                    "delta": {"type": "text_delta", "text": t}}) for t in text]
    ev += [("content_block_stop", {"type": "content_block_stop", "index": 1}),
           ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                              "usage": {"output_tokens": 61}}),
           ("message_stop", {"type": "message_stop"})]
    cassette("anthropic_thinking_streaming.yaml",
             [(request(url, body), response(sse(ev), "text/event-stream; charset=utf-8", True, 2398114750))])


def responses_stream():
    url = "https://api.openai.com/v1/responses"
    body = {"input": [{"content": [{"text": "Say hi in Portuguese", "type": "input_text"}], "role": "user"}],
            "model": "gpt-4o", "store": False, "stream": True}
    rid, mid = "resp_0SampleResponses", "msg_0SampleResponses"
    base = {"id": rid, "object": "response", "created_at": 1779000004, "model": "gpt-4o-2024-08-06",
            "output": [], "status": "in_progress", "usage": None}
    words = ["Olá", "!", " Como", " vai", "?"]
    ev = [{"type": "response.created", "sequence_number": 0, "response": base},
          {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
           "item": {"id": mid, "type": "message", "status": "in_progress", "content": [], "role": "assistant"}},
          {"type": "response.content_part.added", "sequence_number": 2, "item_id": mid, "output_index": 0,
           "content_index": 0, "part": {"type": "output_text", "annotations": [], "text": ""}}]
    n = 3
    for w in words:
        ev.append({"type": "response.output_text.delta", "sequence_number": n, "item_id": mid, "output_index": 0,
                   "content_index": 0, "delta": w, "logprobs": []})
        n += 1
    full = "".join(words)
    item = {"id": mid, "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "annotations": [], "text": full}]}
    ev += [{"type": "response.output_text.done", "sequence_number": n, "item_id": mid, "output_index": 0,
            "content_index": 0, "text": full},
           {"type": "response.output_item.done", "sequence_number": n + 1, "output_index": 0, "item": item},
           {"type": "response.completed", "sequence_number": n + 2, "response": dict(
               base, status="completed", output=[item],
               usage={"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 7,
                      "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 19})}]
    events = [f"event: {e['type']}\ndata: {j(e)}\n\n" for e in ev]
    cassette("openai_responses_streaming.yaml",
             [(request(url, body), response("".join(events), "text/event-stream; charset=utf-8", True, 1023554083))])


def gemini_stream():
    url = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    body = {"contents": [{"parts": [{"text": "Say hi in Portuguese"}], "role": "user"}],
            "generationConfig": {"maxOutputTokens": 1000}, "systemInstruction": {"parts": [{"text": "Be brief"}], "role": "user"}}
    texts = ["Olá", "! Tudo bem", " com você?"]
    ev = []
    for k, t in enumerate(texts):
        chunk = {"candidates": [{"content": {"parts": [{"text": t}], "role": "model"}, "index": 0}],
                 "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": k + 1, "totalTokenCount": 10 + k},
                 "modelVersion": "gemini-2.5-flash", "responseId": "SampleGeminiResponse"}
        if k == len(texts) - 1:
            chunk["candidates"][0]["finishReason"] = "STOP"
        ev.append(chunk)
    req = request(url, body)
    req.form = {"alt": ["sse"]}
    cassette("gemini_streaming.yaml",
             [(req, response(sse(ev, crlf=True), "text/event-stream", True, 811092333))])


def _evstream_frame(headers: dict, payload: bytes) -> bytes:
    hb = b""
    for name, value in headers.items():
        nb, vb = name.encode(), value.encode()
        hb += struct.pack(">B", len(nb)) + nb + b"\x07" + struct.pack(">H", len(vb)) + vb
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hb))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    msg = prelude + hb + payload
    return msg + struct.pack(">I", zlib.crc32(msg) & 0xFFFFFFFF)


def bedrock_stream():
    url = ("https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0"
           "/invoke-with-response-stream")
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4096,
            "messages": [{"content": [{"text": "Say hi in Portuguese", "type": "text"}], "role": "user"}]}
    events = [{"type": "message_start", "message": {
        "id": "msg_bdrk_Sample", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
        "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 14, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}]
    events += [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}
               for t in ["Olá", "! Como posso", " ajudar?"]]
    events += [{"type": "content_block_stop", "index": 0},
               {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 12}},
               {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
                   "inputTokenCount": 14, "outputTokenCount": 12, "invocationLatency": 612, "firstByteLatency": 388}}]
    frames = b"".join(_evstream_frame(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        j({"bytes": base64.b64encode(j(e).encode()).decode(), "p": "abcdefghij"}).encode()) for e in events)
    cassette("bedrock_streaming.yaml",
             [(request(url, body), response(frames, "application/vnd.amazon.eventstream", True, 1402332541))])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    openai_chat_tool_stream()
    openai_chat_simple()
    openrouter_reasoning_stream()
    anthropic_thinking_stream()
    responses_stream()
    gemini_stream()
    bedrock_stream()
    print("\n".join(sorted(p.name for p in OUT.glob("*.yaml"))))


if __name__ == "__main__":
    main()

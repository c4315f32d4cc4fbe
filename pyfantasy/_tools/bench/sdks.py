"""The provider SDKs as contenders: openai, anthropic and google-genai decoding and accumulating
streams (and building their models from documents) as their clients' ``stream()`` calls do."""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List

from pyfantasy._tools.bench.frontends import EventCounter, eventstream_reader
from pyfantasy._tools.bench.workload import Workload


def _openai_sdk(wl: Workload):
    from openai._models import construct_type
    from openai._streaming import SSEDecoder
    counter = EventCounter()
    chunk_lists = wl.chunks
    if wl.format == "openai-chat":
        from openai.lib.streaming.chat import ChatCompletionStreamState
        from openai.types.chat import ChatCompletionChunk

        def handle(state, data):
            state.handle_chunk(construct_type(type_=ChatCompletionChunk, value=data))
        new_state = ChatCompletionStreamState
    else:
        from openai import omit
        from openai.lib.streaming.responses import ResponseStreamState
        from openai.types.responses import ResponseStreamEvent

        def handle(state, data):
            state.handle_event(construct_type(type_=ResponseStreamEvent, value=data))

        def new_state():  # type: ignore[misc]  # the Responses twin of the chat state
            return ResponseStreamState(input_tools=omit, text_format=omit)

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            state = new_state()
            for sse in SSEDecoder().iter_bytes(iter(chunks)):
                if sse.data == "":
                    continue
                counter.events += 1
                if sse.data.startswith("[DONE]"):
                    continue
                data = sse.json()
                try:
                    handle(state, data)
                except Exception:  # the SDK's accumulator refuses this event; a user would catch and go on
                    counter.rejected += 1
        return counter.events
    return run, counter


_ANTHROPIC_ACCUMULATED = ("message_start", "message_delta", "message_stop", "content_block_start",
                          "content_block_delta", "content_block_stop")


def _anthropic_accumulate(datas: Iterable[dict], counter: EventCounter) -> None:
    from anthropic._models import construct_type
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent
    snapshot: Any = None
    json_bufs: Dict[Any, Any] = {}
    for data in datas:
        if data.get("type") not in _ANTHROPIC_ACCUMULATED:
            continue
        try:
            event = construct_type(type_=RawMessageStreamEvent, value=data)
            snapshot = accumulate_event(event=event, current_snapshot=snapshot,  # type: ignore[arg-type]
                                        json_bufs=json_bufs)
        except Exception:
            counter.rejected += 1


def _anthropic_sdk(wl: Workload):
    from anthropic._streaming import SSEDecoder
    import anthropic.lib.streaming._messages  # noqa: F401
    counter = EventCounter()
    chunk_lists = wl.chunks
    if wl.format == "bedrock":
        datas = eventstream_reader(counter, json.loads)
    else:
        def datas(chunks):
            for sse in SSEDecoder().iter_bytes(iter(chunks)):
                if sse.data == "":
                    continue
                counter.events += 1
                yield sse.json()

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            _anthropic_accumulate(datas(chunks), counter)
        return counter.events
    return run, counter


def google_genai(wl: Workload):
    from google.genai import types
    from google.genai._api_client import _iter_sse_lines
    counter = EventCounter()
    chunk_lists = wl.chunks

    def run() -> int:
        counter.events = counter.rejected = 0
        for chunks in chunk_lists:
            buf: List[str] = []
            parts: List[Any] = []
            lines = list(_iter_sse_lines(chunks)) + [""]
            for line in lines:
                if not line:
                    if buf:
                        counter.events += 1
                        try:
                            r = types.GenerateContentResponse._from_response(
                                response=json.loads("\n".join(buf)), kwargs={})
                            for c in r.candidates or ():
                                parts.extend((c.content.parts or ()) if c.content else ())
                        except Exception:
                            counter.rejected += 1
                        buf = []
                elif line.startswith("data:"):
                    buf.append(line[6:] if line.startswith("data: ") else line[5:])
        return counter.events
    return run, counter


def _sdk_document(wl: Workload):
    """The SDK's own models built from the parsed document (what ``client.*.create()`` returns)."""
    counter = EventCounter()
    docs = [b.data for b in wl.bodies]
    if wl.format in ("openai-chat", "openai-responses"):
        from openai._models import construct_type
        if wl.format == "openai-chat":
            from openai.types.chat import ChatCompletion as T
        else:
            from openai.types.responses import Response as T  # type: ignore[assignment]
    else:
        from anthropic._models import construct_type
        from anthropic.types import Message as T  # type: ignore[assignment]

    def run() -> int:
        for d in docs:
            construct_type(type_=T, value=json.loads(d))
        return len(docs)
    return run, counter


def openai_any(wl: Workload):
    return _openai_sdk(wl) if wl.stream else _sdk_document(wl)


def anthropic_any(wl: Workload):
    return _anthropic_sdk(wl) if wl.stream else _sdk_document(wl)

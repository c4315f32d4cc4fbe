"""The hand-written pipelines' front ends: SSE split by httpx-sse or on bytes, Bedrock's event stream
framed by botocore, and the JSON objects in what they yield, counting the events they consume."""
from __future__ import annotations

import base64
import codecs
from typing import Any, Callable, Iterable, Iterator, List, Sequence


class EventCounter:
    """Counts the events a pipeline consumed (the check) and what an SDK rejected (notes)."""

    __slots__ = ("events", "rejected")

    def __init__(self) -> None:
        self.events = 0
        self.rejected = 0


# ---- SSE front ends ------------------------------------------------------------------

def httpx_sse_data(chunks: Sequence[bytes], counter: EventCounter) -> Iterator[str]:
    """What ``httpx_sse.EventSource.iter_sse`` does over ``response.iter_bytes()``."""
    from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines, dec = SSELineDecoder(), SSEDecoder()
    for c in chunks:
        s = text.decode(c)
        if not s:
            continue
        for line in lines.decode(s):
            ev = dec.decode(line)
            if ev is not None and ev.data != "":
                counter.events += 1
                yield ev.data
    tail = text.decode(b"", final=True)
    for line in (lines.decode(tail) if tail else []) + lines.flush():
        ev = dec.decode(line)
        if ev is not None and ev.data != "":
            counter.events += 1
            yield ev.data


def bytes_sse_data(chunks: Sequence[bytes], counter: EventCounter) -> Iterator[bytes]:
    """A minimal hand-written SSE split on bytes (LF or CRLF lines; no lone CR)."""
    buf = b""
    data: List[bytes] = []
    for c in chunks:
        buf += c
        if b"\n" not in c:
            continue
        *lines, buf = buf.split(b"\n")
        for line in lines:
            if line[-1:] == b"\r":
                line = line[:-1]
            if not line:
                if data:
                    counter.events += 1
                    yield b"\n".join(data)
                    data = []
            elif line[:5] == b"data:":
                v = line[5:]
                data.append(v[1:] if v[:1] == b" " else v)


def json_objects(datas: Iterable[Any], loads: Callable[[Any], Any]) -> Iterator[dict]:
    for d in datas:
        if d[:6] in ("[DONE]", b"[DONE]"):
            continue
        obj = loads(d)
        if isinstance(obj, dict):
            yield obj


# ---- Bedrock front end ------------------------------------------------------------------

def eventstream_reader(counter: EventCounter,
                       loads: Callable[[Any], Any]) -> Callable[[Sequence[bytes]], Iterator[Any]]:
    """``datas(chunks)``: Bedrock's binary event stream framed by botocore's ``EventStreamBuffer``,
    each frame's payload parsed with ``loads`` and the event in its base64 ``bytes`` parsed in
    turn. Raises ImportError (now, not when iterating) when botocore is missing."""
    from botocore.eventstream import EventStreamBuffer
    b64 = base64.b64decode

    def datas(chunks: Sequence[bytes]) -> Iterator[Any]:
        buf = EventStreamBuffer()
        for c in chunks:
            buf.add_data(c)
            for msg in buf:
                counter.events += 1
                payload = loads(msg.payload)
                if "bytes" in payload:
                    yield loads(b64(payload["bytes"]))
    return datas

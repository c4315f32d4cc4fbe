"""The bench's input: recorded response bodies grouped per wire format and streaming flag, pre-split
into chunks, each with its reference event count and what pyfantasy's python backend made of it."""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pyfantasy
from pyfantasy._tools.bench.summaries import response_document_summary, summarize

DEFAULT_CHUNK = 4096


def samples_dir() -> str:
    """The cassettes bundled with pyfantasy (``pyfantasy/samples``)."""
    return os.path.join(os.path.dirname(os.path.abspath(pyfantasy.__file__)), "samples")


@dataclass
class Body:
    """One recorded response body and what a decoder needs to know about it."""

    data: bytes
    format: str
    stream: bool
    variant: str
    url: str
    request_body: Any
    events: int           # reference count: SSE events, Bedrock frames, or 1 per document
    where: str = ""       # "path#id"
    expected: Optional[bytes] = None   # Response JSON from pyfantasy's python backend (the check)
    summary: Optional[Dict[str, Any]] = None   # what every peer's result is checked on (``summarize``)


@dataclass
class Workload:
    """The bodies of one wire format and streaming flag, with pre-split chunks."""

    format: str
    stream: bool
    bodies: List[Body] = field(default_factory=list)
    chunks: List[List[bytes]] = field(default_factory=list)
    excluded: List[str] = field(default_factory=list)    # "path#id: why" (pyfantasy could not decode it)
    pyfantasy_reason: Optional[str] = None                # why pyfantasy cannot run this workload, if so

    @property
    def name(self) -> str:
        return f"{self.format} {'stream' if self.stream else 'single'}"

    @property
    def nbytes(self) -> int:
        return sum(len(b.data) for b in self.bodies)

    @property
    def events(self) -> int:
        return sum(b.events for b in self.bodies)


def _eventstream_frames(data: bytes) -> int:
    """Complete AWS event-stream frames in ``data`` (prelude: total length, headers length, CRC)."""
    n = pos = 0
    while pos + 12 <= len(data):
        total = struct.unpack_from(">I", data, pos)[0]
        if total < 16 or pos + total > len(data):
            break
        pos += total
        n += 1
    return n


def reference_events(data: bytes, format: str, stream: bool) -> int:
    """The events a decoder of this body must process: SSE events dispatched
    (pyfantasy's python SSE decoder, WHATWG rules), Bedrock frames, or 1."""
    if not stream:
        return 1
    if format == "bedrock":
        return _eventstream_frames(data)
    from pyfantasy.sse import SSEDecoder
    dec = SSEDecoder("python")
    return len(dec.feed(data)) + len(dec.close())


def collect(paths: Sequence[str], chunk: int = DEFAULT_CHUNK, formats: Optional[Sequence[str]] = None,
            err: Optional[Any] = None) -> Tuple[List[Workload], int, int]:
    """Read the cassettes under ``paths``; returns (workloads, files read, interactions used).

    Interactions with an HTTP error status, an empty body or an unknown wire
    format are left out; so are bodies pyfantasy's python backend cannot
    decode (listed in ``Workload.excluded``), so that every contender works
    on the same bodies.
    """
    from pyfantasy._errors import CassetteError, DecodeError
    from pyfantasy.cassette import load
    from pyfantasy._files import CASSETTE_SUFFIXES, walk
    from pyfantasy.decode import decode_body, detect_format
    from pyfantasy._providers.formats import request_json
    work: Dict[Tuple[str, bool], Workload] = {}
    files = used = 0
    for path in walk(paths, CASSETTE_SUFFIXES):
        try:
            cas = load(path)
        except (CassetteError, OSError) as exc:
            if err is not None:
                err.write(f"pyfantasy bench: skipping {path}: {exc}\n")
            continue
        files += 1
        for it in cas.interactions:
            resp = it.response
            if resp is None or resp.code >= 400:
                continue
            wf = detect_format(it)
            if wf.format == "unknown" or (formats and wf.format not in formats):
                continue
            data = resp.body_bytes
            if not data:
                continue
            wl = work.setdefault((wf.format, wf.stream), Workload(wf.format, wf.stream))
            where = f"{path}#{it.id}"
            body = Body(data, wf.format, wf.stream, wf.variant, it.request.url, it.request.body,
                        reference_events(data, wf.format, wf.stream), where)
            if wl.pyfantasy_reason is None:
                try:
                    decoded = decode_body(data, wf.format, wf.stream, "python", variant=wf.variant or None,
                                            url=it.request.url,
                                            tools=request_tools(wf.format, it.request.body, request_json))
                    body.expected = decoded.to_json_bytes()
                    body.summary = summarize(wf.format, decoded) if wf.stream else \
                        response_document_summary(wf.format, decoded)
                except DecodeError as exc:
                    if exc.kind in ("unsupported-format", "unknown-format"):
                        wl.pyfantasy_reason = exc.message
                    else:
                        wl.excluded.append(f"{where}: {exc.kind}: {exc.message}")
                        continue
            wl.bodies.append(body)
            wl.chunks.append([data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""])
            used += 1
    order = {f: i for i, f in enumerate(("openai-chat", "openai-responses", "anthropic", "google", "bedrock"))}
    out = sorted((w for w in work.values() if w.bodies or w.excluded),
                 key=lambda w: (order.get(w.format, 99), not w.stream))
    return out, files, used


def request_tools(fmt: str, request_body: Any, request_json: Optional[Callable[[Any], Any]] = None):
    from pyfantasy.decode import _format
    read: Callable[[Any], Any]
    if request_json is None:
        from pyfantasy._providers.formats import request_json as read
    else:
        read = request_json
    return _format(fmt).request_tools(read(request_body))

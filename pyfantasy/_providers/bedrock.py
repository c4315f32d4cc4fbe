"""Anthropic on AWS Bedrock as fantasy decodes it (docs/semantics.md#anthropic-vertex-and-bedrock-transports).

Non-streaming ``/invoke`` bodies are Anthropic Messages JSON, decoded by
``anthropic.decode_generate``. Streaming ``/invoke-with-response-stream``
bodies are AWS event-stream frames; anthropic-sdk-go's Bedrock middleware
turns each ``chunk`` frame into the Anthropic SSE event it carries, and the
rest is the Anthropic stream (docs/semantics.md#anthropic-streaming).

``EventStreamScanner`` does the same in two kernels, each in C on the native
backend: the event-stream kernel (``_kernels.native.evstream``/``_kernels.python.evstream``:
framing, both CRC32 checks, base64) writes the SSE text, which the Anthropic
SSE scanner (with its coalescing) turns into chunks for
``anthropic.AnthropicStream``. Chunk offsets are mapped back from the SSE
text to the body offset of the frame each event came from. An event-stream
failure (bad CRC, bad prelude, a frame cut by the end of the body, an
``exception``/``error`` message) becomes one ``TRANSPORT_ERROR`` chunk after
the chunks of every frame decoded before it; the state machine turns it
into the error part, so the partial Response keeps all of them.

On the native backend ``StreamDecoder`` runs all of this in C instead
(``native/pf_anthropic.c`` ``pf_bedrock_new``: the event-stream kernel, the
SSE scan and the Anthropic machine in one call per feed); this module is the
Python twin it must match.
"""
from __future__ import annotations

from bisect import bisect_right
from typing import List, Optional

from pyfantasy._kernels import kernel, resolve
from pyfantasy._kernels.evstream_contract import describe
from pyfantasy._kernels.jsonscan import Chunk, CHUNK_OK, Scanner
from pyfantasy._providers import _common as c
from pyfantasy._providers.anthropic import (GENERATE_SPEC, STREAM_SPEC, TRANSPORT_ERROR, AnthropicStream,
                                            EventTail, decode_generate, dispatch, http_error, request_tools)


class EventStreamScanner(c.FramedScanner):
    """A Bedrock stream body in, Anthropic chunks out (the ``Scanner`` interface:
    ``backend``, ``feed(data, eof) -> [Chunk]``, ``closed``, ``cut``)."""

    _name = "EventStreamScanner"

    def __init__(self, backend: Optional[str] = None) -> None:
        self.backend = resolve(backend)
        self._k = kernel("evstream", self.backend)()
        self._sse = Scanner(STREAM_SPEC, True, None, True, self.backend)
        self._tail = EventTail()  # the SSE text of the frames, for error events' data
        self._sse_base = 0       # SSE bytes produced by earlier feeds
        self._reported = False

    def feed(self, data: bytes, eof: bool = False) -> List[Chunk]:
        self._begin_feed(eof)  # (a frame cut by the end of the body is an error chunk, not a cut)
        out = self._k.feed(data, eof)
        chunks: List[Chunk] = []
        if out.sse or eof:
            self._tail.add(out.sse)
            chunks = dispatch(self._sse.feed(out.sse, eof), self._tail)
            if chunks:
                chunks = self._map_offsets(chunks, out.events)
            self._sse_base += len(out.sse)
        if out.error is not None and not self._reported:
            self._reported = True
            kind, message = describe(out.error)
            chunks.append(Chunk(TRANSPORT_ERROR, (kind, message, out.error.offset), CHUNK_OK, out.error.offset))
        return chunks

    def _map_offsets(self, chunks: List[Chunk], events) -> List[Chunk]:
        """SSE offsets -> body offsets of the frames the events came from."""
        if not events:
            return chunks
        base = self._sse_base
        starts = [base + s for s, _ in events]
        frames = [f for _, f in events]
        res = []
        for ch in chunks:
            k = bisect_right(starts, ch.offset) - 1
            res.append(ch._replace(offset=frames[k if k >= 0 else 0]))
        return res


def _scanner(backend: Optional[str]) -> EventStreamScanner:
    return EventStreamScanner(backend)


FORMAT = c.ProviderFormat("bedrock", STREAM_SPEC, GENERATE_SPEC, AnthropicStream, decode_generate, request_tools,
                          http_error, scanner=_scanner,
                          bad_json_message="error parsing response json: the body is not valid JSON")

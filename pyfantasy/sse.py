"""Server-Sent Events decoding, WHATWG-conformant, on the native or pure-Python backend.

Sans-IO: ``SSEDecoder.feed(bytes) -> [Event]``; bytes may be cut anywhere
(inside a UTF-8 sequence, between CR and LF). Spec:
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

Deliberate choices where the spec leaves room (see docs/conformance.md):
- ``retry:`` with an empty value is ignored (no digits, no integer);
- a blank line whose CR is the very last byte fed is held until the next
  ``feed()`` or ``close()`` (the CR may be the first half of a CRLF).

Also here: ``iter_events``/``aiter_events`` over byte chunks, and
``iter_sse``/``aiter_sse``/``connect_sse``/``aconnect_sse``/``EventSource``, a
drop-in for httpx-sse users.
"""
from __future__ import annotations

import contextlib
from itertools import chain
from typing import (TYPE_CHECKING, Any, AsyncIterable, AsyncIterator, Iterable,
                    Iterator, List, Optional)

from pyfantasy._kernels import kernel, resolve
from pyfantasy._errors import SSEClosedError, SSEError
from pyfantasy._kernels.sse_event import Event

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = ["Event", "SSEDecoder", "iter_events", "aiter_events", "iter_sse", "aiter_sse",
           "EventSource", "connect_sse", "aconnect_sse"]


class SSEDecoder:
    """Incremental event-stream decoder.

    Args:
        backend: ``"native"``, ``"python"`` or None (``PYFANTASY_BACKEND``,
            else native when built).

    ``feed(data)`` returns the events completed by ``data`` (``b""`` is a
    no-op); ``close()`` ends the stream and returns what a final held CR
    completes (usually nothing: an unterminated last block is never
    dispatched, see ``pending``). After ``close()``, ``feed()`` raises
    SSEError and ``close()`` returns ``[]``.
    """

    __slots__ = ("backend", "_k", "_closed")

    def __init__(self, backend: Optional[str] = None) -> None:
        self.backend = resolve(backend)
        self._k = kernel("sse", self.backend)()
        self._closed = False

    def feed(self, data: bytes) -> List[Event]:
        """Decode the next bytes of the stream; returns the events they complete."""
        if type(data) is bytes and data and not self._closed:   # the common case, checked once
            return self._k.feed(data, False)
        if self._closed:
            raise SSEClosedError("SSEDecoder.feed() called after close()")
        if isinstance(data, str):
            raise TypeError("SSEDecoder.feed() takes bytes, not str (encode it as UTF-8)")
        if not data:
            return []
        return self._k.feed(data, False)

    def close(self) -> List[Event]:
        """End of stream. Returns events a held final CR completes; idempotent."""
        if self._closed:
            return []
        self._closed = True
        return self._k.feed(b"", True)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def last_event_id(self) -> str:
        """The last event ID string, committed at each blank line."""
        return self._k.last_event_id

    @property
    def retry(self) -> Optional[int]:
        """Reconnection time in force (ms), set by the latest valid ``retry`` line."""
        return self._k.retry

    @property
    def pending(self) -> Optional[Event]:
        """The event the stream would dispatch if a blank line came now, or None.

        It includes the unterminated last line, so a caller can salvage a
        stream cut before its final blank line. Never dispatched by the decoder.
        """
        st = self._k.state()
        data, etype, idbuf = st["data"], st["type"], st["id_buffer"]
        line = st["line"]
        if line and line[:1] != b":":
            name, sep, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data += value + b"\n"
            elif name == b"event":
                etype = value
            elif name == b"id" and b"\0" not in value:
                idbuf = value
        if not data:
            return None
        return Event(etype.decode("utf-8", "replace") or "message",
                     data[:-1].decode("utf-8", "replace"),
                     idbuf.decode("utf-8", "replace"), self.retry)


def iter_events(chunks: Iterable[bytes], backend: Optional[str] = None) -> Iterator[Event]:
    """The events of a stream given as an iterable of byte chunks, lazily: each chunk is
    fed when the events before it are used up. An ``itertools.chain`` over the feeds (no
    generator frame to resume per event: about 5% faster on the corpus stream)."""
    dec = SSEDecoder(backend)
    return chain(chain.from_iterable(map(dec.feed, chunks)), _closing(dec))


def _closing(dec: SSEDecoder) -> Iterator[Event]:
    """What ``close()`` adds, asked for only once the chunks are used up."""
    yield from dec.close()


async def aiter_events(chunks: AsyncIterable[bytes], backend: Optional[str] = None) -> AsyncIterator[Event]:
    """Async twin of ``iter_events``."""
    dec = SSEDecoder(backend)
    async for chunk in chunks:
        if chunk:
            for ev in dec.feed(chunk):
                yield ev
    for ev in dec.close():
        yield ev


# ---- httpx-sse drop-in ------------------------------------------------------

def _check_content_type(response: "httpx.Response") -> None:
    ctype = response.headers.get("content-type", "").partition(";")[0].strip()
    if ctype != "text/event-stream":
        raise SSEError(f"expected response Content-Type 'text/event-stream', got {ctype!r}")


class EventSource:
    """Wraps an httpx response like ``httpx_sse.EventSource``."""

    def __init__(self, response: "httpx.Response", backend: Optional[str] = None) -> None:
        self._response = response
        self._backend = backend

    @property
    def response(self) -> "httpx.Response":
        return self._response

    def iter_sse(self) -> Iterator[Event]:
        _check_content_type(self._response)
        return iter_events(self._response.iter_bytes(), self._backend)

    async def aiter_sse(self) -> AsyncIterator[Event]:
        _check_content_type(self._response)
        async for ev in aiter_events(self._response.aiter_bytes(), self._backend):
            yield ev


def iter_sse(response: "httpx.Response", backend: Optional[str] = None) -> Iterator[Event]:
    """Events of a streamed httpx response (``client.stream(...)``)."""
    return EventSource(response, backend).iter_sse()


def aiter_sse(response: "httpx.Response", backend: Optional[str] = None) -> AsyncIterator[Event]:
    """Events of a streamed httpx response, async."""
    return EventSource(response, backend).aiter_sse()


@contextlib.contextmanager
def connect_sse(client: "httpx.Client", method: str, url: str, **kwargs: Any) -> Iterator[EventSource]:
    """Like ``httpx_sse.connect_sse``: stream a request and wrap the response."""
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Accept", "text/event-stream")
    headers.setdefault("Cache-Control", "no-store")
    backend = kwargs.pop("backend", None)
    with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response, backend)


@contextlib.asynccontextmanager
async def aconnect_sse(client: "httpx.AsyncClient", method: str, url: str, **kwargs: Any) -> AsyncIterator[EventSource]:
    """Async twin of ``connect_sse``."""
    headers = dict(kwargs.pop("headers", None) or {})
    headers.setdefault("Accept", "text/event-stream")
    headers.setdefault("Cache-Control", "no-store")
    backend = kwargs.pop("backend", None)
    async with client.stream(method, url, headers=headers, **kwargs) as response:
        yield EventSource(response, backend)

"""The ``Event`` value shared by both SSE backends, and helpers both use to build it."""
from __future__ import annotations

import json as _json
from typing import Any, NamedTuple, Optional


class Event(NamedTuple):
    """One dispatched Server-Sent Event.

    ``event`` is ``"message"`` when the block had no (or an empty) ``event``
    field; ``id`` is the last event ID in force; ``retry`` the reconnection
    time in force (int milliseconds) or None if the stream never set one.
    Immutable; compares by value. Field names match httpx-sse's
    ``ServerSentEvent`` so it is a drop-in.
    """

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: Optional[int] = None

    def json(self) -> Any:
        """``json.loads(self.data)``."""
        return _json.loads(self.data)

    def __repr__(self) -> str:
        parts = []
        if self.event != "message":
            parts.append(f"event={self.event!r}")
        parts.append(f"data={self.data!r}")
        if self.id:
            parts.append(f"id={self.id!r}")
        if self.retry is not None:
            parts.append(f"retry={self.retry!r}")
        return f"Event({', '.join(parts)})"


_tuple_new = tuple.__new__


def new_event(event: str, data: str, id: str, retry: Optional[int]) -> Event:
    """Build an Event without NamedTuple's argument processing (hot path)."""
    return _tuple_new(Event, (event, data, id, retry))


def parse_retry(digits: bytes) -> int:
    """ASCII digits to int, with no length limit (CPython caps int(str) at 4300 digits)."""
    if len(digits) <= 4000:
        return int(digits)
    half = len(digits) // 2
    return parse_retry(digits[:half]) * 10 ** (len(digits) - half) + parse_retry(digits[half:])


def decode_text(b: bytes) -> str:
    """UTF-8 with U+FFFD for invalid sequences, as the spec's UTF-8 decode does."""
    return b.decode("utf-8", "replace")


class TextCache:
    """Decodes small repeated byte strings (event types, ids) once."""

    __slots__ = ("_d",)

    def __init__(self) -> None:
        self._d: dict = {}

    def get(self, b: bytes) -> str:
        s = self._d.get(b)
        if s is None:
            s = b.decode("utf-8", "replace")
            if len(self._d) < 256:
                self._d[b] = s
        return s

"""pyfantasy: read and decode what Go's charm.land/fantasy records, at native speed.

- ``pyfantasy.sse``: WHATWG Server-Sent Events decoder (C or pure Python).
- ``pyfantasy.cassette``: go-vcr cassettes, byte for byte as the Go recorder writes them.
- ``pyfantasy.decode``: provider responses -> fantasy's ``Response`` (Go's exact JSON).
- ``pyfantasy.replay``, ``pyfantasy.scan``: replay/record, high-volume processing.

The backend (``native`` C extension or pure ``python``) is chosen per call
(``backend=``), else by ``PYFANTASY_BACKEND``, else native when it was built.
"""
from __future__ import annotations

from pyfantasy._errors import (BackendUnavailableError, CassetteError, DecodeError, PyfantasyError,
                               SSEError, UsageError)
from pyfantasy._kernels import available_backends, backend
from pyfantasy._kernels.sse_event import Event
from pyfantasy.response import (CallWarning, FileContent, FinishReason, ReasoningContent, Response,
                                SourceContent, StreamPart, StreamPartType, TextContent, ToolCallContent,
                                ToolResultContent, Usage)

__version__ = "0.1.0"


def __getattr__(name: str):
    # decode/cassette entry points without importing them (and PyYAML) at startup
    if name in ("decode_body", "decode_interaction", "decode_cassette", "StreamDecoder", "detect_format"):
        from pyfantasy import decode
        return getattr(decode, name)
    if name in ("Cassette", "Interaction"):
        from pyfantasy import cassette
        return getattr(cassette, name)
    if name == "SSEDecoder":
        from pyfantasy.sse import SSEDecoder
        return SSEDecoder
    raise AttributeError(f"module 'pyfantasy' has no attribute {name!r}")


__all__ = [
    "__version__", "backend", "available_backends",
    "PyfantasyError", "BackendUnavailableError", "SSEError", "CassetteError", "DecodeError", "UsageError",
    "Event", "SSEDecoder",
    "Cassette", "Interaction",
    "decode_body", "decode_interaction", "decode_cassette", "StreamDecoder", "detect_format",
    "Response", "StreamPart", "StreamPartType", "FinishReason", "Usage", "CallWarning",
    "TextContent", "ReasoningContent", "ToolCallContent", "ToolResultContent", "SourceContent", "FileContent",
]

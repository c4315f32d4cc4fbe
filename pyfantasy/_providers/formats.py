"""Which wire format an interaction holds, told from its request (docs/semantics.md#recognising-the-wire-format).

fantasy never inspects the response to choose a parser; neither do we: the
URL (host and path), the request body's ``stream`` flag and, for Bedrock,
the response Content-Type decide. What a host says (provider, chat hook set)
is in the one host table, :mod:`pyfantasy._providers.hosts`. An unknown format is an error, never a guess.
"""
from __future__ import annotations

import json
from typing import Any, NamedTuple

from pyfantasy._providers.hosts import BEDROCK_RUNTIME_PREFIX, url_parts, variant_for_host

FORMATS = ("openai-chat", "openai-responses", "anthropic", "google", "bedrock")


class WireFormat(NamedTuple):
    """``format`` (one of FORMATS or "unknown"), ``stream``, ``variant``
    (chat-completions hook set, "" otherwise), ``why`` (what decided it)."""

    format: str
    stream: bool
    variant: str = ""
    why: str = ""


_LAST_REQUEST: tuple = (None, None)  # (body, parsed): detection, tools and scan rows read one body


def request_json(body: Any) -> Any:
    """The request body parsed as JSON, or None. The result is shared: do not mutate it."""
    global _LAST_REQUEST
    last = _LAST_REQUEST
    if body is last[0] and body is not None:
        return last[1]
    value = _parse_request(body)
    _LAST_REQUEST = (body, value)
    return value


def _parse_request(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if not isinstance(body, str) or not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _stream_flag(req: Any) -> bool:
    return isinstance(req, dict) and req.get("stream") is True


# ``request=`` of detect and stream_rule when the caller has not read the body: request_json reads it
UNREAD: Any = object()


def _streams(request_body: Any, request: Any) -> bool:
    """The request's ``"stream": true``, from ``request`` (what request_json makes of the body, as
    far as model and stream go) when the caller has it, else from the body."""
    return _stream_flag(request_json(request_body) if request is UNREAD else request)


def _is_sse(content_type: str) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "text/event-stream"


def stream_rule(format: str, url: str = "", request_body: Any = None, response_content_type: str = "",
                request: Any = UNREAD) -> bool:
    """Whether a call in the given (explicit) wire format streams, by that format's own rule.

    Used when the format is given rather than detected, so the URL may say nothing:
    - openai-chat, openai-responses: request JSON ``"stream": true``;
    - anthropic: the same, or a Vertex ``:streamRawPredict`` path;
    - google: ``:streamGenerateContent`` in the path;
    - bedrock: ``invoke-with-response-stream`` in the path or an
      ``application/vnd.amazon.eventstream`` response;
    otherwise a ``text/event-stream`` response Content-Type says it streams.
    """
    path = url_parts(url or "")[2]
    ctype = (response_content_type or "").lower()
    if format in ("openai-chat", "openai-responses"):
        own = _streams(request_body, request)
    elif format == "anthropic":
        own = _streams(request_body, request) or path.endswith(":streamRawPredict")
    elif format == "google":
        own = ":streamGenerateContent" in path
    elif format == "bedrock":
        own = "invoke-with-response-stream" in path or "application/vnd.amazon.eventstream" in ctype
    else:
        own = False
    return own or _is_sse(ctype)


def detect(url: str, request_body: Any = None, response_content_type: str = "", request: Any = UNREAD) -> WireFormat:
    """Detect the wire format of a recorded call from its request (``request``: the body as
    request_json reads it, when the caller has it)."""
    netloc, host, path = url_parts(url or "")
    if path.endswith("/chat/completions"):
        return WireFormat("openai-chat", _streams(request_body, request), variant_for_host(netloc),
                          "path ends with /chat/completions")
    if path.endswith("/responses"):
        return WireFormat("openai-responses", _streams(request_body, request), "",
                          "path ends with /responses")
    if host.startswith(BEDROCK_RUNTIME_PREFIX) and "/model/" in path:
        stream = path.endswith("/invoke-with-response-stream") or \
            "vnd.amazon.eventstream" in (response_content_type or "")
        return WireFormat("bedrock", stream, "", "Bedrock runtime /model/ URL")
    if "/publishers/anthropic/" in path and (path.endswith(":rawPredict") or path.endswith(":streamRawPredict")):
        return WireFormat("anthropic", path.endswith(":streamRawPredict"), "", "Vertex Anthropic rawPredict")
    if path.endswith(":generateContent") or path.endswith(":streamGenerateContent"):
        return WireFormat("google", path.endswith(":streamGenerateContent"), "", "Gemini generateContent")
    if path.endswith("/v1/messages") or path.endswith("/messages"):
        return WireFormat("anthropic", _streams(request_body, request), "", "path ends with /messages")
    return WireFormat("unknown", False, "", f"no known API path in {url!r}")

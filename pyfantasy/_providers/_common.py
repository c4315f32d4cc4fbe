"""Helpers every provider decoder uses: raw JSON text of parsed values, error parts and
messages, the ``ProviderFormat`` record. Field reads (openai-go's lenient rules, Go's typed
ones) are in :mod:`pyfantasy._providers.values`, status texts in :mod:`pyfantasy._http_status`."""
from __future__ import annotations

import json
from typing import Any, Callable, List, Optional

from pyfantasy._errors import DecodeError
from pyfantasy._go.json import RawJSON, int_text
from pyfantasy._http_status import status_title
from pyfantasy._kernels.jsonscan import JSONFloat, Scanner, Spec
from pyfantasy.response import Response, StreamPart


def _scalar_text(v: Any) -> str:
    if isinstance(v, JSONFloat):
        return v.raw
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return int_text(v)
    if isinstance(v, float):
        return json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    raise TypeError(type(v))


def raw_text(v: Any) -> str:
    """Compact JSON text of a parsed value, keeping each float's original spelling.
    Iterative (explicit stack of pending values and literal pieces): any nesting depth."""
    out: List[str] = []
    todo: list = [(False, v)]
    push = todo.append
    while todo:
        lit, x = todo.pop()
        if lit:
            out.append(x)
        elif isinstance(x, list):
            out.append("[")
            push((True, "]"))
            for k in range(len(x) - 1, -1, -1):
                push((False, x[k]))
                if k:
                    push((True, ","))
        elif isinstance(x, dict):
            out.append("{")
            push((True, "}"))
            items = list(x.items())
            for k in range(len(items) - 1, -1, -1):
                push((False, items[k][1]))
                push((True, ("," if k else "") + json.dumps(items[k][0], ensure_ascii=False) + ":"))
        else:
            out.append(_scalar_text(x))
    return "".join(out)


def raw(v: Any) -> RawJSON:
    """A parsed value as a ``json.RawMessage`` with its original number spellings."""
    return RawJSON(raw_text(v))


def error_part(kind: str, message: str, offset: Optional[int] = None) -> StreamPart:
    return StreamPart("error", error=DecodeError(kind, message, offset))


def stream_error_text(err: Any) -> str:
    """docs/semantics.md#errors-inside-streams, openai-go's reader: a chunk with a
    top-level ``error`` key (any value)."""
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return "stream error: " + err["message"]
    return "stream error: received error while streaming: " + raw_text(err)


def openai_http_error(code: int, status: str, body: bytes, url: str) -> str:
    """docs/semantics.md#http-error-statuses, openai-go: ``<title>: <error.message>``, or
    the raw body when there is none."""
    from pyfantasy._kernels.jsonscan import loads
    msg = ""
    try:
        doc = loads(body.decode("utf-8", "replace"), whole=False)
        err = doc.get("error") if isinstance(doc, dict) else None
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            msg = err["message"]
    except ValueError:
        pass
    return f"{status_title(code)}: {msg or body.decode('utf-8', 'replace')}"


class ProviderFormat:
    """What the decode pipeline needs to know of one wire format.

    - ``stream_spec``/``generate_spec``: what the scanner extracts;
    - ``done``: SSE data prefix that ends a stream (``b"[DONE]"``) or None;
    - ``new_stream(variant)``: a state machine with ``feed(chunk) -> [StreamPart]``
      (one scanned event, status OK) and ``done() -> [StreamPart]`` (end of body);
    - ``generate(doc, variant) -> Response``: the provider Response of a
      non-streaming body (the scanned document);
    - ``request_tools(request_json) -> [ToolSpec] | None``;
    - ``http_error(code, status, body, url) -> message`` for statuses >= 400;
    - ``scanner(backend) -> Scanner``: override for non-SSE streams (Bedrock);
    - ``check_json_content_type``: non-streaming bodies must be JSON (openai-go
      and anthropic-sdk-go refuse others; genai does not).
    """

    def __init__(self, name: str, stream_spec: Spec, generate_spec: Spec,
                 new_stream: Callable[[str], Any], generate: Callable[[Any, str], Response],
                 request_tools: Callable[[Any], Optional[List[Any]]],
                 http_error: Callable[[int, str, bytes, str], str] = openai_http_error, *,
                 done: Optional[bytes] = None, default_variant: str = "",
                 scanner: Optional[Callable[[Optional[str]], Any]] = None,
                 check_json_content_type: bool = True,
                 bad_json_message: str = "error parsing response json: the body is not valid JSON") -> None:
        self.name = name
        self.stream_spec = stream_spec
        self.generate_spec = generate_spec
        self.new_stream = new_stream
        self.generate = generate
        self.request_tools = request_tools
        self.http_error = http_error
        self.done = done
        self.default_variant = default_variant
        self._scanner = scanner
        self.check_json_content_type = check_json_content_type
        self.bad_json_message = bad_json_message

    def stream_scanner(self, backend: Optional[str]) -> Any:
        """A fresh scanner for a streamed body (SSE with coalescing, unless overridden)."""
        if self._scanner is not None:
            return self._scanner(backend)
        return Scanner(self.stream_spec, True, self.done, True, backend)


class FramedScanner:
    """The end-of-body side of the ``Scanner`` interface for streams read by their own
    framing (genai's blocks, AWS event-stream): ``closed``; ``cut`` is always None (the
    framing reports a cut itself); ``feed`` after the end is a ValueError."""

    closed = False
    _name = "Scanner"  # as the error names it

    @property
    def cut(self) -> Optional[int]:
        return None

    def _begin_feed(self, eof: bool) -> None:
        if self.closed:
            raise ValueError(f"{self._name}.feed() after the end of the body")
        if eof:
            self.closed = True

"""From provider output to the agent step ``Response`` (the provider-independent layer).

What
    * :class:`StreamAssembler` consumes the :class:`~pyfantasy.response.StreamPart`
      sequence a provider decoder yields and builds the step ``Response``
      exactly as fantasy's ``agent.processStepStream`` does
      (docs/semantics.md#step-assembly-from-a-stream).
    * :func:`generate_step` turns a provider-layer ``Response`` of a
      non-streaming call into the agent step ``Response`` (``agent.Generate``,
      docs/semantics.md#the-non-streaming-step).
    * :func:`validate_tool_call` is the agent's tool-call validation (docs/semantics.md#tool-call-validation).
    * :func:`deterministic_id` / :func:`deterministic_uuid` replace the random
      ids fantasy invents (OpenAI citation ids, Google tool-call ids).

Strategy (docs/semantics.md#step-assembly-from-a-stream, quoted rules next to the code)
    Content is appended in the order of *end* events; text and reasoning
    blocks are buffered per id until their end; blocks that never end are
    dropped; tool calls, tool results and sources are appended when they
    arrive; ``finish`` sets usage, finish reason and metadata; an ``error``
    part fails the step. The step's content list starts as nil, so a stream
    without content gives ``"content": null``.

Tool-call validation without the tool list
    fantasy validates each client-executed tool call against the tools of
    the request: name, JSON object, required keys. The assembler does not
    know the request, so by default (``tools=None``) only the JSON-object
    check runs: an unknown tool name is *not* an error and required keys
    are not checked. Pass ``tools=[ToolSpec(...), ...]`` (built by the
    provider decoder from the request body) to get all three checks with
    fantasy's messages. fantasy's last resort, ``jsonrepair.RepairJSON``, is
    not ported: pass ``repair=`` (a ``str -> str`` function) to plug one in;
    without it a call fantasy would have repaired is reported invalid.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from pyfantasy._errors import DecodeError
from pyfantasy._go.json import decode_object, go_bytes
from pyfantasy.response import (CallWarning, Content, FinishReason, ProviderMetadata, ReasoningContent,
                       Response, SourceContent, StreamPart, StreamPartType, TextContent,
                       ToolCallContent, ToolResultContent, Usage)

__all__ = ["ToolSpec", "validate_tool_call", "StreamAssembler", "assemble_stream",
           "generate_step", "deterministic_id", "deterministic_uuid"]

_T = StreamPartType


# ---------------------------------------------------------------------------
# Tool-call validation (docs/semantics.md#tool-call-validation)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolSpec:
    """A tool offered in the request, as far as validation needs it.

    ``name``; ``required``: the ``required`` list of its JSON schema (in
    order); ``provider_executable``: an executable provider tool (e.g.
    Anthropic ``computer``) — only the JSON-object check applies to it, and
    it is listed after the function tools in "Available tools".
    """

    name: str
    required: Tuple[str, ...] = ()
    provider_executable: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "required", tuple(self.required))


def _check(call: ToolCallContent, tools: Optional[Sequence[ToolSpec]]) -> Optional[str]:
    """``agent.validateToolCall``: the first failing check's message, or None."""
    spec: Optional[ToolSpec] = None
    if tools is not None:
        # "The call's name must match one of the function tools offered (or an
        #  executable provider tool). If not: error `tool not found: <name>.
        #  Available tools: <names joined by ", ">` (function tools in
        #  declaration order, then executable provider tools)."
        for t in tools:
            if t.name == call.tool_name:
                spec = t
                break
        if spec is None:
            names = [t.name for t in tools if not t.provider_executable]
            names += [t.name for t in tools if t.provider_executable]
            return "tool not found: %s. Available tools: %s" % (call.tool_name, ", ".join(names))
    # "The input must parse (Go json.Unmarshal) into a JSON object. Note null
    #  parses successfully into an empty map. If not: error `invalid JSON
    #  input: <Go decoder message>`."
    obj, err = decode_object(call.input)
    if err is not None:
        return "invalid JSON input: " + err
    if spec is not None and not spec.provider_executable:
        # "Every name in the tool's required list must be a key of the object,
        #  else `missing required parameter: <name>`."
        for name in spec.required:
            if name not in obj:  # type: ignore[operator]
                return "missing required parameter: %s" % name
    return None


def validate_tool_call(call: ToolCallContent, tools: Optional[Sequence[ToolSpec]] = None,
                       repair: Optional[Callable[[str], str]] = None) -> ToolCallContent:
    """``agent.validateAndRepairToolCall`` for one client-executed tool call.

    Args:
        call: the call as the provider produced it.
        tools: the request's tools, or None to skip the name and required-key
            checks (unknown tools are then accepted).
        repair: stands in for fantasy's ``jsonrepair.RepairJSON``: called with
            the input when a check fails; if it returns a different text that
            passes every check, the call is kept with that input. A repair
            function that raises counts as "no repair".

    Returns:
        ``call`` itself when valid; the repaired call; or a copy with
        ``invalid=True`` and ``validation_error`` = the first failing check's
        message on the original input. Provider-executed calls are returned
        unchanged (fantasy does not validate them).
    """
    if call.provider_executed:
        return call
    err = _check(call, tools)
    if err is None:
        return call
    if repair is not None:
        try:
            fixed = repair(call.input)
        except Exception:  # noqa: BLE001 - a failed repair is just "no repair"
            fixed = None
        if isinstance(fixed, str) and fixed != call.input:
            candidate = _replace(call, input=fixed)
            if _check(candidate, tools) is None:
                return candidate
    return _replace(call, invalid=True, validation_error=err)


def _replace(call: ToolCallContent, **changes: Any) -> ToolCallContent:
    values = dict(tool_call_id=call.tool_call_id, tool_name=call.tool_name, input=call.input,
                  provider_executed=call.provider_executed,
                  provider_metadata=call.provider_metadata, invalid=call.invalid,
                  validation_error=call.validation_error)
    values.update(changes)
    return ToolCallContent(**values)


# ---------------------------------------------------------------------------
# Streaming (docs/semantics.md#step-assembly-from-a-stream)
# ---------------------------------------------------------------------------


class StreamAssembler:
    """Builds the agent step ``Response`` from stream parts (``agent.processStepStream``).

    Feed every part in the order the provider yields it, then call
    :meth:`close`::

        asm = StreamAssembler(tools=None)
        for part in parts:
            asm.feed(part)
        response = asm.close()   # raises DecodeError if an error part came

    Rules (docs/semantics.md#step-assembly-from-a-stream): ``text_start`` opens an empty buffer for its id (re-opening
    resets it); ``text_delta`` appends only to an open buffer;
    ``text_end`` appends a text part with the end part's metadata.
    ``reasoning_start`` opens a buffer with the part's delta and metadata;
    ``reasoning_delta``/``reasoning_end`` append text, and a non-None
    metadata *replaces* the buffer's. ``tool_input_*`` do nothing.
    ``tool_call`` appends the (validated, unless provider-executed) call;
    ``tool_result`` appends a ``tool-result`` with a null result, only when
    provider-executed; ``source`` appends a source (no media type or file
    name); ``warnings`` sets the warnings; ``finish`` sets usage, finish
    reason and provider metadata; ``error`` fails the step and nothing after
    it is read.

    Edge cases: blocks still open at :meth:`close` are dropped; without a
    ``finish`` part the finish reason is ``unknown``, usage is zero and the
    metadata ``None``; no content gives ``content=None`` (``null``).
    :meth:`close` may be called again (same result); :meth:`feed` after
    :meth:`close` raises ``RuntimeError``.
    """

    def __init__(self, tools: Optional[Sequence[ToolSpec]] = None,
                 repair: Optional[Callable[[str], str]] = None) -> None:
        self.tools = None if tools is None else list(tools)
        self.repair = repair
        self._content: Optional[List[Content]] = None
        # open blocks: id -> text chunks (joined at the end: no quadratic concatenation)
        self._text: Dict[str, List[str]] = {}
        self._reasoning: Dict[str, List[Any]] = {}  # id -> [chunks, metadata]
        self._warnings: Optional[List[CallWarning]] = None
        self._usage = Usage()
        self._finish_reason: str = FinishReason.UNKNOWN.value
        self._metadata: Optional[ProviderMetadata] = None
        self._finished = False
        self._error: Optional[BaseException] = None
        self._closed: Optional[Response] = None

    # -- state --------------------------------------------------------------

    @property
    def error(self) -> Optional[BaseException]:
        """The error of the ``error`` part, once one was fed (as a DecodeError)."""
        return self._error

    @property
    def finished(self) -> bool:
        """True once a ``finish`` part was fed."""
        return self._finished

    @property
    def open_blocks(self) -> List[Tuple[str, str]]:
        """The text/reasoning blocks still open, as ``(kind, id)``; they would be dropped."""
        return [("text", k) for k in self._text] + [("reasoning", k) for k in self._reasoning]

    # -- feeding ------------------------------------------------------------

    def _append(self, part: Content) -> None:
        if self._content is None:
            self._content = []
        self._content.append(part)

    def feed(self, part: StreamPart) -> None:
        """Apply one stream part. Parts after an ``error`` part are ignored.

        Raises:
            RuntimeError: after :meth:`close`.
        """
        if self._closed is not None:
            raise RuntimeError("StreamAssembler.feed() after close()")
        if self._error is not None:
            return  # the agent stops reading at the first error part
        t = part.type
        if t == _T.TEXT_START:
            self._text[part.id] = []
        elif t == _T.TEXT_DELTA:
            chunks = self._text.get(part.id)
            if chunks is not None:
                chunks.append(part.delta)
        elif t == _T.TEXT_END:
            chunks = self._text.pop(part.id, None)
            if chunks is not None:
                self._append(TextContent(text="".join(chunks),
                                         provider_metadata=part.provider_metadata))
        elif t == _T.REASONING_START:
            self._reasoning[part.id] = [[part.delta], part.provider_metadata]
        elif t == _T.REASONING_DELTA:
            block = self._reasoning.get(part.id)
            if block is not None:
                block[0].append(part.delta)
                if part.provider_metadata is not None:  # a non-nil map replaces
                    block[1] = part.provider_metadata
        elif t == _T.REASONING_END:
            block = self._reasoning.pop(part.id, None)
            if block is not None:
                meta = block[1] if part.provider_metadata is None else part.provider_metadata
                self._append(ReasoningContent(text="".join(block[0]), provider_metadata=meta))
        elif t == _T.TOOL_CALL:
            call = ToolCallContent(tool_call_id=part.id, tool_name=part.tool_call_name,
                                   input=part.tool_call_input,
                                   provider_executed=part.provider_executed,
                                   provider_metadata=part.provider_metadata)
            self._append(validate_tool_call(call, self.tools, self.repair))
        elif t == _T.TOOL_RESULT:
            if part.provider_executed:
                self._append(ToolResultContent(tool_call_id=part.id, tool_name=part.tool_call_name,
                                               result=None, provider_executed=True,
                                               provider_metadata=part.provider_metadata))
        elif t == _T.SOURCE:
            self._append(SourceContent(source_type=part.source_type, id=part.id, url=part.url,
                                       title=part.title, provider_metadata=part.provider_metadata))
        elif t == _T.FINISH:
            self._finished = True
            self._usage = part.usage
            self._finish_reason = part.finish_reason
            self._metadata = part.provider_metadata
        elif t == _T.WARNINGS:
            self._warnings = None if part.warnings is None else list(part.warnings)
        elif t == _T.ERROR:
            err = _as_decode_error(part.error)
            if err.response is None:
                err.response = self.snapshot(include_open=True)
            self._error = err
        # tool_input_start / tool_input_delta / tool_input_end: no effect on content

    def feed_all(self, parts: Iterable[StreamPart]) -> None:
        """:meth:`feed` each part in order."""
        for p in parts:
            self.feed(p)

    # -- results ------------------------------------------------------------

    def snapshot(self, include_open: bool = False) -> Response:
        """The Response as it stands (never raises). Open text and reasoning blocks are
        left out, as fantasy's agent does, unless ``include_open``: an error's partial
        Response keeps them so that nothing decoded before the error is lost."""
        content = None if self._content is None else list(self._content)
        if include_open and (self._text or self._reasoning):
            content = (content or []) + [
                ReasoningContent(text="".join(block[0]), provider_metadata=block[1])
                for block in self._reasoning.values()] + [
                TextContent(text="".join(chunks)) for chunks in self._text.values()]
        return Response(content=content,
                        finish_reason=self._finish_reason, usage=self._usage,
                        warnings=self._warnings, provider_metadata=self._metadata)

    def close(self) -> Response:
        """End of stream: the step Response.

        Raises:
            DecodeError: an ``error`` part was fed. Its ``.response`` holds the
                partial Response (content completed before the error; finish
                reason ``unknown`` unless a finish part came first).
        """
        if self._error is not None:
            raise self._error
        if self._closed is None:
            self._closed = self.snapshot()
        return self._closed


def _as_decode_error(err: Any) -> DecodeError:
    if isinstance(err, DecodeError):
        return err
    if isinstance(err, BaseException):
        exc = DecodeError("stream-error", str(err))
        exc.__cause__ = err
        return exc
    return DecodeError("stream-error", "" if err is None else str(err))


def assemble_stream(parts: Iterable[StreamPart], tools: Optional[Sequence[ToolSpec]] = None,
                    repair: Optional[Callable[[str], str]] = None) -> Response:
    """Feed ``parts`` to a fresh :class:`StreamAssembler` and return :meth:`~StreamAssembler.close`."""
    asm = StreamAssembler(tools=tools, repair=repair)
    asm.feed_all(parts)
    return asm.close()


# ---------------------------------------------------------------------------
# Non-streaming (docs/semantics.md#the-non-streaming-step)
# ---------------------------------------------------------------------------


def generate_step(response: Response, tools: Optional[Sequence[ToolSpec]] = None,
                  repair: Optional[Callable[[str], str]] = None) -> Response:
    """The agent step of a non-streaming call (``agent.Generate``) from the provider's Response.

    "The agent builds a new, non-nil content list: every part is copied in
    order, except that each tool call that is not provider-executed is
    replaced by its validated version. Finish reason, usage, warnings and
    provider metadata are copied unchanged." So ``content=None`` becomes
    ``[]``.
    """
    content: List[Content] = []
    for part in response.content or ():
        if isinstance(part, ToolCallContent) and not part.provider_executed:
            part = validate_tool_call(part, tools, repair)
        content.append(part)
    return Response(content=content, finish_reason=response.finish_reason, usage=response.usage,
                    warnings=response.warnings, provider_metadata=response.provider_metadata)


# ---------------------------------------------------------------------------
# Deterministic ids
# ---------------------------------------------------------------------------


def _digest(parts: Sequence[Any]) -> bytes:
    """SHA-1 of the parts, each as its length (8 bytes, big-endian) then its bytes (bytes as they
    are, a str as the Go string it stands for, anything else as its text), in one update."""
    buf: List[bytes] = []
    for p in parts:
        if isinstance(p, str):
            b = go_bytes(p)
        elif isinstance(p, (bytes, bytearray, memoryview)):
            b = bytes(p)
        else:
            b = str(p).encode("utf-8")
        buf.append(len(b).to_bytes(8, "big"))
        buf.append(b)
    return hashlib.sha1(b"".join(buf)).digest()


def deterministic_id(prefix: str, *parts: Any, length: int = 16) -> str:
    """A stable id where fantasy would use a random one: ``prefix + sha1(parts)[:length]`` in hex.

    Rule: SHA-1 over the parts in order, each part encoded as its 8-byte
    big-endian length followed by its bytes (``bytes`` as is, ``str`` as its
    (Go) UTF-8 bytes, anything else as ``str(part)`` in UTF-8), so
    ``("ab", "c")`` and ``("a", "bc")`` differ; the first ``length`` (default
    16) lowercase hex digits are appended to ``prefix``. Same parts, same id.
    Note ``1`` and ``"1"`` give the same id.

    Callers should pass something that identifies the response (its id, or a
    digest of the body) plus the position of the item in it, e.g.
    ``deterministic_id("", body_sha1, "annotation", choice, index, url)``.
    """
    if not 1 <= length <= 40:
        raise ValueError("length must be between 1 and 40")
    return prefix + _digest(parts).hex()[:length]


def deterministic_uuid(*parts: Any) -> str:
    """Like :func:`deterministic_id` but shaped as a UUID (where fantasy writes a UUIDv4).

    The first 16 bytes of the same SHA-1 digest, with the RFC 4122 variant and
    version 5 bits set (name-based, SHA-1), in the canonical 8-4-4-4-12 form.
    """
    d = bytearray(_digest(parts)[:16])   # str(uuid.UUID(bytes=..., version=5)), without the object
    d[6] = (d[6] & 0x0F) | 0x50
    d[8] = (d[8] & 0x3F) | 0x80
    h = d.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

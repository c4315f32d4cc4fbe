"""Replay go-vcr cassettes to real Python HTTP clients, and record cassettes Go can replay.

What: ``ReplayTransport`` (an ``httpx.BaseTransport``) and
``AsyncReplayTransport`` (an ``httpx.AsyncBaseTransport``) sit under any
httpx-based client (the ``openai`` and ``anthropic`` SDKs, ``httpx-sse``,
plain httpx) and answer its requests from a cassette, or forward them to a
real transport and record what came back, in the file format the Go recorder
writes (docs/cassettes.md)::

    client = openai.OpenAI(api_key="x", max_retries=0, http_client=httpx.Client(
        transport=ReplayTransport("tests/cassettes/chat.yaml")))

The same transports also serve ``httpx2`` clients (the ``httpx`` fork the
``anthropic`` SDK requires: ``http_client=httpx2.Client(transport=...)``):
responses and byte streams are built from the library the request came from.

Modes (go-vcr's):
- ``replay-only``: answer from the cassette; a request no interaction
  matches raises ``ReplayError`` (the cassette must exist);
- ``record-once``: replay when the cassette file exists, else record every
  request (with a ``Cassette`` object: replay when it has interactions);
- ``record-only``: always record, starting a new cassette;
- ``replay-with-new-episodes``: replay what matches, record the rest;
- ``passthrough``: forward everything, record nothing.

Matching is ``_replay_match`` (method + URL, then body as text after CRLF
normalisation, else as JSON); interactions are used in order, each once
unless ``allow_playback_repeats``. Responses carry the recorded status,
headers and body; the body is served in ``chunk_size`` pieces through an
httpx byte stream, so streaming clients really stream, optionally paced
over the recorded ``duration`` (``pace=True``, or a factor). ``!!binary``
bodies are served as the bytes they hold.

Recording (sans-IO rules in ``recorded_request`` / ``recorded_response``)
fills every field as Go's ``net/http`` client would report it to go-vcr's
recorder: request ``proto`` ``HTTP/1.1``, ``content_length`` from the
request, ``host`` empty, ``form`` from the query (and a url-encoded POST
body, as ``ParseForm``); response ``proto`` from the HTTP version,
``transfer_encoding: [chunked]`` for chunked HTTP/1.x responses,
``content_length`` -1 when unknown, ``uncompressed: true`` when the body
was content-encoded and is stored decoded (as Go's transport does for
gzip), ``status`` ``"200 OK"``; ``duration`` is the time from sending the
request to receiving the response headers (``time.Since(start)`` right
after ``RoundTrip`` in go-vcr). Headers are filtered to ``Accept``,
``Content-Type`` and ``User-Agent`` like fantasy's recorder hook, unless
``keep_all_headers`` (or another ``keep_headers`` set). The response body is
passed through to the client as it arrives and recorded whole; an
interaction is added, and the cassette saved atomically (``Cassette.save``:
temp file + rename), when its body has been read to the end; the cassette is
saved again when the transport is closed, and never written when nothing was
recorded (a request that fails leaves no empty cassette behind). A stream that fails midway is not
recorded, so an interrupted recorder never leaves a half-written file.

SDK clients may retry a failed request: pass ``max_retries=0`` so a
``ReplayError`` surfaces at once (the ``openai`` SDK raises it as is; the
``anthropic`` SDK retries, then raises its ``APIConnectionError`` with the
``ReplayError`` as ``__cause__``).
"""
from __future__ import annotations

import importlib
import os
import threading
import time
from types import ModuleType
from typing import (Any, AsyncIterator, Callable, Dict, Iterable, Iterator, List, Optional,
                    Sequence, Tuple, Union)
from urllib.parse import urlsplit

try:
    import httpx
except ImportError:  # pragma: no cover - httpx2 alone (the fork the anthropic SDK uses)
    try:
        import httpx2 as httpx  # type: ignore[no-redef]
    except ImportError:
        raise ModuleNotFoundError("pyfantasy.replay is a transport for httpx, which is not installed: "
                                  "pip install 'pyfantasy[replay]' (or httpx)", name="httpx") from None

from pyfantasy.cassette import Cassette, Interaction, RecordedRequest, RecordedResponse, load
from pyfantasy._http_status import status_text
from pyfantasy._replay.match import Matcher, ReplayError, RequestView
from pyfantasy._replay.pacing import DEFAULT_CHUNK_SIZE, body_chunks, chunk_delay, pace_factor

__all__ = ["ReplayTransport", "AsyncReplayTransport", "ReplayError", "MODES", "MODE_ALIASES",
           "DEFAULT_KEEP_HEADERS", "DEFAULT_CHUNK_SIZE", "resolve_mode", "recorded_request",
           "recorded_response", "canonical_header_key", "body_chunks", "status_text"]

MODES = ("replay-only", "record-once", "record-only", "replay-with-new-episodes", "passthrough")
#: Other spellings accepted for a mode: pytest-recording / vcrpy record modes and go-vcr names.
MODE_ALIASES = {
    "none": "replay-only", "once": "record-once", "new_episodes": "replay-with-new-episodes",
    "new-episodes": "replay-with-new-episodes", "all": "record-only", "rewrite": "record-only",
    "ModeReplayOnly": "replay-only", "ModeRecordOnce": "record-once",
    "ModeRecordOnly": "record-only", "ModeReplayWithNewEpisodes": "replay-with-new-episodes",
    "ModePassthrough": "passthrough",
}
DEFAULT_KEEP_HEADERS = ("Accept", "Content-Type", "User-Agent")

Body = Union[str, bytes]
RawHeaders = Sequence[Tuple[bytes, bytes]]


def resolve_mode(mode: str) -> str:
    """A mode name (or alias) as one of ``MODES``; ValueError otherwise."""
    m = MODE_ALIASES.get(mode, mode) if isinstance(mode, str) else mode
    if m not in MODES:
        raise ValueError(f"unknown replay mode {mode!r}; expected one of {', '.join(MODES)} "
                         f"(or {', '.join(sorted(k for k in MODE_ALIASES if k[0].islower()))})")
    return m


# --- Go's view of a request and a response (sans-IO) -------------------------------------
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def canonical_header_key(key: str) -> str:
    """Go's ``textproto.CanonicalMIMEHeaderKey``: ``content-type`` -> ``Content-Type``;
    a key with a byte that is not a token character is returned unchanged."""
    raw = key.encode("latin-1", "replace")
    if not raw or any(c not in _TOKEN for c in raw):
        return key
    out = []
    upper = True
    for ch in key:
        out.append(ch.upper() if upper else ch.lower())
        upper = ch == "-"
    return "".join(out)


def _header_map(raw: RawHeaders) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    for k, v in raw:
        key = k.decode("latin-1") if isinstance(k, bytes) else k
        value = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
        out.setdefault(canonical_header_key(key), []).append(value)
    return out


def _filter(headers: Dict[str, List[str]], keep: Optional[Iterable[str]]) -> Dict[str, List[str]]:
    if keep is None:
        return headers
    wanted = {k.lower() for k in keep}
    return {k: v for k, v in headers.items() if k.lower() in wanted}


def _text_or_bytes(data: bytes) -> Body:
    """A body as the cassette stores it: ``str`` when valid UTF-8, else ``bytes`` (``!!binary``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


_HEX = "0123456789abcdefABCDEF"


def _go_unescape(s: str) -> str:
    """Go's ``url.QueryUnescape``: ``+`` is a space, ``%XX`` a byte; a bad escape is an error."""
    if "%" not in s and "+" not in s:
        return s
    out = bytearray()
    i = 0
    raw = s.encode("utf-8")
    while i < len(raw):
        c = raw[i]
        if c == 0x25:  # %
            h = raw[i + 1:i + 3].decode("latin-1")
            if len(h) < 2 or h[0] not in _HEX or h[1] not in _HEX:
                raise ValueError(f"invalid URL escape {raw[i:i + 3]!r}")
            out.append(int(h, 16))
            i += 3
            continue
        out.append(0x20 if c == 0x2B else c)
        i += 1
    return out.decode("utf-8", "replace")


def go_parse_query(query: str) -> Dict[str, List[str]]:
    """Go's ``url.ParseQuery``: pairs split on ``&``; pairs with ``;`` or a bad escape are skipped."""
    out: Dict[str, List[str]] = {}
    for part in query.split("&"):
        if not part or ";" in part:
            continue
        k, _, v = part.partition("=")
        try:
            k, v = _go_unescape(k), _go_unescape(v)
        except ValueError:
            continue
        out.setdefault(k, []).append(v)
    return out


def recorded_request(method: str, url: str, headers: RawHeaders, body: bytes, *,
                     keep_headers: Optional[Iterable[str]] = DEFAULT_KEEP_HEADERS) -> RecordedRequest:
    """The ``cassette.Request`` Go's recorder writes for a client request.

    ``headers`` are the raw request headers as sent; ``keep_headers=None``
    keeps them all except ``Host``, ``Content-Length`` and
    ``Transfer-Encoding``, which Go's ``http.Request`` holds in fields, not
    in ``Header``.
    """
    hdrs = _header_map(headers)
    length_values = hdrs.get("Content-Length")
    content_length = 0  # Go: 0 means "unknown" for a client request with a body
    if length_values:
        try:
            content_length = int(length_values[0])
        except ValueError:
            content_length = 0
    elif body and "Transfer-Encoding" not in hdrs:
        content_length = len(body)
    for k in ("Host", "Content-Length", "Transfer-Encoding"):
        hdrs.pop(k, None)
    form: Dict[str, List[str]] = {}
    ctype = (hdrs.get("Content-Type") or [""])[0].split(";", 1)[0].strip().lower()
    if method in ("POST", "PUT", "PATCH") and ctype == "application/x-www-form-urlencoded":
        form = go_parse_query(body.decode("utf-8", "replace"))
    try:
        query = urlsplit(url).query
    except ValueError:
        query = ""
    for k, v in go_parse_query(query).items():  # ParseForm: body values first, then the query
        form.setdefault(k, []).extend(v)
    return RecordedRequest(proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=content_length,
                   host="", body=_text_or_bytes(body), form=form,
                   headers=_filter(hdrs, keep_headers), url=url, method=method)


_PROTOS = {"HTTP/1.0": ("HTTP/1.0", 1, 0), "HTTP/1.1": ("HTTP/1.1", 1, 1),
           "HTTP/2": ("HTTP/2.0", 2, 0), "HTTP/2.0": ("HTTP/2.0", 2, 0),
           "HTTP/3": ("HTTP/3.0", 3, 0)}


def _decode_content(headers: RawHeaders, raw: bytes) -> Tuple[bytes, bool]:
    """``(body, decoded)``: the body with its Content-Encoding undone, as httpx (and Go) read it."""
    encodings = [v for k, v in headers if k.lower() == b"content-encoding"]
    if not encodings or not raw:
        return raw, False
    try:
        body = httpx.Response(200, headers=[(b"content-encoding", e) for e in encodings],
                              content=raw).content
    except (httpx.DecodingError, ValueError):
        return raw, False
    return body, True


def recorded_response(status_code: int, reason: str, http_version: str, headers: RawHeaders,
                      raw_body: bytes, duration_ns: int, *, request_method: str = "GET",
                      keep_headers: Optional[Iterable[str]] = DEFAULT_KEEP_HEADERS) -> RecordedResponse:
    """The ``cassette.Response`` Go's recorder writes for a response received as raw bytes.

    Go's client rules: a chunked HTTP/1.x response has ``transfer_encoding:
    [chunked]``, ``content_length: -1`` and neither ``Transfer-Encoding`` nor
    ``Content-Length`` in its headers; a response without a length has -1;
    1xx, 204 and 304 have 0; a body that was content-encoded is stored
    decoded with ``uncompressed: true``, ``content_length: -1`` and no
    ``Content-Encoding``/``Content-Length`` headers (Go's transparent gzip).
    HTTP/2 status text is Go's (``"200 OK"``); HTTP/1.x keeps the server's
    reason phrase.
    """
    proto, major, minor = _PROTOS.get(http_version, ("HTTP/1.1", 1, 1))
    hdrs = _header_map(headers)
    transfer_encoding: List[str] = []
    chunked = major == 1 and any("chunked" in v.lower() for v in hdrs.get("Transfer-Encoding", []))
    if major == 1:
        hdrs.pop("Transfer-Encoding", None)
    body, decoded = _decode_content(headers, raw_body)

    def header_length() -> int:
        values = hdrs.get("Content-Length")
        if values:
            try:
                n = int(values[0].strip())
                if n >= 0:
                    return n
            except ValueError:
                pass
        return -1

    if major == 1 and (status_code // 100 == 1 or status_code in (204, 304)):
        content_length = 0
    elif chunked:
        transfer_encoding = ["chunked"]
        hdrs.pop("Content-Length", None)
        content_length = -1
    else:
        content_length = header_length()
    if request_method == "HEAD":
        content_length = header_length()
    if decoded:
        hdrs.pop("Content-Encoding", None)
        hdrs.pop("Content-Length", None)
        content_length = -1
    if major == 1:
        status = f"{status_code} {reason}" if reason else str(status_code)
    else:
        status = f"{status_code} {status_text(status_code)}"
    return RecordedResponse(proto=proto, proto_major=major, proto_minor=minor,
                    transfer_encoding=transfer_encoding, content_length=content_length,
                    uncompressed=decoded, body=_text_or_bytes(body),
                    headers=_filter(hdrs, keep_headers), status=status, code=status_code,
                    duration_ns=duration_ns)


# --- serving a recorded response ----------------------------------------------------------
def _reason(status: str, code: int) -> str:
    head, _, rest = (status or "").partition(" ")
    if rest and head == str(code):
        return rest
    return status_text(code)


_HTTP_VERSION = {1: b"HTTP/1.1", 2: b"HTTP/2", 3: b"HTTP/3"}


def _response_parts(r: RecordedResponse, method: str) -> Tuple[List[Tuple[str, str]], bytes, dict]:
    headers = [(k, v) for k, vs in r.headers.items() for v in vs
               if not (r.uncompressed and k.lower() == "content-encoding")]
    body = b"" if method == "HEAD" else r.body_bytes
    version = b"HTTP/1.0" if (r.proto_major, r.proto_minor) == (1, 0) else \
        _HTTP_VERSION.get(r.proto_major, b"HTTP/1.1")
    ext = {"http_version": version,
           "reason_phrase": _reason(r.status, r.code).encode("latin-1", "replace")}
    return headers, body, ext


class _ReplayStream:
    """A recorded body served in chunks, optionally paced (mixed into the client's
    ``SyncByteStream`` class by ``_classes``)."""

    def __init__(self, chunks: List[bytes], delay: float):
        self._chunks = chunks
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if self._delay:
                time.sleep(self._delay)
            yield chunk


class _AsyncReplayStream:
    def __init__(self, chunks: List[bytes], delay: float):
        self._chunks = chunks
        self._delay = delay

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._delay:
            import anyio  # an httpx dependency; works under asyncio and trio
        for chunk in self._chunks:
            if self._delay:
                await anyio.sleep(self._delay)
            yield chunk


# --- recording while the client reads ------------------------------------------------------
class _Pending:
    """A request sent to the real transport, waiting for its response body to end."""

    def __init__(self, core: "_Core", request: Any, body: bytes, response: Any, duration_ns: int):
        self.core = core
        self.request = request
        self.body = body
        self.response = response
        self.duration_ns = duration_ns
        self.parts: List[bytes] = []
        self.state = "open"  # open -> done | failed

    def complete(self) -> None:
        if self.state != "open":
            return
        self.state = "done"
        self.core.add_recording(self)

    def fail(self) -> None:
        if self.state == "open":
            self.state = "failed"


class _RecordingStream:
    """Passes the real body through to the client and records it once it has all been read."""

    def __init__(self, pending: _Pending, inner: Any):
        self._p = pending
        self._inner = inner
        self._it: Optional[Iterator[bytes]] = None

    def _iter(self) -> Iterator[bytes]:
        if self._it is None:
            self._it = iter(self._inner)
        return self._it

    def __iter__(self) -> Iterator[bytes]:
        p = self._p
        try:
            for chunk in self._iter():
                p.parts.append(chunk)
                yield chunk
        except GeneratorExit:
            raise  # the client stopped reading: close() reads the rest
        except BaseException:
            p.fail()
            raise
        p.complete()

    def close(self) -> None:
        p = self._p
        try:
            if p.state == "open":
                try:
                    for chunk in self._iter():  # go-vcr reads the whole body (io.ReadAll)
                        p.parts.append(chunk)
                except Exception:
                    p.fail()
                except BaseException:
                    p.fail()
                    raise
                else:
                    p.complete()
        finally:
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()


class _AsyncRecordingStream:
    def __init__(self, pending: _Pending, inner: Any):
        self._p = pending
        self._inner = inner
        self._it: Optional[AsyncIterator[bytes]] = None

    def _iter(self) -> AsyncIterator[bytes]:
        if self._it is None:
            self._it = self._inner.__aiter__()
        return self._it

    async def __aiter__(self) -> AsyncIterator[bytes]:
        p = self._p
        try:
            async for chunk in self._iter():
                p.parts.append(chunk)
                yield chunk
        except GeneratorExit:
            raise
        except BaseException:
            p.fail()
            raise
        p.complete()

    async def aclose(self) -> None:
        p = self._p
        try:
            if p.state == "open":
                try:
                    async for chunk in self._iter():
                        p.parts.append(chunk)
                except Exception:
                    p.fail()
                except BaseException:
                    p.fail()
                    raise
                else:
                    p.complete()
        finally:
            aclose = getattr(self._inner, "aclose", None)
            if aclose is not None:
                await aclose()


# --- httpx or httpx2: the client's own classes -----------------------------------------------
class _Kit:
    """The classes of the HTTP library a request comes from: ``httpx`` or its fork ``httpx2``
    (which the ``anthropic`` SDK requires). Responses and byte streams must be that library's."""

    def __init__(self, mod: ModuleType):
        self.mod = mod
        self.Response = mod.Response
        self.replay = type("ReplayStream", (_ReplayStream, mod.SyncByteStream), {})
        self.async_replay = type("AsyncReplayStream", (_AsyncReplayStream, mod.AsyncByteStream), {})
        self.recording = type("RecordingStream", (_RecordingStream, mod.SyncByteStream), {})
        self.async_recording = type("AsyncRecordingStream",
                                    (_AsyncRecordingStream, mod.AsyncByteStream), {})


_KITS: Dict[str, _Kit] = {}


def _kit(request: Any) -> _Kit:
    name = type(request).__module__.partition(".")[0]
    kit = _KITS.get(name)
    if kit is None:
        try:
            mod = importlib.import_module(name)
            kit = _Kit(mod)
        except (ImportError, AttributeError):
            kit = _Kit(httpx)
        _KITS[name] = kit
    return kit


# --- state shared by the sync and async transports ------------------------------------------
class _Core:
    """The cassette, the mode, the matcher and the recorder state (no IO except file saves)."""

    def __init__(self, cassette: Union[str, "os.PathLike[str]", Cassette], mode: str, *,
                 path: Optional[Union[str, "os.PathLike[str]"]], allow_playback_repeats: bool,
                 keep_all_headers: bool, keep_headers: Optional[Iterable[str]],
                 before_record: Optional[Callable[[Interaction], Optional[Interaction]]],
                 url_mode: str):
        self.mode = resolve_mode(mode)
        if isinstance(cassette, Cassette):
            given: Optional[Cassette] = cassette
            self.path = os.fspath(path) if path is not None else None
        elif isinstance(cassette, (str, os.PathLike)):
            given = None
            self.path = os.fspath(path if path is not None else cassette)
        else:
            raise TypeError(f"cassette must be a path or a Cassette, not {type(cassette).__name__}")
        self.name = self.path or "<cassette>"
        m = self.mode
        if m == "passthrough":
            self.cassette = given if given is not None else Cassette()
            self.replaying, self.recording = False, False
        elif m == "record-only":
            self.cassette = given if given is not None else Cassette()
            self.cassette.interactions = []
            self.replaying, self.recording = False, True
        elif m == "replay-only":
            self.cassette = given if given is not None else self._load(required=True)
            self.replaying, self.recording = True, False
        elif m == "record-once":
            if given is not None:
                exists = bool(given.interactions)
                self.cassette = given
            else:
                exists = os.path.exists(self.path)  # type: ignore[arg-type]
                self.cassette = self._load(required=True) if exists else Cassette()
            self.replaying, self.recording = exists, not exists
        else:  # replay-with-new-episodes
            if given is not None:
                self.cassette = given
            else:
                exists = os.path.exists(self.path)  # type: ignore[arg-type]
                self.cassette = self._load(required=True) if exists else Cassette()
            self.replaying, self.recording = True, True
        self.matcher = Matcher(((self.name, it) for it in self.cassette.interactions),
                               repeats=allow_playback_repeats, url_mode=url_mode, name=self.name)
        self.keep_headers = None if keep_all_headers or keep_headers is None else tuple(keep_headers)
        self.before_record = before_record
        self.recorded = 0
        self._lock = threading.Lock()
        self._closed = False

    def _load(self, required: bool) -> Cassette:
        assert self.path is not None
        return load(self.path)  # CassetteError names the file (missing, malformed, ...)

    @property
    def forwards(self) -> bool:
        return self.recording or self.mode == "passthrough"

    def lookup(self, view: RequestView) -> Optional[Interaction]:
        """The interaction to replay, None to forward; ReplayError when neither is possible."""
        if self.replaying:
            entry = self.matcher.match(view)
            if entry is not None:
                return entry.interaction
            if not self.forwards:
                raise self.matcher.explain(view)
        if not self.forwards:  # pragma: no cover - every mode replays or forwards
            raise ReplayError("this transport neither replays nor records", cassette=self.name)
        return None

    def add_recording(self, p: _Pending) -> None:
        req = p.request
        raw_body = b"".join(p.parts)
        resp = p.response
        http_version = resp.extensions.get("http_version", b"HTTP/1.1")
        if isinstance(http_version, bytes):
            http_version = http_version.decode("ascii", "replace")
        reason = resp.extensions.get("reason_phrase")
        if isinstance(reason, bytes):
            reason = reason.decode("latin-1")
        if reason is None:
            reason = status_text(resp.status_code)
        new = Interaction(
            request=recorded_request(req.method, str(req.url), req.headers.raw, p.body,
                                     keep_headers=self.keep_headers),
            response=recorded_response(resp.status_code, reason, http_version, resp.headers.raw,
                                       raw_body, p.duration_ns, request_method=req.method,
                                       keep_headers=self.keep_headers))
        it = self.before_record(new) if self.before_record is not None else new
        if it is None:  # dropped by before_record
            return
        with self._lock:
            it.id = len(self.cassette.interactions)
            self.cassette.interactions.append(it)
            self.recorded += 1
            self.matcher.add(self.name, it, replayed=True)
            self._save()

    def _save(self) -> None:
        if self.path is not None:
            self.cassette.save(self.path)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Nothing recorded (e.g. every request failed): write nothing, as vcrpy does, so
            # an empty cassette never stands in the way of the next recording.
            if self.recording and self.recorded:
                self._save()

    def serve(self, request: Any, it: Interaction, chunk_size: Optional[int], factor: float,
              kit: _Kit, sync: bool) -> Any:
        headers, body, ext = _response_parts(it.response, request.method)
        chunks = body_chunks(body, chunk_size)
        delay = chunk_delay(it.response.duration_ns, len(chunks), factor)
        stream = (kit.replay if sync else kit.async_replay)(chunks, delay)
        return kit.Response(it.response.code, headers=headers, stream=stream, extensions=ext,
                            request=request)


def _view(request: Any, body: bytes) -> RequestView:
    return RequestView(request.method, str(request.url), body)


class _TransportBase:
    """What both transports share: construction (one signature, documented on
    ``ReplayTransport``) and introspection."""

    _core: _Core

    _default_transport = "HTTPTransport"  # of the request's library (httpx or httpx2)

    def __init__(self, cassette: Union[str, "os.PathLike[str]", Cassette], mode: str = "replay-only",
                 *, real_transport: Optional[Any] = None,
                 path: Optional[Union[str, "os.PathLike[str]"]] = None,
                 chunk_size: Optional[int] = DEFAULT_CHUNK_SIZE, pace: Union[bool, float] = False,
                 allow_playback_repeats: bool = False, keep_all_headers: bool = False,
                 keep_headers: Optional[Iterable[str]] = DEFAULT_KEEP_HEADERS,
                 before_record: Optional[Callable[[Interaction], Optional[Interaction]]] = None,
                 url_mode: str = "full", _core: Optional[_Core] = None):
        self._core = _core if _core is not None else _Core(
            cassette, mode, path=path, allow_playback_repeats=allow_playback_repeats,
            keep_all_headers=keep_all_headers, keep_headers=keep_headers,
            before_record=before_record, url_mode=url_mode)
        self.chunk_size = chunk_size
        self.pace = pace_factor(pace)
        self._real = real_transport

    def _real_transport(self, kit: _Kit) -> Any:
        if self._real is None:
            self._real = getattr(kit.mod, self._default_transport)()
        return self._real

    @property
    def cassette(self) -> Cassette:
        """The cassette replayed and/or recorded into (a ``pyfantasy.cassette.Cassette``)."""
        return self._core.cassette

    @property
    def path(self) -> Optional[str]:
        """The file read and/or written (None for an in-memory cassette)."""
        return self._core.path

    @property
    def mode(self) -> str:
        return self._core.mode

    @property
    def recorded(self) -> int:
        """How many interactions this transport recorded."""
        return self._core.recorded

    def unplayed(self) -> List[Interaction]:
        """Interactions of the cassette never replayed (nor recorded) by this transport."""
        return [e.interaction for e in self._core.matcher.unplayed()]

    def __repr__(self) -> str:
        core = self._core
        total = len(core.matcher.entries)
        return (f"<{type(self).__name__} {core.mode} {core.name!r}: "
                f"{total - len(core.matcher.unplayed())}/{total} used, {core.recorded} recorded>")


class ReplayTransport(_TransportBase, httpx.BaseTransport):
    """An ``httpx.BaseTransport`` answering from a go-vcr cassette, or recording one.

    Args:
        cassette: a path to a cassette file, or a ``Cassette``.
        mode: ``replay-only`` (default), ``record-once``, ``record-only``,
            ``replay-with-new-episodes`` or ``passthrough`` (aliases:
            ``MODE_ALIASES``).
        real_transport: the transport that reaches the real server when
            recording or passing through (default: a new ``HTTPTransport`` of
            the client's library, ``httpx`` or ``httpx2``).
        path: the file to write (default: ``cassette`` when it is a path; an
            in-memory ``Cassette`` without ``path`` is recorded into, not saved).
        chunk_size: replayed bodies are served in pieces of this many bytes
            (0 or None: in one piece).
        pace: False (default), True to spread each replayed body over its
            recorded duration, or a factor of that duration.
        allow_playback_repeats: replay an interaction more than once.
        keep_all_headers: record every header (default: only ``keep_headers``).
        keep_headers: header names recorded (default Accept, Content-Type,
            User-Agent, as fantasy's recorder); None records them all.
        before_record: called with each new ``Interaction``; returns it (maybe
            changed) or None to drop it.
        url_mode: ``"full"`` (default) compares whole URLs; ``"path"`` only path and query.

    Raises:
        CassetteError: the cassette file is missing (when it must be
            replayed) or malformed.
        ValueError: unknown mode.
        ReplayError: from ``handle_request`` when no interaction matches.
    """

    def handle_request(self, request: Any) -> Any:
        """Answer ``request`` (an ``httpx`` or ``httpx2`` Request) from the cassette, or forward it.

        Raises:
            ReplayError: nothing matches and the mode does not record.
        """
        body = request.read()
        core = self._core
        kit = _kit(request)
        it = core.lookup(_view(request, body))
        if it is not None:
            return core.serve(request, it, self.chunk_size, self.pace, kit, True)
        real = self._real_transport(kit)
        if not core.recording:
            return real.handle_request(request)
        start = time.perf_counter_ns()
        response = real.handle_request(request)
        duration = time.perf_counter_ns() - start
        pending = _Pending(core, request, body, response, duration)
        return kit.Response(response.status_code, headers=response.headers.raw,
                            stream=kit.recording(pending, response.stream),
                            extensions=response.extensions, request=request)

    def close(self) -> None:
        """Save the cassette (recording modes) and close the real transport."""
        try:
            self._core.close()
        finally:
            if self._real is not None:
                self._real.close()


class AsyncReplayTransport(_TransportBase, httpx.AsyncBaseTransport):
    """The ``httpx.AsyncBaseTransport`` twin of ``ReplayTransport`` (same arguments;
    ``real_transport`` is an async transport, default ``httpx.AsyncHTTPTransport``).
    Pacing sleeps with ``anyio``, so it works under asyncio and trio."""

    _default_transport = "AsyncHTTPTransport"

    async def handle_async_request(self, request: Any) -> Any:
        """The async twin of ``ReplayTransport.handle_request``."""
        body = await request.aread()
        core = self._core
        kit = _kit(request)
        it = core.lookup(_view(request, body))
        if it is not None:
            return core.serve(request, it, self.chunk_size, self.pace, kit, False)
        real = self._real_transport(kit)
        if not core.recording:
            return await real.handle_async_request(request)
        start = time.perf_counter_ns()
        response = await real.handle_async_request(request)
        duration = time.perf_counter_ns() - start
        pending = _Pending(core, request, body, response, duration)
        return kit.Response(response.status_code, headers=response.headers.raw,
                            stream=kit.async_recording(pending, response.stream),
                            extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        """Save the cassette (recording modes) and close the real transport."""
        try:
            self._core.close()
        finally:
            if self._real is not None:
                await self._real.aclose()

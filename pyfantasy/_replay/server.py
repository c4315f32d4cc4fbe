"""A loopback HTTP server that replays go-vcr cassettes (what ``pyfantasy serve`` runs).

What: any client, in any language, pointed at ``http://127.0.0.1:PORT``
gets the recorded responses of one cassette or a folder of cassettes:
status, headers and body, the body streamed in chunks (HTTP/1.1 chunked
transfer encoding unless the recorded length is known), optionally paced
over the recorded duration. A request that no interaction matches gets a
404 whose JSON body says why::

    {"error": {"type": "pyfantasy_replay_no_match", "message": ..., "cassette": ...,
               "method": ..., "url": ..., "closest": {...}, "diff": "--- recorded ..."}}

Matching is the transport's (``_replay.match.Matcher``) in ``"path"`` mode:
method, path and query (the recorded scheme and host are ignored, since
clients talk to the loopback address), then the body. All served cassettes
are searched in file order; a request path that starts with a cassette's
name (its path relative to the folder, without ``.yaml``) is matched in that
cassette only, with the name stripped:
``http://127.0.0.1:PORT/TestOpenAICommon/openai-gpt-4o/simple/v1/chat/completions``.

Strategy: ``http.server.ThreadingHTTPServer`` (one daemon thread per
connection, keep-alive), a handler that only reads the request and writes
the response; everything else is the sans-IO matcher. Only loopback
addresses are accepted. ``close()`` stops the loop, closes the listening
socket and shuts down open connections so no thread lingers.

Limits (hostile or careless clients): a response leaves in one write when it
is not paced, with TCP_NODELAY (a keep-alive request costs what a fresh one
does, no Nagle + delayed-ACK stall); the listen backlog is the system's
``SOMAXCONN``; a request body over ``max_body`` is refused with 413 before
it is read; the 404 diff compares at most the first ``DIFF_BODY_BYTES`` of
each body (``_replay.match``); a connection idle for ``idle_timeout``
seconds is closed; past ``max_connections`` open connections a new one gets
a 503 and is closed (no thread is started for it).
"""
from __future__ import annotations

import ipaddress
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, List, Optional, Sequence, Tuple
from urllib.parse import quote

from pyfantasy.cassette import Cassette, load
from pyfantasy._replay.match import Entry, Matcher, ReplayError, RequestView
from pyfantasy._replay.pacing import DEFAULT_CHUNK_SIZE, body_chunks, chunk_delay, pace_factor

__all__ = ["ReplayServer", "load_sources", "check_loopback", "MAX_BODY", "IDLE_TIMEOUT", "MAX_CONNECTIONS"]

MAX_BODY = 16 * 1024 * 1024  # default: a request body larger than this is refused (413)
IDLE_TIMEOUT = 5.0           # default: seconds a keep-alive connection may stay idle
MAX_CONNECTIONS = 128        # default: open connections (one thread each) at most
_HOP_BY_HOP = frozenset(("connection", "keep-alive", "proxy-connection", "transfer-encoding",
                         "content-length", "te", "trailer", "upgrade"))


def check_loopback(host: str) -> str:
    """``host`` if it is a loopback address (127.0.0.0/8, ::1 or ``localhost``); else ValueError."""
    name = host.strip("[]")
    if name == "localhost":
        return "127.0.0.1"
    try:
        addr = ipaddress.ip_address(name)
    except ValueError:
        raise ValueError(f"{host!r} is not an IP address; the replay server listens only on "
                         "loopback addresses (127.0.0.1, ::1, localhost)") from None
    if not addr.is_loopback:
        raise ValueError(f"{host} is not a loopback address; the replay server listens only on "
                         "loopback addresses (127.0.0.0/8, ::1)")
    return name


def load_sources(paths: Sequence[str]) -> List[Tuple[str, Cassette]]:
    """``(name, cassette)`` for each file, or each ``*.yaml``/``*.yml`` under a folder (sorted).

    The name of a file given directly is its stem; under a folder it is the
    path relative to that folder without the extension (``/`` separated).

    Raises:
        CassetteError: a file is missing or malformed.
    """
    from pyfantasy._files import CASSETTE_SUFFIXES, walk
    out: List[Tuple[str, Cassette]] = []
    for p in paths:
        base = p if os.path.isdir(p) else None
        for f in walk([p], CASSETTE_SUFFIXES):
            rel = os.path.relpath(f, base) if base is not None else os.path.basename(f)
            name = os.path.splitext(rel)[0].replace(os.sep, "/")
            out.append((name, load(f)))
    return out


_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 38\r\n"
         b"Retry-After: 1\r\nConnection: close\r\n\r\ntoo many open connections; retry later\n")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = max(128, socket.SOMAXCONN)  # the listen backlog (socketserver's is 5)

    def __init__(self, address, replay: "ReplayServer"):
        self.replay = replay
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        self._handlers: set = set()  # threads serving a connection (daemons, joined on close)
        super().__init__(address, _Handler)

    def process_request_thread(self, request, client_address):
        me = threading.current_thread()
        with self._conns_lock:
            self._handlers.add(me)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._conns_lock:
                self._handlers.discard(me)

    def join_handlers(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds in all for the handler threads to end (a response
        already sent still gets its log line)."""
        deadline = time.monotonic() + timeout
        with self._conns_lock:
            handlers = list(self._handlers)
        for t in handlers:
            t.join(max(0.0, deadline - time.monotonic()))

    def process_request(self, request, client_address):
        with self._conns_lock:
            busy = len(self._conns) >= self.replay.max_connections
            if not busy:
                self._conns.add(request)
        if busy:  # answered from the accept loop: a small write to a fresh socket, no thread
            try:
                request.settimeout(0.5)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.replay.log(f"{client_address[0]}:{client_address[1]} -> 503 "
                            f"(already {self.replay.max_connections} open connections)")
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):  # a client that went away is not news
        import sys
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        self.replay.log(f"error serving {client_address[0]}:{client_address[1]}: "
                        f"{type(exc).__name__}: {exc}")


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _BadRequest(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pyfantasy-replay"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        self.timeout = self.server.replay.idle_timeout  # an idle connection is closed after it
        super().setup()
        try:  # each response leaves in as few writes as it can; never wait on Nagle
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_request(self, code="-", size="-"):  # our own log line is written after the body
        pass

    def log_error(self, format, *args):
        if not format.startswith("Request timed out"):  # an idle keep-alive connection closed
            super().log_error(format, *args)

    def _end_headers_with(self, data: bytes) -> None:
        """``end_headers()`` and ``data`` in one write (one TCP segment for small responses)."""
        if self.request_version == "HTTP/0.9":
            self.wfile.write(data)
            return
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(data)
        self.flush_headers()

    def log_message(self, format, *args):
        self.server.replay.log(format % args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise _BadRequest(400, "bad chunked request body") from None
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                total += size
                if total > self.server.replay.max_body:
                    raise _BadRequest(413, self._too_large())
                parts.append(self.rfile.read(size))
                self.rfile.readline(3)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise _BadRequest(400, "bad Content-Length") from None
        if n < 0:
            raise _BadRequest(400, "bad Content-Length")
        if n > self.server.replay.max_body:
            raise _BadRequest(413, self._too_large(n))
        return self.rfile.read(n)

    def _discard_body(self, limit: int = 256 * 1024 * 1024) -> None:
        """After a 413: read (and drop, 64 KiB at a time) what the client still sends, up to
        ``limit`` bytes, so that a client writing its whole body before reading gets the 413
        instead of a broken pipe. Memory stays flat; the idle timeout still applies."""
        try:
            self.wfile.flush()
            left = int(self.headers.get("Content-Length") or limit)
            left = min(left, limit)
            while left > 0:
                got = self.rfile.read1(min(left, 65536)) if hasattr(self.rfile, "read1") else \
                    self.rfile.read(min(left, 65536))
                if not got:
                    break
                left -= len(got)
        except (OSError, ValueError):
            pass

    def _too_large(self, n: Optional[int] = None) -> str:
        size = f" ({n} bytes)" if n is not None else ""
        return (f"request body too large{size}: this server accepts at most "
                f"{self.server.replay.max_body} bytes (pyfantasy serve --max-body)")

    def _send_json(self, code: int, obj: dict) -> None:
        data = json.dumps(obj, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Pyfantasy-Replay", "no-match" if code == 404 else "error")
        self._end_headers_with(b"" if self.command == "HEAD" else data)

    def _header(self, key: str, value: str) -> None:
        # http.server encodes header lines as latin-1: pass UTF-8 bytes through unchanged
        self.send_header(key, value.encode("utf-8").decode("latin-1"))

    def _serve(self, entry: Entry) -> int:
        replay = self.server.replay
        r = entry.interaction.response
        code = r.code or 200
        head, _, reason = (r.status or "").partition(" ")
        self.send_response(code, reason if head == str(code) and reason else None)
        for k, vs in r.headers.items():
            low = k.lower()
            if low in _HOP_BY_HOP or (r.uncompressed and low == "content-encoding"):
                continue
            for v in vs:
                self._header(k, v)
        self._header("X-Pyfantasy-Replay", f"{entry.label}#{entry.interaction.id}")
        no_body = self.command == "HEAD" or code in (204, 304) or 100 <= code < 200
        body = b"" if no_body else r.body_bytes
        chunks = body_chunks(body, replay.chunk_size)
        delay = chunk_delay(r.duration_ns, len(chunks), replay.pace)
        fixed = not r.transfer_encoding and r.content_length == len(body)
        if no_body:
            self.end_headers()
            return 0
        if fixed:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        if not delay:  # not paced: headers and body in one write
            framed = [body] if fixed else [b"%x\r\n%s\r\n" % (len(c), c) for c in chunks] + [b"0\r\n\r\n"]
            self._end_headers_with(b"".join(framed))
            return len(body)
        self.end_headers()
        write = self.wfile.write
        for chunk in chunks:
            if delay:
                time.sleep(delay)
            if fixed:
                write(chunk)
            else:
                write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        if not fixed:
            write(b"0\r\n\r\n")
            self.wfile.flush()
        return len(body)

    def _replay(self) -> None:
        replay = self.server.replay
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self._send_json(exc.code, {"error": {"type": "bad_request", "message": str(exc)}})
            if exc.code == 413:
                self._discard_body()
            return
        view = RequestView(self.command, self.path, body)
        try:
            entry = replay.find(view)
        except ReplayError as exc:
            replay.log(f"{self.command} {self.path} -> 404 no match"
                       + (f" (closest: {exc.closest['cassette']}#{exc.closest['interaction']})"
                          if exc.closest else ""))
            self._send_json(404, {"error": exc.to_json()})
            return
        try:
            n = self._serve(entry)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            replay.log(f"{self.command} {self.path} -> {entry.label}#{entry.interaction.id} "
                       "(client went away)")
            return
        replay.log(f"{self.command} {self.path} -> {entry.label}#{entry.interaction.id} "
                   f"{entry.interaction.response.code} ({n} bytes)")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _replay


class ReplayServer:
    """Replay ``cassettes`` (``(name, Cassette)`` pairs) over HTTP on a loopback address.

    ``port=0`` picks a free port (see ``url``). ``max_body`` (bytes; larger
    request bodies get a 413), ``idle_timeout`` (seconds before an idle
    connection is closed) and ``max_connections`` (more get a 503) bound what
    clients can make the server hold. Use ``start()`` to serve from
    a background thread, or ``serve_forever()`` in the current one; ``close()``
    (or the context manager) stops it.

    Raises:
        ValueError: ``host`` is not a loopback address.
        OSError: the address cannot be bound (e.g. the port is in use).
    """

    def __init__(self, cassettes: Sequence[Tuple[str, Cassette]], host: str = "127.0.0.1",
                 port: int = 0, *, chunk_size: Optional[int] = DEFAULT_CHUNK_SIZE,
                 pace: float = 0.0, allow_playback_repeats: bool = False,
                 log: Optional[Callable[[str], None]] = None, name: Optional[str] = None,
                 max_body: int = MAX_BODY, idle_timeout: float = IDLE_TIMEOUT,
                 max_connections: int = MAX_CONNECTIONS):
        host = check_loopback(host)
        if max_body < 0 or idle_timeout <= 0 or max_connections < 1:
            raise ValueError("max_body must be >= 0, idle_timeout > 0 and max_connections >= 1")
        self.max_body = max_body
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.names = [n for n, _ in cassettes]
        self.matcher = Matcher(((n, it) for n, c in cassettes for it in c.interactions),
                               repeats=allow_playback_repeats, url_mode="path",
                               name=name or ", ".join(self.names) or "<no cassette>")
        self._routes = sorted({n: "/" + quote(n) for n in self.names}.items(),
                              key=lambda kv: -len(kv[1]))
        self.chunk_size = chunk_size
        self.pace = pace_factor(pace)
        self._log = log
        cls = _HTTPServer6 if ":" in host else _HTTPServer
        self._httpd = cls((host, port), self)
        self._thread: Optional[threading.Thread] = None
        self._serving = False
        self._closed = False

    @property
    def address(self) -> Tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return host, port

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` (IPv6 hosts in brackets)."""
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    def find(self, view: RequestView) -> Entry:
        """The interaction answering ``view`` (marked replayed); ReplayError when none does."""
        routed_error = None
        for name, prefix in self._routes:
            if view.url == prefix or view.url.startswith(prefix + "/") or \
                    view.url.startswith(prefix + "?"):
                rest = view.url[len(prefix):]
                if not rest.startswith("/"):
                    rest = "/" + rest
                sub = RequestView(view.method, rest, view.body)
                entry = self.matcher.match(sub, only=name)
                if entry is not None:
                    return entry
                routed_error = self.matcher.explain(sub, only=name)
                break
        entry = self.matcher.match(view)
        if entry is not None:
            return entry
        raise routed_error if routed_error is not None else self.matcher.explain(view)

    def serve_forever(self, poll_interval: float = 0.2) -> None:
        """Serve in this thread until ``shutdown()`` (from another thread) or an exception."""
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval)
        finally:
            self._serving = False

    def start(self) -> "ReplayServer":
        """Serve from a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,),
                                        name="pyfantasy-replay", daemon=True)
        self._serving = True
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop ``serve_forever`` running in another thread."""
        if self._serving:
            self._httpd.shutdown()

    def close(self) -> None:
        """Stop serving, close the listening socket and every open connection."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self.shutdown()
            self._thread.join(5)
        self._httpd.server_close()
        self._httpd.close_connections()
        self._httpd.join_handlers(2.0)

    def __enter__(self) -> "ReplayServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The replay server under load and hostile clients (issue 12, items 10-13): keep-alive
requests cost what fresh connections do, a real listen backlog, a bounded request body and
404 diff, an idle timeout and a connection cap. Servers listen on 127.0.0.1 only, every
loop is bounded and every server is closed by its test."""
from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from pyfantasy.cassette import Cassette, Interaction, Request, Response
from pyfantasy._replay.server import IDLE_TIMEOUT, MAX_BODY, ReplayServer

PATH = "/v1/chat/completions"
REQUEST = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})


def _cassette() -> Cassette:
    body = '{"id":"x","choices":[{"index":0,"message":{"content":"Oi"},"finish_reason":"stop"}]}'
    return Cassette(interactions=[Interaction(
        id=0, request=Request(proto="HTTP/1.1", proto_major=1, proto_minor=1, body=REQUEST,
                              url="https://api.openai.com" + PATH, method="POST"),
        response=Response(proto="HTTP/1.1", proto_major=1, proto_minor=1, content_length=len(body),
                          body=body, headers={"Content-Type": ["application/json"]},
                          status="200 OK", code=200))])


@pytest.fixture
def serve():
    servers = []

    def start(run=True, **kw) -> ReplayServer:
        s = ReplayServer([("c", _cassette())], allow_playback_repeats=True, **kw)
        servers.append(s)
        return s.start() if run else s
    yield start
    for s in servers:
        s.close()


def _post(conn: http.client.HTTPConnection, body: str = REQUEST):
    conn.request("POST", PATH, body=body.encode(), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    return r.status, r.read()


def test_keep_alive_requests_cost_what_fresh_connections_do(serve):
    """Item 10: headers and body in one write, TCP_NODELAY: no 40 ms Nagle/delayed-ACK stall."""
    s = serve()
    host, port = s.address
    n = 200
    t = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=10)
    for _ in range(n):
        assert _post(conn)[0] == 200
    conn.close()
    keep_alive = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(n):
        conn = http.client.HTTPConnection(host, port, timeout=10)
        assert _post(conn)[0] == 200
        conn.close()
    fresh = time.perf_counter() - t
    assert keep_alive <= 2 * fresh, f"{n} keep-alive requests {keep_alive:.3f}s, {n} fresh {fresh:.3f}s"


def test_listen_backlog_holds_a_burst_of_connects(serve):
    """Item 11: 64 connects while nothing accepts all complete (a backlog of 5 drops SYNs:
    the sixth connect stalls for a second)."""
    s = serve(run=False)  # listening, not accepting
    socks = []
    try:
        for _ in range(64):
            socks.append(socket.create_connection(s.address, timeout=0.5))
    except socket.timeout:
        pytest.fail(f"connect {len(socks) + 1} timed out: the listen backlog is too small")
    finally:
        for sk in socks:
            sk.close()


def test_request_body_over_the_limit_is_a_clear_413(serve):
    """Item 12: a body over ``max_body`` gets 413 naming the limit, without being stored; the
    client writing its whole body first still reads the answer."""
    assert MAX_BODY == 16 * 1024 * 1024
    s = serve(max_body=1000)
    conn = http.client.HTTPConnection(*s.address, timeout=10)
    status, data = _post(conn, json.dumps({"model": "m", "pad": "x" * 3_000_000}))
    assert status == 413
    msg = json.loads(data)["error"]["message"]
    assert "too large" in msg and "1000 bytes" in msg and "--max-body" in msg
    conn.close()
    conn = http.client.HTTPConnection(*s.address, timeout=10)
    assert _post(conn)[0] == 200  # the server is fine


@pytest.mark.parametrize("shape", ["one-long-string", "many-objects", "not-json"])
def test_404_diff_is_bounded_for_a_large_body(serve, shape):
    """Item 12: the 404 for a 4 MB non-matching body compares a bounded prefix and cuts long
    lines, each with a marker; the response stays small."""
    s = serve()
    body = {"one-long-string": json.dumps({"model": "m", "messages": [{"content": "x" * 4_000_000}]}),
            "many-objects": json.dumps({"model": "m", "messages": [{"role": "user"}] * 200_000}),
            "not-json": "y" * 4_000_000}[shape]
    conn = http.client.HTTPConnection(*s.address, timeout=30)
    status, data = _post(conn, body)
    assert status == 404
    assert len(data) < 40_000
    diff = json.loads(data)["error"]["diff"]
    assert "body truncated" in diff or "more diff lines" in diff
    assert "line truncated" in diff or shape == "many-objects"
    assert max(len(line) for line in diff.splitlines()) < 500


def test_idle_keep_alive_connection_is_closed(serve):
    """Item 13: a connection idle for ``idle_timeout`` seconds is closed (default a few seconds)."""
    assert IDLE_TIMEOUT <= 10
    s = serve(idle_timeout=0.3)
    with socket.create_connection(s.address, timeout=5) as sk:
        req = (f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(REQUEST)}\r\n\r\n{REQUEST}").encode()
        sk.sendall(req)
        t = time.monotonic()
        data = b""
        while True:  # the response, then EOF when the server closes the idle connection
            got = sk.recv(65536)
            if not got:
                break
            data += got
        assert data.startswith(b"HTTP/1.1 200")
        assert time.monotonic() - t < 4


def test_connection_cap_answers_503_without_a_thread(serve):
    """Item 13: past ``max_connections`` open connections, a new one gets a 503 at once (no
    thread); when one closes, the next is served."""
    s = serve(max_connections=3, idle_timeout=5)
    idle = [socket.create_connection(s.address, timeout=5) for _ in range(3)]
    try:
        deadline = time.monotonic() + 5
        while len(s._httpd._handlers) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(s._httpd._handlers) == 3
        with socket.create_connection(s.address, timeout=5) as extra:
            data = b""
            while True:
                got = extra.recv(4096)
                if not got:
                    break
                data += got
        assert data.startswith(b"HTTP/1.1 503") and b"too many open connections" in data
        assert len(s._httpd._handlers) <= 3
    finally:
        idle.pop().close()
    deadline = time.monotonic() + 5
    while len(s._httpd._conns) >= 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    conn = http.client.HTTPConnection(*s.address, timeout=5)
    assert _post(conn)[0] == 200
    conn.close()
    for sk in idle:
        sk.close()


def test_serve_cli_rejects_a_negative_max_body(capsys):
    from pyfantasy.cli import main
    from helpers import ROOT
    assert main(["serve", str(ROOT / "pyfantasy" / "samples"), "--max-body", "-1"]) == 2
    assert "--max-body must not be negative" in capsys.readouterr().err

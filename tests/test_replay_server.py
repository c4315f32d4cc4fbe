"""The loopback replay server (``pyfantasy._replay.server``) and ``pyfantasy serve``.

Only 127.0.0.1 is used; every request loop here is bounded, and every server
is closed by its test (the CLI ones by a signal, with a timeout).
"""
from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy.cassette import Cassette, Interaction, Request, Response, load
from pyfantasy.cli import main as cli_main
from pyfantasy._replay.server import ReplayServer, check_loopback, load_sources

URL = "https://api.example.test/v1/chat/completions"


def cassette(*pairs, duration_ns=1_000_000, content_length=None) -> Cassette:
    its = []
    for i, (req, resp) in enumerate(pairs):
        its.append(Interaction(
            id=i,
            request=Request(proto="HTTP/1.1", proto_major=1, proto_minor=1, body=req, url=URL,
                            method="POST"),
            response=Response(proto="HTTP/2.0", proto_major=2,
                              content_length=-1 if content_length is None else content_length,
                              body=resp, headers={"Content-Type": ["text/event-stream"]},
                              status="200 OK", code=200, duration_ns=duration_ns)))
    return Cassette(interactions=its)


@pytest.fixture
def serve():
    servers = []

    def start(cassettes, **kw) -> ReplayServer:
        s = ReplayServer(cassettes, **kw).start()
        servers.append(s)
        return s
    yield start
    for s in servers:
        s.close()


def http() -> httpx.Client:
    return httpx.Client(trust_env=False, verify=False, timeout=10)  # plain HTTP to 127.0.0.1


def raw_exchange(server: ReplayServer, request: bytes) -> bytes:
    """Send ``request`` on a plain socket and read until the server closes or the body ends."""
    host, port = server.address
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while not (data.endswith(b"0\r\n\r\n") or b"Content-Length" in data and
                   len(data.split(b"\r\n\r\n", 1)[-1]) >= int(
                       data.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_streams_chunked_when_the_length_is_unknown(serve):
    s = serve([("c", cassette(("{}", "data: one\n\ndata: two\n\n")))], chunk_size=5)
    data = raw_exchange(s, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 2\r\n\r\n{}")
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Type: text/event-stream" in head
    assert body.startswith(b"5\r\ndata:\r\n5\r\n one\n\r\n") and body.endswith(b"\r\n0\r\n\r\n")


def test_sends_content_length_when_recorded(serve):
    s = serve([("c", cassette(("{}", '{"a":1}'), content_length=7))])
    with http() as c:
        r = c.post(s.url + "/v1/chat/completions", content=b"{}")
    assert r.headers["content-length"] == "7" and r.json() == {"a": 1}
    assert "transfer-encoding" not in r.headers


def test_no_match_is_a_404_with_the_diff(serve):
    s = serve([("c", cassette(('{"model":"a"}', "x")))])
    with http() as c:
        r = c.post(s.url + "/v1/chat/completions", content=b'{"model":"b"}')
    assert r.status_code == 404 and r.headers["x-pyfantasy-replay"] == "no-match"
    err = r.json()["error"]
    assert err["type"] == "pyfantasy_replay_no_match"
    assert err["closest"]["interaction"] == 0 and err["url"] == "/v1/chat/completions"
    assert '-  "model": "a"' in err["diff"] and '+  "model": "b"' in err["diff"]


def test_each_interaction_once_then_404_then_repeat_mode(serve):
    cas = cassette(("{}", "first"), ("{}", "second"))
    s = serve([("c", cas)])
    with http() as c:  # one keep-alive connection for all
        got = [c.post(s.url + "/v1/chat/completions", content=b"{}") for _ in range(3)]
    assert [r.text for r in got[:2]] == ["first", "second"] and got[2].status_code == 404
    assert "already" in got[2].json()["error"]["message"]
    s2 = serve([("c", cas)], allow_playback_repeats=True)
    with http() as c:
        assert [c.post(s2.url + "/v1/chat/completions", content=b"{}").text
                for _ in range(3)] == ["first"] * 3


def test_concurrent_clients_get_each_interaction_once(serve):
    n = 6
    s = serve([("c", cassette(*[("{}", f"r{i}") for i in range(n)]))])
    out, lock = [], threading.Lock()

    def one():
        with http() as c:
            text = c.post(s.url + "/v1/chat/completions", content=b"{}").text
        with lock:
            out.append(text)
    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(out) == sorted(f"r{i}" for i in range(n))


def test_chunked_request_bodies_are_read(serve):
    s = serve([("c", cassette(('{"a": 1}', "ok")))])

    def gen():
        yield b'{"a":'
        yield b" 1}"
    with http() as c:
        r = c.post(s.url + "/v1/chat/completions", content=gen())
    assert r.text == "ok"


def test_folder_routes_by_cassette_name(tmp_path, serve):
    (tmp_path / "a").mkdir()
    cassette(("{}", "from a")).save(tmp_path / "a" / "one.yaml")
    cassette(("{}", "from b")).save(tmp_path / "b.yaml")
    sources = load_sources([str(tmp_path)])
    assert [name for name, _ in sources] == ["a/one", "b"]
    s = serve(sources)
    with http() as c:
        assert c.post(s.url + "/b/v1/chat/completions", content=b"{}").text == "from b"
        assert c.post(s.url + "/v1/chat/completions", content=b"{}").text == "from a"
        r = c.post(s.url + "/b/v1/chat/completions", content=b"{}")
        assert r.status_code == 404 and r.json()["error"]["cassette"] == "b"
    assert r.headers["x-pyfantasy-replay"] == "no-match"


def test_pacing(serve):
    s = serve([("c", cassette(("{}", "x" * 40), duration_ns=200_000_000))], chunk_size=10, pace=0.5)
    with http() as c:
        start = time.perf_counter()
        assert c.post(s.url + "/v1/chat/completions", content=b"{}").text == "x" * 40
    assert time.perf_counter() - start >= 0.09


def test_a_client_that_goes_away_does_not_stop_the_server(serve):
    s = serve([("c", cassette(("{}", "y" * 200000), ("{}", "after")))], chunk_size=1000)
    host, port = s.address
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        sock.recv(100)
    with http() as c:
        assert c.post(s.url + "/v1/chat/completions", content=b"{}").text == "after"


@needs_corpus
def test_binary_bodies_over_http(serve):
    path = CORPUS / "fantasy/TestBedrockCommon/bedrock-anthropic-claude-haiku-4-5/simple_streaming.yaml"
    cas = load(path)
    it = cas.interactions[0]
    s = serve([("c", cas)], chunk_size=64)
    target = it.request.url.split("amazonaws.com", 1)[1]
    with http() as c:
        r = c.post(s.url + target, content=it.request.body_bytes)
    assert r.content == it.response.body


@pytest.mark.parametrize("host,ok", [("127.0.0.1", True), ("127.5.6.7", True), ("localhost", True),
                                     ("::1", True), ("0.0.0.0", False), ("10.0.0.1", False),
                                     ("example.com", False)])
def test_only_loopback_addresses(host, ok):
    if ok:
        assert check_loopback(host)
    else:
        with pytest.raises(ValueError, match="loopback"):
            check_loopback(host)


def test_ipv6_loopback(serve):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        s = serve([("c", cassette(("{}", "six")))], host="::1")
    except OSError:
        pytest.skip("::1 not available")
    assert s.url.startswith("http://[::1]:")
    with http() as c:
        assert c.post(s.url + "/v1/chat/completions", content=b"{}").text == "six"


# ---- the CLI -----------------------------------------------------------------------------

def test_cli_port_in_use_is_exit_2(tmp_path, capsys):
    cassette(("{}", "x")).save(tmp_path / "c.yaml")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert cli_main(["serve", str(tmp_path / "c.yaml"), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("content,expect", [
    (None, "cannot read the file"),
    ("---\nversion: 2\ninteractions:\n- id: [\n", "invalid YAML"),
])
def test_cli_bad_cassette_is_exit_2(tmp_path, capsys, content, expect):
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_text(content)
    assert cli_main(["serve", str(path)]) == 2
    err = capsys.readouterr().err
    assert expect in err and "c.yaml" in err and "Traceback" not in err


def test_cli_refuses_other_hosts(tmp_path, capsys):
    cassette(("{}", "x")).save(tmp_path / "c.yaml")
    assert cli_main(["serve", str(tmp_path / "c.yaml"), "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_cli_empty_folder(tmp_path, capsys):
    assert cli_main(["serve", str(tmp_path)]) == 2
    assert "no cassette found" in capsys.readouterr().err


def _start_cli(path, *extra):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "pyfantasy", "serve", str(path), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    ready, _, _ = select.select([proc.stdout], [], [], 30)
    if not ready:
        proc.kill()
        pytest.fail("pyfantasy serve printed no URL within 30 s")
    url = proc.stdout.readline().decode().strip()
    return proc, url


def test_a_stop_raised_while_a_connection_is_taken_stops_the_server(monkeypatch):
    """SIGTERM's _Stop can come while the main thread takes a connection (starting its handler
    thread: the handler may even have answered already). socketserver catches an Exception
    there, logs it and serves on; _Stop is not one, so it ends serve_forever as KeyboardInterrupt
    does (it hung `serve` about once in 230 SIGTERMs)."""
    from pyfantasy.cli.serve import _Stop
    server = ReplayServer([("c", cassette(('{"q":1}', "data: hi\n\n")))])
    def taking(request, client_address):
        server._httpd.shutdown_request(request)
        raise _Stop()
    monkeypatch.setattr(server._httpd, "process_request", taking)
    stopped = []

    def serve():
        try:
            server.serve_forever(0.05)
        except _Stop:
            stopped.append(1)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        host, port = server._httpd.server_address[:2]
        socket.create_connection((host, port), timeout=5).close()
        t.join(5)
        assert stopped, "the server caught _Stop and went on serving"
    finally:
        if t.is_alive():
            server._httpd.shutdown()
        server.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_serves_then_stops_cleanly_on_signal(tmp_path, sig):
    cassette(('{"q":1}', "data: hi\n\n")).save(tmp_path / "c.yaml")
    proc, url = _start_cli(tmp_path / "c.yaml", "--chunk-size", "3")
    try:
        assert url.startswith("http://127.0.0.1:")
        with http() as c:
            with c.stream("POST", url + "/v1/chat/completions", content=b'{"q": 1}') as r:
                assert r.read() == b"data: hi\n\n"
            keep_alive = c  # the connection stays open while the server stops
            proc.send_signal(sig)
            code = proc.wait(timeout=15)
            del keep_alive
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read().decode()
    assert code == 0, err
    assert "POST /v1/chat/completions -> c#0 200" in err and "stopped" in err
    assert "Traceback" not in err

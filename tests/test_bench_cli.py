"""``pyfantasy bench``: the table and the JSON on a tiny input, the event-count check, GC, errors.

The input is made here (two-event cassettes written with yaml.safe_dump),
so the runs take well under a second: one repetition, no minimum time.
"""
from __future__ import annotations

import base64
import gc
import json
import re
import struct
import zlib

import pytest
import yaml

from pyfantasy import bench
from pyfantasy._tools.bench import frontends, pipelines
from pyfantasy._kernels import native_available
from pyfantasy.cli import main

CHAT_STREAM = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    '"delta":{"role":"assistant","content":"Ol"},"finish_reason":null}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    '"delta":{"content":"á!"},"finish_reason":null}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,'
    '"delta":{},"finish_reason":"stop"}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],'
    '"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n'
    "data: [DONE]\n\n")
CHAT_EVENTS = 5
CHAT_DOC = json.dumps({
    "id": "c2", "object": "chat.completion", "created": 1, "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Olá!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}})
ANTHROPIC_EVENTS_JSON = [
    {"type": "message_start", "message": {"id": "m1", "type": "message", "role": "assistant", "model": "claude",
                                          "content": [], "stop_reason": None, "stop_sequence": None,
                                          "usage": {"input_tokens": 5, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Olá"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
     "usage": {"output_tokens": 3}},
    {"type": "message_stop"},
]
ANTHROPIC_STREAM = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in ANTHROPIC_EVENTS_JSON)


def _frame(payload: bytes) -> bytes:
    """One AWS event-stream message (prelude, string headers, CRCs) as Bedrock sends it."""
    headers = b"".join(bytes([len(k)]) + k + b"\x07" + struct.pack(">H", len(v)) + v for k, v in (
        (b":event-type", b"chunk"), (b":content-type", b"application/json"), (b":message-type", b"event")))
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    head = prelude + struct.pack(">I", zlib.crc32(prelude))
    msg = head + headers + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


BEDROCK_STREAM = b"".join(
    _frame(json.dumps({"bytes": base64.b64encode(json.dumps(e).encode()).decode()}).encode())
    for e in ANTHROPIC_EVENTS_JSON)


def _interaction(i, url, req, body, ctype):
    return {"id": i, "request": {"body": json.dumps(req), "headers": {"Content-Type": ["application/json"]},
                                 "url": url, "method": "POST"},
            "response": {"body": body, "headers": {"Content-Type": [ctype]}, "status": "200 OK", "code": 200,
                         "duration": "1.5s"}}


@pytest.fixture
def tiny(tmp_path):
    """A folder with one chat cassette (stream + single + an HTTP error) and one anthropic stream."""
    chat = {"version": 2, "interactions": [
        _interaction(0, "https://api.openai.com/v1/chat/completions",
                     {"model": "gpt-4o", "stream": True, "messages": []}, CHAT_STREAM, "text/event-stream"),
        _interaction(1, "https://api.openai.com/v1/chat/completions",
                     {"model": "gpt-4o", "messages": []}, CHAT_DOC, "application/json"),
        _interaction(2, "https://api.openai.com/v1/chat/completions",
                     {"model": "gpt-4o", "messages": []}, '{"error":{"message":"nope"}}', "application/json"),
    ]}
    chat["interactions"][2]["response"].update(code=500, status="500 Internal Server Error")
    anth = {"version": 2, "interactions": [
        _interaction(0, "https://api.anthropic.com/v1/messages",
                     {"model": "claude", "stream": True, "messages": []}, ANTHROPIC_STREAM, "text/event-stream")]}
    (tmp_path / "chat.yaml").write_text(yaml.safe_dump(chat, allow_unicode=True, sort_keys=False))
    (tmp_path / "anthropic.yaml").write_text(yaml.safe_dump(anth, allow_unicode=True, sort_keys=False))
    return tmp_path


FAST = ["--repeat", "1", "--min-time", "0", "--quiet"]


def _run(capsys, *argv):
    code = main(["bench", *argv])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.native  # the default backend
def test_table_on_tiny_input(tiny, capsys):
    code, out, err = _run(capsys, str(tiny), *FAST)
    assert code == 0, err
    assert "(2 cassette files)" in out
    blocks = {b.splitlines()[0].split(":")[0]: b for b in out.split("\n\n")[1:] if ":" in b.splitlines()[0]}
    assert "openai-chat stream" in blocks and "openai-chat single" in blocks and "anthropic stream" in blocks
    # the HTTP 500 interaction is not a body to decode
    assert blocks["openai-chat single"].splitlines()[0].startswith("openai-chat single: 1 body,")
    assert f"{CHAT_EVENTS} events" in blocks["openai-chat stream"].splitlines()[0]
    chat = blocks["openai-chat stream"].splitlines()
    assert chat[1].split() == ["contender", "version", "MB/s", "events/s", "vs", "fastest", "notes"]
    rows = {line.split()[0]: line for line in chat[2:]}
    expected = {"pyfantasy-python", "httpx-sse+json", "httpx-sse+orjson", "orjson-bytes", "openai-sdk"}
    if native_available():
        expected.add("pyfantasy-native")
    assert expected <= set(rows)
    ratios = []
    for name in expected:
        m = re.search(r"\s(\d+\.\d\d)\s+(\d+(?:\.\d+)?[kMG]?)\s+(\d+\.\d\d)x", rows[name])
        assert m, rows[name]
        ratios.append(float(m.group(3)))
    # fastest first, ratio 1.00 for it, the others slower
    assert ratios and min(ratios) == 1.0 and chat[2].split()[-1] == "1.00x"
    # pyfantasy does not decode anthropic yet in every checkout: either timed or skipped with the reason
    anth = {line.split()[0]: line for line in blocks["anthropic stream"].splitlines()[2:]}
    assert "anthropic-sdk" in anth and "x" in anth["anthropic-sdk"].split()[-1]
    assert re.search(r"\d\.\d\dx|SKIPPED", anth["pyfantasy-python"])


@pytest.mark.native  # the default backend
def test_json_shape(tiny, capsys):
    code, out, err = _run(capsys, str(tiny), "--json", *FAST)
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"environment", "source", "files", "chunk", "repeat", "min_time", "workloads"}
    assert doc["files"] == 2 and doc["chunk"] == bench.DEFAULT_CHUNK and doc["repeat"] == 1
    assert {"pyfantasy", "native", "python", "platform"} <= set(doc["environment"])
    by = {(w["format"], w["stream"]): w for w in doc["workloads"]}
    assert set(by) == {("openai-chat", True), ("openai-chat", False), ("anthropic", True)}
    chat = by[("openai-chat", True)]
    assert chat["bodies"] == 1 and chat["bytes"] == len(CHAT_STREAM.encode()) and chat["events"] == CHAT_EVENTS
    assert by[("anthropic", True)]["events"] == len(ANTHROPIC_EVENTS_JSON)
    for w in doc["workloads"]:
        ok = [r for r in w["results"] if r["status"] == "ok"]
        assert ok, w
        assert min(r["ratio"] for r in ok) == 1.0
        for r in w["results"]:
            assert set(r) == {"name", "version", "status", "reason", "notes", "seconds", "number", "events",
                              "mb_per_s", "events_per_s", "ratio"}
            assert r["status"] in ("ok", "failed", "skipped")
            if r["status"] == "ok":
                assert r["events"] == w["events"]
                assert r["seconds"] > 0 and r["number"] >= 1
                assert r["mb_per_s"] == pytest.approx(w["bytes"] / r["seconds"] / 1e6)
                assert r["events_per_s"] == pytest.approx(w["events"] / r["seconds"])
            else:
                assert r["seconds"] is None and r["reason"]
        names = [r["name"] for r in w["results"]]
        assert "pyfantasy-python" in names
    # no peer silently failed on this input
    assert not [r for w in doc["workloads"] for r in w["results"] if r["status"] == "failed"]


def test_contender_filter_and_wire_format(tiny, capsys):
    code, out, _ = _run(capsys, str(tiny), "--json", "--wire", "openai-chat",
                        "--contender", "pyfantasy-python", "--contender", "orjson", *FAST)
    assert code == 0
    doc = json.loads(out)
    assert {w["format"] for w in doc["workloads"]} == {"openai-chat"}
    for w in doc["workloads"]:
        assert {r["name"] for r in w["results"]} <= {"pyfantasy-python", "orjson"}


def _workload(n_events=3):
    body = b"".join(b'data: {"x":%d}\n\n' % i for i in range(n_events))
    b = bench.Body(body, "openai-chat", True, "openai", "https://api.openai.com/v1/chat/completions", None,
                   bench.reference_events(body, "openai-chat", True))
    return bench.Workload("openai-chat", True, [b], [[body]])


def _fake(name, run, counter=None, make=None):
    counter = counter or frontends.EventCounter()
    return bench.Contender(name, None, lambda w: True, make or (lambda w: (run, counter)))


def test_wrong_event_count_fails_and_is_not_timed():
    wl = _workload()
    assert wl.events == 3
    good = _fake("good", lambda: 3)
    lazy = _fake("lazy", lambda: 0)          # would be the fastest: it does nothing
    boom = _fake("boom", lambda: 1 / 0)
    res = {r.name: r for r in bench.run_workload(wl, [good, lazy, boom], repeat=2, min_time=0)}
    assert res["good"].status == "ok" and res["good"].ratio == 1.0 and res["good"].seconds > 0
    assert res["lazy"].status == "failed" and res["lazy"].seconds is None and res["lazy"].ratio is None
    assert res["lazy"].reason == "processed 0 events, expected 3"
    assert res["boom"].status == "failed" and "ZeroDivisionError" in res["boom"].reason
    table = bench.format_table([(wl, list(res.values()))])
    assert re.search(r"lazy\s+-\s+-\s+FAILED\s+processed 0 events, expected 3", table)


def _chat_workload(expected):
    data = CHAT_STREAM.encode()
    b = bench.Body(data, "openai-chat", True, "openai", "https://api.openai.com/v1/chat/completions", None,
                   CHAT_EVENTS, "chat#0", expected)
    return bench.Workload("openai-chat", True, [b], [[data[:50], data[50:]]])


@pytest.mark.parametrize("name", ["pyfantasy-python",
                                  pytest.param("pyfantasy-native", marks=pytest.mark.needs_native)])
def test_pyfantasy_result_is_checked_against_the_python_backend(name):
    from pyfantasy.decode import decode_body
    good = decode_body(CHAT_STREAM.encode(), "openai-chat", True, "python").to_json_bytes()
    assert b"Ol\xc3\xa1!" in good
    (c,) = [c for c in bench.contenders() if c.name == name]
    (r,) = bench.run_workload(_chat_workload(good), [c], repeat=1, min_time=0)
    assert r.status == "ok" and r.events == CHAT_EVENTS, r.reason
    (r,) = bench.run_workload(_chat_workload(good.replace(b"Ol", b"Hi")), [c], repeat=1, min_time=0)
    assert r.status == "failed" and r.seconds is None
    assert r.reason == "chat#0: the Response differs from the python backend's"


def test_missing_library_is_skipped():
    def make(w):
        raise ModuleNotFoundError("No module named 'nolib'", name="nolib")
    c = bench.Contender("nolib-pipeline", "nolib", lambda w: True, make)
    (r,) = bench.run_workload(_workload(), [c], repeat=1, min_time=0)
    assert r.status == "skipped" and r.reason == "nolib not installed"


def test_gc_disabled_while_timing_and_restored():
    states = []

    def run():
        states.append(gc.isenabled())
        return 3
    assert gc.isenabled()
    bench.run_workload(_workload(), [_fake("probe", run)], repeat=3, min_time=0)
    assert states[0] is True            # the checking call runs as usual
    assert states[1:] and not any(states[1:])   # every timed call runs with GC off
    assert gc.isenabled()


def test_min_time_loops_the_workload():
    calls = []
    c = _fake("quick", lambda: calls.append(1) or 3)
    (r,) = bench.run_workload(_workload(), [c], repeat=2, min_time=0.002)
    assert r.number > 1 and len(calls) == 1 + 2 * r.number


def test_sdk_rejections_are_noted():
    counter = frontends.EventCounter()

    def run():
        counter.rejected = 2
        return 3
    (r,) = bench.run_workload(_workload(), [_fake("sdk", run, counter)], repeat=1, min_time=0)
    assert r.status == "ok" and r.notes == "the SDK rejected 2 of 3 events"


def test_reference_events():
    assert bench.reference_events(b"data: a\r\n\r\ndata: b\n\n:comment\n\ndata: c", "openai-chat", True) == 2
    assert bench.reference_events(b"{}", "openai-chat", False) == 1
    assert bench.reference_events(BEDROCK_STREAM, "bedrock", True) == len(ANTHROPIC_EVENTS_JSON)
    assert bench.reference_events(BEDROCK_STREAM[:-3], "bedrock", True) == len(ANTHROPIC_EVENTS_JSON) - 1


def test_pipelines_assemble_the_message():
    """The hand-written peers really decode: same text, finish and usage as the stream holds."""
    counter = frontends.EventCounter()
    chunks = [CHAT_STREAM.encode()[i:i + 7] for i in range(0, len(CHAT_STREAM.encode()), 7)]
    for split in (frontends.httpx_sse_data, frontends.bytes_sse_data):
        counter.events = 0
        msg = pipelines.assemble_chat(frontends.json_objects(split(chunks, counter), json.loads))
        assert (msg["text"], msg["finish"], msg["usage"]["total_tokens"]) == ("Olá!", "stop", 7)
        assert counter.events == CHAT_EVENTS
    msg = pipelines.assemble_anthropic(ANTHROPIC_EVENTS_JSON)
    assert msg["content"] == [{"type": "text", "text": "Olá"}] and msg["stop_reason"] == "end_turn"
    assert msg["usage"] == {"input_tokens": 5, "output_tokens": 3}


@pytest.mark.native  # the default backend
def test_bedrock_workload(tmp_path, capsys):
    pytest.importorskip("botocore")
    cas = {"version": 2, "interactions": [_interaction(
        0, "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude/invoke-with-response-stream",
        {"anthropic_version": "bedrock-2023-05-31", "messages": []}, BEDROCK_STREAM,
        "application/vnd.amazon.eventstream")]}
    (tmp_path / "bedrock.yaml").write_text(yaml.safe_dump(cas, sort_keys=False))
    code, out, err = _run(capsys, str(tmp_path / "bedrock.yaml"), "--json", *FAST)
    doc = json.loads(out)
    (w,) = doc["workloads"]
    assert (w["format"], w["stream"], w["events"]) == ("bedrock", True, len(ANTHROPIC_EVENTS_JSON))
    res = {r["name"]: r for r in w["results"]}
    assert res["botocore+json"]["status"] == "ok" and res["botocore+json"]["events"] == w["events"]
    assert code == 0, err


def test_default_path_is_the_bundled_samples(monkeypatch, tmp_path, capsys, tiny):
    monkeypatch.setattr("pyfantasy.cli.bench.samples_dir", lambda: str(tiny))
    code, out, _ = _run(capsys, "--json", "--contender", "orjson", *FAST)
    assert code == 0 and json.loads(out)["source"] == str(tiny)
    monkeypatch.setattr("pyfantasy.cli.bench.samples_dir", lambda: str(tmp_path / "nowhere"))
    code, out, err = _run(capsys, *FAST)
    assert code == 2 and out == "" and "no bundled samples" in err and "give a cassette file or folder" in err


@pytest.mark.parametrize("argv, message", [
    (["/nonexistent/cassettes"], "no such file or folder: /nonexistent/cassettes"),
    (["--contender", "fastest-ever", "."], "unknown contender(s) fastest-ever"),
    (["--repeat", "0", "."], "--repeat must be >= 1"),
], ids=["missing-path", "unknown-contender", "bad-repeat"])
def test_usage_errors(argv, message, capsys):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and message in err


def test_folder_without_bodies(tmp_path, capsys):
    (tmp_path / "empty.yaml").write_text("version: 2\ninteractions: []\n")
    (tmp_path / "broken.yaml").write_text("version: [\n")
    code, out, err = _run(capsys, str(tmp_path), *FAST)
    assert code == 2 and "no response body to decode" in err and "(1 cassette file read)" in err
    assert "skipping" in err and "broken.yaml" in err

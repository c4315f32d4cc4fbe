"""``pyfantasy decode`` with a bad file among good ones (issue 12, item 5): each bad file or
interaction is one error line (jsonl: kind, message, offset, partial), the run goes on,
exit status 1 at the end; never a traceback."""
from __future__ import annotations

import json

import pytest

import pyfantasy.cassette
import pyfantasy.decode
from pyfantasy.cassette import Cassette, Interaction, Request, Response as Recorded
from pyfantasy.cli import main


def _chat(body: str, iid: int = 0, url: str = "https://api.openai.com/v1/chat/completions") -> Interaction:
    return Interaction(id=iid, request=Request(url=url, method="POST",
                                               body=json.dumps({"model": "m", "messages": []})),
                       response=Recorded(body=body, code=200, status="200 OK",
                                         headers={"Content-Type": ["application/json"]}))


GOOD = json.dumps({"id": "x", "choices": [{"index": 0, "message": {"content": "Oi"}, "finish_reason": "stop"}]})
# the bad.yaml: an OpenRouter body whose cost is a 400-digit integer
COSTLY = GOOD[:-1] + ',"provider":"P","usage":{"prompt_tokens":1,"total_tokens":1,"cost":%s}}' % ("9" * 400)


@pytest.fixture
def files(tmp_path):
    bad = tmp_path / "bad.yaml"
    Cassette(interactions=[_chat(COSTLY, 0, "https://openrouter.ai/api/v1/chat/completions"),
                           _chat(GOOD, 1), _chat(GOOD, 2)]).save(bad)
    good = tmp_path / "good.yaml"
    Cassette(interactions=[_chat(GOOD, 0)]).save(good)
    deep = tmp_path / "deep.yaml"
    deep.write_text("---\nversion: 2\ninteractions:\n" + "- " * 5000 + "x\n")
    return str(bad), str(good), str(deep)


def _rows(text):
    return [json.loads(line) for line in text.splitlines()]


def test_bad_values_decode_and_the_run_goes_on(files, capsys, backend):
    bad, good, _ = files
    assert main(["decode", bad, good, "--format", "jsonl", "--backend", backend]) == 0
    rows = _rows(capsys.readouterr().out)
    assert [(r["cassette"], r["interaction"]) for r in rows] == [(bad, 0), (bad, 1), (bad, 2), (good, 0)]
    assert rows[0]["response"]["provider_metadata"]["openai"]["data"]["usage"]["cost"] == 0


def test_unexpected_errors_are_one_line_each(files, capsys, monkeypatch, backend):
    """A decoder bug (any exception) in one interaction and a reader bug in one file: one
    error line each, with kind, message, offset and partial; the others decode; exit 1."""
    bad, good, deep = files
    real = pyfantasy.decode.decode_interaction

    def flaky(it, *a, **kw):
        if it.id == 1:
            raise OverflowError("int too large to convert to float")
        return real(it, *a, **kw)
    real_loads = pyfantasy.cassette.loads

    def flaky_loads(data, path=None, *a, **kw):
        if str(path) == good:
            raise RecursionError("maximum recursion depth exceeded")
        return real_loads(data, path, *a, **kw)
    monkeypatch.setattr(pyfantasy.decode, "decode_interaction", flaky)
    monkeypatch.setattr(pyfantasy.cassette, "loads", flaky_loads)
    assert main(["decode", bad, good, deep, "--format", "jsonl", "--backend", backend]) == 1
    cap = capsys.readouterr()
    rows = _rows(cap.out)
    assert [(r["cassette"], r["interaction"]) for r in rows] == [(bad, 0), (bad, 1), (bad, 2), (good, None),
                                                                 (deep, None)]
    assert [r["error"] is None for r in rows] == [True, False, True, False, False]
    assert rows[1]["error"] == {"kind": "OverflowError", "message": "int too large to convert to float",
                                "offset": None}
    assert rows[1]["partial"] is None and rows[1]["response"] is None
    assert rows[3]["error"]["kind"] == "cassette" and good in rows[3]["error"]["message"]
    assert "RecursionError" in rows[3]["error"]["message"]
    assert rows[4]["error"]["kind"] == "cassette" and deep in rows[4]["error"]["message"]
    assert "Traceback" not in cap.err
    # the same run as text: one readable error per failure, the rest decoded
    assert main(["decode", bad, good, "--backend", backend]) == 1
    text = capsys.readouterr().out
    assert "ERROR OverflowError: int too large" in text and text.count("== ") == 4

"""The command line as a new user meets it (issue 13): one option vocabulary with the old
spellings deprecated, a bad backend as a usage error, decode reading what scan reads
(.sse captures, standard input), a forced wrong wire format reported, the help text."""
from __future__ import annotations

import contextlib
import io
import json
import sqlite3

import pytest

from helpers import ROOT
from pyfantasy.cassette import load
from pyfantasy.cli import build_parser, main
from pyfantasy.cli.common import VOCABULARY, vocabulary_markdown

SAMPLES = ROOT / "pyfantasy" / "samples"
CHAT = SAMPLES / "openai_chat_simple.yaml"
ANTHROPIC = SAMPLES / "anthropic_thinking_streaming.yaml"


def cli(argv, stdin: bytes = b""):
    """Run ``pyfantasy`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        import sys
        old, sys.stdin = sys.stdin, fake_stdin
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
        finally:
            sys.stdin = old
    return code, out.getvalue(), err.getvalue()


def jsonl(text):
    return [json.loads(line) for line in text.splitlines()]


# ---- defect 3: a bad backend is a usage error, before any file is touched ---------------------

@pytest.mark.parametrize("command", ["decode", "scan"])
def test_bad_backend_variable_is_a_usage_error(command, tmp_path, monkeypatch):
    monkeypatch.setenv("PYFANTASY_BACKEND", "nativ")
    out = tmp_path / "x.db"
    extra = ["-o", out, "--quiet"] if command == "scan" else []
    code, stdout, err = cli([command, SAMPLES, *extra])
    assert code == 2 and stdout == ""
    assert err == (f"pyfantasy {command}: PYFANTASY_BACKEND: unknown pyfantasy backend 'nativ'; "
                   "valid backends: native, python\n")
    assert not out.exists()                       # nothing recorded that a re-run would skip


def test_scan_rescan_recovers_error_rows(tmp_path, monkeypatch):
    """Rows recorded with errors (e.g. by an older pyfantasy with a bad backend) are redone
    by --rescan, replacing the old rows."""
    out = tmp_path / "x.db"
    assert cli(["scan", SAMPLES, "-o", out, "--quiet", "--workers", "1"])[0] == 0
    db = sqlite3.connect(out)
    n = db.execute("SELECT count(*) FROM interactions").fetchone()[0]
    db.execute("UPDATE interactions SET error_kind = 'ValueError', input_tokens = NULL")
    db.commit()
    code, _, err = cli(["scan", SAMPLES, "-o", out, "--quiet"])
    assert code == 0 and "0 files scanned (7 already in x.db)" in err
    code, _, err = cli(["scan", SAMPLES, "-o", out, "--quiet", "--rescan", "--workers", "1"])
    assert code == 0 and "7 files scanned (0 already in x.db)" in err
    assert db.execute("SELECT count(*), count(error_kind) FROM interactions").fetchone() == (n, 0)
    db.close()


# ---- defect 4: decode reads .sse captures and standard input -----------------------------------

def _expected(path, backend):
    code, out, _ = cli(["decode", path, "--to", "jsonl", "--backend", backend])
    assert code == 0
    return [r["response"] for r in jsonl(out)]


def test_decode_reads_an_sse_capture(tmp_path, backend):
    body = load(ANTHROPIC).interactions[0].response.body_bytes
    capture = tmp_path / "capture.sse"
    capture.write_bytes(body)
    code, out, err = cli(["decode", capture, "--to", "jsonl", "--backend", backend])
    assert (code, err) == (0, "")
    (row,) = jsonl(out)
    assert (row["cassette"], row["format"], row["stream"]) == (str(capture), "anthropic", True)
    assert [row["response"]] == _expected(ANTHROPIC, backend)
    # a folder: its captures too, like scan
    code, out, _ = cli(["decode", tmp_path, "--to", "jsonl", "--backend", backend])
    assert code == 0 and [r["cassette"] for r in jsonl(out)] == [str(capture)]


def test_decode_reads_standard_input(backend):
    body = load(ANTHROPIC).interactions[0].response.body_bytes
    code, out, err = cli(["decode", "-", "--to", "jsonl", "--backend", backend], stdin=body)
    assert (code, err) == (0, "")
    (row,) = jsonl(out)
    assert row["cassette"] == "<stdin>" and [row["response"]] == _expected(ANTHROPIC, backend)
    # a whole cassette on standard input, and a JSON body with the format given
    code, out, _ = cli(["decode", "-", "--to", "jsonl", "--backend", backend], stdin=CHAT.read_bytes())
    assert code == 0 and [r["response"] for r in jsonl(out)] == _expected(CHAT, backend)
    chat_body = load(CHAT).interactions[0].response.body_bytes
    code, out, _ = cli(["decode", "-", "--wire", "openai-chat", "--to", "jsonl", "--backend", backend],
                       stdin=chat_body)
    assert code == 0 and [r["response"] for r in jsonl(out)] == _expected(CHAT, backend)
    code, out, _ = cli(["decode", "-", "--backend", backend], stdin=b"data: hello\n\n")
    assert code == 1 and "cannot tell the wire format of this body (give --wire FORMAT)" in out


def test_decode_writes_to_a_file(tmp_path, backend):
    target = tmp_path / "out.jsonl"
    code, out, err = cli(["decode", CHAT, "--to", "jsonl", "-o", target, "--backend", backend])
    assert (code, out, err) == (0, "", "")
    assert [r["response"] for r in jsonl(target.read_text())] == _expected(CHAT, backend)


# ---- defect 5: a forced wrong wire format is an error naming the format ------------------------

def test_forced_wrong_wire_format_is_an_error(backend):
    code, out, _ = cli(["decode", CHAT, "--wire", "anthropic", "--to", "jsonl", "--backend", backend])
    (row,) = jsonl(out)
    assert code == 1 and row["response"] is None
    assert row["error"]["kind"] == "wrong-format"
    assert "no event or document the anthropic wire format knows" in row["error"]["message"]
    assert "it looks like openai-chat" in row["error"]["message"]
    body = load(CHAT).interactions[0].response.body_bytes   # read as Responses: "stop", nothing else
    code, out, _ = cli(["decode", "-", "--wire", "openai-responses", "--backend", backend], stdin=body)
    assert code == 1 and "ERROR wrong-format" in out and "the openai-responses wire format" in out
    assert "it looks like openai-chat" in out
    # the right format forced, or an empty body of the detected format, is no error
    assert cli(["decode", CHAT, "--wire", "openai-chat", "--backend", backend])[0] == 0


# ---- defect 6 and the vocabulary ------------------------------------------------------------------

def test_help_lists_every_subcommand_in_plain_words(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "``" not in text and "`" not in text
    for command in ("decode", "serve", "scan", "report", "bench"):
        assert f"    {command} " in text, command
    for option, *_ in VOCABULARY:
        assert f"\n  {option}\n" in text, option


def test_every_path_argument_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        for a in p._actions:
            if a.dest == "paths" or a.metavar in ("PATH", "RESULTS"):
                assert a.help, name


def test_readme_holds_the_vocabulary_table():
    assert vocabulary_markdown() in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("old, new, message", [
    (["scan", "--out", "r.jsonl"], ["scan", "-o", "r.jsonl"], "--out is deprecated; use -o/--output r.jsonl"),
    (["scan", "--out-format", "csv"], ["scan", "--to", "csv"], "--out-format is deprecated; use --to csv"),
    (["scan", "--format", "google"], ["scan", "--wire", "google"], "--format is deprecated; use --wire google"),
    (["bench", "--wire-format", "google", "--wire-format", "bedrock"], ["bench", "--wire", "google", "--wire",
     "bedrock"], "--wire-format is deprecated; use --wire google"),
    (["report", "r.db", "--input-format", "csv"], ["report", "r.db", "--from", "csv"],
     "--input-format is deprecated; use --from csv"),
])
def test_old_spellings_still_work_with_a_deprecation(old, new, message):
    parser = build_parser()
    a, b = parser.parse_args(old + ([str(SAMPLES)] if old[0] == "scan" else [])), \
        parser.parse_args(new + ([str(SAMPLES)] if new[0] == "scan" else []))
    notes = a.deprecations
    del a.deprecations
    assert vars(a) == vars(b)
    assert notes and notes[0] == f"pyfantasy {old[0]}: {message}"


def test_json_is_short_for_to_json():
    parser = build_parser()
    assert parser.parse_args(["bench", "--json"]).to == "json"
    assert parser.parse_args(["report", "r.db", "--json"]).to == "json"


# ---- figures that follow fantasy, explained where the user sees them ---------------------------

def test_decode_explains_figures_that_follow_fantasy(backend):
    code, out, _ = cli(["decode", SAMPLES / "gemini_streaming.yaml", "--backend", backend])
    assert code == 0 and "(note: Gemini streams: output, reasoning and cache-read tokens are summed" in out
    code, out, _ = cli(["decode", SAMPLES / "openrouter_reasoning_streaming.yaml", "--backend", backend])
    assert code == 0 and "(note: OpenRouter reasoning" in out and "first reasoning_details fragment" in out
    code, out, _ = cli(["decode", CHAT, "--backend", backend])
    assert code == 0 and "(note:" not in out

"""``pyfantasy report``: reading every results format, the figures, the text table, the HTML page.

The HTML page is rendered by a real headless Chromium (installed with
apt-get when missing; skipped with the reason only when that fails) and
the screenshot is decoded here (zlib + struct) to check that the charts
are drawn: the pixels of each palette colour are there, and the token bars
are as long as their values say.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import zlib

import pytest

from helpers import CORPUS, needs_corpus
from pyfantasy._tools import svg as _svg
from pyfantasy import scan as scan_mod
from pyfantasy.cli import main
from pyfantasy.report import (COLUMNS, ReportError, load_results, percentile, render_html,
                              results_kind, summarise)

# ---- fixture results ----------------------------------------------------------------


def _row(provider, model, i, *, inp=None, out=None, dur=None, cost=None, finish="stop", err=None, stream=True,
         reasoning=0):
    return {"file": f"cassettes/{provider}/{model}.yaml", "interaction": i, "provider": provider, "model": model,
            "format": "openai-chat", "stream": stream, "finish_reason": None if err else finish,
            "input_tokens": inp, "output_tokens": out,
            "total_tokens": None if inp is None else inp + (out or 0), "reasoning_tokens": None if err else reasoning,
            "cache_creation_tokens": None if err else 0, "cache_read_tokens": None if err else 10,
            "cost_usd": cost, "duration_s": dur,
            "output_tokens_per_s": None if (out is None or not dur) else out / dur,
            "text_length": None if err else 12, "tool_calls": None if err else int(finish == "tool-calls"),
            "error_kind": err, "error_message": f"{err} happened" if err else None,
            "error_offset": 1234 if err == "truncated" else None}


ROWS = [
    _row("openai", "gpt-4o", 0, inp=100, out=50, dur=1.0, cost=0.01),
    _row("openai", "gpt-4o", 1, inp=200, out=50, dur=2.0, cost=0.01, stream=False),
    _row("openai", "gpt-4o", 2, inp=300, out=50, dur=3.0, cost=0.01, finish="tool-calls"),
    _row("openai", "gpt-4o", 3, inp=400, out=50, dur=10.0, cost=0.01, reasoning=7),
    _row("openai", "gpt-4o-mini", 0, inp=500, out=100, dur=0.5, cost=0.002),
    _row("openai", "gpt-4o-mini", 1, dur=0.25, err="http-status"),
    _row("anthropic", "claude-sonnet-4", 0, inp=1200, out=300, dur=4.0, cost=0.03, finish="length"),
    _row("anthropic", "claude-sonnet-4", 1, inp=800, out=200, dur=6.0, cost=0.02),
    _row("anthropic", "claude-sonnet-4", 2, dur=0.1, err="truncated"),
    _row("anthropic", "claude-sonnet-4", 3, dur=0.1, err="provider-error"),
    _row("google", "gemini-2.5-flash", 0, inp=250, out=250, dur=2.5, cost=None),
    _row(None, None, 0, err="unknown-format"),
]
# (label in chart order, input tokens, output tokens, error rate)
MODELS = [
    ("anthropic / claude-sonnet-4", 2000, 500, 0.5),
    ("google / gemini-2.5-flash", 250, 250, 0.0),
    ("openai / gpt-4o", 1000, 200, 0.0),
    ("openai / gpt-4o-mini", 500, 100, 0.5),
    ("(none) / (none)", 0, 0, 1.0),
]


def write_sqlite(path, rows=ROWS, table="interactions"):
    con = sqlite3.connect(path)
    types = {c: ("INTEGER" if c in ("interaction", "stream", "tool_calls", "text_length") or c.endswith("tokens")
                 else "REAL" if c in ("cost_usd", "duration_s", "output_tokens_per_s") else "TEXT") for c in COLUMNS}
    con.execute(f"CREATE TABLE {table} (" + ", ".join(f"{c} {types[c]}" for c in COLUMNS) + ")")
    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(COLUMNS))})",
                    [tuple(int(r[c]) if isinstance(r[c], bool) else r[c] for c in COLUMNS) for r in rows])
    con.commit()
    con.close()


def write_jsonl(path, rows=ROWS):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write("\n")  # a trailing blank line is allowed


def write_csv(path, rows=ROWS):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if v is None else ("true" if v is True else "false" if v is False else v))
                        for k, v in r.items()})


def write_parquet(path, rows=ROWS):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq
    pq.write_table(pa.Table.from_pylist(rows), path)


WRITERS = {"sqlite": ("results.db", write_sqlite), "jsonl": ("results.jsonl", write_jsonl),
           "csv": ("results.csv", write_csv), "parquet": ("results.parquet", write_parquet)}


@pytest.fixture(params=list(WRITERS))
def results(request, tmp_path):
    name, write = WRITERS[request.param]
    path = str(tmp_path / name)
    write(path)
    return request.param, path


# ---- reading ------------------------------------------------------------------------

def test_every_format_reads_the_same_rows(results):
    kind, path = results
    assert results_kind(path) == kind
    rows = load_results(path)
    assert rows == [dict(r) for r in ROWS]   # normalised: numbers, None for empty cells, bool stream


def test_format_is_told_by_magic_bytes_before_suffix(tmp_path):
    path = str(tmp_path / "results.data")
    write_sqlite(path)
    assert results_kind(path) == "sqlite" and len(load_results(path)) == len(ROWS)


def test_csv_columns_in_any_order_extra_columns_ignored(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("model,extra,provider,input_tokens,stream,duration_s\n"
                    "gpt-4o,x,openai,12,1,0.5\n"
                    "gpt-4o,y,openai,,0,\n")
    rows = load_results(str(path))
    got = [(r["provider"], r["model"], r["input_tokens"], r["stream"], r["duration_s"], r["cost_usd"]) for r in rows]
    assert got == \
        [("openai", "gpt-4o", 12, True, 0.5, None), ("openai", "gpt-4o", None, False, None, None)]


def test_columns_are_the_scan_columns():
    assert COLUMNS == scan_mod.NAMES


@pytest.mark.parametrize("ext", ["db", "jsonl", "csv"])
def test_older_cost_column_is_read_as_cost_usd(ext, tmp_path):
    """Results written before the column was named ``cost_usd`` still give their cost."""
    old = [{("cost" if k == "cost_usd" else k): v for k, v in r.items()} for r in ROWS]
    path = str(tmp_path / f"old.{ext}")
    if ext == "db":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE interactions (" + ", ".join(old[0]) + ")")
        con.executemany(f"INSERT INTO interactions VALUES ({', '.join('?' * len(old[0]))})",
                        [tuple(r.values()) for r in old])
        con.commit()
        con.close()
    elif ext == "jsonl":
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r) + "\n" for r in old)
    else:
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(old[0]))
            w.writeheader()
            w.writerows({k: "" if v is None else v for k, v in r.items()} for r in old)
    rows = load_results(path)
    assert [r["cost_usd"] for r in rows] == [r["cost_usd"] for r in ROWS]
    assert summarise(rows).total.cost == pytest.approx(sum(r["cost_usd"] or 0 for r in ROWS)) == 0.092

@pytest.mark.parametrize("name, content, message", [
    ("results.txt", b"provider,model\n", "unknown results format"),
    ("results.db", b"provider,model\n", "not an SQLite database"),
    ("results.parquet", b"nope", "not a Parquet file"),
    ("results.jsonl", b'{"provider":"a","model":"b"}\n[1]\n', "results.jsonl:2: expected a JSON object per line"),
    ("results.jsonl", b'{"provider":"a","model":"b"}\n{oops\n', "results.jsonl:2: not a JSON line"),
    ("results.csv", b"model,input_tokens\ngpt,1\n", "not a pyfantasy scan result: missing column(s) provider"),
    ("results.csv", b"provider,model,input_tokens\na,b,many\n", "row 1: column input_tokens: not a number: 'many'"),
    ("results.csv", b"provider,model\n\xff\xfe\n", "not UTF-8 text"),
], ids=["unknown-suffix", "fake-sqlite", "fake-parquet", "jsonl-not-object", "jsonl-bad-json", "csv-no-provider",
        "csv-bad-number", "csv-not-utf8"])
def test_unreadable_results_are_clear_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ReportError) as exc:
        load_results(str(path))
    assert message in str(exc.value) and str(path) in str(exc.value)


def test_sqlite_without_the_interactions_table(tmp_path):
    path = str(tmp_path / "other.db")
    write_sqlite(path, table="rows")
    with pytest.raises(ReportError, match=r"no table 'interactions' \(tables: rows\)"):
        load_results(path)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = tmp_path / "r.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ReportError, match=r"reading Parquet needs pyarrow \(pip install pyarrow\)"):
        load_results(str(path))


@pytest.mark.parametrize("argv, message", [
    (["/nonexistent/results.db"], "pyfantasy report: /nonexistent/results.db: no such results file"),
    (["."], "pyfantasy report: .: is a folder, not a results file"),
], ids=["missing", "folder"])
def test_cli_missing_results(argv, message, capsys):
    assert main(["report", *argv]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.startswith(message)


# ---- figures -------------------------------------------------------------------------

@pytest.mark.parametrize("values", [[5.0], [1.0, 2.0], [1, 2, 3, 4, 10], [0.3, 0.1, 7.5, 2.2, 2.2, 9.0, 4.4]])
def test_percentile_matches_statistics_inclusive(values):
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    for q in (50, 90, 99):
        assert percentile(values, q) == pytest.approx(cuts[q - 1])
    assert percentile([], 50) is None


def test_summary_figures():
    s = summarise([dict(r) for r in ROWS], "x")
    by = {(g.provider, g.model): g for g in s.models}
    g = by[("openai", "gpt-4o")]
    assert (g.count, g.errors, g.streams) == (4, 0, 3)
    assert g.tokens == {"input_tokens": 1000, "output_tokens": 200, "total_tokens": 1200, "reasoning_tokens": 7,
                        "cache_creation_tokens": 0, "cache_read_tokens": 40}
    assert g.cost == pytest.approx(0.04)
    assert (g.p50, g.p90, g.p99) == pytest.approx((2.5, 7.9, 9.79))
    assert g.output_tps == pytest.approx(statistics.median([50, 25, 50 / 3, 5]))
    assert g.finish_reasons == {"stop": 3, "tool-calls": 1}
    a = by[("anthropic", "claude-sonnet-4")]
    assert (a.count, a.errors, a.error_rate) == (4, 2, 0.5)
    assert a.tokens["input_tokens"] == 2000 and a.finish_reasons == {"length": 1, "stop": 1}
    assert by[("google", "gemini-2.5-flash")].cost is None          # no cost reported: not 0
    none = by[(None, None)]
    assert (none.count, none.errors, none.tokens["input_tokens"], none.p50) == (1, 1, None, None)
    openai = [p for p in s.providers if p.provider == "openai"][0]
    assert (openai.count, openai.errors, openai.tokens["input_tokens"]) == (6, 1, 1500)
    assert s.total.count == len(ROWS) and s.total.errors == 4
    assert [(g.provider, g.model) for g in s.models] == [
        ("anthropic", "claude-sonnet-4"), ("google", "gemini-2.5-flash"), ("openai", "gpt-4o"),
        ("openai", "gpt-4o-mini"), (None, None)]


# ---- text table ------------------------------------------------------------------------

def test_text_table(results, capsys):
    _, path = results
    assert main(["report", path, "--wide"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"pyfantasy report: {path} — 12 interactions, 4 providers, 5 models"
    header, rule = lines[2], lines[3]
    cols = [m.span() for m in re.finditer(r"-+", rule)]
    assert len(cols) == 17
    body = [line for line in lines[4:lines.index("", 4)] if line and not line.startswith("-")]
    # every cell sits inside its column: text left-aligned, numbers right-aligned to the column's end
    for line in [header] + body:
        for i, (a, b) in enumerate(cols[2:16], start=2):
            cell = line[a:b]
            assert cell == cell.rjust(b - a) and (cell.strip() == "" or line[b:b + 1] in ("", " ")), (line, i)
    rows = {tuple(line[a:b].strip() for a, b in cols[:2]): [line[a:b].strip() for a, b in cols] for line in body}
    gpt = rows[("", "gpt-4o")] if ("", "gpt-4o") in rows else rows[("openai", "gpt-4o")]
    assert gpt[2:12] == ["4", "0", "0.0", "1,000", "200", "1,200", "7", "40", "0", "0.0400"]
    assert gpt[12:15] == ["2.500", "7.900", "9.790"]
    assert line_of(lines, "gpt-4o ").endswith("stop 3, tool-calls 1")
    assert rows[("anthropic", "claude-sonnet-4")][2:5] == ["4", "2", "50.0"]
    assert rows[("", "(all models)")][2:6] == ["6", "1", "16.7", "1,500"]
    assert rows[("(none)", "(none)")][5] == "-"
    assert rows[("TOTAL", "")][2:5] == ["12", "4", "33.3"]


def line_of(lines, needle):
    return next(line for line in lines if needle in line)


def test_cli_json_summary(tmp_path, capsys):
    path = str(tmp_path / "r.jsonl")
    write_jsonl(path)
    assert main(["report", path, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 12 and doc["total"]["errors"] == 4
    assert doc["models"][0]["provider"] == "anthropic" and doc["models"][0]["error_rate"] == 0.5


OPENROUTER_DIR = "fantasy/TestOpenRouterCommon/openai"


@needs_corpus
@pytest.mark.parametrize("ext", ["db", "jsonl", "csv", "parquet"])
def test_report_totals_the_cost_of_a_real_scan(ext, tmp_path, capsys):
    """scan writes ``cost_usd``; the report's table, JSON and Summary total exactly those costs."""
    if ext == "parquet":
        pytest.importorskip("pyarrow")
    out = str(tmp_path / f"results.{ext}")
    scan_mod.scan([str(CORPUS / OPENROUTER_DIR)], out, workers=1, progress=False)
    scanned = scan_mod.read_rows(out)
    assert any(r["file"].endswith("simple_streaming.yaml") and r["cost_usd"] for r in scanned)
    expected = sum(r["cost_usd"] for r in scanned if r["cost_usd"] is not None)
    assert expected > 0

    summary = summarise(load_results(out), out)
    assert summary.total.cost == pytest.approx(expected, rel=1e-12)
    assert sum(g.cost for g in summary.models) == pytest.approx(expected, rel=1e-12)

    assert main(["report", out, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["total"]["cost"] == pytest.approx(expected, rel=1e-12)

    assert main(["report", out, "--wide"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cols = [m.span() for m in re.finditer(r"-+", lines[3])]
    assert lines[2][slice(*cols[11])].strip() == "cost"
    total = line_of(lines, "TOTAL")
    assert total[slice(*cols[11])].strip() == f"{expected:.4f}" != "-"

def test_empty_results(tmp_path, capsys):
    path = str(tmp_path / "empty.db")
    write_sqlite(path, rows=[])
    html = str(tmp_path / "empty.html")
    assert main(["report", path, "--html", html]) == 0
    assert "0 interactions, 0 providers, 0 models" in capsys.readouterr().out
    assert "No interactions in these results." in open(html, encoding="utf-8").read()


# ---- HTML --------------------------------------------------------------------------------

def _page(tmp_path):
    path = str(tmp_path / "results.jsonl")
    write_jsonl(path)
    html = str(tmp_path / "report.html")
    assert main(["report", path, "--html", html, "--title", "Nightly <scan> & co"]) == 0
    with open(html, encoding="utf-8") as f:
        return html, f.read()


def test_html_is_self_contained(tmp_path, capsys):
    _, page = _page(tmp_path)
    assert page.startswith("<!DOCTYPE html>")
    low = page.lower()
    for banned in ("<script", "src=", "url(", "@import", "http:", "https:", "<link", "<iframe"):
        assert banned not in low, banned
    links = re.findall(r'href="([^"]*)"', page)
    assert links and all(h.startswith("#") for h in links)           # links within the page only
    assert all(f'id="{h[1:]}"' in page for h in links)                 # each to a row that exists
    assert low.count("<svg ") == 4
    assert "<title>Nightly &lt;scan&gt; &amp; co</title>" in page
    for title in ("Tokens per model", "Cost per model (USD)", "Duration per provider", "Error rate per model"):
        assert title in page


def test_bars_are_plotted_to_scale():
    s = summarise([dict(r) for r in ROWS], "x")
    tokens, cost, durations, errors = _svg_charts(s)
    for chart in (tokens, cost, errors):
        bars = [(float(w), float(v)) for w, v in re.findall(r'class="bar" x="[\d.]+" y="[\d.]+" width="([\d.]+)" '
                                                            r'height="\d+" fill="#\w+" shape-rendering="crispEdges" '
                                                            r'data-value="([\d.e+-]+)"', chart)]
        assert bars
        scale = max(w for w, _ in bars) / max(v for _, v in bars)
        for w, v in bars:                      # length / value is one constant per chart
            assert w == pytest.approx(v * scale, abs=0.01), (w, v, scale)
    values = sorted(float(v) for v in re.findall(r'data-value="([\d.e+-]+)"', errors))
    assert values == [50.0, 50.0, 100.0]       # models without errors have no bar
    assert sum(int(c) for c in re.findall(r'data-count="(\d+)"', durations)) == \
        sum(1 for r in ROWS if r["duration_s"] is not None and r["provider"])


def _svg_charts(summary):
    from pyfantasy.report import charts
    return charts(summary)


def test_nice_ticks():
    assert _svg.nice_ticks(2500) == [0, 500, 1000, 1500, 2000, 2500]
    assert _svg.nice_ticks(0.04) == pytest.approx([0, 0.01, 0.02, 0.03, 0.04])
    assert _svg.nice_ticks(0) == [0.0, 1.0]
    assert _svg.fmt_number(2500) == "2.5k" and _svg.fmt_number(0.25) == "0.25" and _svg.fmt_number(3e6) == "3M"


# ---- the page in a real browser -------------------------------------------------------------

BROWSER_TIMEOUT = 90
APT_TIMEOUT = 900


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium; installed with apt-get when missing (root only), else skipped with the reason."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("chromium is not installed and cannot be: apt-get needs root (apt-get install -y chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=APT_TIMEOUT, env=env)
        except subprocess.TimeoutExpired:
            pytest.skip(f"chromium could not be installed: `{' '.join(cmd)}` took over {APT_TIMEOUT} s")
        if r.returncode != 0:
            pytest.skip(f"chromium could not be installed: `{' '.join(cmd)}` failed: {r.stderr.strip()[-400:]}")
    exe = shutil.which("chromium")
    if not exe:
        pytest.skip("apt-get installed chromium but no chromium executable is on PATH")
    return exe


def screenshot(exe, html, png, user_data):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={user_data}", "--force-device-scale-factor=1", "--hide-scrollbars",
           f"--screenshot={png}", "--window-size=1200,1600", "file://" + os.path.abspath(html)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=BROWSER_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)   # the browser's own process group (zygote, renderers)
        proc.communicate()
        pytest.fail(f"chromium did not finish the screenshot within {BROWSER_TIMEOUT} s")
    assert proc.returncode == 0 and os.path.exists(png), out.decode("utf-8", "replace")[-2000:]


def decode_png(data):
    """(width, height, rows of RGB tuples) for 8-bit RGB/RGBA non-interlaced PNGs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, []
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def _rgb(hex_colour):
    return bytes(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def colour_runs(img, colour):
    """{y: [(x_start, length), ...]} of the exact colour."""
    w, h, bpp, rows = img
    target = _rgb(colour)
    out = {}
    for y, row in enumerate(rows):
        if target not in row:          # fast reject (may also match across pixel borders)
            continue
        runs, start = [], None
        for x in range(w):
            hit = row[x * bpp:x * bpp + 3] == target
            if hit and start is None:
                start = x
            elif not hit and start is not None:
                runs.append((start, x - start))
                start = None
        if start is not None:
            runs.append((start, w - start))
        if runs:
            out[y] = runs
    return out


def bars(runs):
    """Group rows into bars (consecutive y): [(y0, y1, x_start, width)] using each bar's widest run."""
    out = []
    for y in sorted(runs):
        x, width = max(runs[y], key=lambda r: r[1])
        if out and y == out[-1][1] + 1 and abs(out[-1][2] - x) <= 1:
            y0, _, x0, w0 = out[-1]
            out[-1] = (y0, y, x0, max(w0, width))
        else:
            out.append((y, y, x, width))
    return out


def test_page_renders_charts_in_chromium(tmp_path, chromium, capsys):
    html, _ = _page(tmp_path)
    png = str(tmp_path / "report.png")
    screenshot(chromium, html, png, str(tmp_path / "profile"))
    with open(png, "rb") as f:
        img = decode_png(f.read())
    assert img[:2] == (1200, 1600)
    counts = {name: sum(n for runs in colour_runs(img, c).values() for _, n in runs)
              for name, c in (("input", _svg.INPUT), ("output", _svg.OUTPUT), ("cost", _svg.COST),
                              ("duration", _svg.DURATION), ("error", _svg.ERROR))}
    for name, n in counts.items():
        assert n > 150, (name, counts)     # every chart drew its marks, in its colour

    # token bars: one per model that has tokens, in chart order, lengths proportional to the values
    inp = [b for b in bars(colour_runs(img, _svg.INPUT)) if b[1] - b[0] >= 6]   # legend swatch is 10 px tall too
    inp = [b for b in inp if b[3] > 12]                                          # drop the legend swatch
    expected = [(label, i) for label, i, _, _ in MODELS if i]
    assert len(inp) == len(expected), inp
    widest = max(b[3] for b in inp)
    vmax = max(i for _, i in expected)
    for (label, value), (_, _, _, width) in zip(expected, inp):
        assert abs(width - widest * value / vmax) <= 2, (label, width, widest, value)
    # output: its own bar right under input (not stacked: the figures overlap), on the same axis
    outs = [b for b in bars(colour_runs(img, _svg.OUTPUT)) if b[3] > 12]
    scale = widest / vmax
    for (label, _i_tok, o_tok, _), ib, ob in zip([m for m in MODELS if m[1]], inp, outs):
        assert ob[0] == ib[1] + 1 and abs(ob[2] - ib[2]) <= 1 and abs(ob[3] - o_tok * scale) <= 2, (label, ib, ob)
    # error bars: only the models with errors, at 50 %, 50 % and 100 %
    errs = [b for b in bars(colour_runs(img, _svg.ERROR)) if b[1] - b[0] >= 8]
    assert len(errs) == sum(1 for m in MODELS if m[3]) == 3
    assert abs(errs[0][3] * 2 - errs[2][3]) <= 2 and abs(errs[0][3] - errs[1][3]) <= 1


# the second page: reasoning and cache tokens, tiny costs, a long model name, no errors
LONG = "gemini-2.5-pro-preview-with-a-very-long-experimental-name-06-05"


def _row2(model, i, inp, out, reasoning, cache_read, cache_write, cost):
    r = _row("google", model, i, inp=inp, out=out, dur=1.0 + i, cost=cost, reasoning=reasoning)
    r.update(cache_read_tokens=cache_read, cache_creation_tokens=cache_write, format="google")
    return r


ROWS2 = [_row2(LONG, 0, 1000, 400, 300, 600, 200, 0.000005),
         _row2("gemini-2.5-flash", 0, 500, 200, 150, 300, 100, 0.0000025)]


def test_page_without_errors_has_no_error_chart_and_usd_cost_labels(tmp_path):
    page = render_html(summarise(load_rows(tmp_path, ROWS2), "x"))
    assert "no errors in these results" in page and 'fill="#e15759"' not in page
    costs = re.search(r'aria-label="Cost per model \(USD\)".*?</svg>', page, re.S).group(0)
    assert "US dollars" in costs
    ticks = [t for t in re.findall(r'text-anchor="middle" fill="#333333">([^<]*)</text>', costs) if "dollars" not in t]
    assert ticks[0] == "$0" and "$0.000005" in ticks and not any("e-" in t for t in ticks), ticks
    assert all(t.startswith("$") for t in ticks)
    assert "Errors (" not in page and "href=" not in page      # nothing to link to
    # the long name is clipped on the chart but whole in the tooltip of its row and label
    charts_part = page.split("<table")[0]
    assert f"<title>google / {LONG}</title>" in charts_part
    assert f"{LONG}</text>" not in charts_part and "…</text>" in charts_part
    assert page.count('<rect class="row"') == 2 * 2               # tokens and cost: a hover row per model


def load_rows(tmp_path, rows):
    path = str(tmp_path / "r2.jsonl")
    write_jsonl(path, rows)
    return load_results(path)


def test_page_renders_reasoning_and_cache_tokens_in_chromium(tmp_path, chromium):
    html = str(tmp_path / "r2.html")
    with open(html, "w", encoding="utf-8") as f:
        f.write(render_html(summarise(load_rows(tmp_path, ROWS2), "x")))
    png = str(tmp_path / "r2.png")
    screenshot(chromium, html, png, str(tmp_path / "profile"))
    with open(png, "rb") as f:
        img = decode_png(f.read())
    assert sum(n for runs in colour_runs(img, _svg.ERROR).values() for _, n in runs) == 0   # no error chart
    # five bars per model on one axis: input, output, reasoning, cache read, cache write, to scale
    per_colour = {}
    for name, colour in (("input", _svg.INPUT), ("output", _svg.OUTPUT), ("reasoning", _svg.REASONING),
                         ("cache read", _svg.CACHE_READ), ("cache write", _svg.CACHE_WRITE)):
        per_colour[name] = [b for b in bars(colour_runs(img, colour)) if b[3] > 12 and b[1] - b[0] >= 6]
    assert [len(v) for v in per_colour.values()] == [2] * 5, per_colour
    scale = per_colour["input"][0][3] / 1000
    values = {"input": (500, 1000), "output": (200, 400), "reasoning": (150, 300),   # flash, then LONG
              "cache read": (300, 600), "cache write": (100, 200)}
    scale = per_colour["input"][1][3] / 1000
    x0 = per_colour["input"][0][2]
    for name, bs in per_colour.items():
        for b, v in zip(bs, values[name]):
            assert abs(b[3] - v * scale) <= 2 and abs(b[2] - x0) <= 1, (name, b, v)
    # the cost bars: $0.000005 (LONG) is twice $0.0000025 (flash)
    cost = [b for b in bars(colour_runs(img, _svg.COST)) if b[1] - b[0] >= 8]
    assert len(cost) == 2 and abs(cost[1][3] - 2 * cost[0][3]) <= 2, cost


def test_text_table_fits_the_width_and_ranks(results, capsys):
    _, path = results
    assert main(["report", path]) == 0                       # capsys: no terminal, 80 columns
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= 80 for line in lines[1:]), max(lines[1:], key=len)   # [0] names the file
    assert "--wide shows every column" in "\n".join(lines)
    assert main(["report", path, "--wide"]) == 0
    wide = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in wide) > 150
    assert main(["report", path, "--wide", "--sort", "input", "--top", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "(top 2 of 5)" in out[0]
    body = out[4:out.index("", 4)]
    assert [line.split()[:2] for line in body if not line.startswith("-")] == \
        [["anthropic", "claude-sonnet-4"], ["openai", "gpt-4o"], ["TOTAL", "12"]]


def test_where_filters_the_rows(results, capsys):
    _, path = results
    assert main(["report", path, "--where", "provider=openai", "--to", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["rows"] == 6 and {m["model"] for m in doc["models"]} == {"gpt-4o", "gpt-4o-mini"}
    assert main(["report", path, "--where", "model=gpt-4o*", "--where", "stream=true", "--to", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 5   # gpt-4o's non-streamed row left out
    assert main(["report", path, "--where", "colour=blue"]) == 2
    assert "--where 'colour=blue'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["report", path, "--sort", "nope"])
    assert exit_.value.code == 2


def test_errors_section_in_text_json_and_html(tmp_path, capsys):
    html, page = _page(tmp_path)
    capsys.readouterr()
    path = str(tmp_path / "results.jsonl")
    assert main(["report", path, "--wide"]) == 0
    out = capsys.readouterr().out
    assert "errors (4): file #interaction  kind at byte offset: message" in out
    assert "  cassettes/anthropic/claude-sonnet-4.yaml #2  truncated at byte 1234: truncated happened" in out
    assert main(["report", path, "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["kind"], e["offset"]) for e in errors] == [("http-status", None), ("truncated", 1234),
                                                           ("provider-error", None), ("unknown-format", None)]
    assert '<h2 id="errors">Errors (4)</h2>' in page and ">1234</td>" in page
    # each chart row of a model with errors links to that model's first error row
    assert page.count('href="#errors-1"') == 3 and 'id="errors-1"' in page   # tokens, cost, error rate
    row = re.search(r'<tr id="errors-1">(.*?)</tr>', page).group(1)
    assert "claude-sonnet-4" in row and "truncated" in row


def test_fantasy_notes_where_the_user_sees_them(tmp_path, capsys):
    rows = ROWS2 + [dict(_row("openrouter", "z-ai/glm-4.6", 0, inp=10, out=20, dur=1.0, reasoning=5))]
    path = str(tmp_path / "n.jsonl")
    write_jsonl(path, rows)
    assert main(["report", path, "--wide"]) == 0
    out = capsys.readouterr().out
    assert "[1] Gemini streams" in out and "[2] OpenRouter reasoning" in out
    page = render_html(summarise(load_results(path), path))
    assert "<h2>Notes</h2>" in page and "first reasoning_details fragment is dropped" in page
    assert main(["report", path, "--where", "provider=openai"]) == 0
    assert "notes (figures that follow fantasy)" not in capsys.readouterr().out

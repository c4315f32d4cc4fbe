"""pyfantasy's own dependencies are cffi and PyYAML: every command runs without the rest.

The test extras install httpx, orjson, pyarrow, dask, the SDKs...; a user's
plain ``pip install pyfantasy`` has none of them. Each case runs in a fresh
interpreter where importing them fails."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from helpers import ROOT

OPTIONAL = ("httpx", "httpx2", "httpx_sse", "orjson", "pyarrow", "dask", "distributed", "pandas",
            "openai", "anthropic", "google", "botocore")

PRELUDE = f"""
import sys
for name in {OPTIONAL!r}:
    sys.modules[name] = None  # "import name" now raises ModuleNotFoundError
from pyfantasy.cli import main
"""


def _run(code: str, tmp_path):
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(code)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("argv", [
    ["decode", str(ROOT / "pyfantasy" / "samples")],
    ["decode", str(ROOT / "pyfantasy" / "samples"), "--to", "jsonl"],
    ["scan", str(ROOT / "pyfantasy" / "samples"), "--out", "r.db", "--workers", "1", "--quiet"],
    ["serve", "--help"],
    ["bench", "--help"],
])
def test_commands_run_with_only_the_required_packages(argv, tmp_path):
    rc, out, err = _run(f"sys.exit(main({argv!r}))", tmp_path)
    assert rc == 0, err[-3000:]
    assert "Traceback" not in err


def test_report_runs_on_a_scan_without_optional_packages(tmp_path):
    samples = str(ROOT / "pyfantasy" / "samples")
    rc, out, err = _run(f"""
        assert main(["scan", {samples!r}, "--out", "r.db", "--workers", "1", "--quiet"]) == 0
        sys.exit(main(["report", "r.db"]))
    """, tmp_path)
    assert rc == 0, err[-3000:]
    assert "anthropic" in out and "openai" in out  # the providers of the samples


def test_replay_transport_says_it_needs_httpx(tmp_path):
    rc, out, err = _run("""
        try:
            import pyfantasy.replay
        except ImportError as exc:
            print("ImportError", exc.name, exc)
    """, tmp_path)
    assert rc == 0 and out.startswith("ImportError httpx ") and "pip install 'pyfantasy[replay]'" in out, \
        (out, err)


def test_the_parser_imports_no_command_machinery(tmp_path):
    """Every command builds the whole parser: it must not import what only report, bench and
    scan use when they run (their readers, charts, contenders, SQLite: about 100 ms of a
    `pyfantasy decode` that took 0.3 s)."""
    rc, out, err = _run("""
        from pyfantasy.cli import build_parser
        build_parser()
        heavy = [m for m in ("sqlite3", "pyfantasy.scan", "pyfantasy._tools.report.page",
                             "pyfantasy._tools.report.read", "pyfantasy._tools.bench.contenders",
                             "pyfantasy._tools.bench.run") if m in sys.modules]
        print(heavy)
    """, tmp_path)
    assert rc == 0, err[-3000:]
    assert out.strip() == "[]"


def test_decode_imports_no_report_or_scan_machinery(tmp_path):
    """``pyfantasy decode`` (every sample: Gemini's usage note, a capture sniffed for its format)
    reads its footnotes and the sniffer from their own modules, not through ``pyfantasy.report``
    and ``pyfantasy.scan`` (their charts, pool, writers and SQLite: 60 ms of a 0.38 s decode)."""
    rc, out, err = _run(f"""
        import io
        from contextlib import redirect_stdout
        with redirect_stdout(io.StringIO()):
            rc = main(["decode", {str(ROOT / "pyfantasy" / "samples")!r}])
        heavy = [m for m in ("sqlite3", "pyfantasy.scan", "pyfantasy.report", "pyfantasy._tools.report.summary",
                             "pyfantasy._tools.scan.pool", "pyfantasy._tools.svg") if m in sys.modules]
        print(rc, heavy)
    """, tmp_path)
    assert rc == 0, err[-3000:]
    assert out.strip() == "0 []"


@pytest.mark.parametrize("argv", [["report", "r.db"], ["scan", "r.yaml", "--out", "r.db"]])
def test_a_package_missing_when_a_command_runs_is_named(argv, tmp_path):
    """A standard module missing from the Python build (sqlite3), imported when the command runs:
    one line naming it and exit status 2, no traceback."""
    (tmp_path / "r.db").write_bytes(b"")
    (tmp_path / "r.yaml").write_text("interactions: []\n")
    rc, out, err = _run(f"""
        sys.modules["sqlite3"] = None
        sys.exit(main({argv!r}))
    """, tmp_path)
    assert rc == 2, err[-3000:]
    assert "Traceback" not in err
    assert f"pyfantasy {argv[0]}: needs the Python package 'sqlite3', which is not installed" in err

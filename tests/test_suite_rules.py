"""The suite's own rules (conftest.py, helpers.py, .ci/run): a green CI run means the tests ran.

In CI a missing corpus stops the run naming the folder, a parametrisation that comes out
empty is an error, a test that needs the C extension fails (not skips) when
PYFANTASY_REQUIRE_NATIVE is set, and .ci/run sets both requirements.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import helpers
from helpers import ROOT, check_session_environment, skip_or_fail_without_native


def _pytest(args, cwd, **env_extra):
    """Run pytest in a child, without the PYFANTASY_/CI settings of this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_") and k != "CI"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_ci_without_corpus_fails_naming_the_folder(tmp_path):
    missing = tmp_path / "no-corpus-here"
    code, out = _pytest(["--collect-only", "-q", "tests/test_sse_corpus.py"], ROOT,
                        PYFANTASY_CORPUS=str(missing), CI="true")
    assert code != 0, out
    assert f"the shared corpus folder {missing} does not exist" in out, out


def test_outside_ci_without_corpus_the_corpus_tests_skip_naming_the_folder(tmp_path):
    missing = tmp_path / "no-corpus-here"
    code, out = _pytest(["-q", "-rs", "tests/test_sse_corpus.py", "-k", "chunking"], ROOT,
                        PYFANTASY_CORPUS=str(missing))
    assert code == 0, out
    assert re.search(r"\d+ skipped", out) and " passed" not in out, out
    assert f"the shared corpus folder {missing} does not exist" in out, out


def test_empty_parameter_set_is_an_error(tmp_path):
    (tmp_path / "test_empty.py").write_text(
        "import pytest\n\n\n"
        "@pytest.mark.parametrize('x', [p for p in range(3) if p > 5])\n"
        "def test_nothing(x):\n    pass\n\n\n"
        "def test_other():\n    pass\n")
    corpus = tmp_path / "corpus"   # there: without a corpus an empty set is a skip naming it
    corpus.mkdir()
    code, out = _pytest(["-q", "-p", "conftest", "--rootdir", str(tmp_path), "-c", os.devnull,
                         "test_empty.py"], tmp_path, PYTHONPATH=str(ROOT / "tests"), PYFANTASY_CORPUS=str(corpus))
    assert code != 0, out
    assert "empty parameter sets" in out and "test_empty.py::test_nothing" in out, out


def test_missing_native_skips_or_fails(monkeypatch):
    """The one decision: skip without the extension, fail when PYFANTASY_REQUIRE_NATIVE is set."""
    monkeypatch.setattr(helpers, "native_available", lambda: False)
    monkeypatch.delenv("PYFANTASY_REQUIRE_NATIVE", raising=False)
    with pytest.raises(pytest.skip.Exception, match="native extension not built"):
        skip_or_fail_without_native()
    monkeypatch.setenv("PYFANTASY_REQUIRE_NATIVE", "1")
    with pytest.raises(pytest.fail.Exception, match="PYFANTASY_REQUIRE_NATIVE is set"):
        skip_or_fail_without_native()
    with pytest.raises(pytest.UsageError, match="native extension not built"):
        check_session_environment()


def test_native_runs_are_marked(backend, request):
    """conftest marks each backend="native" run, so the sanitizer job (-m native) selects it."""
    names = {m.name for m in request.node.iter_markers()}
    assert ("native" in names) == ("needs_native" in names) == (backend == "native"), names


def test_ci_requires_native_and_corpus():
    text = (ROOT / ".ci" / "run").read_text()
    exports = " ".join(re.findall(r"^export (.*)$", text, re.M)).split()
    assert {"PYFANTASY_REQUIRE_NATIVE=1", "PYFANTASY_REQUIRE_CORPUS=1"} <= set(exports), text

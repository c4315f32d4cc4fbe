"""Installation paths: no C compiler (pure-Python fallback), strict native, sanitizer build."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

import sanitizer
from helpers import ROOT
from pyfantasy.cassette import load

def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


CHECK_PYTHON_BACKEND = r"""
import os, pyfantasy
from pyfantasy.sse import SSEDecoder
assert pyfantasy.backend() == "python", pyfantasy.backend()
assert pyfantasy.available_backends() == ["python"]
assert [e.data for e in SSEDecoder().feed(b"data: hi\n\n")] == ["hi"]
os.environ["PYFANTASY_BACKEND"] = "native"
try:
    pyfantasy.backend()
except pyfantasy.BackendUnavailableError as exc:
    msg = str(exc)
    assert "PYFANTASY_BACKEND=python" in msg and "compiler" in msg, msg
else:
    raise AssertionError("native backend must not silently fall back")
try:
    SSEDecoder()
except pyfantasy.BackendUnavailableError:
    pass
else:
    raise AssertionError("SSEDecoder() must refuse native when it is missing")
print("OK")
"""


def test_install_without_c_compiler(tmp_path):
    """CC=/bin/false: pip install still succeeds and everything runs on the python backend."""
    src = sanitizer.copy_source(tmp_path / "src")
    target = tmp_path / "site"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_")}
    env.update(CC="/bin/false", CXX="/bin/false", LDSHARED="/bin/false")
    _run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
          "--no-index", "-q", "--target", str(target), str(src)], env=env, cwd=tmp_path)
    assert not list(target.glob("pyfantasy/_native_lib*")), "no extension can have been built"
    env2 = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_")}
    env2["PYTHONPATH"] = str(target)
    out = _run([sys.executable, "-c", CHECK_PYTHON_BACKEND], env=env2, cwd=tmp_path)
    assert "OK" in out.stdout
    # the installed package is whole (subpackages, samples): the README's main job runs
    samples = target / "pyfantasy" / "samples"
    out = _run([sys.executable, "-m", "pyfantasy", "decode", str(samples), "--to", "jsonl"],
               env=env2, cwd=tmp_path)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(lines) == sum(len(load(f).interactions) for f in samples.glob("*.yaml"))
    assert all(line["error"] is None for line in lines), lines


def test_require_native_fails_without_compiler(tmp_path):
    """PYFANTASY_REQUIRE_NATIVE=1 turns a failed compile into a failed install."""
    src = sanitizer.copy_source(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_")}
    env.update(CC="/bin/false", CXX="/bin/false", LDSHARED="/bin/false", PYFANTASY_REQUIRE_NATIVE="1")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
                           "--no-index", "-q", "--target", str(tmp_path / "site"), str(src)],
                          env=env, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0


def test_c_sources_compile_warning_free(tmp_path):
    """The kernels alone, strict C99, -Wall -Wextra -Werror -pedantic."""
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    native = ROOT / "native"
    for c in sorted(native.glob("*.c")):
        _run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2",
              "-c", str(c), "-o", str(tmp_path / (c.stem + ".o"))])


@pytest.fixture
def sanitizer_job(request):
    """The job conftest started in the background when collection selected this test, else a new one."""
    job = getattr(request.config, "sanitizer_job", None) or sanitizer.Job().start()
    request.config.sanitizer_job = None
    yield job
    job.close()


@pytest.mark.skipif(not sanitizer.available(), reason="needs gcc with libasan on Linux")
def test_native_under_address_and_undefined_sanitizers(sanitizer_job):
    """Build the extension with -fsanitize=address,undefined (every source build_ffi.py lists)
    and run every test that reaches C code on it: ``-m native`` (conftest marks each test
    parametrised with backend="native"; native-only tests and those that reach C through the
    default backend are marked where they are written). The python runs are left out."""
    rc, out, err = sanitizer_job.result()
    tail = out[-6000:] + err[-6000:]
    assert rc == 0, tail
    assert "ERROR: AddressSanitizer" not in err and "runtime error:" not in err, tail
    counts = sanitizer.summary_counts(out)
    assert counts.get("failed", 0) == counts.get("error", 0) == 0, counts
    assert counts.get("passed", 0) >= sanitizer.min_sanitized(), (counts, tail)
    print(f"sanitizer job: {counts}")


def test_summary_counts():
    assert sanitizer.summary_counts("x\n== 3015 passed, 2 skipped, 1 error, 3547 deselected in 400.43s ==\n") == {
        "passed": 3015, "skipped": 2, "error": 1, "deselected": 3547}
    with pytest.raises(AssertionError, match="no pytest summary"):
        sanitizer.summary_counts("collected 0 items\n")

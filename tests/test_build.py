"""Installation paths: no C compiler (pure-Python fallback), strict native, sanitizer build."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CORPUS, ROOT
from pyfantasy.cassette import load

SRC_FILES = ["setup.py", "pyproject.toml", "MANIFEST.in", "README.md"]


def _copy_source(dest: Path) -> Path:
    """A clean copy of the sources (no build products) to build from."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SRC_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("*.so", "*.o", "_native_lib.c", "__pycache__", "*.pyd")
    shutil.copytree(ROOT / "native", dest / "native", ignore=ignore)
    shutil.copytree(ROOT / "pyfantasy", dest / "pyfantasy", ignore=ignore)
    return dest


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
    src = _copy_source(tmp_path / "src")
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
    src = _copy_source(tmp_path / "src")
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


def _libasan():
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        return None
    path = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    return path if path and os.path.isabs(path) and os.path.exists(path) else None


# At least this many tests reach C code (the -m native selection on the full corpus: 3,015 when
# this was written); a selection that shrinks below it means tests stopped being selected.
MIN_SANITIZED = 3000


def _summary_counts(output: str) -> dict:
    """pytest's final line ("3012 passed, 1 skipped, 3700 deselected in 150s") as {word: count}."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    assert lines, f"no pytest summary line in:\n{output[-3000:]}"
    counts = {word.rstrip("s") if word.startswith("error") else word: int(n)
              for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)",
                                        lines[-1])}
    return counts


@pytest.mark.skipif(sys.platform != "linux" or _libasan() is None, reason="needs gcc with libasan on Linux")
def test_native_under_address_and_undefined_sanitizers(tmp_path):
    """Build the extension with -fsanitize=address,undefined (every source build_ffi.py lists)
    and run every test that reaches C code on it: ``-m native`` (conftest marks each test
    parametrised with backend="native"; native-only tests and those that reach C through the
    default backend are marked where they are written). The python runs are left out."""
    src = _copy_source(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_")}
    env.update(PYFANTASY_SANITIZE="1", PYFANTASY_REQUIRE_NATIVE="1")
    _run([sys.executable, "native/build_ffi.py"], env=env, cwd=src)
    assert list((src / "pyfantasy").glob("_native_lib*.so"))
    env.update(
        PYTHONPATH=str(src),
        LD_PRELOAD=_libasan(),
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
        PYFANTASY_BACKEND="native",
        PYFANTASY_EXPECT_NATIVE_FROM=str(src),
        PYFANTASY_CORPUS=str(CORPUS),
        PYFANTASY_REQUIRE_CORPUS="1",
        HYPOTHESIS_PROFILE="ci",
    )
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-s", "-p", "no:cacheprovider",
                           "-p", "no:randomly", "-m", "native", str(ROOT / "tests")],
                          env=env, cwd=tmp_path, capture_output=True, text=True)
    tail = proc.stdout[-6000:] + proc.stderr[-6000:]
    assert proc.returncode == 0, tail
    assert "ERROR: AddressSanitizer" not in proc.stderr and "runtime error:" not in proc.stderr, tail
    counts = _summary_counts(proc.stdout)
    assert counts.get("failed", 0) == counts.get("error", 0) == 0, counts
    assert counts.get("passed", 0) >= MIN_SANITIZED, (counts, tail)
    print(f"sanitizer job: {counts}")


def test_summary_counts():
    assert _summary_counts("x\n== 3015 passed, 2 skipped, 1 error, 3547 deselected in 400.43s ==\n") == {
        "passed": 3015, "skipped": 2, "error": 1, "deselected": 3547}
    with pytest.raises(AssertionError, match="no pytest summary"):
        _summary_counts("collected 0 items\n")

"""The ASan/UBSan job: the extension built with -fsanitize=address,undefined and every test
that reaches C code (``-m native``) run on it, in a child pytest.

The job takes about three minutes on one core, so conftest starts it in the background as
soon as collection shows it is wanted; the rest of the suite runs on the other core, and
``test_native_under_address_and_undefined_sanitizers`` waits for its result.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

from helpers import CORPUS, ROOT, corpus_required

SRC_FILES = ["setup.py", "pyproject.toml", "MANIFEST.in", "README.md"]
TEST_NAME = "test_native_under_address_and_undefined_sanitizers"
# At least this many tests reach C code (the -m native selection on the full corpus: 3,015 when
# this was written); a selection that shrinks below it means tests stopped being selected.
MIN_SANITIZED = 3000
# Without the corpus (a clone outside the shared folder, not CI): the tests on the bundled
# samples and generated inputs alone (1,345 when this was written).
MIN_SANITIZED_WITHOUT_CORPUS = 1300


def min_sanitized() -> int:
    """The fewest tests the sanitizer job must pass: the corpus's share counts when it is there."""
    return MIN_SANITIZED if CORPUS.is_dir() else MIN_SANITIZED_WITHOUT_CORPUS


def copy_source(dest: Path) -> Path:
    """A clean copy of the sources (no build products) to build from."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in SRC_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("*.so", "*.o", "_native_lib.c", "__pycache__", "*.pyd")
    shutil.copytree(ROOT / "native", dest / "native", ignore=ignore)
    shutil.copytree(ROOT / "pyfantasy", dest / "pyfantasy", ignore=ignore)
    return dest


def libasan() -> Optional[str]:
    """gcc's libasan.so (preloaded into the child Python), or None without one."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        return None
    path = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    return path if path and os.path.isabs(path) and os.path.exists(path) else None


def available() -> bool:
    return sys.platform == "linux" and libasan() is not None


def summary_counts(output: str) -> dict:
    """pytest's final line ("3012 passed, 1 skipped, 3700 deselected in 150s") as {word: count}."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    assert lines, f"no pytest summary line in:\n{output[-3000:]}"
    return {word.rstrip("s") if word.startswith("error") else word: int(n)
            for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)",
                                      lines[-1])}


class Job:
    """One sanitizer run in a temporary folder: ``start()`` builds and launches it,
    ``result()`` waits and returns (returncode, stdout, stderr)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pyfantasy-sanitizer-"))
        self.proc: Optional[subprocess.Popen] = None
        self.build_error: Optional[str] = None
        self._thread: Optional[threading.Thread] = None

    def start_in_background(self) -> "Job":
        """``start()`` on a thread: the build (half a minute) does not hold up the suite either."""
        self._thread = threading.Thread(target=self._start_or_record, name="sanitizer-job", daemon=True)
        self._thread.start()
        return self

    def _start_or_record(self) -> None:
        try:
            self.start()
        except Exception as exc:  # reported by result(), in the test, not lost on the thread
            self.build_error = f"the sanitizer job could not start: {exc!r}"

    def start(self) -> "Job":
        src = copy_source(self.dir / "src")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYFANTASY_")}
        env.update(PYFANTASY_SANITIZE="1", PYFANTASY_REQUIRE_NATIVE="1")
        build = subprocess.run([sys.executable, "native/build_ffi.py"], env=env, cwd=src,
                               capture_output=True, text=True)
        if build.returncode or not list((src / "pyfantasy").glob("_native_lib*.so")):
            self.build_error = f"the sanitizer build failed:\n{build.stdout[-4000:]}\n{build.stderr[-4000:]}"
            return self
        env.update(
            PYTHONPATH=str(src),
            LD_PRELOAD=libasan() or "",
            ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
            UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
            PYFANTASY_BACKEND="native",
            PYFANTASY_EXPECT_NATIVE_FROM=str(src),
            PYFANTASY_CORPUS=str(CORPUS),
            # the corpus tests run on C too whenever this run has the corpus (or must have it)
            PYFANTASY_REQUIRE_CORPUS="1" if CORPUS.is_dir() or corpus_required() else "",
            HYPOTHESIS_PROFILE="ci",
        )
        # output to files, not pipes: nobody reads a pipe while the job runs in the background
        self.out = open(self.dir / "stdout", "w+")
        self.err = open(self.dir / "stderr", "w+")
        self.proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-x", "-s", "-p", "no:cacheprovider",
                                      "-p", "no:randomly", "-m", "native", str(ROOT / "tests")],
                                     env=env, cwd=self.dir, stdout=self.out, stderr=self.err, text=True)
        return self

    def result(self) -> tuple:
        """(returncode, stdout, stderr) once the run is over; the folder is removed."""
        if self._thread is not None:
            self._thread.join()
        assert self.build_error is None, self.build_error
        assert self.proc is not None, "the sanitizer job was not started"
        rc = self.proc.wait()
        out, err = (f.seek(0) or f.read() for f in (self.out, self.err))
        self.close()
        return rc, out, err

    def close(self) -> None:
        """Stop the run if it is still going, and remove its folder."""
        if self._thread is not None:
            self._thread.join()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (getattr(self, "out", None), getattr(self, "err", None)):
            if f is not None:
                f.close()
        shutil.rmtree(self.dir, ignore_errors=True)

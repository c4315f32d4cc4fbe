"""The habits: ruff (configured in pyproject.toml) and mypy (on the public modules listed in
pyproject's [tool.mypy]) pass on the tree. Skipped only when the tools are not installed
(they are in the ``test`` extra, so CI always runs them)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_ruff_passes():
    proc = subprocess.run([_tool("ruff"), "check", "--no-cache", "pyfantasy", "tests", "benches", "scripts",
                           "native/build_ffi.py", "setup.py"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_passes_on_the_public_modules():
    proc = subprocess.run([_tool("mypy"), "--cache-dir", str(ROOT / "build" / "mypy-cache")], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

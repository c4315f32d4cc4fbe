"""Bench fixtures. Run: python -m pytest benches --benchmark-disable-gc --benchmark-min-rounds=5"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "tests"))  # helpers.py

from helpers import check_session_environment  # noqa: E402


def pytest_configure(config):
    """Same start-up rule as the tests: in CI a missing corpus or required extension stops the run."""
    check_session_environment()

"""Bench fixtures. Run: python -m pytest benches --benchmark-disable-gc --benchmark-min-rounds=5"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

